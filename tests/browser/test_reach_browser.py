"""The chat is one channel among others: the site's address and phone in the widget,
first and highlighted once the chat is closed; and a partner's link that opens the
widget on a pole ("#parole=<pole>"), tracked by no one."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.test_accessibility import chat_frame, violations
from tests.browser.widget import LAUNCHER, Watch, visitor_context
from tests.clients import Browser as Staff
from tests.integration.manage.test_manage import PARIS_FORM, WEEK
from tests.servers import RunningServer


def test_a_partners_link_opens_the_widget_on_its_pole(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    watch = Watch(page)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{server.url}/demo#parole=formation")
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_attribute("aria-expanded", "true")  # opened by itself
    chat = page.frame_locator('iframe[title^="Parole"]')
    expect(chat.locator("#chosen-pole")).to_have_text("Trouver une formation")
    expect(chat.get_by_label("Votre question")).to_be_visible()
    # The pole is never sent to a server: no request names it.
    assert not [url for url in asked if "formation" in url], asked

    # Another link on the same page, the widget already open: that pole now.
    chat.get_by_role("button", name="Changer de thème").click()
    page.evaluate("location.hash = 'parole=emploi'")
    expect(chat.locator("#chosen-pole")).to_have_text("Trouver un emploi")
    # A pole that does not exist leaves the list as it is.
    chat.get_by_role("button", name="Changer de thème").click()
    page.evaluate("location.hash = 'parole=nope'")
    expect(chat.get_by_role("button", name="Trouver un emploi")).to_be_visible()
    expect(chat.locator("#view-poles")).to_be_visible()
    watch.check()
    visitor.close()


def test_the_address_and_phone_show_and_come_first_once_closed(
    server: RunningServer, browser: Browser
) -> None:
    visitor = visitor_context(browser, width=360, height=740)
    page = visitor.new_page()
    watch = Watch(page)
    page.goto(f"{server.url}/demo")
    page.get_by_role("button", name=LAUNCHER).click()
    chat = page.frame_locator('iframe[title^="Parole"]')
    reach = chat.locator("#reach")
    expect(reach.get_by_role("heading", name="Venir ou appeler")).to_be_attached()
    expect(reach).to_contain_text("30 avenue Corentin-Cariou")
    call = reach.get_by_role("link", name="Appeler le 01 99 00 12 34")
    expect(call).to_have_attribute("href", "tel:0199001234")
    expect(reach).not_to_have_class("reach prominent")
    # Open: under the poles and the events.
    assert chat.locator("#events + #reach").count() == 1
    assert violations(chat_frame(page)) == [], "the pole list with the way to come or call"

    manager = Staff(server, "dominique")
    closed = {
        **PARIS_FORM,
        **WEEK,
        "address": "30 avenue Corentin-Cariou\n75019 Paris",
        "phone": "+33 (0)1 99 00 12 34",
    }
    assert manager.post("/manage/sites/paris", closed).status_code == 303
    manager.http.close()
    # Closed, live: first under the hours, highlighted; the poles are gone.
    expect(reach).to_have_class("reach prominent")
    expect(chat.locator("#site-status + #reach")).to_have_count(1)
    expect(reach.get_by_role("link", name="Appeler le +33 (0)1 99 00 12 34")).to_have_attribute(
        "href", "tel:+33199001234"
    )
    expect(chat.locator("#view-poles button.pole")).to_have_count(0)
    expect(reach).to_be_in_viewport()
    assert violations(chat_frame(page)) == [], "closed, with the way to come or call"
    watch.check()
    visitor.close()
