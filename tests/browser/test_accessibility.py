"""axe-core finds no WCAG 2.1 A/AA violation on any screen: the widget in each of its
states, at 1280 px and at 360 px, the console, sign-in, account and manager pages.

axe-core comes from package-lock.json (``npm ci``); it is evaluated through the
DevTools protocol, so the pages' strict CSP stays on while it runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from server.demo import DEMO_SITE
from tests.browser.test_chat_browser import start_talking
from tests.browser.widget import open_widget, sign_in, visitor_context
from tests.servers import RunningServer

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MANAGER_PAGES = [
    "/manage",
    "/manage/poles",
    "/manage/poles/emploi",
    "/manage/resources",
    "/manage/resources/emploi",
    "/manage/resources/emploi/atelier-cv",
    "/manage/replies/emploi",
    "/manage/feedback",
    "/manage/statistics",
    "/manage/statistics?span=year",
    "/manage/statistics?day=1990-01-01",
    "/manage/statistics/report",
    "/manage/partners",
    "/manage/sites",
    "/manage/sites/new",
    f"/manage/sites/{DEMO_SITE}",
    "/manage/staff",
    "/manage/staff/camille",
]


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"no {AXE}: run `npm ci` (make test does)", pytrace=False)
    return AXE.read_text(encoding="utf-8")


def violations(where: Page | Frame) -> list[str]:
    """One line per rule broken, with the elements that break it."""
    if not where.evaluate("typeof window.axe !== 'undefined'"):
        where.evaluate(axe_source())
    found: list[dict[str, Any]] = where.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})"
        ".then(result => result.violations.map(v => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))",
        RULES,
    )
    return [f"{v['id']}: {v['help']} — {', '.join(v['nodes'])}" for v in found]


def chat_frame(page: Page) -> Frame:
    frame = page.frame(url=lambda url: "/chat" in url)
    assert frame is not None
    return frame


@pytest.mark.parametrize("width", [1280, 360])
def test_the_widget_in_each_state(server: RunningServer, browser: Browser, width: int) -> None:
    visitor = visitor_context(browser, width=width, height=800 if width > 360 else 740)
    page = visitor.new_page()
    page.goto(f"{server.url}/demo")
    assert violations(page) == [], "the demo host page"

    chat = open_widget(page)
    expect(chat.get_by_role("button", name="Trouver un emploi")).to_be_visible()
    assert violations(chat_frame(page)) == [], "the pole list"

    # The privacy page, reached from the widget's footer with the keyboard alone.
    link = chat.get_by_role("link", name="Confidentialité et fonctionnement du chat")
    link.focus()
    with visitor.expect_page() as opened:
        page.keyboard.press("Enter")
    privacy = opened.value
    expect(privacy.get_by_role("heading", level=1)).to_have_text(
        "Confidentialité et fonctionnement du chat"
    )
    assert violations(privacy) == [], "the privacy page"
    assert privacy.evaluate("document.documentElement.scrollWidth <= innerWidth")
    privacy.close()

    chat.get_by_role("button", name="Trouver un emploi").click()
    expect(chat.get_by_label("Votre question")).to_be_visible()
    assert violations(chat_frame(page)) == [], "the question form"

    chat.get_by_label("Votre question").fill("Bonjour")
    chat.get_by_role("button", name="Rejoindre la file d'attente").click()
    expect(chat.get_by_text("Vous êtes", exact=False).first).to_be_visible()
    assert violations(chat_frame(page)) == [], "waiting"
    visitor.close()


def test_a_conversation_on_both_sides(server: RunningServer, browser: Browser) -> None:
    visitor = visitor_context(browser)
    counsellor = browser.new_context(locale="fr-FR")
    talking = start_talking(server, visitor, counsellor)
    talking.pane.get_by_role("textbox").fill("Bonjour, je vous écoute.")
    talking.pane.get_by_role("textbox").press("Enter")
    expect(talking.chat.get_by_text("Bonjour, je vous écoute.")).to_be_visible()
    # A link on each side of both threads: it must stand out from the text, in contrast.
    talking.pane.get_by_role("textbox").fill("Voir https://example.org/metiers.")
    talking.pane.get_by_role("textbox").press("Enter")
    talking.chat.get_by_label("Votre message").fill("Et https://example.org/cv ?")
    talking.chat.get_by_label("Votre message").press("Enter")
    expect(talking.pane.locator(".msg-text a")).to_have_count(2)
    expect(talking.chat.locator("#messages .msg-text a")).to_have_count(2)
    assert violations(chat_frame(talking.page)) == [], "the visitor, talking"
    assert violations(talking.console) == [], "the console, talking"

    talking.chat.get_by_role("button", name="Terminer").click()
    talking.chat.get_by_role("button", name="Oui, terminer").click()
    expect(talking.chat.get_by_role("heading", name="La conversation est terminée")).to_be_visible()
    assert violations(chat_frame(talking.page)) == [], "the visitor, ended"
    visitor.close()
    counsellor.close()


def test_the_staff_pages(server: RunningServer, browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR")
    login = context.new_page()
    login.goto(f"{server.url}/console/login")
    assert violations(login) == [], "sign-in"
    console = sign_in(context, server)
    assert violations(console) == [], "the console, idle"
    console.goto(f"{server.url}/console/account")
    assert violations(console) == [], "the account page"
    context.close()

    manager = browser.new_context(locale="fr-FR")
    page = manager.new_page()
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Identifiant").fill("dominique")
    page.get_by_label("Mot de passe").fill("demo-parole")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/(console|manage)$"))
    for path in MANAGER_PAGES:
        page.goto(f"{server.url}{path}")
        assert violations(page) == [], path
    manager.close()


def test_the_checker_finds_a_violation(server: RunningServer, browser: Browser) -> None:
    # What a broken page looks like to it: an image without text, an unlabelled field.
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="fr"><body><main><img src="x.png"><input></main></body></html>')
    found = violations(page)
    assert any(line.startswith("image-alt") for line in found)
    assert any(line.startswith("label") for line in found)
    context.close()
