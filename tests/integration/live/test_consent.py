"""Lifting anonymity only by consent (R9), through real websockets: a counsellor asks
for one detail for a stated purpose; the visitor shares it or declines, once; items
sent from the e-portfolio are marked so. Bad input changes nothing."""

from __future__ import annotations

from tests.clients import Client, counsellor, visitor
from tests.servers import RunningServer

from .test_transfer import take

HOSTILE = '<img src=x onerror="alert(1)">'


async def talking(server: RunningServer) -> tuple[Client, Client, str]:
    guest, _ = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    conversation = str((await take(desk, "emploi"))["id"])
    await guest.expect("session", state="talking")
    return guest, desk, conversation


def ask(conversation: str, client_id: str, detail: str = "Adresse e-mail") -> dict[str, str]:
    purpose = "Vous envoyer le dossier d'inscription"
    return {
        "type": "ask",
        "conversation": conversation,
        "client_id": client_id,
        "detail": detail,
        "purpose": purpose,
    }


async def test_a_detail_asked_for_a_purpose_is_shared_once_with_consent(
    server: RunningServer,
) -> None:
    guest, desk, conversation = await talking(server)
    await desk.send(ask(conversation, "k1", detail=f"E-mail {HOSTILE}"))
    asked = await guest.expect("event", kind="asked")
    assert (asked["author"], asked["alias"]) == ("counsellor", "Camille")
    assert asked["ask"] == {
        "detail": f"E-mail {HOSTILE}",  # text, shown as text
        "purpose": "Vous envoyer le dossier d'inscription",
    }
    assert (await desk.expect("event", kind="asked"))["seq"] == asked["seq"]

    answer = {
        "type": "answer",
        "asked": asked["seq"],
        "client_id": "a1",
        "text": "lynx@example.org",
    }
    await guest.send(answer)
    shared = await desk.expect("event", kind="message", author="visitor")
    assert (shared["text"], shared["asked"]) == ("lynx@example.org", asked["seq"])
    assert (await guest.expect("event", kind="message"))["seq"] == shared["seq"]

    # A retry is not stored twice; another answer to the same request is refused.
    await guest.send(answer)
    await desk.send(ask(conversation, "k2", detail="Numéro de téléphone"))
    second = await guest.expect("event", kind="asked", seq=shared["seq"] + 1)
    await guest.send({**answer, "client_id": "a2", "text": "autre@example.org"})
    assert (await guest.expect("error"))["code"] == "unknown_request"

    # Declining another request: a ``declined`` event, no text, and nothing is lost.
    await guest.send({"type": "answer", "asked": second["seq"], "client_id": "a4"})
    declined = await desk.expect("event", kind="declined")
    assert (declined["author"], declined["asked"], declined.get("text", "")) == (
        "visitor",
        second["seq"],
        "",
    )
    await guest.send({"type": "send", "client_id": "m1", "text": "Je préfère passer."})
    assert (await desk.expect("event", kind="message", text="Je préfère passer."))["seq"] == (
        declined["seq"] + 1
    )
    later, _ = await counsellor(server)  # another tab: the history comes from the log
    await later.expect("event", kind="message", text="Je préfère passer.")
    kinds = [(e["kind"], e.get("asked")) for e in later.events(conversation)]
    assert kinds[-4:] == [
        ("message", asked["seq"]),
        ("asked", None),
        ("declined", second["seq"]),
        ("message", None),
    ]


async def test_requests_and_answers_out_of_place_are_refused_and_change_nothing(
    server: RunningServer,
) -> None:
    guest, desk, conversation = await talking(server)
    for frame, code in [
        (ask("nope", "k1"), "unknown_conversation"),
        ({**ask(conversation, "k1"), "detail": ""}, "invalid"),
        ({**ask(conversation, "k1"), "purpose": "x" * 301}, "invalid"),
        ({**ask(conversation, "k1"), "detail": "\u0000\u200b"}, "invalid"),
        ({k: v for k, v in ask(conversation, "k1").items() if k != "purpose"}, "invalid"),
    ]:
        await desk.send(frame)
        assert (await desk.expect("error"))["code"] == code, frame
    # The visitor can neither ask nor answer what was never asked (the opened event is 1).
    await guest.send(ask(conversation, "k1"))
    assert (await guest.expect("error"))["code"] == "unknown_type"
    for asked in (1, 99):
        await guest.send({"type": "answer", "asked": asked, "client_id": "a1", "text": "x"})
        assert (await guest.expect("error"))["code"] == "unknown_request"
    await guest.quiet(0.3)
    assert [e["kind"] for e in guest.events(conversation)] == ["opened"]

    # A waiting visitor has nothing to answer.
    waiting, _ = await visitor(server, "formation")
    await waiting.send({"type": "answer", "asked": 1, "client_id": "a1", "text": "x"})
    assert (await waiting.expect("error"))["code"] == "not_allowed"


async def test_a_request_is_void_once_the_visitor_is_transferred(server: RunningServer) -> None:
    guest, desk, conversation = await talking(server)
    await desk.send(ask(conversation, "k1"))
    asked = await guest.expect("event", kind="asked")
    await desk.send({"type": "transfer", "conversation": conversation, "pole": "formation"})
    await guest.expect("event", kind="transferred")
    answer = {"type": "answer", "asked": asked["seq"], "client_id": "a1", "text": "x"}
    await guest.send(answer)
    assert (await guest.expect("error"))["code"] == "not_allowed"  # waiting again
    # Taken at the new pole, the old request stays void: it was not asked there.
    await take(desk, "formation")
    await guest.expect("session", state="talking")
    await guest.send(answer)
    assert (await guest.expect("error"))["code"] == "unknown_request"
    # Ended, nobody can ask any more.
    other_guest, other_desk, other = await talking(server)
    await other_desk.send({"type": "end", "conversation": other})
    await other_guest.expect("event", kind="ended")
    await other_desk.send(ask(other, "k9"))
    assert (await other_desk.expect("error"))["code"] in ("not_allowed", "unknown_conversation")


async def test_an_item_sent_from_the_portfolio_is_marked_so(server: RunningServer) -> None:
    guest, desk, conversation = await talking(server)
    await guest.send(
        {"type": "send", "client_id": "p1", "text": "Atelier CV, mardi 14:00", "portfolio": True}
    )
    event = await desk.expect("event", kind="message", author="visitor")
    assert (event["text"], event["portfolio"]) == ("Atelier CV, mardi 14:00", True)
    await guest.send({"type": "send", "client_id": "p2", "text": "Et ceci ?"})
    plain = await desk.expect("event", kind="message", text="Et ceci ?")
    assert "portfolio" not in plain
    await guest.send({"type": "send", "client_id": "p3", "text": "x", "portfolio": 1})
    assert (await guest.expect("error"))["code"] == "invalid"
    assert conversation
