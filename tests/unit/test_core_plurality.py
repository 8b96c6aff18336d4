"""The accueil, presence, capacity and transfer rules of the core (R6), with plain values."""

from __future__ import annotations

import pytest

from protocol.messages import Event, EventKind
from server.core.conversations import Conversation, ConversationLog, Note
from server.core.errors import CapacityReached, ConfigError, IllegalTransition, NotHeld, Paused
from server.core.poles import Cite, Pole
from server.core.queues import PoleQueue
from server.core.schedules import Site, SiteKind
from server.core.staff import Desk, Presence, StaffAccount
from server.core.visitors import VisitorSession, VisitorState
from tests.unit.helpers import roundtrip

THEMES = tuple(Pole(f"p{i}", f"Pôle {i}") for i in range(3))
ACCUEIL = Pole("accueil", "Accueil", "Une question rapide", accueil=True)


def talking(ticket: int = 7, pole: str = "accueil") -> VisitorSession:
    s = VisitorSession(
        id=f"v{ticket}",
        token_hash="h",
        pole=pole,
        pseudonym="Loutre",
        ticket=ticket,
        arrived_at=1.0,
    )
    s.assign("c1")
    return s


def held() -> Conversation:
    return Conversation(
        id="c1",
        pole="accueil",
        visitor="v7",
        counsellor="marie",
        alias="Marie",
        pseudonym="Loutre",
        opened_at=1.0,
    )


def event(kind: EventKind, author: str = "system") -> Event:
    return Event(conversation="c1", seq=0, kind=kind, author=author, at=1)  # type: ignore[arg-type]


# --- the accueil ------------------------------------------------------------------------
def test_the_accueil_is_published_first_and_not_counted_among_the_poles() -> None:
    cite = Cite(name="Cité", poles=(*THEMES, ACCUEIL))
    assert [p.id for p in cite.published] == ["accueil", "p0", "p1", "p2"]
    assert [p.id for p in cite.thematic] == ["p0", "p1", "p2"]
    assert cite.accueil == ACCUEIL
    # Three themes and an accueil is fine; two themes and an accueil is not (R4).
    with pytest.raises(ConfigError, match="3 to 7"):
        Cite(name="Cité", poles=(*THEMES[:2], ACCUEIL))
    assert roundtrip(cite) == cite


def test_a_cite_publishes_one_accueil_at_most_but_may_keep_a_retired_one() -> None:
    other = Pole("accueil-2", "Accueil bis", accueil=True)
    with pytest.raises(ConfigError, match="one accueil"):
        Cite(name="Cité", poles=(*THEMES, ACCUEIL, other))
    cite = Cite(name="Cité", poles=(*THEMES, ACCUEIL)).retire_pole("accueil").add_pole(other)
    assert cite.accueil == other and cite.pole("accueil") is None


def test_marking_a_pole_as_the_accueil_keeps_its_place_in_the_sites() -> None:
    site = Site(id="m", name="Main", kind=SiteKind.MAIN, timezone="Europe/Paris", country="FR",
                poles=("p0", "p1", "p2", "p3"))  # fmt: skip
    cite = Cite(name="Cité", poles=(*THEMES, Pole("p3", "Orienter")), sites=(site,))
    edited = cite.edit_pole("p3", "Accueil", "", accueil=True)
    assert edited.accueil is not None and edited.accueil.id == "p3"
    assert edited.published[0].id == "p3" and edited.sites[0].poles == site.poles
    assert cite.edit_pole("p3", "Orienter", "").pole("p3") == Pole("p3", "Orienter")


# --- a transfer keeps the turn ----------------------------------------------------------
def test_a_transferred_visitor_waits_in_the_new_pole_with_their_first_ticket() -> None:
    s = talking(ticket=7)
    s.transfer("emploi")
    assert (s.state, s.pole, s.ticket, s.conversation) == (
        VisitorState.WAITING,
        "emploi",
        7,
        "c1",
    )
    # In the target queue, ahead of whoever arrived at the Cité after them.
    queue = PoleQueue()
    queue.push(9, "later")
    queue.push(12, "latest")
    assert queue.push(s.ticket, s.id) == 1
    queue.push(3, "earlier")
    assert queue.position(s.ticket, s.id) == 2


def test_taking_a_transferred_visitor_keeps_the_conversation_they_bring() -> None:
    s = talking()
    s.transfer("emploi")
    assert s.assign("c-new") == "c1"
    assert (s.state, s.conversation) == (VisitorState.TALKING, "c1")


@pytest.mark.parametrize("setup", ["waiting", "ended", "same pole"])
def test_only_a_talking_visitor_is_transferred_and_to_another_pole(setup: str) -> None:
    s = talking()
    target = "emploi"
    if setup == "waiting":
        s.transfer("emploi")
        target = "formation"
    elif setup == "ended":
        s.end()
    else:
        target = "accueil"
    before = roundtrip(s)
    with pytest.raises(IllegalTransition):
        s.transfer(target)
    assert s == before


def test_a_conversation_changes_hands_through_a_transfer_and_an_adoption() -> None:
    c = held()
    note = Note(alias="Marie", pole="accueil", text="Cherche une formation", at=5.0)
    c.transfer("marie", "formation", note)
    assert (c.held, c.counsellor, c.alias, c.pole) == (False, "", "", "formation")
    assert c.notes == [note] and not c.side_of("marie") and not c.side_of("")
    c.adopt("paul", "Paul")
    assert (c.held, c.side_of("paul"), c.notes) == (True, True, [note])
    c.transfer("paul", "emploi", None)  # without a note: the earlier one stays
    assert c.notes == [note] and c.pole == "emploi"
    assert roundtrip(c) == c


def test_illegal_moves_of_a_conversation_are_typed_errors_and_change_nothing() -> None:
    c = held()
    for move, error in [
        (lambda: c.transfer("paul", "emploi", None), NotHeld),  # not theirs
        (lambda: c.transfer("marie", "accueil", None), IllegalTransition),  # same pole
        (lambda: c.adopt("paul", "Paul"), IllegalTransition),  # held already
    ]:
        before = roundtrip(c)
        with pytest.raises(error):
            move()
        assert c == before
    c.end(2.0)
    for late in (lambda: c.transfer("marie", "emploi", None), lambda: c.adopt("paul", "Paul")):
        with pytest.raises(IllegalTransition, match="ended"):
            late()
    assert NotHeld("x").code == "unknown_conversation"


def test_the_log_refuses_a_counsellors_message_between_a_transfer_and_the_next_opening() -> None:
    log = ConversationLog()
    log.append(event("opened"))
    log.append(event("message", "counsellor"))
    log.append(event("transferred", "counsellor"))
    with pytest.raises(NotHeld):
        log.append(event("message", "counsellor"))
    log.append(event("message", "visitor"))  # the visitor's side is not held by anyone
    log.append(event("opened"))
    stored, new = log.append(event("message", "counsellor"))
    assert new and stored.seq == 6 and [e.seq for e in log.events] == [1, 2, 3, 4, 5, 6]
    assert roundtrip(log).unheld is False


# --- presence and capacity --------------------------------------------------------------
def test_a_paused_desk_takes_no_one_and_says_so() -> None:
    desk = Desk(login="marie")
    assert desk.presence is Presence.OFFLINE
    desk.open_console(3)
    assert desk.presence is Presence.AVAILABLE
    snapshot = desk.set_paused(True)
    assert desk.presence is Presence.PAUSED and snapshot.paused
    with pytest.raises(Paused) as caught:
        desk.hold("c1")
    assert caught.value.code == "paused" and desk.conversations == []
    desk.close_console()
    assert desk.presence is Presence.OFFLINE and desk.paused  # kept for the next console
    desk.open_console(3)
    desk.set_paused(False)
    desk.hold("c1")
    assert desk.conversations == ["c1"]


def test_a_reserved_place_on_the_desk_swaps_for_a_transferred_conversation() -> None:
    desk = Desk(login="marie", capacity=1, consoles=1)
    desk.hold("reserved")
    desk.swap("reserved", "c1")
    assert desk.conversations == ["c1"]
    with pytest.raises(CapacityReached):  # the place is taken: the desk is full
        desk.check_can_take()
    desk.swap("reserved", "c1")  # a retry changes nothing
    assert desk.conversations == ["c1"]


def test_a_managers_new_capacity_applies_to_the_next_take_only() -> None:
    desk = Desk(login="marie", capacity=3, consoles=1, conversations=["c1", "c2"])
    snapshot = desk.set_capacity(1)
    assert snapshot.capacity == 1 and desk.conversations == ["c1", "c2"]  # both stay
    with pytest.raises(CapacityReached):
        desk.hold("c3")


def test_an_accounts_capacity_overrides_the_default_within_bounds() -> None:
    account = StaffAccount(login="marie", alias="Marie", password_hash="x")
    assert account.capacity_or(3) == 3
    assert StaffAccount(login="m", alias="M", password_hash="x", capacity=5).capacity_or(3) == 5
    for bad in (0, 11):
        with pytest.raises(ConfigError):
            StaffAccount(login="m", alias="M", password_hash="x", capacity=bad)
