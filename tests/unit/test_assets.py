"""The assets' version and module graph, over files written for the test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.requests import Request

from server.web.assets import Assets
from server.web.i18n import Catalogs
from server.web.templates import Templates


def tree(tmp_path: Path) -> dict[str, Path]:
    widget, protocol = tmp_path / "widget", tmp_path / "protocol"
    widget.mkdir()
    protocol.mkdir()
    (widget / "chat.js").write_text(
        'import { a } from "../protocol/client.js";\n'
        "import * as t from './thread.js';\n"
        'import "./side.js";\n'
        '// import { no } from "./comment.js" is not at the start of a line\n'
        "const x = \"import y from './nope.js'\";\n"
    )
    (widget / "thread.js").write_text('import { b } from "./links.js";\n')
    (widget / "links.js").write_text('import { a } from "../protocol/client.js";\n')
    (widget / "side.js").write_text("export {};\n")
    (protocol / "client.js").write_text("export const a = 1;\n")
    return {"widget": widget, "protocol": protocol}


def test_preload_follows_relative_imports_across_folders_once_each(tmp_path: Path) -> None:
    assets = Assets(tree(tmp_path))
    v = assets.version
    assert assets.preload("widget/chat.js") == [
        f"/static/{v}/protocol/client.js",
        f"/static/{v}/widget/thread.js",
        f"/static/{v}/widget/side.js",
        f"/static/{v}/widget/links.js",
    ]
    assert assets.preload("widget/side.js") == []


def test_any_change_to_any_file_changes_the_version(tmp_path: Path) -> None:
    folders = tree(tmp_path)
    before = Assets(folders).version
    assert Assets(folders).version == before  # the same files, the same version
    (folders["protocol"] / "client.js").write_text("export const a = 2;\n")
    changed = Assets(folders).version
    assert changed != before
    (folders["widget"] / "new.css").write_text("")
    added = Assets(folders).version
    assert added not in (before, changed)
    (folders["widget"] / "new.css").rename(folders["widget"] / "renamed.css")
    assert Assets(folders).version not in (before, changed, added)


def test_a_missing_asset_is_an_error_at_render_time(tmp_path: Path) -> None:
    assets = Assets(tree(tmp_path))
    assert assets.url("widget/chat.js") == f"/static/{assets.version}/widget/chat.js"
    with pytest.raises(LookupError):
        assets.url("widget/missing.js")
    with pytest.raises(KeyError):
        assets.url("elsewhere/chat.js")


def test_the_chat_page_keeps_a_hostile_status_inside_its_json(tmp_path: Path) -> None:
    # Managers' texts are checked on entry; this is the second guard: "</script>" or
    # "<!--" in any text of the status must not end or bend the JSON's script element.
    hostile = "a </script><script>alert(1)</script> <!-- b"
    templates = Templates(Catalogs(), Assets())
    request = Request({"type": "http", "query_string": b"", "headers": []})
    status = {"cite": hostile, "poles": [{"id": "p", "name": hostile}]}
    page = templates.render(
        request, "chat.html", host_origin="", site="", site_status=status
    ).body.decode()
    served = re.search(r'<script type="application/json" id="parole-status">(.*?)</script>', page)
    assert served and json.loads(served[1]) == status
    assert "<script>alert" not in page and "<!-- b" not in page


@pytest.mark.parametrize(
    ("seconds", "fr", "en"),
    [
        (1, "1 seconde", "1 second"),
        (90, "90 secondes", "90 seconds"),
        (60, "1 minute", "1 minute"),
        (120, "2 minutes", "2 minutes"),
        (300, "5 minutes", "5 minutes"),
        (3600, "1 heure", "1 hour"),
        (5400, "90 minutes", "90 minutes"),
        (14400, "4 heures", "4 hours"),
        (86400, "1 jour", "1 day"),
        (7 * 86400, "7 jours", "7 days"),
    ],
)
def test_a_duration_reads_in_its_largest_whole_unit(seconds: float, fr: str, en: str) -> None:
    templates = Templates(Catalogs(), Assets())
    assert templates.duration("fr", seconds) == fr
    assert templates.duration("en", seconds) == en
