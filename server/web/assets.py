"""The static files (scripts, styles) of the widget, the console and the protocol, under
one release-wide version so that a browser may keep them for a year.

Every page names its assets as ``/static/<version>/<folder>/<file>``, ``<version>``
being a digest of every static file: any change to any of them changes every URL, so a
module can never import a stale sibling (imports between modules are relative, and so
stay under the version of the page that loaded them). A request for another version (a
page served by an older or newer process during a rolling restart) still gets today's
file, but revalidated rather than kept. The unversioned ``/static/<folder>/<file>``
stays for whoever links a file by hand, revalidated by ETag on every use.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .paths import CONSOLE, PROTOCOL, WIDGET

#: URL folder -> directory on disk.
FOLDERS = {"widget": WIDGET / "static", "console": CONSOLE / "static", "protocol": PROTOCOL / "js"}

KEEP = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

#: ``import … from "./x.js"`` and ``import "./x.js"``: the relative imports of a module.
IMPORT = re.compile(r"""^\s*import\s+(?:[^'"]*?\sfrom\s+)?["'](\.{1,2}/[^"']+)["']""", re.M)


class Assets:
    def __init__(self, folders: dict[str, Path] = FOLDERS) -> None:
        self.folders = folders
        self.version = digest(folders)

    def url(self, path: str) -> str:
        """The versioned URL of ``path`` ("widget/chat.js"), checked to exist."""
        folder, _, name = path.partition("/")
        if not (self.folders[folder] / name).is_file():
            raise LookupError(f"no static file {path}")
        return f"/static/{self.version}/{path}"

    def preload(self, entry: str) -> list[str]:
        """The versioned URLs of every module ``entry`` imports, however deep, so that a
        page can ask for them all at once instead of one round trip per level."""
        seen: list[str] = []
        todo = [entry]
        while todo:
            for found in imports(self.folders, todo.pop()):
                if found not in seen and found != entry:
                    seen.append(found)
                    todo.append(found)
        return [self.url(path) for path in seen]

    def routes(self) -> list[BaseRoute]:
        unversioned: list[BaseRoute] = [
            Mount(f"/static/{name}", app=Static(self, directory))
            for name, directory in self.folders.items()
        ]
        versioned: list[BaseRoute] = [
            Mount(f"/{name}", app=Static(self, directory))
            for name, directory in self.folders.items()
        ]
        # Unversioned first: "/static/widget/x" must not read as version "widget".
        return [*unversioned, Mount("/static/{version}", routes=versioned)]


class Static(StaticFiles):
    """StaticFiles with the cache lifetime that the URL's version earns."""

    def __init__(self, assets: Assets, directory: Path) -> None:
        super().__init__(directory=directory)
        self.assets = assets

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        current = scope.get("path_params", {}).get("version") == self.assets.version
        response.headers["Cache-Control"] = KEEP if current else REVALIDATE
        return response


def digest(folders: dict[str, Path]) -> str:
    h = hashlib.sha256()
    for name, directory in sorted(folders.items()):
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            h.update(f"{name}/{path.relative_to(directory)}\0".encode())
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()[:12]


def imports(folders: dict[str, Path], path: str) -> Iterable[str]:
    """The static paths ("protocol/client.js") that the module at ``path`` imports."""
    folder, _, name = path.partition("/")
    source = (folders[folder] / name).read_text(encoding="utf-8")
    base = f"/{path}"
    for relative in IMPORT.findall(source):
        resolved = os.path.normpath(os.path.join(os.path.dirname(base), relative))
        yield resolved.lstrip("/")
