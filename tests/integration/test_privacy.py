"""/privacy: written from the live configuration, in the widget's language."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.clients import csrf, login
from tests.servers import RunningServer, start_server


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_page_says_the_durations_the_server_keeps(tmp_path: Path) -> None:
    running = start_server(
        tmp_path,
        *("--resume-grace", "180", "--end-grace", "600"),
        env={"PAROLE_SESSION_MAX_AGE": "7200", "PAROLE_LOG_RETENTION_DAYS": "3"},
    )
    try:
        french = text_of(httpx.get(f"{running.url}/privacy?site=paris").text)
        english = text_of(httpx.get(f"{running.url}/privacy?lang=en").text)
    finally:
        running.stop()
    assert "vous attend pendant 3 minutes" in french
    assert "lisible pour vous pendant 10 minutes" in french
    assert "Aucune session ne dure plus de 2 heures" in french
    assert "effacés au bout de 3 jours" in french
    assert "Cité des métiers (démo) est responsable de ce service" in french
    assert "kept for you for 3 minutes" in english and "after 3 days" in english


def test_the_page_is_public_uncached_cookieless_and_linked_from_the_widget(
    server: RunningServer,
) -> None:
    page = httpx.get(f"{server.url}/privacy")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # Monday to Sunday from the demo site's hours, in its time zone.
    assert text_of(page.text).count("00:00-24:00") == 7 and "Europe/Paris" in page.text
    chat = httpx.get(f"{server.url}/chat?site=paris&lang=en").text
    link = re.search(r'<a href="(/privacy[^"]*)" target="_blank" rel="noopener noreferrer">', chat)
    assert link and link[1] == "/privacy?lang=en&amp;site=paris"


def test_a_managers_note_shows_as_text_in_paragraphs(server: RunningServer) -> None:
    cookie = login(server, "dominique")
    with httpx.Client(base_url=server.url, headers={"Cookie": cookie}) as http:
        token = csrf(http.get("/manage").text)
        note = "Contact : <b>dpo</b>@cite.example\r\n\r\nNous répondons\r\nsous huit jours."
        saved = http.post("/manage/notice", data={"csrf": token, "notice": note})
        assert saved.status_code == 303 and saved.headers["location"] == "/manage?done=noticed"
        assert "Contact : &lt;b&gt;dpo&lt;/b&gt;@cite.example" in http.get("/manage").text

        page = httpx.get(f"{server.url}/privacy").text
        notes = re.findall(r'<p class="note">(.*?)</p>', page, re.S)
        assert notes == [
            "Contact : &lt;b&gt;dpo&lt;/b&gt;@cite.example",
            "Nous répondons\nsous huit jours.",
        ]

        refused = http.post("/manage/notice", data={"csrf": token, "notice": "x" * 1501})
        assert refused.status_code == 400 and "1 500 caractères au plus" in refused.text
        missing = http.post("/manage/notice", data={"notice": "sans jeton"})
        assert missing.status_code == 403
        cleared = http.post("/manage/notice", data={"csrf": token, "notice": "  "})
        assert cleared.status_code == 303
    # The refused and unauthorised changes left nothing; the cleared one removed the note.
    page = httpx.get(f"{server.url}/privacy").text
    assert '<p class="note">' not in page and "sans jeton" not in page


def test_a_counsellor_cannot_change_the_note(server: RunningServer) -> None:
    cookie = login(server, "camille")
    with httpx.Client(base_url=server.url, headers={"Cookie": cookie}) as http:
        token = csrf(http.get("/console/account").text)
        answer = http.post("/manage/notice", data={"csrf": token, "notice": "note-de-camille"})
        assert answer.status_code == 403
    assert "note-de-camille" not in httpx.get(f"{server.url}/privacy").text
