"""The visitor's e-portfolio in Chromium (R9): kept on their own device only when they
say it is theirs, encrypted, reopened after a reload, exported, imported into a fresh
browser profile and shared into a new conversation; nothing of it, nor its code or
passphrase, ever reaches the server. And a counsellor's request for a detail,
accepted once and refused once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, FrameLocator, Page, expect

from tests.browser.test_accessibility import chat_frame, violations
from tests.browser.test_chat_browser import take_next
from tests.browser.widget import Watch, join, open_widget, sign_in, visitor_context
from tests.servers import RunningServer

PASSPHRASE = "trois chevaux verts dansent le soir"
VERSION_OF = """async (code) => {
  const base = document.querySelector('script[type="module"]').src;
  const { versionFor } = await import(new URL("qr.js", base));
  return versionFor(new TextEncoder().encode(code).length);
}"""
SECRET_NOTE = "Note privée : rappeler Mme Lemoine au 06 12 34 56 78"


class Wire:
    """Every websocket frame and HTTP request body of a page, as text."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("request", self._request)
        page.on("websocket", self._socket)

    def _request(self, request: Any) -> None:
        self.seen.append(request.url)
        self.seen.append(request.post_data or "")

    def _socket(self, socket: Any) -> None:
        socket.on("framesent", lambda payload: self.seen.append(str(payload)))
        socket.on("framereceived", lambda payload: self.seen.append(str(payload)))

    def carries(self, secret: str) -> bool:
        return any(secret in text for text in self.seen)


def open_panel(chat: FrameLocator) -> None:
    chat.get_by_role("button", name="Mon portfolio", exact=True).click()
    expect(chat.get_by_role("heading", name="Mon portfolio", level=2)).to_be_focused()


def create_with_code(chat: FrameLocator, device: str = "Oui, c'est mon appareil personnel") -> str:
    """Answer the device question, create under a generated code; return the code."""
    chat.get_by_label(device).check()
    chat.get_by_role("button", name="Créer mon portfolio").click()
    shown = chat.locator("#pf-code-text")
    expect(shown).to_be_focused()
    code = shown.inner_text()
    assert re.fullmatch(r"([0-9A-Z]{4}-){7}[0-9A-Z]{4}", code), code
    chat.get_by_role("button", name="J'ai noté mon code").click()
    expect(chat.locator("#pf-code-text")).to_have_text("")
    return code


def stored(chat_page: Page) -> Any:
    """What this browser profile holds in the portfolio's IndexedDB (None: nothing)."""
    return chat_frame(chat_page).evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("parole-portfolio", 1);
          open.onupgradeneeded = () => open.result.createObjectStore("vault");
          open.onsuccess = () => {
            const get = open.result.transaction("vault").objectStore("vault").get("portfolio");
            get.onsuccess = () => { open.result.close(); resolve(get.result ?? null); };
          };
        })"""
    )


def visitor_page(context: BrowserContext, server: RunningServer) -> tuple[Page, FrameLocator]:
    page = context.new_page()
    page.goto(f"{server.url}/demo")
    return page, open_widget(page)


def test_keep_reload_unlock_export_import_and_share(
    server: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    own = visitor_context(browser, width=360, height=740)
    page, chat = visitor_page(own, server)
    watch = Watch(page)
    wire = Wire(page)
    join(chat, "Trouver un emploi", "Je cherche un atelier CV")
    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, server)
    pane = take_next(console, "Trouver un emploi")
    box = pane.get_by_label("Votre réponse à")
    box.fill("Pensez à relancer l'agence d'intérim")
    box.press("Enter")
    pane.get_by_role("button", name="Ressources").click()
    pane.get_by_label("Chercher une ressource").fill("atelier")
    pane.get_by_role("button", name="Partager « Atelier CV et lettre de motivation »").click()
    expect(
        chat.locator(".msg-card").get_by_text("Atelier CV et lettre de motivation")
    ).to_be_visible()

    # Nothing is kept until asked; "Keep" on a locked portfolio opens the panel first.
    assert stored(page) is None
    chat.get_by_role("button", name="Garder : « Pensez à relancer l'agence d'intérim »").click()
    expect(chat.locator("#pf-pending")).to_be_visible()
    assert violations(chat_frame(page)) == [], "the portfolio's first screen at 360 px"
    chat.get_by_role("button", name="Créer mon portfolio").click()
    expect(chat.locator("#pf-error")).to_contain_text("Dites d'abord s'il s'agit de votre appareil")
    assert stored(page) is None
    code = create_with_code(chat)
    expect(chat.get_by_text("1 élément gardé.")).to_be_visible()
    chat.get_by_role("button", name="Fermer", exact=True).last.click()
    card_keep = chat.get_by_role("button", name="Garder : « Atelier CV et lettre de motivation »")
    card_keep.click()
    kept = chat.get_by_role("button", name="Gardé : « Atelier CV et lettre de motivation »")
    expect(kept).to_be_disabled()
    expect(chat.locator("#pf-announce")).to_have_text("Gardé dans votre portfolio.")
    open_panel(chat)
    chat.get_by_label("Ajouter une note pour moi").fill(SECRET_NOTE)
    chat.get_by_role("button", name="Ajouter la note").click()
    expect(chat.get_by_text("3 éléments gardés.")).to_be_visible()
    assert violations(chat_frame(page)) == [], "the open portfolio at 360 px"
    envelope = stored(page)
    assert envelope["format"] == "parole-portfolio" and envelope["kdf"]["name"] == "HKDF-SHA-256"
    assert SECRET_NOTE not in json.dumps(envelope), "the device holds ciphertext only"

    # A reload: locked; a wrong code is refused with a clear message, the right one opens.
    page.reload()
    expect(chat.locator("#messages")).to_contain_text("Pensez à relancer")  # the widget stayed open
    open_panel(chat)
    unlock = chat.get_by_label("Votre code de récupération")
    unlock.fill("0" * 32)
    chat.get_by_role("button", name="Ouvrir", exact=True).click()
    expect(chat.locator("#pf-error")).to_contain_text("n'ouvre pas ce portfolio")
    unlock.fill(code.lower().replace("-", " "))
    chat.get_by_role("button", name="Ouvrir", exact=True).click()
    expect(chat.get_by_text("3 éléments gardés.")).to_be_visible()
    # The thread's buttons say again what is kept.
    expect(
        chat.get_by_role("button", name="Gardé : « Pensez à relancer l'agence d'intérim »")
    ).to_be_disabled()
    expect(chat.locator("#pf-items")).to_contain_text(SECRET_NOTE)
    expect(chat.locator("#pf-items")).to_contain_text("Atelier CV et lettre de motivation")

    # Removed, then kept again from the thread: its button follows.
    chat.get_by_role("button", name="Retirer : « Pensez à relancer l'agence d'intérim »").click()
    expect(chat.get_by_text("2 éléments gardés.")).to_be_visible()
    chat.get_by_role("button", name="Fermer", exact=True).last.click()
    chat.get_by_role("button", name="Garder : « Pensez à relancer l'agence d'intérim »").click()
    expect(chat.locator("#pf-announce")).to_have_text("Gardé dans votre portfolio.")
    open_panel(chat)
    expect(chat.get_by_text("3 éléments gardés.")).to_be_visible()

    # Export: the file, and the text code.
    with page.expect_download() as download:
        chat.get_by_role("button", name="Télécharger le fichier (.parole)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".parole"
    exported = json.loads(saved.read_text())
    assert exported["v"] == 1 and SECRET_NOTE not in saved.read_text()
    chat.get_by_role("button", name="Afficher le code texte").click()
    text_code = chat.get_by_label("Code texte du portfolio").input_value()
    assert text_code.startswith("PAROLE1:")
    chat.get_by_role("button", name="Imprimer").click()  # headless: prints nothing, throws nothing
    console.get_by_role("button", name="Terminer").first.click()
    console.get_by_role("button", name="Oui, terminer").click()
    expect(chat.locator("#ended-portfolio")).to_contain_text("3 éléments")

    # A fresh browser profile on a shared computer: import, nothing written there.
    shared = visitor_context(browser, width=360, height=740)
    kiosk, chat2 = visitor_page(shared, server)
    watch2 = Watch(kiosk)
    wire2 = Wire(kiosk)
    open_panel(chat2)
    chat2.get_by_label("Non, un appareil partagé ou public").check()
    chat2.get_by_label("Fichier .parole").set_input_files(str(saved))
    chat2.get_by_label("Son code de récupération ou sa phrase secrète").fill("AAAA" * 8)
    chat2.get_by_role("button", name="Ouvrir ce portfolio").click()
    expect(chat2.locator("#pf-error")).to_contain_text("n'ouvre pas ce portfolio")
    chat2.get_by_label("Fichier .parole").set_input_files(str(saved))
    chat2.get_by_label("Son code de récupération ou sa phrase secrète").fill(code)
    # The second wrong try waits; the first right one after a failure goes straight in.
    chat2.get_by_role("button", name="Ouvrir ce portfolio").click()
    expect(chat2.get_by_text("Portfolio ouvert : 3 éléments.")).to_be_visible()
    assert stored(kiosk) is None, "a shared device keeps nothing"
    chat2.get_by_role("button", name="Fermer", exact=True).last.click()

    # A new conversation: one item goes in, marked as from the portfolio.
    join(chat2, "Trouver un emploi", "Je reviens pour l'atelier")
    pane2 = take_next(console, "Trouver un emploi")
    expect(chat2.locator("#compose-text")).to_be_visible()
    open_panel(chat2)
    chat2.get_by_role(
        "button", name="Envoyer dans la conversation : « Atelier CV et lettre de motivation »"
    ).click()
    line = pane2.locator(".msg").filter(has_text="Atelier CV et lettre de motivation")
    expect(line).to_contain_text("depuis son portfolio")
    expect(chat2.locator(".msg-mine").filter(has_text="Atelier CV")).to_contain_text(
        "depuis mon portfolio"
    )

    # Neither page ever sent or received the code, the private note or the envelope.
    for seen in (wire, wire2):
        for secret in (
            code,
            code.replace("-", ""),
            SECRET_NOTE,
            exported["ciphertext"][:40],
            text_code[:60],
        ):
            assert not seen.carries(secret), secret[:20]
    watch.check()
    watch2.check()


def test_a_passphrase_portfolio_never_reaches_the_server(
    server: RunningServer, browser: Browser
) -> None:
    context = visitor_context(browser)
    page, chat = visitor_page(context, server)
    wire = Wire(page)
    watch = Watch(page)
    open_panel(chat)
    chat.get_by_label("Oui, c'est mon appareil personnel").check()
    chat.get_by_label("Avec une phrase secrète que je choisis").check()
    chat.get_by_label("Phrase secrète", exact=True).fill("trop court")
    chat.get_by_role("button", name="Créer mon portfolio").click()
    expect(chat.locator("#pf-error")).to_contain_text("12 caractères au moins")
    chat.get_by_label("Phrase secrète", exact=True).fill(PASSPHRASE)
    chat.get_by_label("La même phrase, encore").fill(PASSPHRASE + "!")
    chat.get_by_role("button", name="Créer mon portfolio").click()
    expect(chat.locator("#pf-error")).to_contain_text("ne sont pas les mêmes")
    chat.get_by_label("La même phrase, encore").fill(PASSPHRASE)
    chat.get_by_role("button", name="Créer mon portfolio").click()
    expect(chat.get_by_text("Votre portfolio est prêt.")).to_be_visible()
    chat.get_by_label("Ajouter une note pour moi").fill(SECRET_NOTE)
    chat.get_by_role("button", name="Ajouter la note").click()
    expect(chat.get_by_text("1 élément gardé.")).to_be_visible()
    chat.get_by_role("button", name="Afficher le code texte").click()
    text_code = chat.get_by_label("Code texte du portfolio").input_value()
    # Its QR code, drawn in the page from the text code (the same rows as qr.js gives).
    qr = chat.get_by_role("img", name="QR code du portfolio (chiffré)")
    expect(qr).to_be_visible()
    size = int(qr.get_attribute("viewBox").split()[2]) - 8  # the quiet zone, 4 a side
    assert size == 4 * chat_frame(page).evaluate(VERSION_OF, text_code) + 17
    envelope = stored(page)
    assert envelope["kdf"] == {"name": "PBKDF2-SHA-256", "iterations": 600000}

    # Locked, a damaged code and a file of another kind are refused; nothing is lost.
    chat.get_by_role("button", name="Verrouiller").click()
    expect(chat.get_by_label("Votre phrase secrète")).to_be_visible()
    chat.get_by_role("button", name="Fermer", exact=True).last.click()
    join(chat, "Trouver un emploi", "Une question")
    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, server)
    pane = take_next(console, "Trouver un emploi")
    pane.get_by_label("Votre réponse à").fill("Bonjour")
    pane.get_by_label("Votre réponse à").press("Enter")
    open_panel(chat)
    chat.get_by_label("Votre phrase secrète").fill(PASSPHRASE)
    chat.get_by_role("button", name="Ouvrir", exact=True).click()
    expect(chat.get_by_text("1 élément gardé.")).to_be_visible()
    imports = chat.get_by_label("ou son code texte")
    secret = chat.get_by_label("Son code de récupération ou sa phrase secrète")
    for pasted, message in [
        (text_code[:-30], "incomplet ou abîmé"),
        ("%PDF-1.7 a report", "Ce n'est pas un portfolio Parole"),
        (text_code.replace("PAROLE1:", "PAROLE1:" + "A"), "incomplet ou abîmé"),
    ]:
        imports.fill(pasted)
        secret.fill(PASSPHRASE)
        chat.get_by_role("button", name="Ouvrir ce portfolio").click()
        expect(chat.locator("#pf-error")).to_contain_text(message)
        expect(chat.get_by_text("1 élément gardé.")).to_be_visible()
    # Its own code again: nothing new, nothing doubled.
    imports.fill(text_code)
    secret.fill(PASSPHRASE)
    chat.get_by_role("button", name="Ouvrir ce portfolio").click()
    expect(chat.get_by_text("Rien de nouveau dans ce portfolio.")).to_be_visible()
    expect(chat.get_by_text("1 élément gardé.")).to_be_visible()

    for secret_text in (PASSPHRASE, SECRET_NOTE, text_code[8:68], envelope["salt"]):
        assert not wire.carries(secret_text), secret_text[:20]
    watch.check()


def test_a_detail_asked_is_shared_once_and_another_refused(
    server: RunningServer, browser: Browser
) -> None:
    context = visitor_context(browser, width=360, height=740)
    page, chat = visitor_page(context, server)
    watch = Watch(page)
    join(chat, "Trouver un emploi", "Je voudrais le dossier d'inscription")
    counsellor = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    console = sign_in(counsellor, server)
    pane = take_next(console, "Trouver un emploi")

    def ask(detail: str, purpose: str) -> None:
        opener = pane.get_by_role("button", name="Demander une information")
        opener.click()
        assert violations(console) == [], "the request form at 360 px"
        pane.get_by_label("Information demandée").fill(detail)
        pane.get_by_label("Pourquoi").fill(purpose)
        pane.get_by_role("button", name="Envoyer la demande").click()
        expect(opener).to_be_focused()

    ask("Adresse e-mail", "Vous envoyer le dossier d'inscription")
    expect(pane.get_by_text("Vous avez demandé : Adresse e-mail.")).to_be_visible()
    request = chat.get_by_role("form", name="Demande de Camille")
    expect(request).to_contain_text(
        "Camille (pôle « Trouver un emploi ») vous demande : Adresse e-mail."
    )
    expect(request).to_contain_text("Pourquoi : Vous envoyer le dossier d'inscription")
    expect(request).to_contain_text("Vous pouvez refuser sans rien perdre")
    assert violations(chat_frame(page)) == [], "a request for a detail at 360 px"
    request.get_by_label("Adresse e-mail").fill("lynx@example.org")
    request.get_by_label("Adresse e-mail").press("Enter")
    expect(request).to_contain_text("Vous l'avez partagé.")
    expect(request.get_by_role("button", name="Partager")).to_have_count(0)
    shared = pane.locator(".msg").filter(has_text="lynx@example.org")
    expect(shared).to_contain_text("partagé avec son accord")
    expect(shared).to_contain_text("ne le recopiez pas ailleurs")
    expect(chat.locator(".msg-mine").filter(has_text="lynx@example.org")).to_contain_text(
        "partagé avec votre accord"
    )

    ask("Numéro de téléphone", "Vous rappeler demain")
    second = chat.get_by_role("form", name="Demande de Camille").last
    expect(second).to_contain_text("Numéro de téléphone")
    second.get_by_role("button", name="Refuser").focus()
    page.keyboard.press("Enter")
    expect(second).to_contain_text("Vous avez refusé ; rien n'est perdu.")
    expect(pane.get_by_text("a préféré ne pas donner : Numéro de téléphone.")).to_be_visible()
    # The conversation goes on as before.
    chat.get_by_label("Votre message").fill("Merci, je préfère par e-mail.")
    chat.get_by_label("Votre message").press("Enter")
    expect(pane.get_by_text("Merci, je préfère par e-mail.")).to_be_visible()
    watch.check()
