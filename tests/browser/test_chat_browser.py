"""The real widget and console in Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import NamedTuple

from playwright.sync_api import (
    Browser,
    BrowserContext,
    FrameLocator,
    Locator,
    Page,
    WebSocketRoute,
    expect,
)

from tests.browser.widget import (
    LAUNCHER,
    Watch,
    join,
    open_widget,
    reloaded,
    sign_in,
    visitor_context,
    waiting,
)
from tests.servers import RunningServer

XSS = "<img src=x onerror=alert(1)><b>gras</b>"


def test_a_visitor_and_a_counsellor_talk_and_the_visitor_resumes_after_a_reload(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    page, chat, watch_visitor = waiting(visitor, f"{server.url}/demo", "Comment refaire mon CV ?")
    expect(chat.locator("#position-text")).to_contain_text("bientôt votre tour")
    assert visitor.cookies() == []

    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, server)
    watch_console = Watch(console)
    queue = console.locator('li[data-pole="emploi"]')
    expect(queue.locator(".queue-count")).to_have_text("1 personne attend")
    queue.get_by_role("button", name="Prendre le suivant : Trouver un emploi").click()
    pane = console.locator(".pane:not([hidden])")
    expect(pane.locator(".msg-text")).to_have_text(["Comment refaire mon CV ?"])
    expect(queue.locator(".queue-count")).to_have_text("Personne n'attend")
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()

    # Counsellor -> visitor, with the typing indicator first.
    answer = pane.get_by_label("Votre réponse à")
    answer.press_sequentially("Bonjour, je suis Camille.")
    expect(chat.locator("#typing")).to_have_text("Camille écrit…")
    answer.press("Enter")
    expect(chat.locator("#messages .msg-theirs .msg-text")).to_have_text(
        ["Bonjour, je suis Camille."]
    )
    expect(chat.locator("#typing")).to_have_text("")

    # Visitor -> counsellor, Shift+Enter makes a new line, Enter sends.
    box = chat.get_by_label("Votre message")
    box.press_sequentially("Merci.")
    expect(pane.locator(".typing")).to_contain_text("écrit…")
    box.press("Shift+Enter")
    box.press_sequentially("Par où commencer ?")
    box.press("Enter")
    expect(pane.locator(".msg-theirs .msg-text")).to_have_text(
        ["Comment refaire mon CV ?", "Merci.\nPar où commencer ?"]
    )
    expect(chat.locator("#messages .pending")).to_have_count(0)
    expect(pane.locator(".typing")).to_have_text("")

    # A reload of the host page: the panel reopens, the conversation comes back, each
    # message once.
    chat = reloaded(page)
    expect(chat.locator("#messages .msg-text")).to_have_text(
        ["Comment refaire mon CV ?", "Bonjour, je suis Camille.", "Merci.\nPar où commencer ?"]
    )
    expect(chat.locator("#messages .msg-system")).to_have_count(1)  # "Camille a rejoint…"
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
    box = chat.get_by_label("Votre message")
    box.fill("Encore là ?")
    box.press("Enter")
    expect(pane.locator(".msg-text")).to_have_text(
        [
            "Comment refaire mon CV ?",
            "Bonjour, je suis Camille.",
            "Merci.\nPar où commencer ?",
            "Encore là ?",
        ]
    )

    # The counsellor ends (with a confirmation); the visitor is told.
    pane.get_by_role("button", name="Terminer").click()
    pane.get_by_role("button", name="Oui, terminer").click()
    expect(chat.get_by_role("heading", name="La conversation est terminée")).to_be_visible()
    expect(chat.locator("#messages")).to_contain_text("Le conseiller a terminé la conversation.")
    expect(chat.get_by_label("Votre message")).to_be_hidden()
    expect(pane.locator(".ended-notice")).to_be_visible()
    expect(console.get_by_role("button", name="Fermer la conversation")).to_be_visible()

    # Starting again clears the session: the poles are offered again.
    chat.get_by_role("button", name="Commencer une nouvelle discussion").click()
    expect(chat.get_by_role("button", name="Trouver un emploi")).to_be_visible()
    assert visitor.cookies() == []
    watch_visitor.check()
    watch_console.check()
    visitor.close()
    counsellor.close()


def test_markup_in_messages_is_shown_as_text_on_both_sides(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    page = visitor.new_page()
    watch_visitor = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    join(chat, "Créer son activité", XSS)
    expect(chat.locator("#waiting-question-text")).to_have_text(XSS)

    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, server)
    watch_console = Watch(console)
    console.get_by_role("button", name="Prendre le suivant : Créer son activité").click()
    pane = console.locator(".pane:not([hidden])")
    answer = pane.get_by_label("Votre réponse à")
    answer.fill(f"Réponse {XSS}")
    answer.press("Enter")

    expect(pane.locator(".msg-text")).to_have_text([XSS, f"Réponse {XSS}"])
    expect(chat.locator("#messages .msg-text")).to_have_text([XSS, f"Réponse {XSS}"])
    for root in (chat.locator("body"), console.locator("body")):
        expect(root.locator("img")).to_have_count(0)
        expect(root.locator("b")).to_have_count(0)
    watch_visitor.check()
    watch_console.check()
    visitor.close()
    counsellor.close()


def test_on_a_small_phone_the_widget_opens_full_screen_and_works(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, 360, 640)
    page = visitor.new_page()
    watch = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    frame = page.locator('iframe[title^="Parole"]')
    expect(frame).to_be_visible()
    assert frame.bounding_box() == {"x": 0, "y": 0, "width": 360, "height": 640}

    pole = chat.get_by_role("button", name="Choisir son orientation")
    expect(pole).to_be_in_viewport()
    join(chat, "Choisir son orientation", "Quelles études après le bac ?")
    expect(chat.locator("#position-number")).to_have_text("1")
    leave = chat.get_by_role("button", name="Quitter la file")
    leave.scroll_into_view_if_needed()
    expect(leave).to_be_in_viewport()

    # Escape closes the panel and gives the focus back to the launcher.
    chat.get_by_role("button", name="Changer de pseudonyme").focus()
    page.keyboard.press("Escape")
    expect(frame).to_be_hidden()
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # The minimise button of the chat page closes it too.
    chat = open_widget(page)
    chat.get_by_role("button", name="Réduire la fenêtre de discussion").click()
    expect(frame).to_be_hidden()
    assert visitor.cookies() == []
    watch.check()
    visitor.close()


class Talking(NamedTuple):
    page: Page
    chat: FrameLocator
    console: Page
    pane: Locator
    watch_visitor: Watch
    watch_console: Watch


def start_talking(
    server: RunningServer, visitor: BrowserContext, counsellor: BrowserContext
) -> Talking:
    """The visitor joins "Trouver un emploi" from /demo and the counsellor takes them."""
    page = visitor.new_page()
    watch_visitor = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    join(chat, "Trouver un emploi", "Bonjour")
    console = sign_in(counsellor, server)
    watch_console = Watch(console)
    pane = take_next(console, "Trouver un emploi")
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
    return Talking(page, chat, console, pane, watch_visitor, watch_console)


def take_next(console: Page, pole: str) -> Locator:
    """Take the next visitor of a pole on the console; return the conversation's pane."""
    console.get_by_role("button", name=f"Prendre le suivant : {pole}").click()
    return console.locator(".pane:not([hidden])")


def test_the_visitor_renames_themselves_during_the_conversation(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    counsellor = browser.new_context(locale="fr-FR")
    _page, chat, console, pane, watch_visitor, watch_console = start_talking(
        server, visitor, counsellor
    )
    tab = console.locator(".conv-tab")
    old_name = chat.locator("#pseudonym").inner_text()
    expect(tab.locator(".conv-name")).to_have_text(old_name)

    # The same control as in the waiting view, now in the conversation view.
    chat.get_by_role("button", name="Changer de pseudonyme").click()
    name = chat.get_by_label("Nouveau pseudonyme")
    expect(name).to_be_focused()
    name.fill("  Héron   bleu ")
    name.press("Enter")
    expect(chat.locator("#pseudonym")).to_have_text("Héron bleu")
    expect(chat.get_by_label("Nouveau pseudonyme")).to_be_hidden()
    expect(chat.locator("#messages .msg-system").last).to_have_text(
        "Votre pseudonyme est maintenant Héron bleu."
    )

    # The console is told, and the conversation is shown under its new name.
    expect(pane.locator(".msg-system").last).to_have_text(
        "Le visiteur s'appelle maintenant Héron bleu."
    )
    expect(tab.locator(".conv-name")).to_have_text("Héron bleu")
    expect(pane.locator(".pane-title")).to_have_text("Héron bleu")
    expect(pane.get_by_label("Votre réponse à Héron bleu")).to_be_visible()

    # Once the conversation is over, there is nothing left to rename.
    chat.get_by_role("button", name="Terminer").click()
    chat.get_by_role("button", name="Oui, terminer").click()
    expect(chat.get_by_role("heading", name="La conversation est terminée")).to_be_visible()
    expect(chat.get_by_role("button", name="Changer de pseudonyme")).to_be_hidden()
    watch_visitor.check()
    watch_console.check()
    visitor.close()
    counsellor.close()


def test_a_message_not_yet_acknowledged_survives_a_reload(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    # Between the widget and the server: `drop` swallows the visitor's `send` frames,
    # as a connection that went down would.
    drop = {"send": False}
    routes: list[WebSocketRoute] = []

    def relay(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()
        routes.append(ws)

        def to_server(message: str | bytes) -> None:
            if drop["send"] and isinstance(message, str) and '"type":"send"' in message:
                return
            upstream.send(message)

        ws.on_message(to_server)

    visitor.route_web_socket("**/ws/visitor", relay)
    counsellor = browser.new_context(locale="fr-FR")
    page, chat, _console, pane, watch_visitor, watch_console = start_talking(
        server, visitor, counsellor
    )

    drop["send"] = True
    box = chat.get_by_label("Votre message")
    box.fill("Vous êtes toujours là ?")
    box.press("Enter")
    expect(chat.locator("#messages .pending .msg-text")).to_have_text(["Vous êtes toujours là ?"])
    stored = chat.locator("body").evaluate("() => sessionStorage.getItem('parole:pending')")
    assert stored is not None and "Vous êtes toujours là ?" in stored

    # After a reload the message is back, greyed as pending, below the conversation.
    chat = reloaded(page)
    expect(chat.locator("#messages .msg-text")).to_have_text(["Bonjour", "Vous êtes toujours là ?"])
    expect(chat.locator("#messages .pending .msg-text")).to_have_text(["Vous êtes toujours là ?"])
    expect(pane.locator(".msg-theirs .msg-text")).to_have_text(["Bonjour"])

    # The connection comes back: the message is re-sent, delivered once, and forgotten.
    drop["send"] = False
    routes[-1].close()
    expect(pane.locator(".msg-theirs .msg-text")).to_have_text(
        ["Bonjour", "Vous êtes toujours là ?"]
    )
    expect(chat.locator("#messages .pending")).to_have_count(0)
    expect(chat.locator("#messages .msg-mine .msg-text")).to_have_text(
        ["Bonjour", "Vous êtes toujours là ?"]
    )
    stored = chat.locator("body").evaluate("() => sessionStorage.getItem('parole:pending')")
    assert stored is None
    watch_visitor.check()
    watch_console.check()
    visitor.close()
    counsellor.close()


OUTAGE = "Service momentanément indisponible : vos messages partiront dès son retour."


def test_during_a_service_outage_both_sides_keep_typing_and_messages_go_out_after(
    server: RunningServer, browser: Browser
) -> None:
    # Between each page and the server: `routes` lets the test push `service` frames
    # to the page, as the server does when it loses (and regains) its shared state.
    routes: dict[str, WebSocketRoute] = {}
    sent: dict[str, list[str]] = {"visitor": [], "console": []}

    def relay(side: str) -> Callable[[WebSocketRoute], None]:
        def route(ws: WebSocketRoute) -> None:
            upstream = ws.connect_to_server()
            routes[side] = ws

            def to_server(message: str | bytes) -> None:
                if isinstance(message, str):
                    sent[side].append(message)
                upstream.send(message)

            ws.on_message(to_server)

        return route

    def service(side: str, available: bool) -> None:
        routes[side].send(json.dumps({"type": "service", "available": available}))

    visitor = visitor_context(browser)
    visitor.route_web_socket("**/ws/visitor", relay("visitor"))
    counsellor = browser.new_context(locale="fr-FR")
    counsellor.route_web_socket("**/ws/console", relay("console"))
    _page, chat, console, pane, watch_visitor, watch_console = start_talking(
        server, visitor, counsellor
    )

    # Someone else waits: the console could take them.
    other = visitor_context(browser)
    other_page = other.new_page()
    other_page.goto(f"{server.url}/demo")
    join(open_widget(other_page), "Trouver un emploi", "Moi aussi")
    take = console.get_by_role("button", name="Prendre le suivant : Trouver un emploi")
    expect(take).to_be_enabled()

    # The outage: a calm banner on both sides; typing and sending stay possible.
    service("visitor", False)
    service("console", False)
    expect(chat.locator("#banner-text")).to_have_text(OUTAGE)
    expect(console.locator("#banner-text")).to_have_text(OUTAGE)
    expect(take).to_be_disabled()
    box = chat.get_by_label("Votre message")
    expect(box).to_be_editable()
    box.fill("Vous êtes là ?")
    box.press("Enter")
    answer = pane.get_by_label("Votre réponse à")
    answer.fill("Toujours là.")
    answer.press("Enter")
    expect(chat.locator("#messages .pending .msg-text")).to_have_text(["Vous êtes là ?"])
    expect(pane.locator(".pending .msg-text")).to_have_text(["Toujours là."])
    console.wait_for_timeout(500)
    for side in ("visitor", "console"):
        assert not [m for m in sent[side] if '"type":"send"' in m], f"{side} sent during the outage"
    expect(pane.locator(".msg-theirs .msg-text")).to_have_text(["Bonjour"])
    expect(chat.locator("#alert")).to_have_text("")

    # The service is back: the banners go, the pending messages go out, once each
    # (the visitor's side first, so that the order of the two messages is known).
    service("visitor", True)
    expect(chat.locator("#banner-text")).to_have_text("")
    expect(pane.locator(".msg-theirs .msg-text")).to_have_text(["Bonjour", "Vous êtes là ?"])
    expect(console.locator("#banner-text")).to_have_text(OUTAGE)
    service("console", True)
    expect(console.locator("#banner-text")).to_have_text("")
    expect(take).to_be_enabled()
    expect(pane.locator(".msg-text")).to_have_text(["Bonjour", "Vous êtes là ?", "Toujours là."])
    expect(chat.locator("#messages .msg-text")).to_have_text(
        ["Bonjour", "Vous êtes là ?", "Toujours là."]
    )
    expect(chat.locator("#messages .pending")).to_have_count(0)
    expect(pane.locator(".pending")).to_have_count(0)
    for side in ("visitor", "console"):
        assert len([m for m in sent[side] if '"type":"send"' in m]) == 1, sent[side]
    watch_visitor.check()
    watch_console.check()
    other.close()
    visitor.close()
    counsellor.close()


def test_a_question_typed_before_joining_survives_a_reload(
    server: RunningServer, browser: Browser
) -> None:
    context = visitor_context(browser)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    chat.get_by_role("button", name="Trouver une formation").click()
    chat.get_by_label("Votre question").fill("Une formation en alternance ?")
    page.reload()
    chat = open_widget(page)
    expect(chat.get_by_label("Votre question")).to_have_value("Une formation en alternance ?")
    expect(chat.locator("#chosen-pole")).to_have_text("Trouver une formation")
    chat.get_by_role("button", name="Rejoindre la file d'attente").click()
    expect(chat.locator("#waiting-question-text")).to_have_text("Une formation en alternance ?")
    # Joined: the draft is gone; after the conversation, a new one starts blank.
    chat.get_by_role("button", name="Quitter la file").click()
    chat.get_by_role("button", name="Commencer une nouvelle discussion").click()
    chat.get_by_role("button", name="Trouver une formation").click()
    expect(chat.get_by_label("Votre question")).to_have_value("")
    watch.check()
    context.close()
