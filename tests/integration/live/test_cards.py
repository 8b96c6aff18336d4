"""Resource cards through real websockets (R7): found as a counsellor types, shared into
a conversation as a numbered copy, upcoming events in the widget's status; bad input
changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.clients import Browser, Client, counsellor, visitor
from tests.servers import RunningServer

from .test_transfer import take

HOSTILE = '<img src=x onerror="alert(1)">'


def add_card(manager: Browser, pole: str, **fields: str) -> str:
    """Create a card through /manage; returns its id."""
    data = {"kind": "job_sheet", "title": "Fiche", "text": "", "url": "", **fields}
    answer = manager.post(f"/manage/resources/{pole}", data)
    assert answer.status_code == 303, answer.text[:2000]
    page = manager.get(f"/manage/resources/{pole}").text
    marker = f"/manage/resources/{pole}/"
    ids = [part.split('"', 1)[0] for part in page.split(f'href="{marker}')[1:]]
    titles = [part.split("<", 1)[0] for part in page.split('<th scope="row">')[1:]]
    wanted = fields["title"].replace("'", "&#39;")
    return ids[[t.strip() for t in titles].index(wanted)]


async def found(desk: Client, query: str, conversation: str | None = None) -> list[str]:
    frame: dict[str, object] = {"type": "find_cards", "query": query}
    if conversation:
        frame["conversation"] = conversation
    await desk.send(frame)
    answer = await desk.expect("cards", query=query)
    return [card["id"] for card in answer["cards"]]


async def test_a_counsellor_finds_cards_as_they_type_the_conversations_pole_first(
    server: RunningServer,
) -> None:
    manager = Browser(server, "dominique")
    mine = add_card(manager, "formation", title="Un CV pour se former", text="Atelier")
    guest, _ = await visitor(server, "formation")
    desk, _ = await counsellor(server)
    conversation = str((await take(desk, "formation"))["id"])
    await guest.expect("session", state="talking")

    # Every word must be there, in the title or the text; the poles in the order shown.
    assert await found(desk, "atelier cv") == ["atelier-cv", mine]
    # The conversation's pole first.
    assert await found(desk, "atelier cv", conversation) == [mine, "atelier-cv"]
    # Case and accents do not matter.
    assert await found(desk, "FRANCE travail") == ["offres-emploi"]
    assert await found(desk, "metiers onisep") == ["fiches-metiers"]
    assert await found(desk, "zzz-nothing") == []
    everything = await found(desk, "")
    assert {"atelier-cv", "offres-emploi", "fiches-metiers", "mon-compte-formation"} <= set(
        everything
    )

    # A conversation the counsellor does not hold is refused, and nothing is answered.
    await desk.send({"type": "find_cards", "query": "cv", "conversation": "nope"})
    assert (await desk.expect("error"))["code"] == "unknown_conversation"
    manager.http.close()


async def test_a_shared_card_reaches_the_visitor_as_a_copy_and_a_retry_is_not_shown_twice(
    server: RunningServer,
) -> None:
    manager = Browser(server, "dominique")
    card_id = add_card(
        manager, "emploi", title="Fiche hostile", text=HOSTILE, url="https://example.org/a?b=1"
    )
    guest, _ = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    conversation = str((await take(desk, "emploi"))["id"])
    await guest.expect("session", state="talking")

    share = {"type": "share_card", "conversation": conversation, "card": card_id, "client_id": "s1"}
    await desk.send(share)
    seen = await guest.expect("event", kind="card")
    card = seen["card"]
    assert (seen["author"], seen["alias"]) == ("counsellor", "Camille")
    assert (card["title"], card["text"], card["url"]) == (
        "Fiche hostile",
        HOSTILE,  # kept as text: the widget shows it as text
        "https://example.org/a?b=1",
    )
    assert (await desk.expect("event", kind="card"))["seq"] == seen["seq"]

    await desk.send(share)  # the same client_id: a retry
    await desk.send({"type": "send", "conversation": conversation, "client_id": "m", "text": "ok"})
    after = await guest.expect("event", kind="message")
    assert after["seq"] == seen["seq"] + 1

    # The card changes later: the conversation keeps the copy it was given.
    answer = manager.post(
        f"/manage/resources/emploi/{card_id}", {"kind": "job_sheet", "title": "Nouveau titre"}
    )
    assert answer.status_code == 303
    later, _ = await counsellor(server)  # another tab: the history comes from the log
    await later.expect("event", kind="message")
    history = [e for e in later.events(conversation) if e["kind"] == "card"]
    assert [e["card"]["title"] for e in history] == ["Fiche hostile"]
    manager.http.close()


async def test_sharing_what_is_not_offered_is_refused_and_changes_nothing(
    server: RunningServer,
) -> None:
    manager = Browser(server, "dominique")
    gone = add_card(manager, "emploi", title="Bientôt retirée")
    assert manager.post(f"/manage/resources/emploi/{gone}/retire").status_code == 303
    guest, _ = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    conversation = str((await take(desk, "emploi"))["id"])
    await guest.expect("session", state="talking")

    def share(card: str, where: str = conversation, client_id: str = "x") -> dict[str, str]:
        return {"type": "share_card", "conversation": where, "card": card, "client_id": client_id}

    for frame, code in [
        (share("missing"), "unknown_card"),
        (share(gone), "unknown_card"),
        (share("offres-emploi", where="nope"), "unknown_conversation"),
        ({**share("offres-emploi"), "card": "<b>"}, "invalid"),
        ({"type": "share_card", "conversation": conversation, "card": "x"}, "invalid"),
        ({"type": "find_cards", "query": "x" * 101}, "invalid"),
    ]:
        await desk.send(frame)
        assert (await desk.expect("error"))["code"] == code, frame
    await guest.quiet(0.3)
    assert [e["kind"] for e in guest.events(conversation)] == ["opened"]

    # A visitor cannot share a card, nor search.
    await guest.send(share("offres-emploi"))
    assert (await guest.expect("error"))["code"] == "unknown_type"
    await guest.send({"type": "find_cards", "query": "cv"})
    assert (await guest.expect("error"))["code"] == "unknown_type"

    # A card of a pole no longer published is not offered either.
    retired = manager.post("/manage/poles/creation/retire")
    assert retired.status_code == 303
    creation = add_card(manager, "creation", title="Créer sa boîte")
    assert creation not in await found(desk, "")
    await desk.send(share(creation))
    assert (await desk.expect("error"))["code"] == "unknown_card"

    # After the end, nothing more is shared.
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("event", kind="ended")
    await desk.send(share("offres-emploi", client_id="late"))
    assert (await desk.expect("error"))["code"] == "not_allowed"
    manager.http.close()


def events(server: RunningServer) -> list[dict[str, object]]:
    answer = httpx.get(f"{server.url}/api/cite")
    listed: list[dict[str, object]] = answer.json()["events"]
    return listed


async def shows(guest: Client, ids: list[str]) -> dict[str, Any]:
    """The first status (already received or to come) whose events are ``ids``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        status = await guest.expect("status", timeout=max(deadline - loop.time(), 0.01))
        if [e["id"] for e in status["events"]] == ids:
            return status


async def test_upcoming_events_reach_open_widgets_and_leave_when_retired(
    server: RunningServer,
) -> None:
    manager = Browser(server, "dominique")
    assert [e["id"] for e in events(server)] == ["atelier-cv"]  # the demo's workshop
    guest = await Client.open(server.ws("/ws/visitor"))
    await guest.send({"type": "hello", "versions": [1]})
    status = await guest.expect("status")
    assert [e["id"] for e in status["events"]] == ["atelier-cv"]

    salon = add_card(
        manager,
        "formation",
        kind="event",
        title="Salon de l'apprentissage",
        day="2099-03-14",
        start="09:30",
        place="Grande halle",
    )
    shown = await shows(guest, ["atelier-cv", salon])
    assert (shown["events"][1]["place"], shown["events"][1]["start"]) == ("Grande halle", "09:30")
    past = add_card(manager, "emploi", kind="event", title="Passé", day="2001-01-01")
    assert past not in [e["id"] for e in events(server)]

    assert manager.post(f"/manage/resources/formation/{salon}/retire").status_code == 303
    await shows(guest, ["atelier-cv"])
    manager.http.close()
