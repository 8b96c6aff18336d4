"""Whole conversations against a real server, through real websockets."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.clients import Client, counsellor, visitor
from tests.servers import RunningServer


async def test_a_visitor_and_a_counsellor_talk_from_queue_to_end(server: RunningServer) -> None:
    guest, session = await visitor(server, "emploi", question="Comment préparer un entretien ?")
    assert session["pole"] == "emploi" and session["pseudonym"] and len(session["token"]) >= 32
    assert (await guest.expect("position"))["position"] == 1

    desk, state = await counsellor(server)
    assert state["alias"] == "Camille" and state["queues"]["emploi"] == 1
    await desk.send({"type": "take", "pole": "emploi"})
    info = (await desk.expect("conversation"))["info"]
    conversation = info["id"]
    assert info["pseudonym"] == session["pseudonym"]
    opened = await desk.expect("event", seq=1)
    question = await desk.expect("event", seq=2)
    assert opened["kind"] == "opened" and question["text"] == "Comment préparer un entretien ?"
    assert (await desk.expect("queues"))["counts"] == {"emploi": 0}

    talking = await guest.expect("session", state="talking")
    assert talking["conversation"] == conversation and "token" not in talking
    opened = await guest.expect("event", seq=1)
    assert opened["alias"] == "Camille" and opened["pole"] == "emploi"
    await guest.expect("event", seq=2)

    await desk.send(
        {"type": "send", "conversation": conversation, "client_id": "c1", "text": "Bonjour !"}
    )
    for side in (desk, guest):
        reply = await side.expect("event", seq=3)
        assert reply["author"] == "counsellor" and reply["text"] == "Bonjour !"

    await guest.send({"type": "typing", "active": True})
    assert (await desk.expect("typing"))["author"] == "visitor"
    await desk.send({"type": "typing", "conversation": conversation, "active": True})
    assert (await guest.expect("typing"))["author"] == "counsellor"

    await guest.send({"type": "send", "client_id": "v1", "text": "Merci, voici ma question."})
    for side in (guest, desk):
        message = await side.expect("event", seq=4)
        assert message["author"] == "visitor" and message["client_id"] == "v1"

    await desk.send({"type": "end", "conversation": conversation})
    for side in (guest, desk):
        ended = await side.expect("event", seq=5)
        assert ended["kind"] == "ended" and ended["author"] == "counsellor"
    await guest.expect("session", state="ended")

    # Each side saw every event once, in order; the visitor never saw the login.
    for side in (guest, desk):
        assert [e["seq"] for e in side.events(conversation)] == [1, 2, 3, 4, 5]
    assert "camille" not in json.dumps(guest.frames)
    await guest.close()
    await desk.close()


async def test_the_visitor_can_end_and_the_counsellor_is_told(server: RunningServer) -> None:
    guest, _ = await visitor(server, "creation")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "creation"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await guest.expect("session", state="talking")
    await guest.send({"type": "leave"})
    ended = await desk.expect("event", kind="ended")
    assert ended["author"] == "visitor" and ended["conversation"] == conversation
    await guest.expect("session", state="ended")
    # The desk is free again: ending released the counsellor's capacity.
    await desk.send(
        {"type": "send", "conversation": conversation, "client_id": "late", "text": "?"}
    )
    assert (await desk.expect("error"))["code"] == "not_allowed"


async def test_fifo_by_arrival_in_each_pole(server: RunningServer) -> None:
    arrivals = [
        ("emploi", "A"),
        ("orientation", "D"),
        ("emploi", "B"),
        ("orientation", "E"),
        ("emploi", "C"),
    ]
    guests: dict[str, Client] = {}
    for pole, name in arrivals:
        guests[name], _ = await visitor(server, pole, pseudonym=name)
    positions = {name: (await guests[name].expect("position"))["position"] for _, name in arrivals}
    assert positions == {"A": 1, "D": 1, "B": 2, "E": 2, "C": 3}

    desk, state = await counsellor(server)
    assert state["queues"] == {
        "accueil": 0,
        "orientation": 2,
        "emploi": 3,
        "formation": 0,
        "reconversion": 0,
        "creation": 0,
    }
    taken = []
    for pole in ("emploi", "orientation", "emploi"):
        await desk.send({"type": "take", "pole": pole})
        taken.append((await desk.expect("conversation"))["info"]["pseudonym"])
    assert taken == ["A", "D", "B"]
    # C moved up to first place as A and B were taken.
    assert (await guests["C"].expect("position", position=1))["waiting"] == 1
    await guests["E"].expect("position", position=1)

    # Capacity (3 by default) is reached: a fourth take is refused, C keeps the place.
    await desk.send({"type": "take", "pole": "emploi"})
    assert (await desk.expect("error"))["code"] == "capacity_reached"
    assert state["capacity"] == 3


async def test_take_on_an_empty_queue_is_refused(server: RunningServer) -> None:
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "formation"})
    assert (await desk.expect("error"))["code"] == "queue_empty"


async def test_two_consoles_never_get_the_same_visitor(server: RunningServer) -> None:
    for name in "ABCD":
        await visitor(server, "reconversion", pseudonym=name)
    first, _ = await counsellor(server)
    second, _ = await counsellor(server)  # the same counsellor's second tab
    await asyncio.gather(
        first.send({"type": "take", "pole": "reconversion"}),
        second.send({"type": "take", "pole": "reconversion"}),
    )
    a = (await first.expect("conversation"))["info"]
    b = (await second.expect("conversation"))["info"]
    # Each tab shows both conversations (they belong to one counsellor), each once.
    a2 = (await first.expect("conversation"))["info"]
    b2 = (await second.expect("conversation"))["info"]
    assert {a["pseudonym"], a2["pseudonym"]} == {"A", "B"} == {b["pseudonym"], b2["pseudonym"]}
    assert not [f for f in await first.quiet() if f["type"] == "conversation"]


async def test_resume_after_a_drop_loses_nothing_and_shows_nothing_twice(
    server: RunningServer,
) -> None:
    guest, session = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await guest.expect("event", seq=1)

    # The visitor sends, and the line drops before the echo is read: for the visitor,
    # "un" is still pending. Meanwhile the counsellor writes twice.
    await guest.send({"type": "send", "client_id": "m1", "text": "un"})
    await desk.expect("event", seq=2, client_id="m1")
    guest.ws.transport.abort()  # no closing handshake, as when a phone loses its network
    await desk.send(
        {"type": "send", "conversation": conversation, "client_id": "c1", "text": "deux"}
    )
    await desk.send(
        {"type": "send", "conversation": conversation, "client_id": "c2", "text": "trois"}
    )
    await desk.expect("event", seq=4)

    # It comes back with the last seq it saw and retries what was pending, at once.
    back = await Client.open(server.ws("/ws/visitor"))
    await back.send({"type": "hello", "versions": [1], "resume": session["token"], "last_seq": 1})
    await back.send({"type": "send", "client_id": "m1", "text": "un"})
    await back.expect("welcome")
    assert (await back.expect("session"))["state"] == "talking"
    replayed = [await back.expect("event") for _ in range(3)]
    assert [(e["seq"], e["text"]) for e in replayed] == [(2, "un"), (3, "deux"), (4, "trois")]

    await back.send({"type": "send", "client_id": "m2", "text": "quatre"})
    await back.expect("event", seq=5)
    await desk.expect("event", seq=5)
    await back.quiet()
    # Nothing lost, nothing twice: the retried "un" is seq 2, once, on both sides.
    assert [e["seq"] for e in desk.events(conversation)] == [1, 2, 3, 4, 5]
    assert [e["seq"] for e in back.events(conversation)] == [2, 3, 4, 5]


async def test_a_retry_on_the_same_connection_is_acknowledged_once(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await guest.expect("event", seq=1)
    for _ in range(3):
        await guest.send({"type": "send", "client_id": "same", "text": "encore"})
    await guest.expect("event", seq=2)
    await desk.expect("event", seq=2)
    await guest.quiet()
    await desk.quiet()
    assert [e["seq"] for e in guest.events(conversation)] == [1, 2]
    assert [e["seq"] for e in desk.events(conversation)] == [1, 2]


async def test_a_reload_replays_the_whole_conversation(server: RunningServer) -> None:
    guest, session = await visitor(server, "emploi", question="Première question")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    await guest.expect("event", seq=2)
    await guest.close()
    again = await Client.open(server.ws("/ws/visitor"))
    await again.send({"type": "hello", "versions": [1], "resume": session["token"]})
    events = [await again.expect("event") for _ in range(2)]
    assert [e["kind"] for e in events] == ["opened", "message"]
    assert events[1]["text"] == "Première question"


async def test_visitors_resuming_together_each_get_their_own_position(
    server: RunningServer,
) -> None:
    # Each resume replaces a tab still open (no resume grace to race with).
    tokens = []
    for i in range(12):
        _, session = await visitor(server, "orientation", pseudonym=f"V{i}")
        tokens.append(session["token"])

    async def resume(token: str) -> int:
        back = await Client.open(server.ws("/ws/visitor"))
        await back.send({"type": "hello", "versions": [1], "resume": token})
        await back.expect("session", state="waiting")
        position: int = (await back.expect("position"))["position"]
        await back.close()
        return position

    assert await asyncio.gather(*(resume(token) for token in tokens)) == list(range(1, 13))


async def test_a_second_tab_replaces_the_first(server: RunningServer) -> None:
    guest, session = await visitor(server, "emploi")
    other = await Client.open(server.ws("/ws/visitor"))
    await other.send({"type": "hello", "versions": [1], "resume": session["token"]})
    await other.expect("session", state="waiting")
    with pytest.raises(Exception) as closed:
        await guest.expect("never")
    assert getattr(closed.value, "rcvd", None) is not None and closed.value.rcvd.code == 4009


async def test_a_visitor_who_does_not_come_back_leaves_the_queue(server: RunningServer) -> None:
    guest, _ = await visitor(server, "formation")
    desk, state = await counsellor(server)
    assert state["queues"]["formation"] == 1
    await guest.close()
    # The server runs with a 2 s resume grace.
    assert (await desk.expect("queues", timeout=10))["counts"] == {"formation": 0}


async def test_an_ended_conversation_cannot_be_resumed_after_the_grace(
    server: RunningServer,
) -> None:
    guest, session = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("session", state="ended")
    await guest.close()

    # Within the grace, the visitor can still read how it ended.
    soon = await Client.open(server.ws("/ws/visitor"))
    await soon.send({"type": "hello", "versions": [1], "resume": session["token"]})
    await soon.expect("session", state="ended")
    assert (await soon.expect("event", seq=2))["kind"] == "ended"
    await soon.close()

    await asyncio.sleep(3.5)  # 2 s grace, then the once-a-second sweep
    late = await Client.open(server.ws("/ws/visitor"))
    await late.send({"type": "hello", "versions": [1], "resume": session["token"]})
    assert (await late.expect("error"))["code"] == "resume_failed"
    _, state = await counsellor(server)
    assert state["conversations"] == []


async def test_a_counsellor_who_does_not_come_back_ends_their_conversations(
    server: RunningServer,
) -> None:
    guest, _ = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    await desk.expect("conversation")
    await guest.expect("session", state="talking")
    await desk.close()
    # The server runs with a 2 s grace; the visitor is not left talking to nobody.
    ended = await guest.expect("event", kind="ended", timeout=10)
    assert ended["author"] == "system"
    await guest.expect("session", state="ended")


async def test_a_counsellor_who_reloads_the_console_keeps_their_conversations(
    server: RunningServer,
) -> None:
    guest, _ = await visitor(server, "emploi", question="Toujours là ?")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await desk.close()
    again, state = await counsellor(server)
    assert [c["id"] for c in state["conversations"]] == [conversation]
    assert [(await again.expect("event"))["seq"] for _ in range(2)] == [1, 2]
    await asyncio.sleep(3)  # past the grace: the conversation is still going
    await guest.send({"type": "send", "client_id": "v", "text": "oui"})
    assert (await again.expect("event", seq=3))["text"] == "oui"


async def test_a_typing_notice_is_cleared_when_its_side_goes_away(server: RunningServer) -> None:
    guest, session = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await guest.expect("session", state="talking")

    # The visitor is typing, then their page reloads: the console hears "stopped".
    await guest.send({"type": "typing", "active": True})
    assert (await desk.expect("typing", active=True))["author"] == "visitor"
    await guest.close()
    stopped = await desk.expect("typing", active=False)
    assert stopped["author"] == "visitor" and stopped["conversation"] == conversation

    # The same for a console tab closed while its counsellor was typing.
    back = await Client.open(server.ws("/ws/visitor"))
    await back.send({"type": "hello", "versions": [1], "resume": session["token"]})
    await back.expect("session", state="talking")
    await desk.send({"type": "typing", "conversation": conversation, "active": True})
    assert (await back.expect("typing", active=True))["author"] == "counsellor"
    await desk.close()
    stopped = await back.expect("typing", active=False)
    assert stopped["author"] == "counsellor" and stopped["conversation"] == conversation
    await back.close()
