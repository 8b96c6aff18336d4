"""A proof of visit as a visitor makes it and as an employment adviser checks it."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.test_accessibility import violations
from tests.browser.test_chat_browser import start_talking
from tests.browser.widget import visitor_context
from tests.servers import RunningServer


def test_the_visitor_makes_a_named_proof_and_anyone_can_check_it(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    staff = browser.new_context(locale="fr-FR")
    talk = start_talking(server, visitor, staff)
    chat = talk.chat

    # Keyboard only: the offer in the conversation's head, then the form.
    offer = chat.get_by_role("button", name="Obtenir une attestation de présence")
    offer.focus()
    talk.page.keyboard.press("Enter")
    expect(chat.get_by_role("heading", name="Attestation de présence")).to_be_focused()
    name = chat.get_by_label("Votre nom, si l'organisme qui la demande en a besoin (facultatif)")
    name.fill("Marie Curie")
    requests: list[str] = []
    talk.page.on(
        "request", lambda r: requests.append(r.post_data or "") if "/api/" in r.url else None
    )
    chat.get_by_role("button", name="Créer l'attestation").click()

    sheet = chat.locator("#proof-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator("dd").first).to_have_text("Cité des métiers (démo)")
    expect(sheet).to_contain_text("Marie Curie")
    expect(
        sheet.get_by_role("img", name="Code QR menant à la page de vérification")
    ).to_be_visible()
    expect(chat.get_by_role("button", name="Imprimer")).to_be_visible()
    assert violations(talk.page.frames[1]) == [], "the proof sheet"
    # The name never left the browser: only its commitment went to the server.
    assert requests and not any("Marie" in body for body in requests)
    salt = sheet.locator("dt", has_text="Code de contrôle du nom").locator("+ dd").inner_text()
    token = sheet.locator(".proof-code code").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", salt)

    # Printing shows the sheet alone.
    frame = talk.page.frames[1]
    talk.page.emulate_media(media="print")
    assert (
        frame.evaluate("getComputedStyle(document.querySelector('#compose')).visibility")
        == "hidden"
    )
    assert (
        frame.evaluate("getComputedStyle(document.querySelector('#proof-sheet')).visibility")
        == "visible"
    )
    talk.page.emulate_media(media="screen")

    # Closing gives the focus back to where it came from.
    chat.get_by_role("button", name="Fermer").click()
    expect(offer).to_be_focused()

    # The adviser scans the QR code: /verify#<proof>.
    checker = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    page = checker.new_page()
    page.goto(f"{server.url}/verify#{token}")
    expect(page.get_by_role("status").first).to_have_text(
        "Attestation valide : signée par Cité des métiers (démo)."
    )
    assert "#" not in page.url  # the proof is dropped from the address bar
    page.get_by_label("Nom imprimé sur l'attestation").fill("Marie Curie")
    page.get_by_label("Code de contrôle du nom").fill(salt)
    page.get_by_role("button", name="Vérifier le nom").click()
    expect(page.locator("#verify-name-result")).to_have_text(
        "Le nom correspond à celui que la personne a fait signer."
    )
    page.get_by_label("Nom imprimé sur l'attestation").fill("Pierre Curie")
    page.get_by_role("button", name="Vérifier le nom").click()
    expect(page.locator("#verify-name-result")).to_have_text(
        "Le nom ou le code de contrôle ne correspond pas."
    )
    assert violations(page) == [], "the verify page"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    # A tampered proof, pasted.
    page.get_by_label("Attestation signée").fill(
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    )
    page.get_by_role("button", name="Vérifier", exact=True).click()
    expect(page.locator("#verify-verdict")).to_have_text(
        "Attestation non valide : elle n'a pas été signée par cette Cité, ou elle a été modifiée."
    )
    assert talk.watch_visitor.errors == [] and talk.watch_console.errors == []
    checker.close()
    visitor.close()
    staff.close()
