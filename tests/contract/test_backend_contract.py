"""The contract every backend keeps, checked through the public interface only.

The same tests run over every backend listed in ``conftest.BACKENDS``. They never
touch a backend's internals and never inject a clock: lifetimes are real and short
(``SHORT`` seconds) and the tests sleep past them.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import msgspec
import pytest

from protocol.messages import Author, Event, EventKind
from server.backends import Backend, Subscriber, open_backend
from server.core.attestation import Keyring, SigningKey
from server.core.conversations import Conversation, ConversationState
from server.core.errors import CapacityReached, ConfigError, IllegalTransition, NotFound
from server.core.estimates import KEPT
from server.core.feedback import Comment
from server.core.poles import Cite, Pole
from server.core.replies import Reply
from server.core.resources import Card, CardKind, Library
from server.core.schedules import Closure, Schedule, Site, SiteKind, Slot, SpecialDay, Week
from server.core.staff import Desk, Role, StaffAccount
from server.core.visitors import VisitorSession, VisitorState
from tests.contract.conftest import Leftovers

#: A lifetime that outlives every test.
LONG = 60.0
#: A lifetime the tests wait out.
SHORT = 0.2
#: Sleeping this long is enough for a ``SHORT`` lifetime to have passed.
PAST_SHORT = 0.35
#: For a value checked while it must still live: a second of margin for a busy machine.
ALIVE = 1.0
PAST_ALIVE = 1.15
#: How long to wait before concluding that nothing more will be delivered.
QUIET = 0.15


# --- building values ----------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def a_cite(name: str = "Cité des métiers de Paris") -> Cite:
    return Cite(
        name=name,
        poles=(
            Pole(id="emploi", name="Trouver un emploi"),
            Pole(id="orientation", name="Choisir son orientation"),
            Pole(id="formation", name="Trouver une formation", description="Financer, choisir"),
        ),
        sites=(
            Site(
                id="paris",
                name="Paris",
                kind=SiteKind.MAIN,
                timezone="Europe/Paris",
                country="FR",
                poles=("emploi", "orientation", "formation"),
                schedule=Schedule(
                    week=Week(monday=(Slot("09:00", "12:30"), Slot("13:30", "18:00"))),
                    special_days=(SpecialDay(date(2026, 12, 24), (Slot("09:00", "12:00"),)),),
                    closures=(Closure(date(2026, 8, 1), date(2026, 8, 15)),),
                    last_entry_minutes=15,
                ),
            ),
        ),
    )


def an_account(login: str = "marie") -> StaffAccount:
    return StaffAccount(
        login=login,
        alias="Marie",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        role=Role.COUNSELLOR,
        poles=["emploi", "formation"],
    )


def a_session(
    pole: str = "emploi",
    ticket: int = 1,
    *,
    pseudonym: str | None = None,
    question: str | None = None,
) -> VisitorSession:
    return VisitorSession(
        id=unique("v"),
        token_hash=unique("tokenhash"),
        pole=pole,
        pseudonym=pseudonym or unique("Loutre"),
        ticket=ticket,
        arrived_at=1000.0,
        question=question,
    )


async def waiting(
    backend: Backend,
    pole: str = "emploi",
    *,
    ttl: float = LONG,
    pseudonym: str | None = None,
    question: str | None = None,
) -> VisitorSession:
    """A new visitor, with the next ticket, added to ``pole``'s queue."""
    ticket = await backend.next_ticket()
    session = a_session(pole, ticket, pseudonym=pseudonym, question=question)
    await backend.add_visitor(session, ttl)
    return session


def a_conversation(visitor: str = "v1", pseudonym: str = "Loutre 42") -> Conversation:
    return Conversation(
        id=unique("c"),
        pole="emploi",
        visitor=visitor,
        counsellor="marie",
        alias="Marie",
        pseudonym=pseudonym,
        opened_at=1000.0,
    )


async def opened(backend: Backend, *, ttl: float = LONG) -> Conversation:
    conversation = a_conversation()
    await backend.add_conversation(conversation, ttl)
    return conversation


def a_draft(
    conversation_id: str,
    text: str = "Bonjour",
    *,
    author: Author = "visitor",
    client_id: str | None = None,
    kind: EventKind = "message",
) -> Event:
    return Event(
        conversation=conversation_id,
        seq=0,
        kind=kind,
        author=author,
        at=1_000_000,
        text=text,
        client_id=client_id,
    )


#: Where appended events are published (a conversation's channel, in the server).
LOG = "conversation:test"


def seqs(events: list[Event]) -> list[int]:
    return [event.seq for event in events]


async def received(subscriber: Subscriber) -> tuple[str, bytes] | None:
    """The next item of ``subscriber``, failing the test if nothing comes."""
    return await asyncio.wait_for(subscriber.get(), timeout=2.0)


async def assert_nothing_more(*subscribers: Subscriber) -> None:
    """Wait ``QUIET`` seconds: none of ``subscribers`` receives anything more."""
    results = await asyncio.gather(
        *(asyncio.wait_for(subscriber.get(), timeout=QUIET) for subscriber in subscribers),
        return_exceptions=True,
    )
    assert all(isinstance(result, TimeoutError) for result in results), results


# --- durable configuration ------------------------------------------------------------------


async def test_there_is_no_cite_until_one_is_put(backend: Backend) -> None:
    assert await backend.get_cite() is None


async def test_the_cite_round_trips_and_a_new_one_replaces_it(backend: Backend) -> None:
    await backend.put_cite(a_cite())
    assert await backend.get_cite() == a_cite()

    renamed = a_cite("Cité des métiers du Val-de-Marne")
    await backend.put_cite(renamed)
    assert await backend.get_cite() == renamed


async def test_the_first_keyring_proposed_wins_and_a_rotation_replaces_it(
    backend: Backend,
) -> None:
    first = Keyring((SigningKey.from_private(bytes(32), created=1.0),))
    second = Keyring((SigningKey.from_private(bytes(range(32)), created=2.0),))
    assert await backend.get_keyring() is None
    # Two processes starting at once: both get the one that was stored first.
    won = await asyncio.gather(backend.init_keyring(first), backend.init_keyring(second))
    assert won[0] == won[1] and await backend.get_keyring() == won[0]
    assert await backend.init_keyring(second if won[0] == first else first) == won[0]
    rotated = won[0].rotated(SigningKey.from_private(bytes([7]) * 32, created=3.0), now=3.0)
    await backend.put_keyring(rotated)
    assert await backend.get_keyring() == rotated


def a_card(card_id: str, pole: str = "emploi") -> Card:
    return Card(card_id, pole, CardKind.EVENT, f"Atelier {card_id}", day="2026-12-09")


async def test_the_library_starts_empty_and_keeps_each_change(backend: Backend) -> None:
    assert await backend.get_library() == Library()
    assert await backend.update_library(lambda library: library.put(a_card("a"))) is None
    await backend.update_library(lambda library: library.put(a_card("b", "formation")))
    found = await backend.update_library(lambda library: library.card("a"))
    assert found == a_card("a")
    assert (await backend.get_library()).cards == [a_card("a"), a_card("b", "formation")]


async def test_a_refused_library_change_stores_nothing(backend: Backend) -> None:
    await backend.update_library(lambda library: library.put(a_card("a")))

    def half_done(library: Library) -> None:
        library.retire("a")
        library.move("missing", 1)  # raises ConfigError after the retire

    with pytest.raises(ConfigError):
        await backend.update_library(half_done)
    assert (await backend.get_library()).cards == [a_card("a")]


async def test_library_changes_made_at_once_all_land(backend: Backend) -> None:
    cards = [a_card(f"c{i}") for i in range(12)]
    await asyncio.gather(
        *(backend.update_library(lambda library, c=c: library.put(c)) for c in cards)
    )
    stored = (await backend.get_library()).cards
    assert sorted(c.id for c in stored) == sorted(c.id for c in cards)


async def test_the_library_and_its_shared_replies_outlive_a_restart(
    backend_url: str, tmp_path: Path
) -> None:
    """Memory keeps it in its state file, Redis in a durable key."""
    state = str(tmp_path / "state.json")
    first = open_backend(backend_url, state_file=state)
    await first.start()
    shared = Reply("r1", "bonjour", "Bonjour {pseudonym}", pole="emploi")
    try:
        await first.update_library(lambda library: library.put(a_card("a")))
        await first.update_library(lambda library: library.put_reply(shared))
        await first.put_cite(a_cite())
    finally:
        await first.close()
    second = open_backend(backend_url, state_file=state)
    await second.start()
    try:
        assert (await second.get_library()).cards == [a_card("a")]
        assert (await second.get_library()).replies == [shared]
        assert await second.get_cite() == a_cite()
    finally:
        await second.close()


async def test_the_first_expiring_secret_proposed_wins(backend: Backend) -> None:
    first, second = await asyncio.gather(
        backend.init_expiring("k", b"first", 60), backend.init_expiring("k", b"second", 60)
    )
    assert first == second and await backend.get_expiring("k") == first
    assert await backend.init_expiring("k", b"third", 60) == first
    assert await backend.init_expiring("short", b"x", SHORT) == b"x"
    await asyncio.sleep(SHORT + 0.05)
    assert await backend.init_expiring("short", b"y", 60) == b"y"  # the first one expired


async def test_figures_count_exactly_under_contention(backend: Backend) -> None:
    assert await backend.figures("satisfaction") == {}
    await asyncio.gather(
        *(backend.count_figure("satisfaction", "paris|emploi|2026-12|5") for _ in range(50))
    )
    await backend.count_figure("satisfaction", "paris|emploi|2026-12|2", by=3)
    await backend.count_figure("abuse", "emploi|2026-12|reported")
    assert await backend.figures("satisfaction") == {
        "paris|emploi|2026-12|5": 50,
        "paris|emploi|2026-12|2": 3,
    }
    assert await backend.figures("abuse") == {"emploi|2026-12|reported": 1}


async def test_an_event_counts_in_several_cells_at_once_exactly(backend: Backend) -> None:
    cells = {"paris|emploi|2026-12-07T14|served": 1, "paris|emploi|2026-12-07T14|wait:1-5": 1}
    await asyncio.gather(*(backend.count_figures("activity:2026-12", cells) for _ in range(40)))
    await backend.count_figures("activity:2026-12", {"paris|emploi|2026-12-07T15|joined": 3})
    await backend.count_figures("activity:2026-12", {})
    assert await backend.figures("activity:2026-12") == {
        "paris|emploi|2026-12-07T14|served": 40,
        "paris|emploi|2026-12-07T14|wait:1-5": 40,
        "paris|emploi|2026-12-07T15|joined": 3,
    }
    assert await backend.figures("activity:2026-11") == {}
    await backend.count_figure("abuse", "emploi|2026-12|reported")
    assert sorted(await backend.figure_names()) == ["abuse", "activity:2026-12"]
    await backend.drop_figure("activity:2026-12")
    await backend.drop_figure("activity:1999-01")  # none: nothing happens
    assert await backend.figure_names() == ["abuse"]
    assert await backend.figures("activity:2026-12") == {}


async def test_comments_are_kept_until_due(backend: Backend) -> None:
    old = Comment("c1", "emploi", "2026-12", "Merci", until=100.0)
    new = Comment("c2", "emploi", "2026-12", "Merci", until=300.0)
    await backend.add_comment(old)
    await backend.add_comment(new)
    assert await backend.comments(now=50.0) == [old, new]
    assert await backend.comments(now=200.0) == [new]
    assert await backend.comments(now=50.0) == [new]  # dropped for good
    await backend.sweep()  # the wall clock is long past 300: the sweep drops it unread
    assert await backend.comments(now=0.0) == []


async def test_figures_and_comments_outlive_a_restart(backend_url: str, tmp_path: Path) -> None:
    state = str(tmp_path / "state.json")
    comment = Comment("c1", "emploi", "2026-12", "Très utile", until=4e9)
    first = open_backend(backend_url, state_file=state)
    await first.start()
    try:
        await first.count_figure("satisfaction", "paris|emploi|2026-12|5", by=2)
        await first.count_figures("activity:2026-12", {"paris|emploi|2026-12-07T14|joined": 3})
        await first.add_comment(comment)
    finally:
        await first.close()
    second = open_backend(backend_url, state_file=state)
    await second.start()
    try:
        assert await second.figures("satisfaction") == {"paris|emploi|2026-12|5": 2}
        assert await second.figures("activity:2026-12") == {"paris|emploi|2026-12-07T14|joined": 3}
        assert await second.comments(now=0.0) == [comment]
    finally:
        await second.close()


async def test_a_staff_account_round_trips_by_login(backend: Backend) -> None:
    await backend.put_staff(an_account("marie"))
    await backend.put_staff(an_account("paul"))

    assert await backend.get_staff("marie") == an_account("marie")
    assert await backend.get_staff("paul") == an_account("paul")
    assert await backend.get_staff("nobody") is None


async def test_staff_logins_lists_every_account_sorted(backend: Backend) -> None:
    assert await backend.staff_logins() == []
    for login in ("paul", "marie", "ana"):
        await backend.put_staff(an_account(login))
    await backend.put_staff(an_account("marie"))

    assert await backend.staff_logins() == ["ana", "marie", "paul"]


async def test_putting_a_staff_account_again_replaces_it(backend: Backend) -> None:
    await backend.put_staff(an_account())
    disabled = msgspec.structs.replace(an_account(), disabled=True, poles=["orientation"])
    await backend.put_staff(disabled)

    assert await backend.get_staff("marie") == disabled


async def test_the_cite_and_staff_accounts_outlive_the_visitors_ttls(backend: Backend) -> None:
    await backend.put_cite(a_cite())
    await backend.put_staff(an_account())
    visitor = await waiting(backend, ttl=SHORT)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_visitor(visitor.id) is None  # expiry did happen meanwhile
    assert await backend.get_cite() == a_cite()
    assert await backend.get_staff("marie") == an_account()


async def test_expiring_secret_keys_are_a_namespace_of_their_own(backend: Backend) -> None:
    await backend.put_cite(a_cite())
    await backend.put_staff(an_account())
    visitor = await waiting(backend)
    for key in ["cite", "staff:marie", f"visitor:{visitor.id}", f"token:{visitor.token_hash}"]:
        await backend.put_expiring(key, b"secret", SHORT)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_cite() == a_cite()
    assert await backend.get_staff("marie") == an_account()
    assert await backend.get_visitor(visitor.id) == visitor
    assert await backend.visitor_by_token(visitor.token_hash) == visitor


# --- values cross the boundary as copies ------------------------------------------------------


async def test_mutating_a_returned_or_put_staff_account_changes_nothing_stored(
    backend: Backend,
) -> None:
    account = an_account()
    await backend.put_staff(account)
    account.poles.append("orientation")
    account.alias = "Changed after put"

    returned = await backend.get_staff("marie")
    assert returned is not None
    returned.poles.clear()
    returned.disabled = True

    assert await backend.get_staff("marie") == an_account()


async def test_mutating_a_returned_or_added_session_changes_nothing_stored(
    backend: Backend,
) -> None:
    session = a_session(ticket=await backend.next_ticket())
    original = msgspec.structs.replace(session)
    await backend.add_visitor(session, LONG)
    session.pseudonym = "changed after add"

    reads: list[Callable[[], Awaitable[VisitorSession | None]]] = [
        lambda: backend.get_visitor(session.id),
        lambda: backend.visitor_by_token(session.token_hash),
        lambda: backend.update_visitor(session.id, lambda s: s),
    ]
    for read in reads:
        returned = await read()
        assert returned is not None
        returned.pseudonym = "changed after read"
        returned.state = VisitorState.ENDED
        assert await backend.get_visitor(session.id) == original

    assert await backend.position(original) == 1


async def test_mutating_a_returned_or_added_conversation_changes_nothing_stored(
    backend: Backend,
) -> None:
    conversation = a_conversation()
    original = msgspec.structs.replace(conversation)
    await backend.add_conversation(conversation, LONG)
    conversation.pseudonym = "changed after add"

    reads: list[Callable[[], Awaitable[Conversation | None]]] = [
        lambda: backend.get_conversation(original.id),
        lambda: backend.update_conversation(original.id, lambda c: c),
    ]
    for read in reads:
        returned = await read()
        assert returned is not None
        returned.pseudonym = "changed after read"
        returned.state = ConversationState.ENDED
        assert await backend.get_conversation(original.id) == original


async def test_mutating_a_returned_desk_changes_nothing_stored(backend: Backend) -> None:
    desk = await backend.update_desk("marie", lambda d: d)
    desk.conversations.append("c-sneaked-in")
    desk.consoles = 7

    assert await backend.update_desk("marie", lambda d: d) == Desk(login="marie")


# --- expiring secrets ---------------------------------------------------------------------------


async def test_an_expiring_secret_is_returned_until_its_ttl_passes(backend: Backend) -> None:
    # "Still there" checks get a lifetime that a stalled machine cannot outlast; only
    # "gone" checks, which a delay cannot break, use SHORT.
    await backend.put_expiring("csrf:abc", b"\x00secret\xff", ALIVE)
    assert await backend.get_expiring("csrf:abc") == b"\x00secret\xff"

    await asyncio.sleep(PAST_ALIVE)

    assert await backend.get_expiring("csrf:abc") is None


async def test_an_unknown_secret_is_none(backend: Backend) -> None:
    assert await backend.get_expiring("never-put") is None
    assert await backend.get_expiring("never-put", refresh_ttl=LONG) is None


async def test_reading_a_secret_with_refresh_ttl_restarts_its_life(backend: Backend) -> None:
    # Each read that must find the value has over a second of margin for a busy machine.
    await backend.put_expiring("session:abc", b"marie", ALIVE + 0.2)
    assert await backend.get_expiring("session:abc", refresh_ttl=3.0) == b"marie"

    await asyncio.sleep(PAST_ALIVE + 0.2)  # past the first lifetime, within the refreshed one
    assert await backend.get_expiring("session:abc") == b"marie"

    await asyncio.sleep(2.0)  # past the refreshed lifetime
    assert await backend.get_expiring("session:abc") is None


async def test_reading_a_secret_without_refresh_ttl_does_not_extend_it(backend: Backend) -> None:
    await backend.put_expiring("session:abc", b"marie", ALIVE + 0.5)
    await asyncio.sleep(0.5)
    assert await backend.get_expiring("session:abc") == b"marie"  # a second of margin

    await asyncio.sleep(PAST_ALIVE)  # past its lifetime; a read that extended it would not be

    assert await backend.get_expiring("session:abc") is None


async def test_putting_a_secret_again_replaces_its_value_and_lifetime(backend: Backend) -> None:
    await backend.put_expiring("session:abc", b"first", SHORT)
    await backend.put_expiring("session:abc", b"second", LONG)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_expiring("session:abc") == b"second"


async def test_a_deleted_secret_is_gone_and_deleting_twice_is_harmless(backend: Backend) -> None:
    await backend.put_expiring("session:abc", b"marie", LONG)
    await backend.put_expiring("session:def", b"paul", LONG)

    await backend.delete_expiring("session:abc")
    await backend.delete_expiring("session:abc")
    await backend.delete_expiring("never-put")

    assert await backend.get_expiring("session:abc") is None
    assert await backend.get_expiring("session:def") == b"paul"


# --- counters -------------------------------------------------------------------------------


async def test_a_counter_counts_from_one_per_key(backend: Backend) -> None:
    assert [await backend.count("fail:a", LONG) for _ in range(3)] == [1, 2, 3]
    assert await backend.count("fail:b", LONG) == 1


async def test_concurrent_counts_each_get_a_distinct_value(backend: Backend) -> None:
    values = await asyncio.gather(*(backend.count("fail:a", LONG) for _ in range(40)))
    assert sorted(values) == list(range(1, 41))


async def test_a_counter_lives_from_its_first_increment_only(backend: Backend) -> None:
    assert await backend.count("fail:a", ALIVE) == 1
    await asyncio.sleep(0.1)
    assert await backend.count("fail:a", LONG) == 2  # does not extend the window
    await asyncio.sleep(PAST_ALIVE)  # past the first increment's lifetime
    assert await backend.count("fail:a", LONG) == 1


async def test_deleting_a_counter_resets_it(backend: Backend) -> None:
    await backend.count("fail:a", LONG)
    await backend.count("fail:a", LONG)
    await backend.delete_expiring("fail:a")
    assert await backend.count("fail:a", LONG) == 1


async def test_counters_leave_nothing_once_expired(backend: Backend, leftovers: Leftovers) -> None:
    await backend.count("fail:needle-counter", SHORT)
    await asyncio.sleep(PAST_SHORT)
    assert not await leftovers(backend, b"needle-counter")


# --- tickets --------------------------------------------------------------------------------------


async def test_tickets_strictly_increase(backend: Backend) -> None:
    tickets = [await backend.next_ticket() for _ in range(20)]
    assert all(earlier < later for earlier, later in itertools.pairwise(tickets))


async def test_tickets_taken_concurrently_are_all_distinct_and_later_ones_larger(
    backend: Backend,
) -> None:
    before = await backend.next_ticket()
    tickets = await asyncio.gather(*(backend.next_ticket() for _ in range(200)))
    after = await backend.next_ticket()

    assert len(set(tickets)) == 200
    assert before < min(tickets)
    assert max(tickets) < after


# --- adding and finding visitors ---------------------------------------------------------------


async def test_add_visitor_returns_positions_in_ticket_order_even_when_added_out_of_order(
    backend: Backend,
) -> None:
    for number, order in enumerate(itertools.permutations(range(4))):
        pole = f"pole-{number}"
        tickets = [await backend.next_ticket() for _ in range(4)]
        sessions = [a_session(pole, ticket) for ticket in tickets]
        added: list[int] = []
        for index in order:
            expected = 1 + sum(1 for other in added if tickets[other] < tickets[index])
            assert await backend.add_visitor(sessions[index], LONG) == expected, order
            added.append(index)

        assert [await backend.position(s) for s in sessions] == [1, 2, 3, 4], order
        assert [await backend.pop_waiting(pole) for _ in sessions] == [s.id for s in sessions]


async def test_each_pole_numbers_its_own_queue_from_one(backend: Backend) -> None:
    positions = []
    for pole in ["emploi", "formation", "emploi", "orientation", "formation", "emploi"]:
        session = a_session(pole, await backend.next_ticket())
        positions.append(await backend.add_visitor(session, LONG))

    assert positions == [1, 1, 2, 1, 2, 3]


async def test_a_visitor_is_found_by_id_and_by_token_hash(backend: Backend) -> None:
    visitor = await waiting(backend, question="Comment devenir soudeur ?")
    other = await waiting(backend)

    assert await backend.get_visitor(visitor.id) == visitor
    assert await backend.visitor_by_token(visitor.token_hash) == visitor
    assert await backend.visitor_by_token(other.token_hash) == other
    assert await backend.get_visitor("v-unknown") is None
    assert await backend.visitor_by_token("tokenhash-unknown") is None


# --- update_visitor ----------------------------------------------------------------------------


async def test_update_visitor_applies_the_change_and_returns_its_result(backend: Backend) -> None:
    visitor = await waiting(backend)

    generation = await backend.update_visitor(visitor.id, VisitorSession.attach)
    assert generation == 1
    await backend.update_visitor(visitor.id, lambda s: s.assign("c-1"))

    stored = await backend.get_visitor(visitor.id)
    assert stored is not None
    assert stored.generation == 1
    assert (stored.state, stored.conversation) == (VisitorState.TALKING, "c-1")
    assert await backend.visitor_by_token(visitor.token_hash) == stored


async def test_update_visitor_stores_nothing_when_the_change_raises(backend: Backend) -> None:
    visitor = await waiting(backend)
    await backend.update_visitor(visitor.id, VisitorSession.end)
    ended = await backend.get_visitor(visitor.id)

    def rename_then_refuse(session: VisitorSession) -> None:
        session.pseudonym = "Half-done change"
        session.attach()
        session.end()  # already ended: IllegalTransition

    with pytest.raises(IllegalTransition):
        await backend.update_visitor(visitor.id, rename_then_refuse)
    with pytest.raises(IllegalTransition):
        await backend.update_visitor(visitor.id, lambda s: s.assign("c-1"))

    assert ended is not None
    assert ended.state is VisitorState.ENDED
    assert await backend.get_visitor(visitor.id) == ended


async def test_update_visitor_raises_not_found_for_an_unknown_or_expired_visitor(
    backend: Backend,
) -> None:
    visitor = await waiting(backend, ttl=SHORT)
    calls: list[VisitorSession] = []

    with pytest.raises(NotFound):
        await backend.update_visitor("v-unknown", calls.append)
    await asyncio.sleep(PAST_SHORT)
    with pytest.raises(NotFound):
        await backend.update_visitor(visitor.id, calls.append)

    assert calls == []
    assert await backend.get_visitor(visitor.id) is None


async def test_update_visitor_keeps_the_sessions_lifetime(backend: Backend) -> None:
    visitor = await waiting(backend, ttl=SHORT)
    await backend.update_visitor(visitor.id, VisitorSession.attach)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_visitor(visitor.id) is None
    assert await backend.visitor_by_token(visitor.token_hash) is None


# --- resume_visitor ------------------------------------------------------------------------


async def resume(backend: Backend, token_hash: str, ttl: float = LONG) -> VisitorSession | None:
    found = await backend.resume_visitor(
        token_hash, "visitor", ttl, "visitor:{id}", b'{"generation":{generation},"of":"{id}"}'
    )
    return None if found is None else found[0]


async def test_resume_visitor_attaches_the_session_and_returns_it(backend: Backend) -> None:
    visitor = await waiting(backend, question="Un BTS en alternance ?")
    await backend.update_visitor(visitor.id, lambda s: s.assign("c-1"))

    first = await resume(backend, visitor.token_hash)
    second = await resume(backend, visitor.token_hash)

    assert first is not None and second is not None
    expected = msgspec.structs.replace(visitor, state=VisitorState.TALKING, conversation="c-1")
    assert first == msgspec.structs.replace(expected, generation=1)
    assert second == msgspec.structs.replace(expected, generation=2)
    assert await backend.get_visitor(visitor.id) == second
    assert await backend.visitor_by_token(visitor.token_hash) == second


async def test_resume_visitor_reads_the_queue_length_and_position_as_positions_does(
    backend: Backend,
) -> None:
    first, second, third = [await waiting(backend, "orientation") for _ in range(3)]
    gone = await waiting(backend, "orientation", ttl=SHORT)
    other_pole = await waiting(backend, "emploi")
    await backend.dequeue(second)
    await backend.update_visitor(second.id, VisitorSession.end)
    await asyncio.sleep(PAST_SHORT)  # gone expired: counted nowhere

    found = [
        await backend.resume_visitor(v.token_hash, "visitor", LONG, "v:{id}", b"")
        for v in (first, second, third, gone, other_pole)
    ]

    assert [None if f is None else f[1:] for f in found] == [
        (2, 1),
        (2, None),
        (2, 2),
        None,
        (1, 1),
    ]


async def test_resume_visitor_keeps_every_field_and_counts_from_the_stored_generation(
    backend: Backend,
) -> None:
    visitor = await waiting(backend, pseudonym="Loutre étoilée 🦦")
    await backend.update_visitor(visitor.id, VisitorSession.close)
    await backend.update_visitor(visitor.id, lambda s: [s.attach() for _ in range(41)])

    resumed = await resume(backend, visitor.token_hash)

    stored = await backend.get_visitor(visitor.id)
    assert resumed == stored
    assert stored == msgspec.structs.replace(
        visitor, state=VisitorState.ENDED, closed=True, generation=42
    )


async def test_resume_visitor_of_an_unknown_or_expired_token_is_none_and_changes_nothing(
    backend: Backend,
) -> None:
    visitor = await waiting(backend, ttl=SHORT)
    subscriber = backend.subscriber()
    await subscriber.add(f"visitor:{visitor.id}")

    assert await resume(backend, "tokenhash-unknown") is None
    await asyncio.sleep(PAST_SHORT)
    assert await resume(backend, visitor.token_hash) is None

    assert await backend.get_visitor(visitor.id) is None
    await asyncio.sleep(PAST_SHORT)
    assert await backend.claim_expired("visitor") == []
    await assert_nothing_more(subscriber)


async def test_resume_visitor_keeps_the_sessions_lifetime(backend: Backend) -> None:
    visitor = await waiting(backend, ttl=ALIVE)
    assert await resume(backend, visitor.token_hash) is not None

    await asyncio.sleep(PAST_ALIVE)

    assert await backend.get_visitor(visitor.id) is None
    assert await resume(backend, visitor.token_hash) is None


async def test_resume_visitor_publishes_the_filled_signal_on_the_filled_channel(
    backend: Backend,
) -> None:
    visitor = await waiting(backend)
    subscriber = backend.subscriber()
    await subscriber.add(f"visitor:{visitor.id}")

    await resume(backend, visitor.token_hash)
    await resume(backend, visitor.token_hash)

    for generation in (1, 2):
        payload = f'{{"generation":{generation},"of":"{visitor.id}"}}'.encode()
        assert await received(subscriber) == (f"visitor:{visitor.id}", payload)
    await assert_nothing_more(subscriber)


async def test_resume_visitor_holds_the_new_generations_lease_and_drops_the_previous_one(
    backend: Backend,
) -> None:
    visitor = await waiting(backend)
    await backend.renew_leases("visitor", [f"{visitor.id}:0"], 0.1)
    await backend.renew_leases("visitor-gone", [f"{visitor.id}:0"], 0.1)

    await resume(backend, visitor.token_hash, ttl=0.2)
    await resume(backend, visitor.token_hash, ttl=0.2)

    assert await backend.claim_expired("visitor") == []
    await asyncio.sleep(PAST_SHORT)
    # Each resume took its own lease and dropped the one before; other kinds stay.
    assert await backend.claim_expired("visitor") == [f"{visitor.id}:2"]
    assert await backend.claim_expired("visitor-gone") == [f"{visitor.id}:0"]


async def test_concurrent_resumes_each_get_a_distinct_generation(backend: Backend) -> None:
    visitor = await waiting(backend)

    resumed = await asyncio.gather(*(resume(backend, visitor.token_hash) for _ in range(20)))

    assert sorted(s.generation for s in resumed if s is not None) == list(range(1, 21))
    stored = await backend.get_visitor(visitor.id)
    assert stored is not None and stored.generation == 20


# --- queues ---------------------------------------------------------------------------------------


async def test_dequeue_is_true_once_then_false(backend: Backend) -> None:
    visitor = await waiting(backend)
    behind = await waiting(backend)

    assert await backend.dequeue(visitor) is True
    assert await backend.dequeue(visitor) is False

    assert await backend.position(visitor) is None
    assert await backend.position(behind) == 1
    assert await backend.queue_lengths(["emploi"]) == {"emploi": 1}
    assert await backend.get_visitor(visitor.id) == visitor  # leaving the queue keeps the session


async def test_dequeue_of_a_visitor_never_queued_is_false(backend: Backend) -> None:
    assert await backend.dequeue(a_session("nowhere", 12345)) is False


async def test_pop_waiting_is_fifo_per_pole_and_poles_are_independent(backend: Backend) -> None:
    arrivals = ["emploi", "formation", "emploi", "emploi", "formation"]
    visitors = [await waiting(backend, pole) for pole in arrivals]

    assert await backend.pop_waiting("emploi") == visitors[0].id
    assert await backend.pop_waiting("formation") == visitors[1].id
    assert await backend.pop_waiting("formation") == visitors[4].id
    assert await backend.pop_waiting("formation") is None
    assert await backend.pop_waiting("emploi") == visitors[2].id
    assert await backend.pop_waiting("emploi") == visitors[3].id
    assert await backend.pop_waiting("emploi") is None


async def test_pop_waiting_returns_none_for_an_empty_or_unknown_pole(backend: Backend) -> None:
    assert await backend.pop_waiting("emploi") is None
    visitor = await waiting(backend, "emploi")
    assert await backend.pop_waiting("orientation") is None
    assert await backend.pop_waiting("emploi") == visitor.id
    assert await backend.pop_waiting("emploi") is None


async def test_pop_waiting_skips_visitors_who_are_no_longer_waiting(backend: Backend) -> None:
    left = await waiting(backend)
    taken_elsewhere = await waiting(backend)
    still_waiting = await waiting(backend)
    await backend.update_visitor(left.id, VisitorSession.end)
    await backend.update_visitor(taken_elsewhere.id, lambda s: s.assign("c-1"))

    assert await backend.pop_waiting("emploi") == still_waiting.id
    assert await backend.pop_waiting("emploi") is None


async def test_pop_waiting_skips_expired_visitors(backend: Backend) -> None:
    expired = await waiting(backend, ttl=SHORT)
    alive = await waiting(backend)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.pop_waiting("emploi") == alive.id
    assert await backend.pop_waiting("emploi") is None
    assert await backend.get_visitor(expired.id) is None


async def test_concurrent_pops_hand_out_each_waiting_visitor_exactly_once(
    backend: Backend,
) -> None:
    visitors = [await waiting(backend) for _ in range(40)]

    popped = await asyncio.gather(*(backend.pop_waiting("emploi") for _ in range(50)))

    handed_out = [visitor_id for visitor_id in popped if visitor_id is not None]
    assert sorted(handed_out) == sorted(v.id for v in visitors)
    assert popped.count(None) == 10
    assert await backend.queue_lengths(["emploi"]) == {"emploi": 0}


async def test_concurrent_pops_on_two_poles_never_mix_them(backend: Backend) -> None:
    emploi = {(await waiting(backend, "emploi")).id for _ in range(15)}
    formation = {(await waiting(backend, "formation")).id for _ in range(15)}

    popped = await asyncio.gather(
        *(backend.pop_waiting(pole) for pole in ["emploi", "formation"] * 20)
    )

    assert set(popped[0::2]) - {None} == emploi
    assert set(popped[1::2]) - {None} == formation


async def test_positions_and_queue_lengths_follow_pops_and_removals(backend: Backend) -> None:
    visitors = [await waiting(backend) for _ in range(5)]
    other_pole = await waiting(backend, "formation")
    assert [await backend.position(v) for v in visitors] == [1, 2, 3, 4, 5]

    assert await backend.pop_waiting("emploi") == visitors[0].id
    assert await backend.dequeue(visitors[2]) is True

    assert [await backend.position(v) for v in visitors] == [None, 1, None, 2, 3]
    assert await backend.position(other_pole) == 1
    assert await backend.queue_lengths(["emploi", "formation", "orientation"]) == {
        "emploi": 3,
        "formation": 1,
        "orientation": 0,
    }
    assert await backend.queue_lengths([]) == {}


async def test_positions_reads_many_visitors_of_a_pole_in_one_call(backend: Backend) -> None:
    visitors = [await waiting(backend) for _ in range(4)]
    elsewhere = await waiting(backend, "formation")
    assert await backend.positions("emploi", visitors) == (4, [1, 2, 3, 4])

    await backend.pop_waiting("emploi")
    await backend.dequeue(visitors[2])
    found = await backend.positions("emploi", [*visitors, elsewhere])
    assert found == (2, [None, 1, None, 2, None])  # another pole's visitor is not here
    assert await backend.positions("formation", [elsewhere]) == (1, [1])
    assert await backend.positions("orientation", []) == (0, [])


async def test_positions_leave_expired_visitors_out(backend: Backend) -> None:
    expired = await waiting(backend)
    behind = await waiting(backend)
    await backend.expire_visitor(expired.id, SHORT)
    await asyncio.sleep(PAST_SHORT)
    assert await backend.positions("emploi", [expired, behind]) == (1, [None, 1])


# --- expiry of visitors -------------------------------------------------------------------------


async def test_expire_visitor_shortens_the_life_of_the_session_and_its_token_index(
    backend: Backend,
) -> None:
    visitor = await waiting(backend, ttl=LONG)
    bystander = await waiting(backend, ttl=LONG)

    await backend.expire_visitor(visitor.id, SHORT)
    assert await backend.get_visitor(visitor.id) == visitor  # not yet
    assert await backend.visitor_by_token(visitor.token_hash) == visitor
    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_visitor(visitor.id) is None
    assert await backend.visitor_by_token(visitor.token_hash) is None
    with pytest.raises(NotFound):
        await backend.update_visitor(visitor.id, VisitorSession.attach)
    assert await backend.get_visitor(bystander.id) == bystander


async def test_a_session_added_with_a_short_ttl_expires_with_its_token_index(
    backend: Backend,
) -> None:
    visitor = await waiting(backend, ttl=SHORT)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_visitor(visitor.id) is None
    assert await backend.visitor_by_token(visitor.token_hash) is None


async def test_expiring_an_unknown_visitor_is_harmless(backend: Backend) -> None:
    await backend.expire_visitor("v-unknown", SHORT)
    assert await backend.get_visitor("v-unknown") is None


async def test_an_expired_waiting_visitor_vanishes_from_queue_lengths_and_positions(
    backend: Backend,
) -> None:
    expired = await waiting(backend)
    behind = await waiting(backend)
    await backend.expire_visitor(expired.id, SHORT)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.queue_lengths(["emploi"]) == {"emploi": 1}
    assert await backend.position(expired) is None
    assert await backend.position(behind) == 1


# --- conversations ------------------------------------------------------------------------------


async def test_a_conversation_round_trips_and_unknown_ones_are_none(backend: Backend) -> None:
    conversation = await opened(backend)

    assert await backend.get_conversation(conversation.id) == conversation
    assert await backend.get_conversation("c-unknown") is None
    assert await backend.events_since(conversation.id, 0) == []


async def test_update_conversation_applies_the_change_and_returns_its_result(
    backend: Backend,
) -> None:
    conversation = await opened(backend)

    def rename_and_count(c: Conversation) -> int:
        c.rename_visitor("Héron")
        return len(c.pseudonym)

    def end_and_tell(c: Conversation) -> ConversationState:
        c.end()
        return c.state

    assert await backend.update_conversation(conversation.id, rename_and_count) == 5
    assert await backend.update_conversation(conversation.id, end_and_tell) is (
        ConversationState.ENDED
    )
    assert await backend.get_conversation(conversation.id) == msgspec.structs.replace(
        conversation, pseudonym="Héron", state=ConversationState.ENDED
    )


async def test_update_conversation_stores_nothing_when_the_change_raises(
    backend: Backend,
) -> None:
    conversation = await opened(backend)
    await backend.update_conversation(conversation.id, Conversation.end)
    ended = await backend.get_conversation(conversation.id)

    def rename_then_refuse(c: Conversation) -> None:
        c.rename_visitor("Half-done change")
        c.end()  # already ended: IllegalTransition

    with pytest.raises(IllegalTransition):
        await backend.update_conversation(conversation.id, rename_then_refuse)

    assert await backend.get_conversation(conversation.id) == ended


async def test_update_conversation_raises_not_found_when_missing(backend: Backend) -> None:
    calls: list[Conversation] = []
    with pytest.raises(NotFound):
        await backend.update_conversation("c-unknown", calls.append)
    assert calls == []


async def test_update_conversation_keeps_the_conversations_lifetime(backend: Backend) -> None:
    conversation = await opened(backend, ttl=SHORT)
    await backend.update_conversation(conversation.id, lambda c: c.rename_visitor("Héron"))

    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_conversation(conversation.id) is None


async def test_append_event_numbers_events_from_one_without_gaps(backend: Backend) -> None:
    conversation = await opened(backend)
    stored = []
    for number in range(1, 21):
        draft = msgspec.structs.replace(a_draft(conversation.id, f"message {number}"), seq=99)
        event, new = await backend.append_event(conversation.id, draft, LOG)
        assert new is True
        assert event == msgspec.structs.replace(draft, seq=number)
        stored.append(event)

    assert await backend.events_since(conversation.id, 0) == stored


async def test_concurrent_appends_get_distinct_gapless_numbers(backend: Backend) -> None:
    conversation = await opened(backend)

    results = await asyncio.gather(
        *(
            backend.append_event(
                conversation.id, a_draft(conversation.id, f"m{n}", client_id=f"m{n}"), LOG
            )
            for n in range(50)
        )
    )

    assert sorted(event.seq for event, _ in results) == list(range(1, 51))
    assert all(new for _, new in results)
    events = await backend.events_since(conversation.id, 0)
    assert seqs(events) == list(range(1, 51))
    assert sorted(event.text for event in events) == sorted(f"m{n}" for n in range(50))


async def test_a_retried_draft_returns_the_first_copy_and_false(backend: Backend) -> None:
    conversation = await opened(backend)
    first, new = await backend.append_event(
        conversation.id, a_draft(conversation.id, "Bonjour", client_id="m1"), LOG
    )
    assert new is True

    again, new = await backend.append_event(
        conversation.id, a_draft(conversation.id, "Bonjour (edited)", client_id="m1"), LOG
    )

    assert new is False
    assert again == first
    assert again.text == "Bonjour"
    assert await backend.events_since(conversation.id, 0) == [first]


async def test_retries_are_recognised_per_author_and_only_with_a_client_id(
    backend: Backend,
) -> None:
    conversation = await opened(backend)
    cid = conversation.id
    outcomes = [
        await backend.append_event(cid, a_draft(cid, "a", author="visitor", client_id="m1"), LOG),
        await backend.append_event(
            cid, a_draft(cid, "b", author="counsellor", client_id="m1"), LOG
        ),
        await backend.append_event(cid, a_draft(cid, "c", author="system"), LOG),
        await backend.append_event(cid, a_draft(cid, "c", author="system"), LOG),
        await backend.append_event(
            cid, a_draft(cid, "d", author="counsellor", client_id="m1"), LOG
        ),
    ]

    assert [(event.seq, new) for event, new in outcomes] == [
        (1, True),
        (2, True),
        (3, True),
        (4, True),
        (2, False),
    ]
    assert [e.text for e in await backend.events_since(cid, 0)] == ["a", "b", "c", "c"]


async def test_retries_are_recognised_per_conversation(backend: Backend) -> None:
    one = await opened(backend)
    two = await opened(backend)

    _, first_new = await backend.append_event(one.id, a_draft(one.id, "x", client_id="m1"), LOG)
    event, second_new = await backend.append_event(
        two.id, a_draft(two.id, "x", client_id="m1"), LOG
    )

    assert (first_new, second_new) == (True, True)
    assert (event.conversation, event.seq) == (two.id, 1)


async def test_concurrent_retries_of_one_draft_store_it_once(backend: Backend) -> None:
    conversation = await opened(backend)
    draft = a_draft(conversation.id, "Bonjour", client_id="m1")

    results = await asyncio.gather(
        *(backend.append_event(conversation.id, draft, LOG) for _ in range(10))
    )

    assert [new for _, new in results].count(True) == 1
    assert {event.seq for event, _ in results} == {1}
    assert seqs(await backend.events_since(conversation.id, 0)) == [1]


async def test_an_appended_event_is_published_once_as_clients_receive_it(
    backend: Backend,
) -> None:
    conversation = await opened(backend)
    listener = backend.subscriber()
    await listener.add(LOG)
    # Text that looks like the seq field must come out untouched.
    tricky = '"seq":0, {"seq":0,} \\"seq\\":0,'
    first, _ = await backend.append_event(
        conversation.id, a_draft(conversation.id, tricky, client_id="m1"), LOG
    )
    second, _ = await backend.append_event(conversation.id, a_draft(conversation.id, "b"), LOG)
    await backend.append_event(
        conversation.id, a_draft(conversation.id, "retry", client_id="m1"), LOG
    )

    for stored in (first, second):
        item = await received(listener)
        assert item is not None
        assert item[0] == LOG
        assert msgspec.json.decode(item[1], type=Event) == stored
    assert first.text == tricky
    await assert_nothing_more(listener)  # a retry publishes nothing
    await listener.close()


async def test_nothing_new_is_appended_after_the_ended_event(backend: Backend) -> None:
    conversation = await opened(backend)
    cid = conversation.id
    before, _ = await backend.append_event(cid, a_draft(cid, "Merci", client_id="m1"), LOG)
    end = a_draft(cid, "", author="counsellor", kind="ended")
    ended, _ = await backend.append_event(cid, end, LOG)
    listener = backend.subscriber()
    await listener.add(LOG)

    with pytest.raises(IllegalTransition):
        await backend.append_event(cid, a_draft(cid, "trop tard", client_id="m2"), LOG)
    with pytest.raises(IllegalTransition):
        await backend.append_event(cid, end, LOG)
    again, new = await backend.append_event(cid, a_draft(cid, "Merci", client_id="m1"), LOG)

    assert (again, new) == (before, False)
    assert await backend.events_since(cid, 0) == [before, ended]
    await assert_nothing_more(listener)
    await listener.close()


async def test_events_since_returns_only_the_events_after_seq(backend: Backend) -> None:
    conversation = await opened(backend)
    for number in range(5):
        await backend.append_event(conversation.id, a_draft(conversation.id, f"m{number}"), LOG)

    assert seqs(await backend.events_since(conversation.id, 0)) == [1, 2, 3, 4, 5]
    assert seqs(await backend.events_since(conversation.id, 1)) == [2, 3, 4, 5]
    assert seqs(await backend.events_since(conversation.id, 3)) == [4, 5]
    assert seqs(await backend.events_since(conversation.id, 5)) == []
    assert seqs(await backend.events_since(conversation.id, 50)) == []


async def test_the_log_of_an_unknown_conversation_raises_not_found(backend: Backend) -> None:
    with pytest.raises(NotFound):
        await backend.events_since("c-unknown", 0)
    with pytest.raises(NotFound):
        await backend.append_event("c-unknown", a_draft("c-unknown"), LOG)


async def test_expire_conversation_removes_the_conversation_and_its_log(backend: Backend) -> None:
    conversation = await opened(backend)
    bystander = await opened(backend)
    await backend.append_event(conversation.id, a_draft(conversation.id, "Bonjour"), LOG)
    await backend.append_event(bystander.id, a_draft(bystander.id, "Bonjour"), LOG)

    await backend.expire_conversation(conversation.id, SHORT)
    assert await backend.get_conversation(conversation.id) == conversation  # not yet
    assert seqs(await backend.events_since(conversation.id, 0)) == [1]
    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_conversation(conversation.id) is None
    with pytest.raises(NotFound):
        await backend.events_since(conversation.id, 0)
    with pytest.raises(NotFound):
        await backend.append_event(conversation.id, a_draft(conversation.id, "too late"), LOG)
    with pytest.raises(NotFound):
        await backend.update_conversation(conversation.id, Conversation.end)
    assert await backend.get_conversation(bystander.id) == bystander
    assert seqs(await backend.events_since(bystander.id, 0)) == [1]


async def test_a_conversation_added_with_a_short_ttl_expires_with_its_log(
    backend: Backend,
) -> None:
    conversation = await opened(backend, ttl=SHORT)
    await backend.append_event(conversation.id, a_draft(conversation.id, "Bonjour"), LOG)

    await asyncio.sleep(PAST_SHORT)

    assert await backend.get_conversation(conversation.id) is None
    with pytest.raises(NotFound):
        await backend.events_since(conversation.id, 0)


async def test_events_appended_after_expire_conversation_go_with_it(
    backend: Backend, leftovers: Leftovers
) -> None:
    conversation = await opened(backend)  # no event yet: its log may not exist so far
    await backend.expire_conversation(conversation.id, SHORT)
    late = unique("late-goodbye").encode()
    await backend.append_event(conversation.id, a_draft(conversation.id, late.decode()), LOG)
    assert await leftovers(backend, late)

    await asyncio.sleep(PAST_SHORT)

    assert not await leftovers(backend, late)


# --- desks --------------------------------------------------------------------------------------


async def test_update_desk_starts_from_an_empty_desk(backend: Backend) -> None:
    seen = await backend.update_desk("marie", lambda d: msgspec.structs.replace(d))

    assert seen == Desk(login="marie")
    assert seen.conversations == []
    assert seen.consoles == 0


async def test_update_desk_applies_the_change_per_login_and_returns_its_result(
    backend: Backend,
) -> None:
    opened_view = await backend.update_desk("marie", lambda d: d.open_console(2))
    await backend.update_desk("marie", lambda d: d.hold("c-1"))
    await backend.update_desk("marie", lambda d: d.hold("c-2"))

    assert opened_view == Desk(login="marie", capacity=2, consoles=1)
    marie = await backend.update_desk("marie", lambda d: d)
    assert marie == Desk(login="marie", capacity=2, consoles=1, conversations=["c-1", "c-2"])
    assert await backend.update_desk("paul", lambda d: d) == Desk(login="paul")


async def test_get_desk_reads_a_desk_as_stored_and_creates_none(backend: Backend) -> None:
    assert await backend.get_desk("marie") is None
    assert await backend.get_desk("marie") is None  # reading made none
    await backend.update_desk("marie", lambda d: d.open_console(2))
    await backend.update_desk("marie", lambda d: d.invite("c-1"))

    assert await backend.get_desk("marie") == Desk(
        login="marie", capacity=2, consoles=1, invited=["c-1"]
    )


async def test_update_desk_stores_nothing_when_the_change_raises(backend: Backend) -> None:
    await backend.update_desk("marie", lambda d: d.open_console(1))
    await backend.update_desk("marie", lambda d: d.hold("c-1"))

    def release_then_take_two(desk: Desk) -> None:
        desk.release("c-1")
        desk.hold("c-2")
        desk.hold("c-3")  # over capacity: CapacityReached

    with pytest.raises(CapacityReached):
        await backend.update_desk("marie", release_then_take_two)

    assert await backend.update_desk("marie", lambda d: d) == Desk(
        login="marie", capacity=1, consoles=1, conversations=["c-1"]
    )


# --- publish / subscribe ---------------------------------------------------------------------


async def test_a_subscriber_gets_only_its_channels_in_publish_order(backend: Backend) -> None:
    only_a = backend.subscriber()
    a_and_b = backend.subscriber()
    await only_a.add("a")
    await a_and_b.add("a")
    await a_and_b.add("b")

    sent = [("b", b"b1"), ("a", b"a1"), ("x", b"x1"), ("b", b"b2"), ("a", b"a2"), ("a", b"a3")]
    for channel, payload in sent:
        await backend.publish(channel, payload)

    assert [await received(only_a) for _ in range(3)] == [("a", b"a1"), ("a", b"a2"), ("a", b"a3")]
    assert [await received(a_and_b) for _ in range(5)] == [
        ("b", b"b1"),
        ("a", b"a1"),
        ("b", b"b2"),
        ("a", b"a2"),
        ("a", b"a3"),
    ]
    await assert_nothing_more(only_a, a_and_b)


async def test_every_subscriber_of_a_channel_gets_its_own_copy(backend: Backend) -> None:
    subscribers = [backend.subscriber() for _ in range(3)]
    for subscriber in subscribers:
        await subscriber.add("queue:emploi")

    for number in range(4):
        await backend.publish("queue:emploi", f"waiting={number}".encode())

    expected = [("queue:emploi", f"waiting={number}".encode()) for number in range(4)]
    for subscriber in subscribers:
        assert [await received(subscriber) for _ in range(4)] == expected
    await assert_nothing_more(*subscribers)


async def test_listening_twice_to_a_channel_delivers_once(backend: Backend) -> None:
    subscriber = backend.subscriber()
    await subscriber.add("a")
    await subscriber.add("a")

    await backend.publish("a", b"once")

    assert await received(subscriber) == ("a", b"once")
    await assert_nothing_more(subscriber)


async def test_after_remove_a_subscriber_gets_nothing_more_from_that_channel(
    backend: Backend,
) -> None:
    leaving = backend.subscriber()
    staying = backend.subscriber()
    for subscriber in [leaving, staying]:
        await subscriber.add("c")
    await leaving.add("d")
    await backend.publish("c", b"before")
    assert await received(leaving) == ("c", b"before")
    assert await received(staying) == ("c", b"before")

    await leaving.remove("c")
    await leaving.remove("c")  # twice is harmless
    await backend.publish("c", b"after")
    await backend.publish("d", b"elsewhere")

    assert await received(staying) == ("c", b"after")
    assert await received(leaving) == ("d", b"elsewhere")
    await assert_nothing_more(leaving, staying)


async def test_after_close_a_subscriber_gets_nothing_more(backend: Backend) -> None:
    closing = backend.subscriber()
    staying = backend.subscriber()
    for subscriber in [closing, staying]:
        await subscriber.add("a")
        await subscriber.add("b")

    await closing.close()
    await backend.publish("a", b"a1")
    await backend.publish("b", b"b1")

    assert closing.channels == set()
    assert [await received(staying) for _ in range(2)] == [("a", b"a1"), ("b", b"b1")]
    await assert_nothing_more(closing)


async def test_publishing_where_nobody_listens_is_harmless(backend: Backend) -> None:
    await backend.publish("nobody-listens", b"lost")
    subscriber = backend.subscriber()
    await subscriber.add("nobody-listens")

    await backend.publish("nobody-listens", b"\x00\xff binary")

    assert await received(subscriber) == ("nobody-listens", b"\x00\xff binary")
    await assert_nothing_more(subscriber)


async def test_a_slow_subscriber_overflows_while_a_fast_one_gets_everything(
    backend: Backend,
) -> None:
    slow = backend.subscriber()
    fast = backend.subscriber()
    await slow.add("conversation:c1")
    await fast.add("conversation:c1")

    sent = 0
    while not slow.overflowed:  # the inbox is bounded: it overflows eventually
        assert sent < 100_000, "a subscriber's inbox must be bounded"
        payload = f"m{sent}".encode()
        await backend.publish("conversation:c1", payload)
        assert await received(fast) == ("conversation:c1", payload)
        sent += 1
    overflowed_after = sent
    for _ in range(10):  # more after the overflow: the fast one still gets them
        payload = f"m{sent}".encode()
        await backend.publish("conversation:c1", payload)
        assert await received(fast) == ("conversation:c1", payload)
        sent += 1

    assert slow.overflowed
    assert not fast.overflowed
    assert overflowed_after > 1  # it did hold messages before overflowing
    assert await received(slow) is None
    assert await received(slow) is None
    await assert_nothing_more(fast)


async def test_many_subscribers_adding_channels_at_once_each_get_theirs(
    backend: Backend,
) -> None:
    subscribers = [backend.subscriber() for _ in range(50)]
    channels = [unique("visitor:v") for _ in subscribers]

    await asyncio.gather(*(s.add(c) for s, c in zip(subscribers, channels, strict=True)))
    for channel in channels:
        await backend.publish(channel, channel.encode())

    for subscriber, channel in zip(subscribers, channels, strict=True):
        assert await received(subscriber) == (channel, channel.encode())
    await assert_nothing_more(*subscribers)


# --- nothing left behind ------------------------------------------------------------------------


async def test_nothing_of_a_visitor_or_their_conversation_is_left_once_both_expire(
    backend: Backend, leftovers: Leftovers
) -> None:
    pseudonym = unique("Hirondelle")
    question = unique("Comment devenir soudeuse")
    text = unique("Je cherche un apprentissage")
    visitor = await waiting(backend, pseudonym=pseudonym, question=question)
    assert await backend.pop_waiting("emploi") == visitor.id
    conversation = a_conversation(visitor.id, pseudonym)
    await backend.update_visitor(visitor.id, lambda s: s.assign(conversation.id))
    await backend.add_conversation(conversation, LONG)
    await backend.append_event(
        conversation.id, a_draft(conversation.id, question, client_id="q"), LOG
    )
    await backend.append_event(conversation.id, a_draft(conversation.id, text, client_id="m1"), LOG)
    needles = [
        pseudonym.encode(),
        question.encode(),
        text.encode(),
        visitor.token_hash.encode(),
        visitor.id.encode(),
        conversation.id.encode(),
    ]
    assert [await leftovers(backend, needle) for needle in needles] == [True] * len(needles)

    await backend.update_conversation(conversation.id, Conversation.end)
    await backend.update_visitor(visitor.id, VisitorSession.end)
    await backend.expire_conversation(conversation.id, SHORT)
    await backend.expire_visitor(visitor.id, SHORT)
    await asyncio.sleep(PAST_SHORT)

    assert [await leftovers(backend, needle) for needle in needles] == [False] * len(needles)


async def test_nothing_of_a_visitor_who_left_the_queue_is_left_once_expired(
    backend: Backend, leftovers: Leftovers
) -> None:
    pseudonym = unique("Hirondelle")
    question = unique("Comment devenir soudeuse")
    visitor = await waiting(backend, pseudonym=pseudonym, question=question)
    needles = [
        pseudonym.encode(),
        question.encode(),
        visitor.token_hash.encode(),
        visitor.id.encode(),
    ]
    assert [await leftovers(backend, needle) for needle in needles] == [True] * len(needles)

    await backend.update_visitor(visitor.id, VisitorSession.end)
    assert await backend.dequeue(visitor) is True
    await backend.expire_visitor(visitor.id, SHORT)
    await asyncio.sleep(PAST_SHORT)

    assert [await leftovers(backend, needle) for needle in needles] == [False] * len(needles)


async def test_nothing_of_a_visitor_whose_session_timed_out_in_the_queue_is_left(
    backend: Backend, leftovers: Leftovers
) -> None:
    pseudonym = unique("Hirondelle")
    visitor = await waiting(backend, pseudonym=pseudonym, ttl=SHORT)
    needles = [pseudonym.encode(), visitor.token_hash.encode(), visitor.id.encode()]
    assert [await leftovers(backend, needle) for needle in needles] == [True] * len(needles)

    await asyncio.sleep(PAST_SHORT)

    assert [await leftovers(backend, needle) for needle in needles] == [False] * len(needles)


# --- service figures ----------------------------------------------------------------------


async def test_take_times_come_back_oldest_first_and_per_pole(backend: Backend) -> None:
    pole, other = unique("pole"), unique("pole")
    assert await backend.recent_takes(pole) == []
    for at in (1000.5, 1060.25, 1200.0):
        await backend.record_take(pole, at)
    await backend.record_take(other, 5.0)
    assert await backend.recent_takes(pole) == [1000.5, 1060.25, 1200.0]
    assert await backend.recent_takes(other) == [5.0]


async def test_only_the_latest_take_times_are_kept(backend: Backend) -> None:
    pole = unique("pole")
    for i in range(KEPT + 5):
        await backend.record_take(pole, 1_700_000_000.0 + i)
    kept = await backend.recent_takes(pole)
    assert kept == [1_700_000_000.0 + i for i in range(5, KEPT + 5)]


# --- leases ---------------------------------------------------------------------------


async def test_a_lease_is_claimed_only_once_it_ran_out(backend: Backend) -> None:
    await backend.renew_leases("visitor", ["a:1", "b:1"], ALIVE)
    await backend.renew_leases("visitor", ["c:1"], 30)
    assert await backend.claim_expired("visitor") == []
    await asyncio.sleep(PAST_ALIVE)
    assert sorted(await backend.claim_expired("visitor")) == ["a:1", "b:1"]
    assert await backend.claim_expired("visitor") == []


async def test_a_renewed_lease_lives_on_and_a_dropped_one_is_never_claimed(
    backend: Backend,
) -> None:
    await backend.renew_leases("console", ["kept", "dropped"], 0.2)
    await backend.renew_leases("console", ["kept"], 30)
    await backend.drop_lease("console", "dropped")
    await backend.drop_lease("console", "never-held")
    await asyncio.sleep(0.35)
    assert await backend.claim_expired("console") == []


async def test_lease_kinds_are_independent(backend: Backend) -> None:
    await backend.renew_leases("desk", ["camille"], 0.1)
    await asyncio.sleep(0.25)
    assert await backend.claim_expired("visitor") == []
    assert await backend.claim_expired("desk") == ["camille"]


async def test_concurrent_claimers_get_each_expired_lease_once(backend: Backend) -> None:
    members = [f"v{i}:1" for i in range(60)]
    await backend.renew_leases("visitor", members, 0.1)
    await asyncio.sleep(0.25)
    batches = await asyncio.gather(*(backend.claim_expired("visitor", 7) for _ in range(12)))
    claimed = [member for batch in batches for member in batch]
    assert sorted(claimed) == sorted(members)
    assert all(len(batch) <= 7 for batch in batches)
