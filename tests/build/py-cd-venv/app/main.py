"""The cd + venv fixture: the Dockerfile activates a venv in one RUN and installs in the next
(so pip installs into the system Python, where this app, run by the system `python`, finds it),
and changes directory in RUNs of their own. Joining those RUNs changes what they do."""
import os
import sys

import packaging.version

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "version.txt")) as f:
    version = f.read().strip()
cached = os.path.isdir(os.path.join(here, "__pycache__"))
print(
    "hello from the cd + venv fixture:",
    f"version={version}",
    f"packaging-from={'venv' if '.venv' in packaging.__file__ else 'system'}",
    f"python={sys.prefix}",
    f"compiled={cached}",
    f"valid={packaging.version.Version(version.split()[0]).release}",
)
