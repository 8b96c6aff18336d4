"""The visitor's side while talking: the thread keeps the room, a half-typed reply
survives a reload."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_chat_browser import start_talking
from tests.browser.widget import reloaded, visitor_context
from tests.servers import RunningServer, start_server


def box(page: Page, selector: str) -> dict[str, float]:
    frame = page.frame(url=lambda url: "/chat" in url)
    assert frame is not None
    found = frame.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def test_while_talking_the_pseudonym_folds_to_one_line(
    server: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    for width, height in [(1280, 800), (360, 740)]:
        # A server each: once Camille's last console is gone past the resume grace her desk
        # pauses by itself (R6), and the second round would find her paused.
        if width == 360:
            server = start_server(tmp_path, "--resume-grace", "2", "--end-grace", "2")
        visitor = visitor_context(browser, width=width, height=height)
        counsellor = browser.new_context(locale="fr-FR")
        talking = start_talking(server, visitor, counsellor)
        chat = talking.chat
        rename = chat.get_by_role("button", name="Changer de pseudonyme")
        expect(rename).to_be_visible()
        # One row: the name and its control side by side, no second line.
        assert box(talking.page, "#pseudonym-box")["height"] <= (
            box(talking.page, "#rename-open")["height"] + 4
        )
        expect(chat.locator(".subtitle")).to_be_hidden()
        # Renaming is still one click away, and the full name of the control is kept.
        rename.click()
        expect(chat.get_by_label("Nouveau pseudonyme")).to_be_focused()
        chat.get_by_role("button", name="Annuler").click()
        expect(rename).to_be_focused()
        talking.watch_visitor.check()
        visitor.close()
        counsellor.close()
        if width == 360:
            server.stop()


def test_a_reply_typed_but_not_sent_survives_a_reload(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser)
    counsellor = browser.new_context(locale="fr-FR")
    talking = start_talking(server, visitor, counsellor)
    compose = talking.chat.get_by_label("Votre message")
    compose.fill("Je voulais aussi vous demander")

    reloaded(talking.page)
    compose = talking.chat.get_by_label("Votre message")
    expect(compose).to_have_value("Je voulais aussi vous demander")

    # Once sent, it is no longer a draft: the next reload finds the box empty.
    compose.press("End")
    compose.type(" : et le CV ?")
    compose.press("Enter")
    expect(talking.pane.get_by_text("Je voulais aussi vous demander : et le CV ?")).to_be_visible()
    reloaded(talking.page)
    expect(talking.chat.get_by_text("Je voulais aussi vous demander : et le CV ?")).to_be_visible()
    expect(talking.chat.get_by_label("Votre message")).to_have_value("")
    visitor.close()
    counsellor.close()
