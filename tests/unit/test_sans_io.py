"""The core does no I/O: nothing under server/core imports a network, event-loop or clock module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "server" / "core"

FORBIDDEN = frozenset(
    {
        "asyncio",
        "starlette",
        "redis",
        "websockets",
        "uvicorn",
        "socket",
        "threading",
        "time",
        "selectors",
        "select",
        "sched",
        "anyio",
        "trio",
        "httpx",
        "multiprocessing",
        "concurrent",
        "subprocess",
    }
)
_DYNAMIC = {"__import__", "import_module"}


def forbidden_imports(path: Path) -> list[str]:
    """``file:line: module`` for each forbidden import in ``path``, however nested or spelled."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in _DYNAMIC
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return [
        f"{path.name}:{line}: {module}"
        for line, module in sorted(found)
        if module.split(".")[0] in FORBIDDEN
    ]


def test_the_core_imports_no_io_module() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert {"queues.py", "visitors.py", "ratelimit.py"} <= {f.name for f in files}
    violations = [v for f in files for v in forbidden_imports(f)]
    assert violations == [], "server/core must stay sans-I/O:\n" + "\n".join(violations)


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("import asyncio", "asyncio"),
        ("import os, socket as s", "socket"),
        ("import asyncio.subprocess", "asyncio.subprocess"),
        ("from redis.asyncio import Redis", "redis.asyncio"),
        ("from starlette import routing", "starlette"),
        ("from time import monotonic", "time"),
        ("def f():\n    import threading", "threading"),
        ("try:\n    import uvicorn\nexcept ImportError:\n    pass", "uvicorn"),
        ("if TYPE_CHECKING:\n    from websockets.client import connect", "websockets.client"),
        ("x = __import__('asyncio')", "asyncio"),
        ("import importlib\nm = importlib.import_module('redis')", "redis"),
    ],
)
def test_the_checker_catches_a_forbidden_import(tmp_path: Path, source: str, module: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(source + "\n", encoding="utf-8")
    found = forbidden_imports(bad)
    assert len(found) == 1
    assert found[0].startswith("bad.py:")
    assert found[0].endswith(f": {module}")


@pytest.mark.parametrize(
    "source",
    [
        "import timeit_helpers",
        "import asynciolike",
        "from . import time",
        "from .socket import Socket",
        "import msgspec, enum, re",
        "x = __import__(name)",
        "from os.path import join",
    ],
)
def test_the_checker_leaves_lookalikes_and_own_modules_alone(tmp_path: Path, source: str) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text(source + "\n", encoding="utf-8")
    assert forbidden_imports(ok) == []
