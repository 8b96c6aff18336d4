from __future__ import annotations

import pytest

from server.core.errors import IllegalTransition
from server.core.visitors import VisitorSession, VisitorState
from tests.unit.helpers import roundtrip


def session() -> VisitorSession:
    return VisitorSession(
        id="v1", token_hash="h", pole="emploi", pseudonym="Loutre 42", ticket=7, arrived_at=100.0
    )


def test_a_new_session_waits_unattached_and_without_a_conversation() -> None:
    s = session()
    assert (s.state, s.conversation, s.generation) == (VisitorState.WAITING, None, 0)


def test_a_waiting_visitor_assigned_to_a_conversation_is_talking() -> None:
    s = session()
    s.assign("c1")
    assert s.state is VisitorState.TALKING
    assert s.conversation == "c1"


def test_a_talking_visitor_cannot_be_assigned_again() -> None:
    s = session()
    s.assign("c1")
    with pytest.raises(IllegalTransition, match="talking") as caught:
        s.assign("c2")
    assert caught.value.code == "not_allowed"
    assert s.conversation == "c1"


def test_an_ended_visitor_cannot_be_assigned() -> None:
    s = session()
    s.end()
    with pytest.raises(IllegalTransition, match="ended"):
        s.assign("c1")
    assert s.conversation is None


def test_ending_returns_the_state_left() -> None:
    waiting, talking = session(), session()
    talking.assign("c1")
    assert waiting.end() is VisitorState.WAITING
    assert talking.end() is VisitorState.TALKING
    assert waiting.state is talking.state is VisitorState.ENDED


def test_a_session_cannot_end_twice() -> None:
    s = session()
    s.end()
    with pytest.raises(IllegalTransition) as caught:
        s.end()
    assert caught.value.code == "not_allowed"


def test_a_visitor_may_rename_while_waiting_or_talking() -> None:
    s = session()
    s.rename("Héron 12")
    assert s.pseudonym == "Héron 12"
    s.assign("c1")
    s.rename("Saule 30")
    assert s.pseudonym == "Saule 30"


def test_an_ended_session_cannot_be_renamed() -> None:
    s = session()
    s.end()
    with pytest.raises(IllegalTransition):
        s.rename("Héron 12")
    assert s.pseudonym == "Loutre 42"


def test_each_attachment_gets_the_next_generation() -> None:
    s = session()
    assert [s.attach(), s.attach(), s.attach()] == [1, 2, 3]


def test_a_session_is_abandoned_when_the_lease_of_its_last_connection_runs_out() -> None:
    s = session()
    generation = s.attach()
    assert s.abandoned(generation)


def test_a_session_taken_over_by_a_newer_connection_is_not_abandoned() -> None:
    s = session()
    old = s.attach()
    new = s.attach()
    assert not s.abandoned(old)
    assert s.abandoned(new)


def test_an_ended_session_is_never_abandoned() -> None:
    s = session()
    generation = s.attach()
    s.end()
    assert not s.abandoned(generation)


def test_a_session_survives_the_msgpack_round_trip() -> None:
    s = session()
    s.question, s.question_client_id = "Comment faire un CV ?", "q-1"
    s.assign("c1")
    s.attach()
    back = roundtrip(s)
    assert back == s
    assert back.state is VisitorState.TALKING


def test_a_new_session_came_through_no_site_and_was_not_closed() -> None:
    s = session()
    assert (s.site, s.closed) == ("", False)


def test_closing_the_queue_ends_a_waiting_visitor_and_says_it_closed() -> None:
    s = session()
    s.close()
    assert s.state is VisitorState.ENDED
    assert s.closed


def test_a_visitor_who_left_the_queue_was_not_closed() -> None:
    s = session()
    s.end()
    assert not s.closed


def test_closing_the_queue_does_not_end_a_conversation() -> None:
    s = session()
    s.assign("c1")
    with pytest.raises(IllegalTransition, match="talking") as caught:
        s.close()
    assert caught.value.code == "not_allowed"
    assert (s.state, s.closed, s.conversation) == (VisitorState.TALKING, False, "c1")


def test_an_ended_session_cannot_be_closed() -> None:
    s = session()
    s.end()
    with pytest.raises(IllegalTransition, match="ended"):
        s.close()
    assert not s.closed


def test_a_closed_session_cannot_be_ended_assigned_or_closed_again() -> None:
    s = session()
    s.close()
    for action in (s.end, lambda: s.assign("c1"), s.close):
        with pytest.raises(IllegalTransition):
            action()
    assert not s.abandoned(s.generation)


def test_a_closed_session_survives_the_round_trip_with_its_site() -> None:
    s = session()
    s.site = "evry"
    s.close()
    back = roundtrip(s)
    assert back == s
    assert (back.site, back.closed, back.state) == ("evry", True, VisitorState.ENDED)


def test_one_answer_once_the_conversation_has_ended() -> None:
    s = session()
    s.assign("c1")
    with pytest.raises(IllegalTransition):
        s.rate("c1")  # still talking
    s.end()
    with pytest.raises(IllegalTransition) as other:
        s.rate("c2")
    assert other.value.code == "unknown_conversation"
    s.rate("c1")
    assert s.rated
    with pytest.raises(IllegalTransition):
        s.rate("c1")
    assert roundtrip(s) == s


def test_a_session_never_taken_has_nothing_to_rate() -> None:
    s = session()
    s.end()
    with pytest.raises(IllegalTransition) as nothing:
        s.rate("c1")
    assert nothing.value.code == "unknown_conversation"
