"""The identity guard on screen: before the visitor's question or reply (and the
counsellor's) goes with what looks like an email, a phone number..., a notice says so
and offers to remove it or send anyway; with the keyboard alone, at 360 px, read by
screen readers from a live region, and nothing is sent until the writer chooses."""

from __future__ import annotations

from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect

from tests.browser.test_accessibility import chat_frame, violations
from tests.browser.test_chat_browser import start_talking
from tests.browser.widget import Watch, open_widget, visitor_context
from tests.servers import RunningServer

REMOVE = "Retirer"
ANYWAY = "Envoyer quand même"


def notice(where: FrameLocator | Page | Locator) -> Locator:
    return where.locator(".guard.open")


def test_the_question_is_held_until_the_visitor_chooses(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    watch = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    chat.get_by_role("button", name="Trouver un emploi").click()
    question = chat.get_by_label("Votre question")
    question.fill("Bonjour, écrivez-moi à jean.dupont@exemple.fr pour le CV")
    question.press("Tab")
    page.keyboard.press("Enter")  # on "Rejoindre la file d'attente"

    # Held: still on the question, the notice says why, its text in a live region.
    expect(notice(chat)).to_be_visible()
    live = chat.locator("#join-form .guard-text[aria-live=polite]")
    expect(live).to_have_text(
        "Votre message semble contenir une adresse e-mail. La Cité n'en a pas besoin pour "
        "vous conseiller : vous pouvez rester anonyme."
    )
    expect(chat.get_by_role("heading", name="Votre demande")).to_be_visible()
    remove = chat.get_by_role("button", name=REMOVE)
    expect(remove).to_be_focused()
    box = notice(chat).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert violations(chat_frame(page)) == [], "the question, with the guard's notice"

    # "Retirer" with the keyboard: the address goes, the rest stays, the box has the focus.
    page.keyboard.press("Enter")
    expect(question).to_have_value("Bonjour, écrivez-moi à pour le CV")
    expect(question).to_be_focused()
    expect(notice(chat)).to_have_count(0)
    expect(live).to_have_text("")

    # A phone number instead, sent anyway: Tab to the second button.
    question.fill("Rappelez-moi au 06 12 34 56 78")
    question.press("Tab")
    page.keyboard.press("Enter")
    expect(remove).to_be_focused()
    page.keyboard.press("Tab")
    expect(chat.get_by_role("button", name=ANYWAY)).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.get_by_role("heading", name="Vous êtes dans la file d'attente")).to_be_visible()
    expect(chat.locator("#waiting-question-text")).to_have_text("Rappelez-moi au 06 12 34 56 78")
    watch.check()
    visitor.close()


def test_a_reply_is_held_and_escape_or_an_edit_puts_the_notice_away(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    counsellor = browser.new_context(locale="fr-FR")
    talking = start_talking(server, visitor, counsellor)
    chat, pane = talking.chat, talking.pane
    compose = chat.get_by_label("Votre message")

    # Ordinary numbers go straight: a date, an hour, a price, a postcode, a year.
    compose.fill("Le 12/03/2026 à 14h30, 35 € par mois, à Lyon 69003, depuis 2019")
    compose.press("Enter")
    expect(pane.get_by_text("Le 12/03/2026 à 14h30, 35 € par mois")).to_be_visible()
    expect(notice(chat)).to_have_count(0)

    typed = "Mon numéro : 06 12 34 56 78 et mon mail jean@exemple.fr"
    compose.fill(typed)
    compose.press("Enter")
    expect(notice(chat).locator(".guard-text")).to_have_text(
        "Votre message semble contenir une adresse e-mail et un numéro de téléphone. "
        "La Cité n'en a pas besoin pour vous conseiller : vous pouvez rester anonyme."
    )
    expect(chat.get_by_role("button", name=REMOVE)).to_be_focused()
    assert violations(chat_frame(talking.page)) == [], "talking, with the guard's notice"

    # Escape: the notice goes, the text stays, back in the box.
    talking.page.keyboard.press("Escape")
    expect(notice(chat)).to_have_count(0)
    expect(compose).to_be_focused()
    expect(compose).to_have_value(typed)
    # An edit puts a new notice away too; nothing was sent meanwhile.
    compose.press("Enter")
    expect(notice(chat)).to_be_visible()
    compose.press("End")
    compose.type(" !")
    expect(notice(chat)).to_have_count(0)
    compose.press("Enter")
    chat.get_by_role("button", name=REMOVE).click()
    expect(compose).to_have_value("Mon numéro : et mon mail !")
    compose.press("Enter")
    expect(pane.get_by_text("Mon numéro : et mon mail !")).to_be_visible()
    expect(pane.get_by_text("06 12 34 56 78")).to_have_count(0)
    expect(pane.get_by_text("jean@exemple.fr")).to_have_count(0)
    talking.watch_visitor.check()
    visitor.close()
    counsellor.close()


def test_the_counsellor_is_reminded_too(server: RunningServer, browser: Browser) -> None:
    visitor = visitor_context(browser)
    counsellor = browser.new_context(locale="fr-FR")
    talking = start_talking(server, visitor, counsellor)
    pane = talking.pane
    reply = pane.get_by_role("textbox")
    reply.fill("Vous pouvez aussi appeler l'accueil au 01 45 67 89 10.")
    reply.press("Enter")
    expect(notice(pane).locator("[aria-live=polite]")).to_have_text(
        "Votre réponse semble contenir un numéro de téléphone. La conversation est anonyme : "
        "n'y écrivez ni ne demandez les coordonnées de la personne."
    )
    expect(pane.get_by_role("button", name=REMOVE)).to_be_focused()
    expect(pane.locator(".msg-text")).not_to_contain_text(["01 45 67 89 10"])
    assert violations(talking.console) == [], "the console, with the guard's notice"

    # The Cité's own number is a fair thing to give: sent anyway, as typed.
    talking.console.keyboard.press("Tab")
    talking.console.keyboard.press("Enter")
    expect(notice(pane)).to_have_count(0)
    expect(reply).to_be_focused()
    expect(talking.chat.get_by_text("appeler l'accueil au 01 45 67 89 10.")).to_be_visible()
    expect(reply).to_have_value("")
    talking.watch_console.check()
    visitor.close()
    counsellor.close()
