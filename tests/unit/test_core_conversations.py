from __future__ import annotations

import pytest

from protocol.messages import Author, Event
from server.core.conversations import Conversation, ConversationLog, ConversationState
from server.core.errors import IllegalTransition
from tests.unit.helpers import roundtrip


def conversation() -> Conversation:
    return Conversation(
        id="c1",
        pole="emploi",
        visitor="v1",
        counsellor="marie",
        alias="Marie",
        pseudonym="Loutre 42",
        opened_at=10.0,
    )


def draft(text: str, author: Author = "visitor", client_id: str | None = None) -> Event:
    return Event(
        conversation="c1",
        seq=0,
        kind="message",
        author=author,
        at=1,
        text=text,
        client_id=client_id,
    )


def test_a_conversation_opens_active_and_ends_once() -> None:
    c = conversation()
    seen = [c.state]
    c.end()
    seen.append(c.state)
    assert seen == [ConversationState.ACTIVE, ConversationState.ENDED]
    with pytest.raises(IllegalTransition) as caught:
        c.end()
    assert caught.value.code == "not_allowed"


def test_an_ended_conversation_keeps_when_it_ended_and_is_attested_once() -> None:
    c = conversation()
    assert c.ended_at is None and not c.attested
    c.end(at=50.0)
    assert c.ended_at == 50.0
    c.attest()
    assert c.attested
    with pytest.raises(IllegalTransition):
        c.attest()


def test_renaming_the_visitor_changes_the_pseudonym_shown() -> None:
    c = conversation()
    c.rename_visitor("Héron 12")
    assert c.pseudonym == "Héron 12"


def test_only_the_counsellor_who_took_the_visitor_is_on_their_side() -> None:
    c = conversation()
    assert c.side_of("marie")
    assert not c.side_of("paul")


def test_a_conversation_survives_the_msgpack_round_trip() -> None:
    c = conversation()
    c.end()
    back = roundtrip(c)
    assert back == c
    assert back.state is ConversationState.ENDED


def test_events_are_numbered_from_one_without_gaps() -> None:
    log = ConversationLog()
    assert log.last_seq == 0
    stored = [log.append(draft(t))[0] for t in ("a", "b", "c")]
    assert [e.seq for e in stored] == [1, 2, 3]
    assert [e.text for e in log.events] == ["a", "b", "c"]
    assert log.last_seq == 3


def test_the_seq_of_a_draft_is_ignored() -> None:
    log = ConversationLog()
    event, is_new = log.append(
        Event(conversation="c1", seq=99, kind="opened", author="system", at=1)
    )
    assert (event.seq, is_new) == (1, True)


def test_a_retried_message_keeps_its_first_seq() -> None:
    log = ConversationLog()
    first, _ = log.append(draft("Bonjour", client_id="m1"))
    log.append(draft("Autre chose", client_id="m2"))
    again, is_new = log.append(draft("Bonjour", client_id="m1"))
    assert not is_new
    assert again == first
    assert again.seq == 1
    assert log.last_seq == 2


def test_a_retry_returns_the_first_text_even_if_the_retry_differs() -> None:
    log = ConversationLog()
    log.append(draft("Bonjour", client_id="m1"))
    again, is_new = log.append(draft("Bonjour !", client_id="m1"))
    assert (again.text, is_new, log.last_seq) == ("Bonjour", False, 1)


def test_the_same_client_id_from_the_other_author_is_a_different_message() -> None:
    log = ConversationLog()
    mine, _ = log.append(draft("Bonjour", author="visitor", client_id="m1"))
    theirs, is_new = log.append(draft("Bonjour à vous", author="counsellor", client_id="m1"))
    assert is_new
    assert (mine.seq, theirs.seq) == (1, 2)
    assert log.append(draft("x", author="counsellor", client_id="m1")) == (theirs, False)


def test_events_without_a_client_id_are_never_deduplicated() -> None:
    log = ConversationLog()
    first, _ = log.append(draft("Le conseiller a rejoint", author="system"))
    second, is_new = log.append(draft("Le conseiller a rejoint", author="system"))
    assert is_new
    assert (first.seq, second.seq) == (1, 2)
    assert log.client_ids == {}


@pytest.mark.parametrize(
    ("after", "expected"),
    [(-5, [1, 2, 3]), (0, [1, 2, 3]), (1, [2, 3]), (2, [3]), (3, []), (10, [])],
)
def test_since_returns_the_events_after_a_seq(after: int, expected: list[int]) -> None:
    log = ConversationLog()
    for text in "abc":
        log.append(draft(text))
    assert [e.seq for e in log.since(after)] == expected


def test_since_on_an_empty_log_is_empty() -> None:
    assert ConversationLog().since(0) == []


def test_two_logs_never_share_their_events() -> None:
    one, other = ConversationLog(), ConversationLog()
    one.append(draft("a", client_id="m1"))
    assert other.events == []
    assert other.client_ids == {}


def test_a_log_decoded_from_msgpack_still_numbers_and_deduplicates() -> None:
    log = ConversationLog()
    log.append(draft("a", client_id="m1"))
    log.append(draft("b", author="counsellor", client_id="m1"))
    back = roundtrip(log)
    assert back == log
    assert back.append(draft("a", client_id="m1")) == (log.events[0], False)
    assert back.append(draft("c"))[0].seq == 3


def test_nothing_new_is_appended_after_the_ended_event() -> None:
    log = ConversationLog()
    log.append(draft("Bonjour", client_id="m1"))
    assert not log.ended
    log.append(Event(conversation="c1", seq=0, kind="ended", author="counsellor", at=2))
    assert log.ended

    with pytest.raises(IllegalTransition):
        log.append(draft("Encore là ?", client_id="m2"))
    with pytest.raises(IllegalTransition):
        log.append(Event(conversation="c1", seq=0, kind="ended", author="visitor", at=3))
    # A retry of what was stored before the end still gets its first copy.
    assert log.append(draft("Bonjour", client_id="m1"))[0].seq == 1
    assert log.last_seq == 2
