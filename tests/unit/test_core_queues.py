from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.core.queues import PoleQueue
from tests.unit.helpers import roundtrip


def test_an_empty_queue_has_nobody_to_pop() -> None:
    queue = PoleQueue()
    assert len(queue) == 0
    assert queue.pop() is None


def test_visitors_are_served_by_arrival_ticket_not_by_push_order() -> None:
    queue = PoleQueue()
    # Ticket 2 was moved in from another pole after 5 and 9 arrived here: it keeps its turn.
    for ticket, visitor in [(5, "b"), (9, "c"), (2, "a"), (12, "d")]:
        queue.push(ticket, visitor)
    assert [queue.pop() for _ in range(5)] == ["a", "b", "c", "d", None]


def test_push_returns_the_position_taken() -> None:
    queue = PoleQueue()
    assert queue.push(10, "b") == 1
    assert queue.push(20, "c") == 2
    assert queue.push(5, "a") == 1
    assert queue.position(20, "c") == 3


def test_pushing_the_same_visitor_twice_keeps_one_entry() -> None:
    queue = PoleQueue()
    queue.push(1, "a")
    queue.push(2, "b")
    assert queue.push(1, "a") == 1
    assert len(queue) == 2


def test_positions_move_up_when_someone_ahead_leaves() -> None:
    queue = PoleQueue()
    for ticket, visitor in enumerate("abcd", start=1):
        queue.push(ticket, visitor)
    assert queue.remove(2, "b")
    assert [queue.position(t, v) for t, v in [(1, "a"), (3, "c"), (4, "d")]] == [1, 2, 3]
    assert queue.pop() == "a"
    assert queue.position(4, "d") == 2


def test_removing_twice_or_removing_a_stranger_changes_nothing() -> None:
    queue = PoleQueue()
    queue.push(1, "a")
    queue.push(3, "c")
    assert queue.remove(1, "a")
    assert not queue.remove(1, "a")
    assert not queue.remove(2, "b")  # would sit between the others
    assert not queue.remove(9, "z")  # would sit past the end
    assert not queue.remove(3, "x")  # right ticket, wrong visitor
    assert queue.entries == [(3, "c")]


def test_a_visitor_not_waiting_here_has_no_position() -> None:
    queue = PoleQueue()
    assert queue.position(1, "a") is None
    queue.push(1, "a")
    assert queue.position(1, "b") is None
    assert queue.position(2, "a") is None
    queue.pop()
    assert queue.position(1, "a") is None


def test_two_queues_never_share_their_entries() -> None:
    one, other = PoleQueue(), PoleQueue()
    one.push(1, "a")
    assert len(other) == 0


def test_a_queue_decoded_from_msgpack_keeps_its_order_and_positions() -> None:
    queue = PoleQueue()
    for ticket, visitor in [(3, "c"), (1, "a"), (2, "b")]:
        queue.push(ticket, visitor)
    back = roundtrip(queue)
    assert back == queue
    assert back.position(2, "b") == 2
    assert back.remove(1, "a")
    assert back.pop() == "b"


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 30)), max_size=60))
def test_interleaved_pushes_and_removals_always_serve_the_lowest_ticket_first(
    ops: list[tuple[bool, int]],
) -> None:
    queue = PoleQueue()
    model: set[int] = set()
    for is_push, ticket in ops:
        visitor = f"v{ticket}"
        if is_push:
            model.add(ticket)
            assert queue.push(ticket, visitor) == sorted(model).index(ticket) + 1
        else:
            assert queue.remove(ticket, visitor) is (ticket in model)
            model.discard(ticket)
        assert len(queue) == len(model)
    for rank, ticket in enumerate(sorted(model), start=1):
        assert queue.position(ticket, f"v{ticket}") == rank
    assert [queue.pop() for _ in model] == [f"v{t}" for t in sorted(model)]
    assert queue.pop() is None
