"""Inviting a colleague and transferring to one directly (R6), through real websockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.clients import Browser, Client, counsellor, login, visitor
from tests.servers import RunningServer, start_server

from .test_transfer import take


async def colleague(desk: Client, alias: str) -> dict[str, Any]:
    """The ``colleagues`` entry of ``alias``, as the console lists it."""
    await desk.send({"type": "colleagues"})
    listed = (await desk.expect("colleagues"))["colleagues"]
    found: dict[str, Any] = next(c for c in listed if c["alias"] == alias)
    return found


async def test_an_invited_colleague_joins_and_both_talk_with_the_visitor(
    server: RunningServer,
) -> None:
    guest, _ = await visitor(server, "accueil", question="Créer mon entreprise ?")
    camille, _ = await counsellor(server)
    dominique, state = await counsellor(server, login(server, "dominique"))
    assert state.get("invitations", []) == []  # omitted when empty
    conversation = (await take(camille, "accueil"))["id"]
    await guest.expect("session", state="talking")

    other = await colleague(camille, "Dominique")
    assert other["available"] is True and "creation" in other["poles"]
    assert len(other["id"]) == 16 and "dominique" not in str(other)
    await camille.send({"type": "invite", "conversation": conversation, "colleague": other["id"]})
    asked = (await dominique.expect("invitation"))["info"]
    assert (asked["by"], asked["incoming"], asked["transfer"]) == ("Camille", True, False)
    assert asked["conversation"] == conversation and asked["pseudonym"]
    sent = (await camille.expect("invitation"))["info"]
    assert (sent["to"], sent["incoming"], sent["colleague"]) == ("Dominique", False, other["id"])

    await dominique.send({"type": "invite_reply", "conversation": conversation, "accept": True})
    info = (await dominique.expect("conversation"))["info"]
    assert info["id"] == conversation
    joined = await guest.expect("event", kind="joined")
    assert (joined["alias"], joined["pole"]) == ("Dominique", "accueil")
    for desk in (camille, dominique):
        closed = await desk.expect("invitation_closed")
        assert closed["outcome"] == "accepted"
    history = [await dominique.expect("event", seq=seq) for seq in range(1, 4)]
    assert [e["kind"] for e in history] == ["opened", "message", "joined"]

    # Everyone reads everything.
    await dominique.send(
        {"type": "send", "conversation": conversation, "client_id": "d1", "text": "Bonjour"}
    )
    for client in (guest, camille):
        assert (await client.expect("event", seq=4))["text"] == "Bonjour"
    await guest.send({"type": "send", "client_id": "g1", "text": "Merci à vous deux"})
    for client in (camille, dominique):
        await client.expect("event", seq=5)

    # Camille leaves; Dominique goes on; the visitor is told.
    await camille.send({"type": "leave_conversation", "conversation": conversation})
    released = await camille.expect("released")
    assert released == {"type": "released", "conversation": conversation, "pole": ""}
    left = await guest.expect("event", kind="left")
    assert left["alias"] == "Camille"
    await camille.send(
        {"type": "send", "conversation": conversation, "client_id": "c9", "text": "Encore"}
    )
    assert (await camille.expect("error"))["code"] == "unknown_conversation"
    await dominique.expect("event", kind="left")
    # The last one cannot leave: they end it.
    await dominique.send({"type": "leave_conversation", "conversation": conversation})
    assert (await dominique.expect("error"))["code"] == "not_allowed"
    await dominique.send({"type": "end", "conversation": conversation})
    await guest.expect("event", kind="ended")
    await guest.expect("session", state="ended")
    for client in (guest, camille, dominique):
        await client.close()


async def held_by_camille(server: RunningServer, pole: str = "accueil") -> Any:
    """A visitor Camille talks with in ``pole``, and Dominique's console."""
    guest, _ = await visitor(server, pole, question="Bonjour")
    camille, _ = await counsellor(server)
    dominique, _ = await counsellor(server, login(server, "dominique"))
    conversation = (await take(camille, pole))["id"]
    await guest.expect("session", state="talking")
    return guest, camille, dominique, conversation


async def test_a_direct_transfer_accepted_hands_the_visitor_over_with_the_note(
    server: RunningServer,
) -> None:
    guest, camille, dominique, conversation = await held_by_camille(server)
    other = await colleague(camille, "Dominique")
    await camille.send(
        {
            "type": "transfer",
            "conversation": conversation,
            "pole": "formation",
            "colleague": other["id"],
            "note": "Projet d'aide-soignante",
        }
    )
    asked = (await dominique.expect("invitation"))["info"]
    assert (asked["transfer"], asked["pole"], asked["note"]) == (
        True,
        "formation",
        "Projet d'aide-soignante",
    )
    # Until Dominique answers, Camille still talks with the visitor.
    await camille.send(
        {"type": "send", "conversation": conversation, "client_id": "c1", "text": "Un instant"}
    )
    await guest.expect("event", seq=3)
    await dominique.send({"type": "invite_reply", "conversation": conversation, "accept": True})
    info = (await dominique.expect("conversation"))["info"]
    assert info["pole"] == "formation"
    assert [(n["alias"], n["pole"], n["text"]) for n in info["notes"]] == [
        ("Camille", "formation", "Projet d'aide-soignante")
    ]
    moved = await guest.expect("event", kind="transferred")
    assert (moved["alias"], moved["pole"]) == ("Camille", "formation")
    opened = await guest.expect("event", seq=moved["seq"] + 1)
    assert (opened["kind"], opened["alias"]) == ("opened", "Dominique")
    session = await guest.expect("session", pole="formation")
    assert session["state"] == "talking"  # no queue in between
    assert (await camille.expect("released"))["pole"] == "formation"
    await camille.send(
        {"type": "send", "conversation": conversation, "client_id": "c2", "text": "Encore"}
    )
    assert (await camille.expect("error"))["code"] == "unknown_conversation"
    await dominique.send(
        {"type": "send", "conversation": conversation, "client_id": "d1", "text": "Me voici"}
    )
    assert (await guest.expect("event", kind="message", author="counsellor", seq=6))[
        "text"
    ] == "Me voici"
    assert "aide-soignante" not in str(guest.frames)  # the note is for counsellors
    for client in (guest, camille, dominique):
        await client.close()


async def test_a_direct_transfer_declined_sends_the_visitor_to_the_queue_keeping_their_turn(
    server: RunningServer,
) -> None:
    guest, camille, dominique, conversation = await held_by_camille(server)
    later, _ = await visitor(server, "formation")  # arrived after the guest
    other = await colleague(camille, "Dominique")
    transfer = {"type": "transfer", "conversation": conversation, "pole": "formation"}
    await camille.send({**transfer, "colleague": other["id"]})
    await dominique.expect("invitation")
    await dominique.send({"type": "invite_reply", "conversation": conversation, "accept": False})
    closed = await camille.expect("invitation_closed")
    assert (closed["outcome"], closed["queued"]) == ("declined", True)
    await guest.expect("session", state="waiting", pole="formation")
    assert (await guest.expect("position", pole="formation"))["position"] == 1
    assert (await later.expect("position", position=2))["waiting"] == 2
    await camille.expect("released")
    for client in (guest, later, camille, dominique):
        await client.close()


async def test_refused_invitations_change_nothing(server: RunningServer) -> None:
    guest, camille, dominique, conversation = await held_by_camille(server)
    other = await colleague(camille, "Dominique")
    own = await colleague(dominique, "Camille")
    invite = {"type": "invite", "conversation": conversation}
    withdraw = {"type": "withdraw", "conversation": conversation, "colleague": other["id"]}
    reply = {"type": "invite_reply", "conversation": conversation, "accept": True}
    for frame, code in [
        ({**invite, "colleague": own["id"]}, "unknown_colleague"),  # herself
        ({**invite, "colleague": "0" * 16}, "unknown_colleague"),
        ({**invite, "colleague": "dominique"}, "invalid"),
        ({**invite, "colleague": other["id"], "conversation": "not-mine"}, "unknown_conversation"),
        (withdraw, "unknown_invitation"),
        (reply, "unknown_invitation"),  # nobody asked her
        ({"type": "leave_conversation", "conversation": conversation}, "not_allowed"),
    ]:
        await camille.send(frame)
        assert (await camille.expect("error"))["code"] == code, frame
    # Dominique paused: not available for an invitation.
    await dominique.send({"type": "presence", "available": False})
    await dominique.expect("console", available=False)
    assert (await colleague(camille, "Dominique"))["available"] is False
    await camille.send({**invite, "colleague": other["id"]})
    assert (await camille.expect("error"))["code"] == "colleague_unavailable"
    await dominique.send({"type": "presence", "available": True})
    await dominique.expect("console", available=True)
    # Asked twice: refused; withdrawn: its answer is refused.
    await camille.send({**invite, "colleague": other["id"]})
    await dominique.expect("invitation")
    await camille.send({**invite, "colleague": other["id"]})
    assert (await camille.expect("error"))["code"] == "not_allowed"
    await camille.send(withdraw)
    assert (await dominique.expect("invitation_closed"))["outcome"] == "withdrawn"
    await dominique.send(reply)
    assert (await dominique.expect("error"))["code"] == "unknown_invitation"
    await guest.quiet(0.3)
    assert [e["kind"] for e in guest.events(conversation)] == ["opened", "message"]
    for client in (guest, camille, dominique):
        await client.close()


async def test_an_invitation_accepted_from_two_tabs_counts_once_and_against_capacity(
    server: RunningServer,
) -> None:
    guest, camille, dominique, conversation = await held_by_camille(server)
    second, _ = await counsellor(server, login(server, "dominique"))
    other = await colleague(camille, "Dominique")
    await camille.send({"type": "invite", "conversation": conversation, "colleague": other["id"]})
    await dominique.expect("invitation")
    await second.expect("invitation")
    reply = {"type": "invite_reply", "conversation": conversation, "accept": True}
    await dominique.send(reply)
    await second.send(reply)
    await guest.expect("event", kind="joined")
    await guest.quiet(0.5)
    assert [e["kind"] for e in guest.events(conversation)] == ["opened", "message", "joined"]
    for tab in (dominique, second):
        await tab.expect("conversation")
    # It holds one of Dominique's places: a reload says so.
    again, state = await counsellor(server, login(server, "dominique"))
    assert [c["id"] for c in state["conversations"]] == [conversation]
    for client in (guest, camille, dominique, second, again):
        await client.close()


async def test_an_unanswered_invitation_expires_and_a_direct_transfer_goes_to_the_queue(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, env={"PAROLE_INVITATION_TTL": "1.5"})
    try:
        guest, camille, dominique, conversation = await held_by_camille(server)
        other = await colleague(camille, "Dominique")
        await camille.send(
            {"type": "invite", "conversation": conversation, "colleague": other["id"]}
        )
        await dominique.expect("invitation")
        # A console opened meanwhile shows what waits for an answer, from state.
        again, state = await counsellor(server, login(server, "dominique"))
        assert [(i["by"], i["incoming"]) for i in state["invitations"]] == [("Camille", True)]
        for desk in (camille, dominique, again):
            assert (await desk.expect("invitation_closed", timeout=10))["outcome"] == "expired"
        await dominique.send({"type": "invite_reply", "conversation": conversation, "accept": True})
        assert (await dominique.expect("error"))["code"] == "unknown_invitation"

        await camille.send(
            {
                "type": "transfer",
                "conversation": conversation,
                "pole": "emploi",
                "colleague": other["id"],
            }
        )
        await dominique.expect("invitation", timeout=5)
        closed = await camille.expect("invitation_closed", timeout=10)
        assert (closed["outcome"], closed["queued"]) == ("expired", True)
        await guest.expect("session", state="waiting", pole="emploi")
        assert (await guest.expect("position", pole="emploi"))["position"] == 1
        for client in (guest, camille, dominique, again):
            await client.close()
    finally:
        server.stop()


async def test_a_disabled_colleague_cannot_be_invited(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    dominique, _ = await counsellor(server, login(server, "dominique"))
    conversation = (await take(dominique, "emploi"))["id"]
    camille_id = (await colleague(dominique, "Camille"))["id"]
    manager = Browser(server, "dominique")
    assert manager.post("/manage/staff/camille/disable").status_code == 303
    await dominique.send({"type": "colleagues"})
    listed = (await dominique.expect("colleagues"))["colleagues"]
    assert all(c["alias"] != "Camille" for c in listed)
    await dominique.send({"type": "invite", "conversation": conversation, "colleague": camille_id})
    assert (await dominique.expect("error"))["code"] == "unknown_colleague"
    manager.http.close()
    for client in (guest, dominique):
        await client.close()
