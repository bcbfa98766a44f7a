"""Two Dockerfiles in one folder: Dockerfile (development: runs the tests) and Dockerfile.prod
(runs this app). Both are fixed in the same folder, sharing its .dockerignore."""
from packaging.version import Version


def newest(versions):
    return str(max(Version(v) for v in versions))


if __name__ == "__main__":
    print("hello from the two-Dockerfiles fixture:", newest(["1.2.0", "1.10.0", "1.9.3", "1.10.0rc1"]))
