"""What the words say in the real widget and console: counts that agree with their noun."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.widget import Watch, join, open_widget, sign_in, visitor_context
from tests.servers import RunningServer


def test_a_wait_under_a_minute_is_said_in_proper_words(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    chats = []
    for number in range(4):
        page = visitor.new_page()
        page.goto(f"{server.url}/demo")
        chat = open_widget(page)
        join(chat, "Trouver un emploi", f"Question {number}")
        expect(chat.locator("#position-number")).to_have_text(str(number + 1))
        chats.append(chat)
    last = chats[-1]
    expect(last.locator("#waiting-count")).to_have_text("4 personnes attendent pour ce thème.")

    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, server)
    watch = Watch(console)
    take = console.get_by_role("button", name="Prendre le suivant : Trouver un emploi")
    for taken in range(1, 4):
        take.click()
        expect(console.locator(".conv-tab")).to_have_count(taken)
    # Three takes in a few seconds: the next one is expected within the minute.
    expect(last.locator("#position-number")).to_have_text("1")
    expect(last.locator("#estimate")).to_have_text("Attente estimée : moins d'une minute.")
    expect(last.locator("#waiting-count")).to_have_text("1 personne attend pour ce thème.")
    expect(console.locator('li[data-pole="emploi"] .queue-count')).to_have_text("1 personne attend")
    watch.check()
    visitor.close()
    counsellor.close()
