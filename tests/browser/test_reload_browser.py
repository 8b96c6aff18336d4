"""A reload of the Cité's page while a session runs brings the panel back as it was
(open, or closed with its badge), and the conversation whole; once it is over, a
reload leaves the launcher alone. (The demo page shares Parole's origin, and so the
chat's own storage: test_embed_browser.py checks that a Cité's page holds one key.)"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_chat_browser import start_talking
from tests.browser.widget import (
    LAUNCHER,
    reloaded,
    visitor_context,
    waiting,
)
from tests.servers import RunningServer


def active(page: Page) -> str | None:
    """The loader's key in the host page's sessionStorage."""
    value: str | None = page.evaluate("() => sessionStorage.getItem('parole:active')")
    return value


def test_a_reload_while_waiting_reopens_the_panel_in_the_queue(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    page, chat, watch = waiting(visitor, f"{server.url}/demo", "Un CV pour la restauration ?")
    pseudonym = chat.locator("#pseudonym").inner_text()
    assert active(page) == "open"

    chat = reloaded(page)
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(page.locator('iframe[title^="Parole"]')).to_be_visible()
    expect(chat.get_by_role("heading", name="Vous êtes dans la file d'attente")).to_be_visible()
    expect(chat.locator("#position-number")).to_have_text("1")
    expect(chat.locator("#pseudonym")).to_have_text(pseudonym)
    expect(chat.locator("#waiting-question-text")).to_have_text("Un CV pour la restauration ?")
    # The focus is back in the chat, where the visitor was.
    expect(chat.get_by_role("heading", name="Vous êtes dans la file d'attente")).to_be_focused()

    # Leaving ends the session: the key goes, and the next reload shows the launcher only.
    chat.get_by_role("button", name="Quitter la file").click()
    expect(chat.locator("#view-ended")).to_be_visible()
    page.wait_for_function("() => sessionStorage.getItem('parole:active') === null")
    assert active(page) is None
    page.reload()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(page.locator('iframe[title^="Parole"]')).to_have_count(0)
    assert active(page) is None
    watch.check()
    visitor.close()


def test_a_reload_while_talking_keeps_the_panel_open_or_closed(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    counsellor = browser.new_context(locale="fr-FR")
    talking = start_talking(server, visitor, counsellor)
    page, chat, pane = talking.page, talking.chat, talking.pane
    pane.get_by_role("textbox").fill("Quel métier vous intéresse ?")
    pane.get_by_role("textbox").press("Enter")
    compose = chat.get_by_label("Votre message")
    compose.fill("La menuiserie.")
    compose.press("Enter")
    expect(pane.get_by_text("La menuiserie.")).to_be_visible()

    chat = reloaded(page)
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
    messages = chat.locator("#messages .msg-text")
    expect(messages).to_have_text(["Bonjour", "Quel métier vous intéresse ?", "La menuiserie."])

    # Closed by the visitor, it stays closed across a reload, and still counts the unread.
    chat.get_by_role("button", name="Réduire la fenêtre de discussion").click()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert active(page) == "closed"
    page.reload()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(page.locator('iframe[title^="Parole"]')).to_be_hidden()
    pane.get_by_role("textbox").fill("Je vous envoie une fiche.")
    pane.get_by_role("textbox").press("Enter")
    expect(launcher.locator(".b")).to_have_text("1")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(messages.last).to_have_text("Je vous envoie une fiche.")
    assert active(page) == "open"
    talking.watch_visitor.check()
    visitor.close()
    counsellor.close()
