"""The nested-requirements fixture: prod.txt includes base.txt, which includes common.txt; the
app imports one package from each file, so a fix that copies only the top file fails to build."""
import idna
import packaging.version
import six

print(
    "hello from the nested-requirements fixture:",
    f"idna={idna.encode('bücher.example').decode()}",
    f"packaging={packaging.version.Version('1.0.post2').post}",
    f"six={six.PY3}",
)
