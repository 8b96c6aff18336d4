"""Abuse handled without identifying anyone, in Chromium: a counsellor ends and blocks a
conversation by keyboard and the visitor is told calmly, then cannot join again; a
visitor ends and reports one; skipping the satisfaction question is one click."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.test_accessibility import chat_frame, violations
from tests.browser.test_chat_browser import take_next
from tests.browser.widget import Watch, join, open_widget, sign_in, visitor_context
from tests.clients import Browser as Staff
from tests.servers import RunningServer


def test_a_counsellor_blocks_and_the_visitor_is_told_calmly(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    watch = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    join(chat, "Trouver un emploi", "Bonjour")
    counsellor = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    console = sign_in(counsellor, server)
    pane = take_next(console, "Trouver un emploi")
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()

    block = pane.get_by_role("button", name="Bloquer", exact=True)
    block.focus()
    console.keyboard.press("Enter")
    expect(
        pane.get_by_role(
            "group", name="Terminer et bloquer cette conversation abusive ?", exact=False
        )
    ).to_be_visible()
    assert violations(console) == [], "the console asking to confirm a block"
    console.keyboard.press("Escape")  # changed her mind: nothing happens
    expect(block).to_be_focused()
    block.click()
    pane.get_by_role("button", name="Terminer et bloquer").click()
    expect(pane.locator(".ended-notice")).to_be_visible()

    notice = chat.locator("#ended-blocked")
    expect(notice).to_contain_text("Vous pourrez revenir plus tard")
    expect(
        chat.get_by_role("group", name="Comment s'est passée cette conversation ?")
    ).to_be_hidden()
    assert violations(chat_frame(page)) == [], "the widget after a block"
    # Starting again from the same place is refused for a while, calmly.
    chat.get_by_role("button", name="Commencer une nouvelle discussion").click()
    join(chat, "Trouver un emploi", "Re-bonjour")
    expect(chat.get_by_role("alert")).to_contain_text("Réessayez plus tard")
    watch.check()
    for context in (visitor, counsellor):
        context.close()


def test_a_visitor_reports_and_skipping_the_question_sends_nothing(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    watch = Watch(page)
    page.goto(f"{server.url}/demo")
    chat = open_widget(page)
    join(chat, "Trouver une formation", "Bonjour")
    counsellor = browser.new_context(locale="fr-FR")
    console = sign_in(counsellor, server)
    pane = take_next(console, "Trouver une formation")
    expect(chat.get_by_role("heading", name="Vous parlez avec Camille")).to_be_visible()
    chat.get_by_role("button", name="Terminer", exact=True).click()
    report = chat.get_by_role("button", name="Terminer et signaler")
    report.focus()
    page.keyboard.press("Enter")
    expect(chat.locator("#ended-reported")).to_contain_text("votre signalement est compté")
    expect(pane.locator(".ended-notice")).to_be_visible()
    expect(
        chat.get_by_role("group", name="Comment s'est passée cette conversation ?")
    ).to_be_hidden()

    # Another conversation, ended by the counsellor: skipping is one click.
    chat.get_by_role("button", name="Commencer une nouvelle discussion").click()
    join(chat, "Trouver une formation", "Encore une question")
    pane = take_next(console, "Trouver une formation")
    pane.get_by_role("button", name="Terminer", exact=True).click()
    pane.get_by_role("button", name="Oui, terminer").click()
    question = chat.get_by_role("group", name="Comment s'est passée cette conversation ?")
    expect(question).to_be_visible()
    chat.get_by_role("button", name="Passer").click()
    expect(question).to_be_hidden()
    expect(chat.get_by_role("heading", name="La conversation est terminée")).to_be_focused()
    boss = Staff(server, "dominique")
    figures = boss.get("/manage/feedback").text
    boss.http.close()
    assert "Aucune réponse pour l&#39;instant." in figures  # the skip counted nothing
    watch.check()
    for context in (visitor, counsellor):
        context.close()
