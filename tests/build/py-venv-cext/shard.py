"""The venv + C extension fixture: mmh3 is compiled from source into /opt/venv (gcc in the
image), and the app reports which interpreter runs it and that the compiled module is loaded."""
import sys

import mmh3

keys = ["alpha", "beta", "gamma", "delta"]
shards = {k: mmh3.hash(k, 42, signed=False) % 4 for k in keys}
print(
    "hello from the venv + C extension fixture:",
    f"venv={sys.prefix}",
    f"compiled={mmh3.__file__.endswith('.so')}",
    f"shards={shards}",
)
