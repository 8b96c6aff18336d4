"""The accueil, presence and transfers (R6) against a real server, through real websockets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.clients import Client, counsellor, login, visitor
from tests.servers import RunningServer, start_server


async def take(desk: Client, pole: str) -> dict[str, object]:
    await desk.send({"type": "take", "pole": pole})
    info: dict[str, object] = (await desk.expect("conversation"))["info"]
    return info


async def test_a_visitor_oriented_from_the_accueil_keeps_their_turn_and_their_history(
    server: RunningServer,
) -> None:
    guest, session = await visitor(server, "accueil", question="Je cherche une formation")
    assert session["pole"] == "accueil"
    later, _ = await visitor(server, "formation")  # arrived at the Cité after the guest
    assert (await later.expect("position"))["position"] == 1

    camille, state = await counsellor(server)
    assert state["available"] is True and state["poles"][0] == {
        "id": "accueil",
        "name": "Accueil",
        "description": "Je ne sais pas quel pôle choisir, ou c'est une question rapide.",
        "accueil": True,
    }
    assert {p["id"] for p in state["targets"]} >= {"accueil", "formation", "emploi"}
    assert set(state["since"]) == {"accueil", "formation"}  # someone waits in both
    info = await take(camille, "accueil")
    conversation = info["id"]
    await guest.expect("session", state="talking")
    await camille.send(
        {"type": "send", "conversation": conversation, "client_id": "c1", "text": "Bonjour"}
    )
    await guest.expect("event", seq=3)

    await camille.send(
        {
            "type": "transfer",
            "conversation": conversation,
            "pole": "formation",
            "note": "Aide-soignante, <b>déjà</b> un CV",
        }
    )
    moved = await guest.expect("event", kind="transferred")
    assert (moved["alias"], moved["pole"], moved["author"]) == (
        "Camille",
        "formation",
        "counsellor",
    )
    now = await guest.expect("session", state="waiting")
    assert now["pole"] == "formation" and now["conversation"] == conversation
    assert (await guest.expect("position", pole="formation"))["position"] == 1
    assert (await later.expect("position", position=2))["waiting"] == 2
    released = await camille.expect("released")
    assert released == {"type": "released", "conversation": conversation, "pole": "formation"}

    # Camille no longer holds it: every frame of hers for it is refused.
    for frame in (
        {"type": "send", "conversation": conversation, "client_id": "c2", "text": "Encore ?"},
        {"type": "typing", "conversation": conversation, "active": True},
        {"type": "transfer", "conversation": conversation, "pole": "emploi"},
        {"type": "end", "conversation": conversation},
    ):
        await camille.send(frame)
        assert (await camille.expect("error"))["code"] == "unknown_conversation"

    # A colleague of the target pole takes the guest first, not the one who came later.
    dominique, state = await counsellor(server, login(server, "dominique"))
    assert state["queues"]["formation"] == 2
    adopted = await take(dominique, "formation")
    assert adopted["id"] == conversation and adopted["pole"] == "formation"
    assert adopted["notes"] == [
        {
            "alias": "Camille",
            "pole": "accueil",
            "text": "Aide-soignante, <b>déjà</b> un CV",
            "at": adopted["notes"][0]["at"],  # type: ignore[index]
        }
    ]
    history = [await dominique.expect("event", seq=seq) for seq in range(1, 6)]
    assert [e["kind"] for e in history] == ["opened", "message", "message", "transferred", "opened"]
    assert history[1]["text"] == "Je cherche une formation" and history[4]["alias"] == "Dominique"
    back = await guest.expect("session", state="talking")
    assert back["conversation"] == conversation and back["pole"] == "formation"
    assert (await guest.expect("event", seq=5))["alias"] == "Dominique"

    await dominique.send(
        {"type": "send", "conversation": conversation, "client_id": "d1", "text": "Parlons-en"}
    )
    await guest.expect("event", seq=6)
    await guest.send({"type": "send", "client_id": "g1", "text": "Merci"})
    await dominique.expect("event", seq=7)
    # Nothing of the new conversation reaches Camille, and the note never the visitor.
    await camille.quiet(0.5)
    assert [e["seq"] for e in camille.events(conversation)] == [1, 2, 3, 4]  # up to her transfer
    assert "Aide-soignante" not in json.dumps(guest.frames)
    for client in (guest, later, camille, dominique):
        await client.close()


async def test_a_refused_transfer_changes_nothing(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    conversation = (await take(desk, "emploi"))["id"]
    await guest.expect("session", state="talking")
    for frame, code in [
        ({"pole": "nowhere"}, "unknown_pole"),
        ({"pole": "emploi"}, "not_allowed"),  # where it is already
        ({"pole": "formation", "conversation": "not-mine"}, "unknown_conversation"),
        ({"pole": "formation", "note": "x" * 501}, "invalid"),
        ({"pole": "Trouver une formation"}, "invalid"),
    ]:
        await desk.send({"type": "transfer", "conversation": conversation, **frame})
        assert (await desk.expect("error"))["code"] == code
    await guest.quiet(0.3)
    assert [e["kind"] for e in guest.events(conversation)] == ["opened"]
    assert [f["state"] for f in guest.frames if f["type"] == "session"] == ["waiting", "talking"]
    await guest.send({"type": "send", "client_id": "g1", "text": "Toujours là ?"})
    assert (await desk.expect("event", seq=2))["text"] == "Toujours là ?"
    await guest.close()
    await desk.close()


async def test_a_visitor_who_leaves_after_a_transfer_ends_the_conversation_and_the_wait(
    server: RunningServer,
) -> None:
    guest, _ = await visitor(server, "accueil")
    desk, _ = await counsellor(server)
    conversation = (await take(desk, "accueil"))["id"]
    await guest.expect("session", state="talking")
    await desk.send({"type": "transfer", "conversation": conversation, "pole": "emploi"})
    await guest.expect("position", pole="emploi")
    await desk.expect("queues", counts={"emploi": 1})

    await guest.send({"type": "leave"})
    ended = await guest.expect("event", kind="ended")
    assert ended["author"] == "visitor"
    await guest.expect("session", state="ended")
    assert "since" not in await desk.expect("queues", counts={"emploi": 0})
    await guest.close()
    await desk.close()


async def test_presence_is_the_accounts_across_consoles_and_a_paused_one_takes_no_one(
    server: RunningServer,
) -> None:
    guest, _ = await visitor(server, "emploi")
    cookie = login(server)
    first, _ = await counsellor(server, cookie)
    second, _ = await counsellor(server, cookie)

    await first.send({"type": "presence", "available": False})
    for tab in (first, second):
        assert (await tab.expect("console", available=False))["available"] is False
    await second.send({"type": "take", "pole": "emploi"})
    assert (await second.expect("error"))["code"] == "paused"
    assert (await guest.expect("position"))["position"] == 1  # still waiting, first in line

    third, state = await counsellor(server, cookie)  # a reload keeps the choice
    assert state["available"] is False
    await third.send({"type": "presence", "available": True})
    await first.expect("console", available=True)
    await take(first, "emploi")
    await guest.expect("session", state="talking")
    for client in (guest, first, second, third):
        await client.close()


async def test_a_desk_left_past_the_resume_grace_is_paused_by_itself(
    server: RunningServer,
) -> None:
    desk, state = await counsellor(server)
    assert state["available"] is True
    await desk.close()
    # The server was started with a resume grace of 2 s; leases are swept every second.
    back, state = await counsellor(server)
    assert state["available"] is True  # back within the grace: nothing changed
    await back.close()
    await asyncio.sleep(4)
    again, state = await counsellor(server)
    assert state["available"] is False
    await again.close()


async def test_a_waiting_visitor_is_told_who_staffs_the_pole_and_a_paused_one_does_not(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, env={"PAROLE_STAFFING_INTERVAL": "0.5"})
    try:
        await _told_who_staffs(server)
    finally:
        server.stop()


async def _told_who_staffs(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    assert (await guest.expect("position"))["staffed"] == 0  # nobody has a console open
    desk, _ = await counsellor(server)
    assert (await guest.expect("position", staffed=1))["position"] == 1
    # Each change is awaited as a new frame (quiet() drops what came before).
    await guest.quiet(0.2)
    await desk.send({"type": "presence", "available": False})
    paused = await guest.expect("position", staffed=0)
    assert "estimate" not in paused  # with nobody there, no estimate
    await guest.quiet(0.2)
    await desk.send({"type": "presence", "available": True})
    await guest.expect("position", staffed=1)
    await guest.quiet(0.2)
    await desk.close()  # the last console gone: offline
    await guest.expect("position", staffed=0)
    await guest.close()
