"""server/web's folders import downwards only, as server/web/__init__.py lays them out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "server" / "web"

#: Each layer, from the top down, and the layers it may import.
LAYERS = ("app", "pages", "manage", "proofs", "live", "staff", "plumbing")


def layer(module: str) -> str:
    """The layer of a module under server.web, given as ``server.web.x.y``."""
    first = module.split(".")[2] if module.count(".") >= 2 else ""
    return first if first in LAYERS else "plumbing"


def imported(path: Path) -> list[tuple[int, str]]:
    """Every ``server.web...`` module that ``path`` imports, relative imports resolved."""
    package = ".".join(path.relative_to(WEB.parents[1]).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            prefix = ".".join(base) if node.level else ""
            name = ".".join(part for part in (prefix, node.module or "") if part)
            if node.module is None:  # from . import totp
                found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, name))
    return [(line, module) for line, module in found if module.startswith("server.web.")]


def upward(path: Path) -> list[str]:
    module = ".".join(path.relative_to(WEB.parents[1]).with_suffix("").parts)
    mine = LAYERS.index(layer(module))
    return [
        f"{path.relative_to(WEB)}:{line}: {target}"
        for line, target in imported(path)
        if LAYERS.index(layer(target)) < mine
    ]


def test_every_folder_imports_only_the_layers_below_it() -> None:
    files = sorted(WEB.rglob("*.py"))
    assert len(files) > 20
    assert [problem for path in files for problem in upward(path)] == []


@pytest.mark.parametrize(
    ("where", "source", "bad"),
    [
        ("staff/x.py", "from ..live.chat import Chat", True),
        ("staff/x.py", "from server.web.manage.base import Visit", True),
        ("live/x.py", "from ..pages import Pages", True),
        ("settings2.py", "from .staff import totp", True),
        ("manage/x.py", "from ..app import create_app", True),
        ("live/x.py", "from ..staff.auth import StaffSession", False),
        ("manage/x.py", "from ..live.chat import Chat\nfrom .base import Visit", False),
        ("staff/x.py", "from . import totp\nfrom ..settings import Settings", False),
        ("pages.py", "from .live.hours import Hours", False),
        ("templates.py", "from .live.hours import Hours", True),
    ],
)
def test_the_checker_finds_an_upward_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, source: str, bad: bool
) -> None:
    web = tmp_path / "server" / "web"
    path = web / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source + "\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.WEB", web)
    assert bool(upward(path)) is bad
