"""Answering a counsellor's request for a detail: once, and only while it stands."""

import pytest

from protocol.messages import AskInfo, Event
from server.core.consent import check_answer
from server.core.errors import ParoleError


def event(seq: int, kind: str, author: str = "system", **fields: object) -> Event:
    return Event(conversation="c1", seq=seq, kind=kind, author=author, at=seq, **fields)  # type: ignore[arg-type]


ASKED = event(4, "asked", "counsellor", alias="Camille", ask=AskInfo("E-mail", "Le dossier"))


def refused(events: list[Event], asked: int = 4, client_id: str = "a1") -> None:
    with pytest.raises(ParoleError) as error:
        check_answer(events, asked, client_id)
    assert error.value.code == "unknown_request"


def test_a_standing_request_may_be_answered() -> None:
    assert check_answer([ASKED], 4, "a1") is None
    later = [
        ASKED,
        event(5, "message", "counsellor", text="Merci"),
        event(6, "joined", alias="Dominique"),
    ]
    assert check_answer(later, 4, "a1") is None
    assert check_answer([*later, event(7, "left", alias="Dominique")], 4, "a1") is None


def test_a_retry_gets_the_answer_stored_first_and_another_answer_is_refused() -> None:
    answer = event(5, "message", "visitor", text="x@example.org", client_id="a1", asked=4)
    assert check_answer([ASKED, answer], 4, "a1") is answer
    refused([ASKED, answer], client_id="a2")
    declined = event(5, "declined", "visitor", client_id="a3", asked=4)
    refused([ASKED, declined], client_id="a1")


def test_no_such_request() -> None:
    refused([])
    refused([event(4, "message", "counsellor", text="hi")])
    refused([ASKED], asked=3)


@pytest.mark.parametrize(
    "after",
    [
        event(5, "transferred", "counsellor", alias="Camille", pole="formation"),
        event(5, "left", alias="Camille"),
        event(5, "ended", "visitor"),
    ],
)
def test_a_request_is_void_once_its_asker_is_gone(after: Event) -> None:
    refused([ASKED, after])
