"""Compression and caching as a browser and a shared cache see them."""

from __future__ import annotations

import json
import re

import httpx

from tests.clients import login
from tests.servers import RunningServer

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def assets_of(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def test_public_texts_are_gzipped_and_say_they_vary(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        chat = http.get("/chat?site=paris", headers=GZIP).text
        paths = ["/chat?site=paris", "/widget.js", "/demo", "/api/cite", *assets_of(chat)]
        assert any(path.endswith("/chat.js") for path in paths)
        for path in paths:
            packed = http.get(path, headers=GZIP)
            plain = http.get(path, headers=IDENTITY)
            assert packed.headers.get("content-encoding") == "gzip", path
            assert "accept-encoding" in packed.headers["vary"].lower(), path
            assert "content-encoding" not in plain.headers, path
            # The same text either way (httpx decodes), and much less of it on the wire.
            assert packed.content == plain.content, path
            assert int(packed.headers["content-length"]) < len(plain.content), path


def test_no_staff_page_is_ever_compressed(server: RunningServer) -> None:
    # Their CSRF tokens sit beside reflected input: compressed sizes would leak them.
    pages = {"camille": ["/console", "/console/account"], "dominique": ["/manage"]}
    assert "content-encoding" not in httpx.get(f"{server.url}/console/login", headers=GZIP).headers
    for user, paths in pages.items():
        cookie = login(server, user)
        for path in paths:
            page = httpx.get(f"{server.url}{path}", headers={**GZIP, "Cookie": cookie})
            assert page.status_code == 200 and 'name="csrf"' in page.text, path
            assert len(page.content) > 512, path  # large enough that gzip would apply
            assert "content-encoding" not in page.headers, path


def test_the_pages_name_assets_that_may_be_kept_a_year(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        page = http.get("/chat?site=paris").text
        cookie = login(server)
        console = http.get("/console", headers={"Cookie": cookie}).text
        for path in assets_of(page) + assets_of(console):
            assert re.fullmatch(r"/static/[0-9a-f]{12}/(widget|console|protocol)/[\w.]+", path)
            answer = http.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_every_module_the_chat_imports_is_preloaded_under_the_same_version(
    server: RunningServer,
) -> None:
    with httpx.Client(base_url=server.url) as http:
        page = http.get("/chat?site=paris").text
        preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)"', page))
        entry = re.search(r'<script type="module" src="([^"]+)"', page)
        assert entry and preloaded
        todo, imported = [entry[1]], set()
        while todo:
            url = todo.pop()
            source = http.get(url).text
            for relative in re.findall(r'^import [^"]*"(\.[^"]+)"', source, re.M):
                found = str(httpx.URL(server.url + url).join(relative).path)
                if found not in imported:
                    imported.add(found)
                    todo.append(found)
        assert imported == preloaded


def test_files_of_another_version_or_without_one_are_revalidated(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        for path in ("/static/000000000000/widget/chat.js", "/static/widget/chat.js"):
            first = http.get(path, headers=GZIP)
            assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
            etag = first.headers["etag"]
            assert etag.startswith('W/"'), etag  # the gzipped bytes are not the file's
            again = http.get(path, headers={**GZIP, "If-None-Match": etag})
            assert again.status_code == 304 and again.content == b"", path
        assert http.get("/static/widget/none.js").status_code == 404


def test_the_chat_page_carries_the_sites_status_as_the_api_gives_it(
    server: RunningServer,
) -> None:
    # One round trip less before the poles show; the same figures as /api/cite.
    page = httpx.get(f"{server.url}/chat?site=paris").text
    served = re.search(r'<script type="application/json" id="parole-status">(.*?)</script>', page)
    assert served
    assert json.loads(served[1]) == httpx.get(f"{server.url}/api/cite?site=paris").json()
