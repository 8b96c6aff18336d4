"""A manager adds a card, a counsellor finds it as they type and shares it by keyboard,
the visitor sees it (text as text) and opens its link in a new tab (R7); the widget
shows the upcoming events before anyone is taken. Canned replies, chosen with "/"."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Browser, expect

from tests.browser.test_accessibility import chat_frame, violations
from tests.browser.test_chat_browser import take_next
from tests.browser.widget import Watch, join, open_widget, sign_in, visitor_context
from tests.clients import Browser as Staff
from tests.servers import RunningServer

HOSTILE = '<img src=x onerror="document.title=1">'
END_YES = "Oui, terminer"


def test_a_card_is_found_shared_and_opened(server: RunningServer, browser: Browser) -> None:
    manager_context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    manager = sign_in(manager_context, server, "dominique", "Dominique")
    manager.goto(f"{server.url}/manage/resources/emploi")
    manager.get_by_label("Type").select_option(label="Fiche métier")
    manager.get_by_label("Titre").fill("Fiche métier : boulangère")
    manager.get_by_label("Texte court").fill(f"Horaires, salaires {HOSTILE}")
    manager.get_by_label("Lien").fill(f"{server.url}/privacy")
    manager.get_by_role("button", name="Ajouter la fiche").click()
    expect(manager.get_by_role("status").filter(has_text="Fiche ajoutée")).to_be_visible()
    assert violations(manager) == [], "the pole's resources at 360 px"
    manager.goto(f"{server.url}/manage/replies/emploi")
    manager.get_by_label("Nom court").fill("fiche")
    manager.get_by_label("Texte").fill("Voici une fiche pour vous, {pseudonym}.")
    manager.get_by_role("button", name="Ajouter la réponse").click()
    expect(manager.get_by_role("status").filter(has_text="Réponse ajoutée")).to_be_visible()
    assert violations(manager) == [], "the pole's shared replies at 360 px"

    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    watch_visitor = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    # The demo's workshop shows before anyone is taken.
    events = chat.locator("#events")
    expect(events.get_by_role("heading", name="Prochains ateliers et événements")).to_be_visible()
    expect(events.get_by_text("Atelier CV et lettre de motivation")).to_be_visible()
    expect(events.get_by_text("Cité des métiers, salle 2", exact=False)).to_be_visible()
    assert violations(chat_frame(page)) == [], "the pole list with an upcoming event"
    join(chat, "Trouver un emploi", "Je voudrais devenir boulangère")

    counsellor = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    console = sign_in(counsellor, server)
    watch_console = Watch(console)
    pane = take_next(console, "Trouver un emploi")
    expect(pane.get_by_text("Je voudrais devenir boulangère")).to_be_visible()
    pseudonym = pane.locator(".pane-title").inner_text()
    # A shared canned reply first: "/" and its name, Enter inserts it, Enter sends it.
    box = pane.get_by_label("Votre réponse à")
    box.focus()
    console.keyboard.type("/fic")
    console.keyboard.press("Enter")
    expect(box).to_have_value(f"Voici une fiche pour vous, {pseudonym}.")
    console.keyboard.press("Enter")
    expect(chat.get_by_text(f"Voici une fiche pour vous, {pseudonym}.")).to_be_visible()

    # Keyboard only: open the panel, type, Tab to the card's Share button, Enter.
    opener = pane.get_by_role("button", name="Ressources")
    opener.focus()
    console.keyboard.press("Enter")
    expect(opener).to_have_attribute("aria-expanded", "true")
    query = pane.get_by_label("Chercher une ressource")
    expect(query).to_be_focused()
    console.keyboard.type("boulangere")  # no accent: found all the same
    expect(pane.locator(".cards-count")).to_have_text("1 ressource trouvée.")
    share = pane.get_by_role("button", name="Partager « Fiche métier : boulangère »")
    share.focus()
    console.keyboard.press("Enter")
    expect(
        console.get_by_role("status").filter(has_text="est partagée avec la personne")
    ).to_be_visible()
    expect(pane.locator(".msg-card")).to_contain_text("Fiche métier : boulangère")
    assert violations(console) == [], "the console at 360 px with the resources panel"
    console.keyboard.press("Escape")
    expect(pane.get_by_label("Chercher une ressource")).to_be_hidden()
    expect(opener).to_be_focused()

    # The visitor sees the card; the hostile text stays text; the link opens a new tab.
    card = chat.locator(".msg-card")
    expect(card).to_contain_text("Fiche métier")
    expect(card.get_by_text(f"Horaires, salaires {HOSTILE}")).to_be_visible()
    expect(card.locator("img")).to_have_count(0)
    link = card.get_by_role("link", name="Ouvrir « Fiche métier : boulangère » (nouvel onglet)")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    with visitor.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{server.url}/privacy"
    assert tab.evaluate("window.opener") is None
    assert tab.evaluate("document.referrer") == ""
    tab.close()
    assert violations(chat_frame(page)) == [], "the widget with a shared card"
    assert page.title() != "1"

    # The visitor ends it and answers the one question, keyboard only.
    chat.get_by_role("button", name="Terminer", exact=True).click()
    chat.get_by_role("button", name=END_YES).click()
    question = chat.get_by_role("group", name="Comment s'est passée cette conversation ?")
    expect(question).to_be_visible()
    assert violations(chat_frame(page)) == [], "the satisfaction question"
    question.get_by_label("4 — satisfait·e").focus()
    page.keyboard.press("Space")
    expect(question.get_by_label("4 — satisfait·e")).to_be_checked()
    chat.get_by_label("Un commentaire (facultatif)").fill("Très utile, écrivez-moi à a@b.fr")
    # Two of the three optional questions about who they are, the third left unanswered.
    chat.get_by_role("group", name="Votre situation (facultatif)").get_by_label(
        "En recherche d'emploi"
    ).check()
    chat.get_by_role("group", name="D'où venez-vous ? (facultatif)").get_by_label(
        "De l'étranger"
    ).check()
    chat.get_by_role("button", name="Envoyer", exact=True).focus()
    page.keyboard.press("Enter")
    expect(chat.get_by_role("status").filter(has_text="Merci pour votre réponse.")).to_be_visible()
    expect(question).to_be_hidden()
    boss = Staff(server, "dominique")
    figures = boss.get("/manage/feedback").text
    boss.http.close()
    assert "Très utile, écrivez-moi à [email]" in figures and "a@b.fr" not in figures
    told = [r for r in staff_csv(server) if r[4] in ("situation", "age", "origin")]
    assert sorted((r[4], r[5]) for r in told) == [("origin", "abroad"), ("situation", "jobseeker")]
    for watch in (watch_visitor, watch_console):
        watch.check()
    for context in (visitor, counsellor, manager_context):
        context.close()


def staff_csv(server: RunningServer) -> list[list[str]]:
    boss = Staff(server, "dominique")
    rows = list(csv.reader(io.StringIO(boss.get("/manage/statistics.csv").text)))
    boss.http.close()
    return rows[1:]


def test_a_canned_reply_is_chosen_by_keyboard_filled_and_edited_before_it_goes(
    server: RunningServer, browser: Browser
) -> None:
    staff = Staff(server, "dominique")
    shared = {"name": "atelier", "text": "L'atelier CV a lieu mercredi, {pseudonym}."}
    assert staff.post("/manage/replies/emploi", shared).status_code == 303
    staff.http.close()

    counsellor = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    console = sign_in(counsellor, server)
    watch_console = Watch(console)
    console.goto(f"{server.url}/console/account")
    console.get_by_label("Nom court").fill("bonjour")
    console.get_by_label("Texte", exact=True).fill("Bonjour {pseudonym}, je suis {alias}.")
    console.get_by_role("button", name="Ajouter", exact=True).click()
    expect(console.get_by_role("status").filter(has_text="Réponse ajoutée")).to_be_visible()
    line = console.get_by_role("group", name="Permanence 1")
    line.get_by_label("Pôle").select_option(label="Trouver un emploi")
    line.get_by_label("Mardi").check()
    line.get_by_label("Jeudi").check()
    line.get_by_label("De").fill("14:00")
    line.get_by_label("à", exact=True).fill("18:00")
    console.get_by_role("button", name="Enregistrer mes permanences").click()
    expect(
        console.get_by_role("status").filter(has_text="Permanences enregistrées")
    ).to_be_visible()
    assert violations(console) == [], "the account page with a reply and hours on duty"
    console.goto(f"{server.url}/console")

    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    join(chat, "Trouver un emploi", "Bonjour")
    pane = take_next(console, "Trouver un emploi")
    pseudonym = pane.locator(".pane-title").inner_text()

    box = pane.get_by_label("Votre réponse à")
    box.focus()
    console.keyboard.type("/")
    choices = pane.get_by_role("listbox")
    expect(choices.get_by_role("option")).to_have_count(2)  # her own, then the pole's
    expect(pane.locator(".reply-count")).to_contain_text("2 réponses toutes prêtes")
    console.keyboard.type("ate")
    expect(choices.get_by_role("option")).to_have_count(1)
    console.keyboard.press("Backspace")
    console.keyboard.press("Backspace")
    console.keyboard.press("Backspace")
    console.keyboard.type("b")
    first = choices.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert violations(console) == [], "the console offering canned replies"
    console.keyboard.press("Enter")  # inserts; does not send
    expect(box).to_have_value(f"Bonjour {pseudonym}, je suis Camille.")
    expect(choices).to_be_hidden()
    expect(chat.get_by_text("je suis Camille")).to_have_count(0)
    console.keyboard.type(" Que cherchez-vous ?")
    console.keyboard.press("Enter")
    expect(
        chat.get_by_text(f"Bonjour {pseudonym}, je suis Camille. Que cherchez-vous ?")
    ).to_be_visible()
    expect(box).to_have_value("")

    # Her hours on duty, shared from the Resources panel: the visitor reads them in words.
    pane.get_by_role("button", name="Ressources").click()
    pane.get_by_role("button", name="Partager mes permanences").click()
    duty = chat.locator(".resource-duty")
    expect(duty).to_contain_text("Camille est habituellement présent·e")
    expect(duty).to_contain_text(
        "au pôle « Trouver un emploi » le mardi et le jeudi, de 14:00 à 18:00"
    )
    expect(duty).to_contain_text("Ce n'est pas un rendez-vous")
    pane.get_by_role("button", name="Fermer").click()
    box.focus()

    # Escape closes the choices and leaves the text; a slash inside a message is just text.
    console.keyboard.type("/x")
    expect(pane.locator(".reply-count")).to_have_text("Aucune réponse toute prête ne correspond.")
    box.fill("")
    console.keyboard.type("/")
    expect(choices).to_be_visible()
    console.keyboard.press("Escape")
    expect(choices).to_be_hidden()
    expect(box).to_have_value("/")
    expect(pane.get_by_role("button", name="Terminer")).to_be_visible()  # the pane is intact
    watch_console.check()
    for context in (visitor, counsellor):
        context.close()
