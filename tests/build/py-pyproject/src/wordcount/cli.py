"""The console script pyproject.toml declares; installed by `pip install .` (so the project's own
source must be in the build context when pip runs)."""
import collections
import sys

import packaging.version

from wordcount import __version__


def main():
    words = " ".join(sys.argv[1:]).split()
    top = collections.Counter(words).most_common(2)
    ver = packaging.version.Version(__version__)
    print(f"hello from the pyproject fixture: wordcount {ver.major}.{ver.minor} top={top}")
