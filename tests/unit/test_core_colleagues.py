"""Several counsellors in one conversation, invitations and direct transfers (R6), with
plain values: every move, and every illegal one as a typed error that changes nothing."""

from __future__ import annotations

import copy

import pytest

from server.core.conversations import Conversation, Invitation, Participant
from server.core.errors import IllegalTransition, NotHeld, UnknownInvitation
from server.core.staff import Desk, StaffAccount, staffing
from server.core.visitors import VisitorSession
from tests.unit.helpers import roundtrip
from tests.unit.test_core_plurality import held, talking


def asked(
    to: str = "paul", *, by: str = "marie", until: float = 60.0, **extra: object
) -> Invitation:
    alias = {"paul": "Paul", "lea": "Léa", "marie": "Marie"}.get(to, to)
    by_alias = {"paul": "Paul", "lea": "Léa", "marie": "Marie"}[by]
    return Invitation(
        to=to,
        alias=alias,
        by=by,
        by_alias=by_alias,
        pole="emploi",
        until=until,
        **extra,  # type: ignore[arg-type]
    )


def refused(conversation: Conversation, error: type[Exception], move: object) -> None:
    """``move(conversation)`` raises ``error`` and leaves it as it was."""
    before = copy.deepcopy(conversation)
    with pytest.raises(error):
        move(conversation)  # type: ignore[operator]
    assert conversation == before


def test_an_invited_colleague_joins_reads_and_writes_and_leaves() -> None:
    c = held()
    c.invite(asked(), now=0.0)
    assert [i.to for i in c.waiting(1.0)] == ["paul"]
    assert c.counsellors == ["marie"] and not c.side_of("paul")
    accepted = c.accept("paul", now=5.0)
    assert accepted.to == "paul" and c.invitations == []
    assert c.guests == [Participant("paul", "Paul", "emploi")]
    assert c.counsellors == ["marie", "paul"]
    assert c.side_of("paul") and c.side_of("marie") and not c.side_of("")
    assert roundtrip(c) == c
    c.leave("paul")
    assert c.counsellors == ["marie"] and c.guests == []


def test_when_the_holder_leaves_the_first_guest_holds_the_conversation() -> None:
    c = held()
    for to in ("paul", "lea"):
        c.invite(asked(to), now=0.0)
        c.accept(to, now=1.0)
    c.leave("marie")
    assert (c.counsellor, c.alias) == ("paul", "Paul")
    assert c.counsellors == ["paul", "lea"]
    # The last one does not leave: they end it.
    c.leave("lea")
    refused(c, IllegalTransition, lambda c: c.leave("paul"))
    c.end(9.0)
    refused(c, IllegalTransition, lambda c: c.leave("paul"))


def test_illegal_invitations_are_refused_and_change_nothing() -> None:
    c = held()
    refused(c, IllegalTransition, lambda c: c.invite(asked("marie"), now=0.0))  # oneself
    refused(c, NotHeld, lambda c: c.invite(asked("lea", by="paul"), now=0.0))  # not in it
    c.invite(asked(), now=0.0)
    refused(c, IllegalTransition, lambda c: c.invite(asked(), now=1.0))  # twice
    refused(c, UnknownInvitation, lambda c: c.accept("lea", now=1.0))  # never asked
    refused(c, UnknownInvitation, lambda c: c.accept("paul", now=60.0))  # ran out
    refused(c, UnknownInvitation, lambda c: c.decline("paul", now=61.0))
    refused(c, NotHeld, lambda c: c.withdraw("lea", "paul"))
    refused(c, NotHeld, lambda c: c.leave("lea"))
    refused(c, IllegalTransition, lambda c: c.invite(asked("paul"), now=1.0))
    # Once ran out, the colleague may be asked again (the new one replaces it).
    c.invite(asked(until=120.0), now=61.0)
    assert [i.until for i in c.invitations] == [120.0]
    c.accept("paul", now=62.0)
    refused(c, IllegalTransition, lambda c: c.invite(asked(), now=63.0))  # in it already
    c.end(70.0)
    refused(c, IllegalTransition, lambda c: c.invite(asked("lea"), now=71.0))
    refused(c, IllegalTransition, lambda c: c.decline("lea", now=71.0))


def test_declined_withdrawn_or_lapsed_an_invitation_is_gone() -> None:
    c = held()
    c.invite(asked(), now=0.0)
    assert c.decline("paul", now=1.0).to == "paul" and c.invitations == []
    c.invite(asked(), now=2.0)
    assert c.withdraw("marie", "paul").to == "paul"
    refused(c, UnknownInvitation, lambda c: c.withdraw("marie", "paul"))
    c.invite(asked(), now=3.0)
    assert c.lapse("paul") is not None and c.lapse("paul") is None
    assert c.counsellors == ["marie"]
    c.invite(asked("lea"), now=4.0)
    c.invite(asked("paul"), now=4.0)
    assert c.decline("paul", now=5.0).to == "paul"
    assert [i.to for i in c.invitations] == ["lea"]


def test_a_direct_transfer_hands_the_conversation_over_with_its_note() -> None:
    c = held()
    c.invite(asked(transfer=True, note="Un CV à revoir"), now=0.0)
    # While it waits: no other invitation, and nobody else is asked.
    refused(c, IllegalTransition, lambda c: c.invite(asked("lea"), now=1.0))
    accepted = c.accept("paul", now=10.0)
    assert accepted.transfer
    assert (c.counsellor, c.alias, c.pole, c.guests) == ("paul", "Paul", "emploi", [])
    assert [(n.alias, n.pole, n.text, n.at) for n in c.notes] == [
        ("Marie", "emploi", "Un CV à revoir", 10.0)
    ]
    assert not c.side_of("marie")
    bare = held()
    bare.invite(asked(transfer=True), now=0.0)
    bare.accept("paul", now=1.0)
    assert bare.notes == [] and bare.counsellor == "paul"


def test_a_direct_transfer_is_the_holders_alone_to_another_pole() -> None:
    c = held()
    same = Invitation("paul", "Paul", "marie", "Marie", pole="accueil", until=9.0, transfer=True)
    refused(c, IllegalTransition, lambda c: c.invite(same, now=0.0))
    c.invite(asked("lea"), now=0.0)
    refused(c, IllegalTransition, lambda c: c.invite(asked(transfer=True), now=1.0))  # pending
    c.accept("lea", now=1.0)
    # With a colleague in: neither kind of transfer until they leave.
    refused(c, IllegalTransition, lambda c: c.invite(asked(transfer=True), now=2.0))
    refused(c, IllegalTransition, lambda c: c.transfer("marie", "emploi", None))
    c.leave("lea")
    guestless = held()
    guestless.guests = [Participant("lea", "Léa", "emploi")]
    guestless.invitations = []
    refused(guestless, NotHeld, lambda c: c.invite(asked("paul", by="lea", transfer=True), now=0.0))


def test_a_transfer_to_the_queue_voids_the_invitations_waiting() -> None:
    c = held()
    c.invite(asked(), now=0.0)
    voided = c.transfer("marie", "formation", None)
    assert [i.to for i in voided] == ["paul"] and c.invitations == []


def test_the_desk_keeps_the_invitations_waiting_and_says_when_it_has_room() -> None:
    desk = Desk(login="paul", capacity=1)
    assert not desk.has_room  # no console open
    desk.open_console(1)
    assert desk.has_room
    desk.invite("c1")
    desk.invite("c1")
    assert desk.snapshot().invited == ["c1"]
    desk.uninvite("c1")
    desk.uninvite("c1")
    assert desk.invited == []
    desk.hold("c1")
    assert not desk.has_room
    desk.set_paused(True)
    desk.release("c1")
    assert not desk.has_room


def test_a_visitor_handed_over_goes_on_talking_in_the_new_pole() -> None:
    s = talking()
    s.hand_over("emploi")
    assert (s.state.value, s.pole) == ("talking", "emploi")
    waiting = VisitorSession(
        id="v", token_hash="h", pole="a", pseudonym="L", ticket=1, arrived_at=0
    )
    with pytest.raises(IllegalTransition):
        waiting.hand_over("emploi")


def test_only_available_counsellors_staff_their_poles() -> None:
    def desk(login: str, consoles: int = 1, paused: bool = False) -> Desk:
        return Desk(login=login, consoles=consoles, paused=paused)

    accounts = [
        (StaffAccount("marie", "Marie", "h", poles=["emploi", "accueil"]), desk("marie")),
        (StaffAccount("paul", "Paul", "h", poles=["emploi"]), desk("paul", paused=True)),
        (StaffAccount("lea", "Léa", "h", poles=["emploi"]), desk("lea", consoles=0)),
        (StaffAccount("jo", "Jo", "h", poles=["emploi"], disabled=True), desk("jo")),
        (StaffAccount("sam", "Sam", "h", poles=["formation"]), None),  # never opened
        (StaffAccount("noa", "Noa", "h", poles=["emploi"]), desk("noa", consoles=2)),
    ]
    assert staffing(accounts) == {"emploi": 2, "accueil": 1}
    assert staffing([]) == {}
