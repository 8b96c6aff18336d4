"""What the words say in the real widget and console: counts that agree with their
noun, links in messages that open safely (and only http(s) ones)."""

from __future__ import annotations

from playwright.sync_api import Browser, Locator, expect

from tests.browser.test_chat_browser import start_talking
from tests.browser.widget import Watch, join, open_widget, sign_in, visitor_context
from tests.servers import RunningServer

HOSTILE = "javascript:alert(1)"


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


def links(text: Locator) -> Locator:
    return text.locator("a")


def test_links_in_messages_open_in_a_new_tab_and_other_schemes_stay_text(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    counsellor = browser.new_context(locale="fr-FR")
    talking = start_talking(server, visitor, counsellor)
    chat, pane = talking.chat, talking.pane
    address = f"{server.url}/healthz?from=chat"
    sent = f"Voir {address}. Pas {HOSTILE} ni (https://example.org/a)."
    answer = pane.get_by_label("Votre réponse à")
    answer.fill(sent)
    answer.press("Enter")
    reply = f"Merci ! {HOSTILE} https://user:pw@example.org/ ok"
    box = chat.get_by_label("Votre message")
    box.fill(reply)
    box.press("Enter")
    # "pw@example.org" reads as an email address to the identity guard: sent anyway.
    chat.get_by_role("button", name="Envoyer quand même").click()

    theirs = chat.locator("#messages .msg-theirs .msg-text").last
    expect(theirs).to_have_text(sent)  # nothing lost or added around the links
    expect(links(theirs)).to_have_count(2)
    link = links(theirs).first
    expect(link).to_have_text(address)
    expect(link).to_have_attribute("href", address)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(links(theirs).last).to_have_text("https://example.org/a")
    # Neither the javascript: text nor the address with a password is a link, on either side.
    for side in (chat.locator("#messages"), pane):
        expect(side.locator(".msg-text").filter(has_text=reply)).to_have_count(1)
        expect(side.locator(".msg-text").filter(has_text=reply).locator("a")).to_have_count(0)
        expect(side.locator('a[href^="javascript"]')).to_have_count(0)
    expect(links(pane.locator(".msg-mine .msg-text").last)).to_have_count(2)

    # The keyboard reaches the link; it opens in a new tab that cannot reach back.
    link.focus()
    expect(link).to_be_focused()
    with visitor.expect_page() as opened:
        link.press("Enter")
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == address
    assert tab.evaluate("window.opener === null && document.referrer === ''")
    tab.close()
    talking.watch_visitor.check()
    talking.watch_console.check()
    visitor.close()
    counsellor.close()


def test_a_very_long_link_wraps_inside_its_bubble_on_a_small_phone(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, 360, 640)
    counsellor = browser.new_context(locale="fr-FR")
    talking = start_talking(server, visitor, counsellor)
    address = f"https://example.org/{'a' * 1500}?q={'b' * 500}"
    answer = talking.pane.get_by_label("Votre réponse à")
    answer.fill(f"Lien : {address}")
    answer.press("Enter")
    link = talking.chat.locator("#messages .msg-theirs .msg-text a")
    expect(link).to_have_text(address)
    log = talking.chat.locator("#messages")
    assert log.evaluate("e => e.scrollWidth <= e.clientWidth")
    bubble = link.locator("xpath=..").bounding_box()
    assert bubble is not None and bubble["x"] >= 0 and bubble["x"] + bubble["width"] <= 360
    talking.watch_visitor.check()
    visitor.close()
    counsellor.close()
