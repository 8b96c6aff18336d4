"""What transfers need of every backend (R6): a visitor requeued at their first ticket in
one step, the first arrival of each queue, and a log that no one writes in unheld."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from protocol.messages import Author, Event, EventKind
from server.backends import Backend
from server.core.errors import IllegalTransition, NotFound, NotHeld
from server.core.visitors import VisitorSession, VisitorState
from tests.contract.test_backend_contract import (
    LONG,
    PAST_SHORT,
    SHORT,
    a_draft,
    opened,
    waiting,
)


def moved_to(pole: str) -> Callable[[VisitorSession], str]:
    def change(session: VisitorSession) -> str:
        session.transfer(pole)
        return session.pole

    return change


async def talking_visitor(backend: Backend, ttl: float = LONG) -> VisitorSession:
    session = await waiting(backend, "accueil", ttl=ttl)
    assert await backend.pop_waiting("accueil") == session.id
    await backend.update_visitor(session.id, lambda s: s.assign("c1"))
    stored = await backend.get_visitor(session.id)
    assert stored is not None and stored.state is VisitorState.TALKING
    return stored


async def test_requeue_puts_a_transferred_visitor_at_the_place_of_their_first_arrival(
    backend: Backend,
) -> None:
    first = await talking_visitor(backend)  # ticket earlier than everyone below
    later = [await waiting(backend, "emploi") for _ in range(3)]

    result, position = await backend.requeue(first.id, moved_to("emploi"))

    assert (result, position) == ("emploi", 1)
    stored = await backend.get_visitor(first.id)
    assert stored is not None and (stored.state, stored.pole, stored.ticket) == (
        VisitorState.WAITING,
        "emploi",
        first.ticket,
    )
    waiting_now, found = await backend.positions("emploi", [stored, *later])
    assert (waiting_now, found) == (4, [1, 2, 3, 4])
    assert await backend.pop_waiting("emploi") == first.id  # served first, too
    assert await backend.queue_lengths(["accueil"]) == {"accueil": 0}


async def test_requeue_stores_nothing_when_the_change_raises(backend: Backend) -> None:
    session = await waiting(backend, "accueil")  # waiting: a transfer is illegal

    with pytest.raises(IllegalTransition):
        await backend.requeue(session.id, moved_to("emploi"))

    assert await backend.get_visitor(session.id) == session
    assert await backend.queue_lengths(["emploi", "accueil"]) == {"emploi": 0, "accueil": 1}
    with pytest.raises(NotFound):
        await backend.requeue("v-unknown", moved_to("emploi"))


async def test_a_requeued_visitor_leaves_the_queue_when_their_session_expires(
    backend: Backend,
) -> None:
    session = await talking_visitor(backend, ttl=SHORT * 2)
    behind = await waiting(backend, "emploi")
    await backend.requeue(session.id, moved_to("emploi"))

    await asyncio.sleep(PAST_SHORT * 2)

    assert await backend.queue_lengths(["emploi"]) == {"emploi": 1}
    assert await backend.position(behind) == 1


async def test_concurrent_requeues_of_one_visitor_apply_the_change_once(backend: Backend) -> None:
    session = await talking_visitor(backend)
    outcomes = await asyncio.gather(
        backend.requeue(session.id, moved_to("emploi")),
        backend.requeue(session.id, moved_to("formation")),
        return_exceptions=True,
    )
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(done) == 1 and all(
        isinstance(o, IllegalTransition) for o in outcomes if o not in done
    )
    pole = done[0][0]  # type: ignore[index]
    other = "formation" if pole == "emploi" else "emploi"
    assert await backend.queue_lengths([pole, other]) == {pole: 1, other: 0}


async def test_first_arrivals_give_the_arrival_of_each_queues_first_in_line(
    backend: Backend,
) -> None:
    assert await backend.first_arrivals(["emploi", "formation"]) == {}
    first = await waiting(backend, "emploi")
    await waiting(backend, "emploi")
    found = await backend.first_arrivals(["emploi", "formation"])
    assert found == {"emploi": first.arrived_at}
    await backend.dequeue(first)
    assert list(await backend.first_arrivals(["emploi"])) == ["emploi"]
    assert await backend.first_arrivals([]) == {}


async def test_a_counsellors_draft_is_refused_from_a_transfer_to_the_next_opening(
    backend: Backend,
) -> None:
    conversation = await opened(backend)
    channel = f"conversation:{conversation.id}"

    def holder(kind: EventKind) -> Event:
        return a_draft(conversation.id, "", author="system", kind=kind)

    def said(author: Author) -> Event:
        return a_draft(conversation.id, author=author)

    await backend.append_event(conversation.id, holder("opened"), channel)
    await backend.append_event(conversation.id, said("counsellor"), channel)
    await backend.append_event(conversation.id, holder("transferred"), channel)
    with pytest.raises(NotHeld):
        await backend.append_event(conversation.id, said("counsellor"), channel)
    await backend.append_event(conversation.id, said("visitor"), channel)
    await backend.append_event(conversation.id, holder("opened"), channel)
    stored, new = await backend.append_event(conversation.id, said("counsellor"), channel)
    assert new and stored.seq == 6
    events = await backend.events_since(conversation.id, 0)
    assert [e.kind for e in events] == [
        "opened",
        "message",
        "transferred",
        "message",
        "opened",
        "message",
    ]
