"""The later-WORKDIR fixture: the context is copied to /srv, then WORKDIR moves to /srv/backend
and `pip install -r requirements.txt` reads backend/requirements.txt, not the top-level one."""
import os
import packaging.version

try:
    import six  # noqa: F401  (listed only in the top-level requirements.txt)
    six_installed = True
except ImportError:
    six_installed = False

print(
    "hello from the later-WORKDIR fixture:",
    f"cwd={os.getcwd()}",
    f"packaging={packaging.version.parse('2.0rc1').is_prerelease}",
    f"six-installed={six_installed}",
    f"docs-shipped={os.path.exists('/srv/docs/index.md')}",
)
