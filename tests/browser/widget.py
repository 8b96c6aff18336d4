"""Shared by the browser tests: Debian's Chromium, a page watcher, widget steps.

Playwright cannot download its own browsers here: it drives /usr/bin/chromium.
A missing Chromium fails these tests (it never skips them).
"""

from __future__ import annotations

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    FrameLocator,
    Page,
    expect,
)

from tests.servers import RunningServer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAUNCHER = "Parler à un conseiller"

expect.set_options(timeout=10_000)


class Watch:
    """Console errors (CSP violations included) and dialogs (alert) of a page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(str(dialog))
        dialog.dismiss()  # type: ignore[attr-defined]

    def check(self) -> None:
        assert self.errors == [] and self.dialogs == []


def visitor_context(browser: Browser, width: int = 1280, height: int = 800) -> BrowserContext:
    return browser.new_context(locale="fr-FR", viewport={"width": width, "height": height})


def open_widget(page: Page) -> FrameLocator:
    """Click the launcher on the host page; return the chat iframe."""
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    return page.frame_locator('iframe[title^="Parole"]')


def waiting(
    context: BrowserContext, url: str, question: str, pole: str = "Trouver un emploi"
) -> tuple[Page, FrameLocator, Watch]:
    """A visitor on the host page at ``url`` who opened the widget and joined ``pole``,
    first in the queue; their page, the chat iframe and the page's watcher."""
    page = context.new_page()
    watch = Watch(page)
    page.goto(url)
    chat = open_widget(page)
    join(chat, pole, question)
    expect(chat.locator("#position-number")).to_have_text("1")
    return page, chat, watch


def reloaded(page: Page) -> FrameLocator:
    """Reload the host page mid-session: the panel reopens by itself; the chat iframe."""
    page.reload()
    expect(page.get_by_role("button", name=LAUNCHER)).to_have_attribute("aria-expanded", "true")
    return page.frame_locator('iframe[title^="Parole"]')


def join(chat: FrameLocator, pole: str, question: str) -> None:
    chat.get_by_role("button", name=pole).click()
    chat.get_by_label("Votre question").fill(question)
    chat.get_by_role("button", name="Rejoindre la file d'attente").click()


def sign_in(
    context: BrowserContext, server: RunningServer, login: str = "camille", alias: str = "Camille"
) -> Page:
    page = context.new_page()
    page.goto(f"{server.url}/console")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill("demo-parole")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text(f"Connecté·e sous l'alias {alias}")).to_be_visible()
    return page
