"""The USER + COPY --chown fixture: runs as `app`, installs with `pip --user` into
/home/app/.local (compiling mmh3 with gcc), and writes its journal next to its code (which it
owns thanks to --chown)."""
import getpass
import os
import pathlib

import packaging.version
import mmh3

here = pathlib.Path(__file__).resolve().parent
journal = here / "journal.log"
journal.write_text("started\n")
st = here.stat()
print(
    "hello from the USER + COPY --chown fixture:",
    f"user={getpass.getuser()}",
    f"site-owner-uid={st.st_uid}",
    f"journal-written={journal.read_text().strip()}",
    f"packages-in={'user' if '.local' in packaging.__file__ else 'system'}",
    f"mmh3-compiled={mmh3.__file__.endswith('.so')} hash={mmh3.hash('journal', signed=False)}",
    f"v={packaging.version.Version('3.1').minor}",
)
