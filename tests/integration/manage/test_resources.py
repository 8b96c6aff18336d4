"""The resource cards in /manage (R7): every form with good and bad input, a card
reached under another pole's address, order and retirement as counsellors see them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.clients import Browser, counsellor
from tests.servers import RunningServer

from .test_manage import HOSTILE, done, refused

CARD = {"kind": "job_sheet", "title": "Fiche métier : boulanger", "text": "", "url": ""}


@pytest.fixture
def manager(server: RunningServer) -> Iterator[Browser]:
    browser = Browser(server, "dominique")
    yield browser
    browser.http.close()


def card_ids(manager: Browser, pole: str) -> list[str]:
    """The pole's cards as the manager's list shows them, in order."""
    page = manager.get(f"/manage/resources/{pole}").text
    marker = f'href="/manage/resources/{pole}/'
    return [part.split('"', 1)[0] for part in page.split(marker)[1:]]


async def searched(server: RunningServer, query: str = "") -> list[str]:
    desk, _ = await counsellor(server)
    await desk.send({"type": "find_cards", "query": query})
    answer = await desk.expect("cards")
    await desk.close()
    return [card["id"] for card in answer["cards"]]


async def test_a_card_is_created_edited_and_found_by_counsellors(
    server: RunningServer, manager: Browser
) -> None:
    index = manager.get("/manage/resources").text
    assert 'href="/manage/resources/emploi"' in index and "Trouver un emploi" in index
    before = card_ids(manager, "emploi")
    answer = manager.post(
        "/manage/resources/emploi",
        {**CARD, "text": f"Le métier {HOSTILE}", "url": "https://www.onisep.fr/boulanger"},
    )
    done(answer, "/manage/resources/emploi", "card_created")
    after = card_ids(manager, "emploi")
    assert after[: len(before)] == before and len(after) == len(before) + 1
    new = after[-1]
    page = manager.get(f"/manage/resources/emploi/{new}").text
    assert HOSTILE not in page and "&lt;script&gt;" in page  # shown as text
    assert 'value="https://www.onisep.fr/boulanger"' in page
    assert new in await searched(server, "boulanger")

    edited = {**CARD, "title": "Fiche métier : boulangère", "kind": "other"}
    done(
        manager.post(f"/manage/resources/emploi/{new}", edited),
        "/manage/resources/emploi",
        "card_saved",
    )
    page = manager.get(f"/manage/resources/emploi/{new}").text
    assert "boulangère" in page and 'value="other" selected' in page
    assert card_ids(manager, "emploi") == after  # edited in place


async def test_cards_move_within_their_pole_and_retire_and_come_back(
    server: RunningServer, manager: Browser
) -> None:
    first, second = card_ids(manager, "emploi")  # the demo's two
    path = "/manage/resources/emploi"
    done(manager.post(f"{path}/{second}/up"), path, "card_up")
    assert card_ids(manager, "emploi") == [second, first]
    listed = [i for i in await searched(server) if i in (first, second)]
    assert listed == [second, first]  # counsellors find them in the manager's order
    done(manager.post(f"{path}/{second}/down"), path, "card_down")
    assert card_ids(manager, "emploi") == [first, second]

    done(manager.post(f"{path}/{first}/retire"), path, "card_retire")
    assert first not in await searched(server)
    assert "Retirée" in manager.get(path).text
    done(manager.post(f"{path}/{first}/restore"), path, "card_restore")
    assert first in await searched(server)


def test_bad_card_input_is_refused_field_by_field_and_stores_nothing(
    server: RunningServer, manager: Browser
) -> None:
    before = card_ids(manager, "emploi")
    for fields, text in [
        ({"url": "javascript:alert(1)"}, "javascript:"),
        ({"url": "data:text/html,<b>x</b>"}, "javascript:"),
        ({"url": "https://user:pw@example.org"}, "javascript:"),
        ({"title": ""}, "Donnez un titre"),
        ({"title": "<b>gras</b>"}, "Donnez un titre"),
        ({"title": "x" * 121}, "Donnez un titre"),
        ({"text": "x" * 10_000}, "600 caractères"),
        ({"kind": "weapon"}, "Choisissez un type"),
        ({"kind": "event", "day": "2026-02-30"}, "date de l&#39;événement"),
        ({"kind": "event", "day": "2027-01-05", "start": "25:00"}, "HH:MM"),
        ({"kind": "event", "start": "10:00"}, "date de l&#39;événement"),
        ({"kind": "event", "day": "2027-01-05", "place": "<i>x</i>"}, "Le lieu"),
    ]:
        page = refused(manager.post("/manage/resources/emploi", {**CARD, **fields}), text)
        for name, value in fields.items():
            if name != "kind" and value and len(value) < 200 and "<" not in value:
                assert value in page, value  # what was typed is kept
    assert card_ids(manager, "emploi") == before
    # Another kind drops what only an event has, rather than refusing it.
    done(
        manager.post("/manage/resources/emploi", {**CARD, "day": "2027-01-05", "place": "Ici"}),
        "/manage/resources/emploi",
        "card_created",
    )
    page = manager.get(f"/manage/resources/emploi/{card_ids(manager, 'emploi')[-1]}").text
    assert 'name="place" value=""' in page


async def test_a_card_under_another_poles_address_is_not_found_and_unchanged(
    server: RunningServer, manager: Browser
) -> None:
    before = card_ids(manager, "emploi")
    assert manager.get("/manage/resources/formation/atelier-cv").status_code == 404
    for path, data in [
        ("/manage/resources/formation/atelier-cv", {**CARD, "title": "Volée"}),
        ("/manage/resources/formation/atelier-cv/retire", {}),
        ("/manage/resources/formation/atelier-cv/up", {}),
        ("/manage/resources/emploi/atelier-cv/explode", {}),
        ("/manage/resources/emploi/missing", CARD),
        ("/manage/resources/nope", CARD),
    ]:
        assert manager.post(path, data).status_code == 404, path
    assert card_ids(manager, "emploi") == before
    assert "Atelier CV" in manager.get("/manage/resources/emploi/atelier-cv").text
    assert "atelier-cv" in await searched(server, "atelier")
