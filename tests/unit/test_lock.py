"""The lock's stamp catches a dependency list edited without ``make lock``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("lock", ROOT / "ops" / "lock.py")
assert _spec is not None and _spec.loader is not None
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)

PYPROJECT = """\
[project]
name = "x"
requires-python = ">=3.11"
dependencies = ["b>=2", "a>=1"]

[project.optional-dependencies]
test = ["pytest>=8"]

[build-system]
requires = ["setuptools>=68"]
"""


def test_the_committed_lock_matches_pyproject() -> None:
    assert lock.stamped() == lock.digest(), "run: make lock"


def test_the_digest_follows_every_list_of_dependencies_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    first = lock.digest(path)
    path.write_text(PYPROJECT.replace('"b>=2", "a>=1"', '"a>=1", "b>=2"') + "\n# note\n")
    assert lock.digest(path) == first  # order and comments do not matter
    for old, new in [
        ('"a>=1"', '"a>=1.5"'),
        ('"pytest>=8"', '"pytest>=8", "hypothesis"'),
        ('"setuptools>=68"', '"setuptools>=70"'),
        ('">=3.11"', '">=3.12"'),
    ]:
        path.write_text(PYPROJECT.replace(old, new))
        assert lock.digest(path) != first, new


def test_stamp_writes_one_first_line_and_check_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject, locked = tmp_path / "pyproject.toml", tmp_path / "requirements.lock"
    pyproject.write_text(PYPROJECT)
    locked.write_text("# written by uv\na==1.0 \\\n    --hash=sha256:00\n")
    monkeypatch.setattr(lock, "PYPROJECT", pyproject)
    monkeypatch.setattr(lock, "LOCK", locked)
    assert lock.main(["check"]) == 1
    assert lock.main(["stamp"]) == 0 and lock.main(["stamp"]) == 0
    text = locked.read_text()
    assert text.count(lock.PREFIX) == 1 and text.endswith("a==1.0 \\\n    --hash=sha256:00\n")
    assert lock.main(["check"]) == 0
    pyproject.write_text(PYPROJECT.replace('"a>=1"', '"a>=2"'))
    capsys.readouterr()
    assert lock.main(["check"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert lock.main(["nonsense"]) == 2
