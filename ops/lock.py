"""The lock file's stamp: which dependency lists of pyproject.toml it was written from.

``requirements.lock`` pins every package, with hashes, for Python 3.11 on Linux; the
Makefile installs from it and never re-resolves. Its first line records a digest of
what pyproject.toml asks for (requires-python, the build requirements, the
dependencies and every extra), so that an edit of those lists without ``make lock``
is caught before anything is installed:

    python3 ops/lock.py stamp   # after uv wrote the lock (make lock does both)
    python3 ops/lock.py check   # before every install (make run, test, bench)

Standard library only: it runs before the venv exists.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
PREFIX = "# pyproject.toml dependencies: sha256="


def digest(pyproject: Path | None = None) -> str:
    data = tomllib.loads((pyproject or PYPROJECT).read_text(encoding="utf-8"))
    project = data.get("project", {})
    asked = {
        "requires-python": project.get("requires-python", ""),
        "build-system": sorted(data.get("build-system", {}).get("requires", [])),
        "dependencies": sorted(project.get("dependencies", [])),
        "extras": {
            name: sorted(values)
            for name, values in project.get("optional-dependencies", {}).items()
        },
    }
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


def stamped(lock: Path | None = None) -> str | None:
    lock = lock or LOCK
    if not lock.exists():
        return None
    first = lock.read_text(encoding="utf-8").partition("\n")[0]
    return first.removeprefix(PREFIX) if first.startswith(PREFIX) else None


def stamp(lock: Path | None = None) -> None:
    lock = lock or LOCK
    text = lock.read_text(encoding="utf-8")
    if text.startswith(PREFIX):
        text = text.partition("\n")[2]
    lock.write_text(f"{PREFIX}{digest()}\n{text}", encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv == ["stamp"]:
        stamp()
        return 0
    if argv == ["check"]:
        if stamped() != digest():
            print(
                "requirements.lock does not match the dependencies in pyproject.toml: "
                "run `make lock` and commit both",
                file=sys.stderr,
            )
            return 1
        return 0
    print("usage: python3 ops/lock.py stamp|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
