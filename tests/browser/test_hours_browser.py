"""A manager's change reaches open widgets at once, in Debian's Chromium (R3, R5).

The manager works in the real /manage pages; visitors keep their widget open on
the demo host page. Nothing is reloaded: a marker set in each widget's window
before the change must still be there after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Page, expect

from tests.browser.widget import Watch, join, open_widget, visitor_context
from tests.servers import RunningServer

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def manager(browser: Browser, server: RunningServer) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Identifiant").fill("dominique")
    page.get_by_label("Mot de passe").fill("demo-parole")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{server.url}/manage")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    yield page
    context.close()


def widget(context: BrowserContext, server: RunningServer) -> tuple[Page, FrameLocator]:
    page = context.new_page()
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    expect(chat.get_by_role("button", name="Trouver un emploi")).to_be_visible()
    mark(page)
    return page, chat


def mark(page: Page) -> None:
    """A value that only survives if the widget's page is not reloaded."""
    frame = next(f for f in page.frames if "/chat" in f.url)
    frame.evaluate("window.__notReloaded = true")


def still_marked(page: Page) -> bool:
    frame = next(f for f in page.frames if "/chat" in f.url)
    return bool(frame.evaluate("window.__notReloaded === true"))


def test_a_manager_retires_a_pole_and_open_widgets_follow_without_a_reload(
    browser: Browser, server: RunningServer, manager: Page
) -> None:
    looking_ctx, waiting_ctx = visitor_context(browser), visitor_context(browser)
    looking, looking_chat = widget(looking_ctx, server)
    waiting, waiting_chat = widget(waiting_ctx, server)
    watches = [Watch(looking), Watch(waiting)]
    join(waiting_chat, "Créer son activité", "Je voudrais ouvrir un atelier de vélos.")
    expect(
        waiting_chat.get_by_role("heading", name="Vous êtes dans la file d'attente")
    ).to_be_visible()
    mark(waiting)

    manager.goto(f"{server.url}/manage/poles")
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.get_by_role("button", name="Retirer « Créer son activité »").click()
    expect(manager.get_by_role("row", name="Créer son activité")).to_contain_text("Retiré")

    # The widget still choosing drops the pole; the one waiting in it is told why.
    expect(looking_chat.get_by_role("button", name="Créer son activité")).to_have_count(0)
    expect(looking_chat.get_by_role("button", name="Trouver un emploi")).to_be_visible()
    expect(waiting_chat.get_by_text("Le thème a fermé avant votre tour")).to_be_visible()
    assert still_marked(looking) and still_marked(waiting)

    # Restored: it is back, in every open widget, still without a reload.
    manager.get_by_role("button", name="Rétablir « Créer son activité »").click()
    expect(looking_chat.get_by_role("button", name="Créer son activité")).to_be_visible()
    assert still_marked(looking)
    for watch in watches:
        watch.check()
    looking_ctx.close()
    waiting_ctx.close()


def test_a_site_closed_today_shows_the_next_opening_in_the_visitors_own_time_zone(
    browser: Browser, server: RunningServer, manager: Page
) -> None:
    # A visitor in Santiago de Chile, looking at the Paris site.
    context = browser.new_context(
        locale="fr-FR", timezone_id="America/Santiago", viewport={"width": 1280, "height": 800}
    )
    page, chat = widget(context, server)
    watch = Watch(page)
    expect(chat.get_by_text("Ouvert maintenant.")).to_be_visible()

    today = datetime.now(PARIS).date()
    manager.goto(f"{server.url}/manage/sites/paris")
    manager.get_by_label("Jours particuliers").fill(f"{today.isoformat()} fermé")
    manager.get_by_role("button", name="Enregistrer").click()
    expect(manager.get_by_role("status").or_(manager.locator(".flash"))).to_be_visible()

    expect(chat.get_by_text("Fermé en ce moment.")).to_be_visible()
    expect(chat.get_by_role("button", name="Trouver un emploi")).to_have_count(0)
    # The demo's weekly hours run around the clock: it opens again at midnight, Paris
    # time, which the visitor reads in Santiago's time.
    reopening = datetime.combine(today + timedelta(days=1), datetime.min.time(), PARIS)
    in_santiago = reopening.astimezone(ZoneInfo("America/Santiago"))
    next_line = chat.locator("#site-next")
    expect(next_line).to_contain_text(in_santiago.strftime("%H:%M"))
    expect(next_line).to_contain_text(str(in_santiago.day))
    assert still_marked(page)
    watch.check()
    context.close()
