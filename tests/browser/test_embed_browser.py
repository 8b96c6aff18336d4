"""The widget on a Cité's own site: the host page on another origin than Parole's.

The host pages are served on ``localhost`` by a plain HTTP server of this test, Parole
on ``127.0.0.1``: two origins, as for a real Cité. One host is listed in
``--embed-origin`` and gets the whole conversation — postMessage both ways with
explicit origins (the unread badge, the panel closed from inside), a reload that
brings the panel back, the session kept in the iframe's storage while the host page
holds one key — and one is not, and its frame is refused by ``frame-ancestors``.

A browser that lets third-party frames keep (partitioned) storage is a profile of its
own here: Chromium's default, like a private window, refuses the chat's iframe any
storage; test_embed_private_browser.py covers that case.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
)

from tests.browser.test_accessibility import violations
from tests.browser.test_chat_browser import take_next
from tests.browser.widget import (
    ARGS,
    CHROMIUM,
    LAUNCHER,
    Watch,
    join,
    open_widget,
    reloaded,
    sign_in,
    visitor_context,
    waiting,
)
from tests.redis_server import start_redis
from tests.servers import RunningServer, free_port, start_server

HOST_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Cité des métiers de test</title></head>
<body><main><h1>Cité des métiers de test</h1><p>Une page d'un autre site.</p></main>
<script src="{parole}/widget.js" data-site="paris" defer></script></body></html>
"""


class HostSite:
    """A Cité's site: one page embedding Parole, on http://localhost:<port>."""

    def __init__(self, parole: str, port: int) -> None:
        page = HOST_PAGE.format(parole=parole).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass  # keep the test's output for failures

        self.url = f"http://localhost:{port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[RunningServer, HostSite, HostSite]]:
    """Parole, a host site it lists in --embed-origin, and one it does not."""
    listed_port = free_port()
    parole = start_server(
        tmp_path, "--embed-origin", f"http://localhost:{listed_port}", "--end-grace", "5"
    )
    listed = HostSite(parole.url, listed_port)
    unlisted = HostSite(parole.url, free_port())
    yield parole, listed, unlisted
    listed.stop()
    unlisted.stop()
    parole.stop()


@pytest.fixture
def regular(browser: Browser, tmp_path: Path) -> Iterator[BrowserContext]:
    """A browser profile that lets third-party frames keep partitioned storage (as
    Firefox and Safari do, and Chrome where third-party cookies are allowed)."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    prefs = {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}
    (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
    context = browser.browser_type.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=ARGS, locale="fr-FR",
        viewport={"width": 1280, "height": 800},
    )  # fmt: skip
    yield context
    context.close()


def storage(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(
        "() => Object.fromEntries(Object.entries(sessionStorage))"
    )
    return found


def test_a_conversation_from_a_listed_host_on_another_origin(
    sites: tuple[RunningServer, HostSite, HostSite], browser: Browser, regular: BrowserContext
) -> None:
    parole, host, _ = sites
    visitor = regular
    page, chat, watch = waiting(visitor, f"{host.url}/", "Bonjour depuis le site de la Cité")
    frame = page.frame(url=lambda url: url.startswith(f"{parole.url}/chat"))
    assert frame is not None
    # The session lives in the iframe's storage, on Parole's origin; the host page holds
    # one flag, and no cookie anywhere.
    assert storage(page) == {"parole:active": "open"}
    inside = frame.evaluate("() => Object.keys(sessionStorage)")
    assert "parole:token" in inside
    assert frame.evaluate("() => document.body.dataset.hostOrigin") == host.url

    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, parole)
    pane = take_next(console, "Trouver un emploi")
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
    reply = pane.get_by_role("textbox")
    reply.fill("Bonjour, que puis-je pour vous ?")
    reply.press("Enter")
    expect(chat.get_by_text("Bonjour, que puis-je pour vous ?")).to_be_visible()
    chat.get_by_label("Votre message").fill("Trouver une alternance.")
    chat.get_by_label("Votre message").press("Enter")
    expect(pane.get_by_text("Trouver une alternance.")).to_be_visible()

    # Closed from inside (postMessage to the host), then a message: the badge counts it.
    chat.get_by_role("button", name="Réduire la fenêtre de discussion").click()
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()
    reply.fill("Avez-vous un CV ?")
    reply.press("Enter")
    expect(launcher.locator(".b")).to_have_text("1")
    expect(launcher).to_have_attribute("aria-label", "Parler à un conseiller (1 nouveau message)")
    assert storage(page) == {"parole:active": "closed"}

    # Opened again, then a reload of the Cité's page: the panel and the thread come back.
    launcher.click()
    expect(chat.get_by_text("Avez-vous un CV ?")).to_be_visible()
    chat = reloaded(page)
    expect(chat.locator("#messages .msg-text")).to_have_text(
        [
            "Bonjour depuis le site de la Cité",
            "Bonjour, que puis-je pour vous ?",
            "Trouver une alternance.",
            "Avez-vous un CV ?",
        ]
    )
    assert storage(page) == {"parole:active": "open"}
    assert visitor.cookies() == []

    # Ended by the visitor: the host page's flag goes.
    chat.get_by_role("button", name="Terminer").click()
    chat.get_by_role("button", name="Oui, terminer").click()
    expect(chat.get_by_role("heading", name="La conversation est terminée")).to_be_visible()
    page.wait_for_function("() => sessionStorage.length === 0")
    watch.check()
    counsellor.close()


def test_a_host_not_listed_cannot_frame_the_chat(
    sites: tuple[RunningServer, HostSite, HostSite], browser: Browser
) -> None:
    parole, listed, stranger = sites
    visitor = visitor_context(browser)
    page = visitor.new_page()
    refused: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "frame-ancestors" in message.text:
            refused.append(message.text)

    page.on("console", console)
    page.goto(f"{stranger.url}/")
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    for _ in range(100):  # the browser says why it refused, in the page's console
        if refused:
            break
        page.wait_for_timeout(100)
    assert len(refused) == 1, refused
    assert f"frame-ancestors 'self' {listed.url}" in refused[0]
    # No chat page was loaded: the frame shows the browser's error, the host page holds
    # nothing, and the chat page itself says so to whoever asks.
    assert [f.url for f in page.frames if f.url.startswith(parole.url)] == []
    assert storage(page) == {}
    answer = httpx.get(f"{parole.url}/chat", params={"site": "paris", "host": stranger.url})
    assert f"frame-ancestors 'self' {listed.url};" in answer.headers["content-security-policy"]
    assert stranger.url not in answer.headers["content-security-policy"]
    assert f'data-host-origin="{stranger.url}"' not in answer.text
    visitor.close()


def test_where_the_frame_gets_no_storage_the_visitor_goes_on_in_a_tab_of_its_own(
    sites: tuple[RunningServer, HostSite, HostSite], browser: Browser
) -> None:
    # Chromium's default here, like a private window: no storage for third-party frames.
    parole, host, _ = sites
    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    watch = Watch(page)
    page.goto(f"{host.url}/")
    chat = open_widget(page)
    expect(chat.get_by_role("button", name="Trouver un emploi")).to_be_visible()
    frame = page.frame(url=lambda url: url.startswith(f"{parole.url}/chat"))
    assert frame is not None
    assert (
        frame.evaluate("() => { try { sessionStorage; return 'kept' } catch { return 'refused' } }")
        == "refused"
    )
    expect(chat.locator("#lasting-text")).to_have_text("")
    join(chat, "Trouver un emploi", "Bonjour")
    expect(chat.locator("#position-number")).to_have_text("1")
    pseudonym = chat.locator("#pseudonym").inner_text()

    # Told, in a live region, that a reload would lose the place; offered a tab.
    notice = chat.locator("#lasting-text[role=status]")
    expect(notice).to_have_text(
        "Votre navigateur ne laisse pas ce chat se souvenir de la conversation sur cette "
        "page : si vous la rechargez ou la quittez, vous perdrez votre place."
    )
    assert violations(frame) == [], "waiting, in a frame without storage"
    go = chat.get_by_role("button", name="Continuer dans un onglet à part")
    go.focus()
    with visitor.expect_page() as opened:
        page.keyboard.press("Enter")
    tab = opened.value
    watch_tab = Watch(tab)
    # The same session, first-party: the token left the address at once.
    expect(tab.get_by_role("heading", name="Vous êtes dans la file d'attente")).to_be_visible()
    expect(tab.locator("#pseudonym")).to_have_text(pseudonym)
    expect(tab.locator("#position-number")).to_have_text("1")
    assert "#" not in tab.url and "resume" not in tab.url and "host=" not in tab.url
    expect(tab.locator("#lasting-text")).to_have_text("")
    # The frame gave the session up to the tab, and says where it went.
    expect(
        chat.get_by_text("Cette discussion est maintenant ouverte dans un autre onglet.")
    ).to_be_visible()

    # The tab keeps it across a reload, and the counsellor finds the visitor there.
    tab.reload()
    expect(tab.locator("#pseudonym")).to_have_text(pseudonym)
    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, parole)
    pane = take_next(console, "Trouver un emploi")
    expect(tab.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
    tab.get_by_label("Votre message").fill("Me voici dans mon onglet.")
    tab.get_by_label("Votre message").press("Enter")
    expect(pane.get_by_text("Me voici dans mon onglet.")).to_be_visible()
    assert visitor.cookies() == []
    watch.check()
    watch_tab.check()
    visitor.close()
    counsellor.close()


def test_where_the_frame_gets_no_storage_a_lost_connection_still_resumes(
    browser: Browser, tmp_path: Path
) -> None:
    # The session's token is kept in the page's memory: a restart of Parole (on Redis,
    # which keeps the session) cuts the socket, and the widget comes back to its place.
    redis = start_redis(tmp_path)
    host_port = free_port()
    options = ("--backend", redis.url, "--embed-origin", f"http://localhost:{host_port}")
    parole = start_server(tmp_path, *options)
    host = HostSite(parole.url, host_port)
    try:
        visitor = visitor_context(browser)
        _page, chat, _watch = waiting(visitor, f"{host.url}/", "Bonjour")
        expect(chat.locator("#lasting-text")).not_to_have_text("")
        pseudonym = chat.locator("#pseudonym").inner_text()

        parole.stop()
        expect(chat.locator("#banner-text")).not_to_have_text("")  # connection lost
        parole = start_server(tmp_path, *options, port=parole.port)
        expect(chat.locator("#banner-text")).to_have_text("")
        expect(chat.get_by_role("heading", name="Vous êtes dans la file d'attente")).to_be_visible()
        expect(chat.locator("#pseudonym")).to_have_text(pseudonym)
        expect(chat.locator("#position-number")).to_have_text("1")
        # Bound to its session again: the counsellor who takes it reaches this widget.
        counsellor = browser.new_context(locale="fr-FR")
        take_next(sign_in(counsellor, parole), "Trouver un emploi")
        expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
        visitor.close()
        counsellor.close()
    finally:
        host.stop()
        parole.stop()
        redis.stop()
