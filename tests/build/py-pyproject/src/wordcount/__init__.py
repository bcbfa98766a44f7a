"""wordcount: the package `pip install .` builds from pyproject.toml."""
__version__ = "0.3.0"
