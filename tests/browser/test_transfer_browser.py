"""Three browsers: a visitor who starts at the accueil, the counsellor who orients them
with a note, and the colleague of the target pole who takes them next, then invites the
first one back in (R6)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.test_accessibility import chat_frame, violations
from tests.browser.test_chat_browser import take_next
from tests.browser.widget import Watch, join, open_widget, sign_in, visitor_context
from tests.servers import RunningServer

FORMATION = "Trouver une formation"


def test_a_transfer_with_a_note_keeps_the_turn_and_the_history(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    camille_context = browser.new_context(locale="fr-FR")
    dominique_context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    page = visitor.new_page()
    watch_visitor = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    # The accueil comes first, apart from the poles beneath it.
    first = chat.locator("#view-poles button.pole").first
    expect(first).to_have_attribute("data-pole", "accueil")
    expect(
        chat.get_by_text("Vous ne savez pas quel pôle choisir, ou c'est une question rapide ?")
    ).to_be_visible()
    assert violations(chat_frame(page)) == [], "the pole list with the accueil"
    join(chat, "Accueil", "Je voudrais devenir aide-soignante")

    camille = sign_in(camille_context, server)
    watch_camille = Watch(camille)
    expect(camille.get_by_label("Disponible")).to_be_checked()
    pane = take_next(camille, "Accueil")
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
    compose = pane.get_by_label("Votre réponse à")
    compose.fill("Bonjour, je vous oriente vers le pôle formation.")
    compose.press("Enter")
    expect(chat.get_by_text("Bonjour, je vous oriente vers le pôle formation.")).to_be_visible()

    # Keyboard only: open the form, pick the pole, write the note, send.
    opener = pane.get_by_role("button", name="Orienter vers un autre pôle")
    opener.focus()
    camille.keyboard.press("Enter")
    expect(opener).to_have_attribute("aria-expanded", "true")
    select = pane.get_by_label("Pôle", exact=True)
    expect(select).to_be_focused()
    select.select_option(label=FORMATION)
    note = pane.get_by_label("Note pour la ou le collègue (la personne ne la voit pas)")
    note.fill("Projet aide-soignante, <b>pas encore</b> de financement")
    note.press("Tab")
    expect(pane.get_by_role("button", name="Orienter", exact=True)).to_be_focused()
    camille.keyboard.press("Enter")
    expect(
        camille.get_by_role("status").filter(
            has_text="est orienté·e vers « Trouver une formation »"
        )
    ).to_be_visible()
    expect(camille.locator(".pane")).to_have_count(0)

    # The visitor is told in plain words, keeps the first place, and sees no note.
    expect(chat.locator("#transferred")).to_contain_text("« Trouver une formation »")
    expect(chat.locator("#position-number")).to_have_text("1")
    expect(chat.get_by_text("Projet aide-soignante")).to_have_count(0)

    dominique = sign_in(dominique_context, server, "dominique", "Dominique")
    watch_dominique = Watch(dominique)
    pane = take_next(dominique, FORMATION)
    expect(
        pane.get_by_text(
            "Note de Camille (Accueil) : Projet aide-soignante, <b>pas encore</b> de financement"
        )
    ).to_be_visible()
    expect(pane.get_by_text("Je voudrais devenir aide-soignante")).to_be_visible()
    expect(pane.get_by_text("Bonjour, je vous oriente vers le pôle formation.")).to_be_visible()
    expect(
        pane.get_by_text("Camille a orienté la personne vers « Trouver une formation ».")
    ).to_be_visible()
    assert violations(dominique) == [], "the console at 360 px with a transferred conversation"

    expect(chat.get_by_role("heading", name="Vous parlez avec Dominique")).to_be_visible()
    expect(
        chat.get_by_text(
            "Camille vous oriente vers « Trouver une formation » : vous gardez votre tour."
        )
    ).to_be_visible()
    reply = pane.get_by_label("Votre réponse à")
    reply.fill("Bonjour, parlons des financements.")
    reply.press("Enter")
    expect(chat.get_by_text("Bonjour, parlons des financements.")).to_be_visible()
    chat.get_by_label("Votre message").fill("Merci !")
    chat.get_by_label("Votre message").press("Enter")
    expect(pane.get_by_text("Merci !")).to_be_visible()
    # Camille's console holds nothing of it any more.
    expect(camille.get_by_text("Merci !")).to_have_count(0)
    assert violations(chat_frame(page)) == [], "the widget after a transfer"

    # Dominique asks Camille back in, keyboard only; Camille accepts.
    inviter = pane.get_by_role("button", name="Inviter un·e collègue")
    inviter.focus()
    dominique.keyboard.press("Enter")
    colleague = pane.get_by_label("Collègue", exact=True)
    expect(colleague).to_be_focused()
    expect(colleague.locator("option", has_text="Camille")).to_have_count(1)
    colleague.select_option(label=colleague.locator("option", has_text="Camille").inner_text())
    colleague.press("Tab")
    expect(pane.get_by_role("button", name="Inviter", exact=True)).to_be_focused()
    dominique.keyboard.press("Enter")
    expect(pane.get_by_text("Invitation envoyée à Camille, en attente de réponse.")).to_be_visible()
    expect(
        camille.get_by_role("status").filter(has_text="Nouvelle invitation de Dominique.")
    ).to_be_visible()
    invitation = camille.locator("#invitations")
    expect(invitation).to_contain_text("Dominique vous invite dans sa conversation avec")
    assert violations(camille) == [], "the console with an invitation waiting"
    accept = camille.get_by_role("button", name="Accepter l'invitation de Dominique")
    accept.focus()
    camille.keyboard.press("Enter")
    joined = camille.locator(".pane")
    expect(joined.get_by_text("Merci !")).to_be_visible()  # the whole history
    expect(joined.locator(".pane-with")).to_have_text("Avec Dominique (Trouver une formation)")
    expect(pane.locator(".pane-with")).to_have_text("Avec Camille (Trouver une formation)")
    expect(
        chat.get_by_text("Camille (Trouver une formation) a rejoint la conversation.")
    ).to_be_visible()
    expect(
        chat.get_by_role("heading", name="Vous parlez avec Dominique et Camille")
    ).to_be_visible()

    # Messages seen by all three, each counsellor's under their alias.
    camille_box = joined.get_by_label("Votre réponse à")
    camille_box.fill("Je complète pour le financement.")
    camille_box.press("Enter")
    expect(chat.get_by_text("Je complète pour le financement.")).to_be_visible()
    expect(pane.get_by_text("Je complète pour le financement.")).to_be_visible()
    expect(pane.locator(".msg", has_text="Je complète").get_by_text("Camille")).to_be_visible()
    chat.get_by_label("Votre message").fill("Parfait, merci à vous deux")
    chat.get_by_label("Votre message").press("Enter")
    for console in (joined, pane):
        expect(console.get_by_text("Parfait, merci à vous deux")).to_be_visible()
    assert violations(dominique) == [], "the console at 360 px with a colleague in"
    # Camille leaves; Dominique goes on.
    joined.get_by_role("button", name="Quitter la conversation").click()
    expect(camille.locator(".pane")).to_have_count(0)
    expect(chat.get_by_text("Camille a quitté la conversation.")).to_be_visible()
    expect(chat.get_by_role("heading", name="Vous parlez avec Dominique")).to_be_visible()
    expect(pane.locator(".pane-with")).to_have_text("")
    assert violations(chat_frame(page)) == [], "the widget after a colleague left"
    for watch in (watch_visitor, watch_camille, watch_dominique):
        watch.check()
    for context in (visitor, camille_context, dominique_context):
        context.close()


def test_a_paused_counsellor_cannot_take_and_says_so_to_every_tab(
    server: RunningServer, browser: Browser
) -> None:
    context = browser.new_context(locale="fr-FR")
    first = sign_in(context, server)
    second = context.new_page()
    second.goto(f"{server.url}/console")
    paused = first.get_by_label("En pause")
    paused.focus()
    first.keyboard.press("Space")
    expect(
        first.get_by_text("Vous êtes en pause : vous ne prenez personne", exact=False)
    ).to_be_visible()
    expect(second.get_by_label("En pause")).to_be_checked()  # the other tab follows
    second.reload()
    expect(second.get_by_label("En pause")).to_be_checked()  # and a reload keeps it
    second.get_by_label("Disponible").check()
    expect(first.get_by_label("Disponible")).to_be_checked()
    context.close()


def test_alerts_are_opt_in_asked_on_a_click_and_kept(
    server: RunningServer, browser: Browser
) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    console = sign_in(context, server)
    box = console.get_by_label("Me prévenir par un son et une notification")
    expect(box).to_be_enabled()  # once the console's script can act on it
    expect(box).not_to_be_checked()
    # Nothing was asked on load: the permission is still undecided.
    assert console.evaluate("Notification.permission") == "default"
    box.focus()
    console.keyboard.press("Space")
    expect(box).to_be_checked()
    # The browser answers when it likes; the console says what it got once it has it.
    refused = "Le navigateur refuse les notifications : seul le son vous préviendra."
    allowed = "Alertes activées : un son et une notification vous préviendront."
    said = console.get_by_role("status").filter(has_text=re.compile("Alertes activées|refuse"))
    expect(said).to_be_visible()
    answer = console.evaluate("Notification.permission")
    expect(said).to_have_text(allowed if answer == "granted" else refused)
    box.focus()
    console.keyboard.press("Space")
    expect(console.locator("#status")).to_have_text("Alertes désactivées.")
    console.keyboard.press("Space")
    expect(said).to_be_visible()
    console.reload()
    expect(console.get_by_label("Me prévenir par un son et une notification")).to_be_checked()
    assert violations(console) == [], "the console with alerts on, at 360 px"
    context.close()

    granted = browser.new_context(locale="fr-FR")
    granted.grant_permissions(["notifications"], origin=server.url)
    other = sign_in(granted, server)
    other.get_by_label("Me prévenir par un son et une notification").check()
    expect(other.get_by_role("status").filter(has_text=allowed)).to_be_visible()
    expect(other.get_by_text(refused)).to_have_count(0)
    granted.close()
