"""Lifting anonymity only by consent (R9): a counsellor asks for one detail for a
stated purpose; the visitor answers once, by sharing it or declining.

A request is void once the conversation has moved on without its asker — transferred,
or the asker left — since the answer would reach people the visitor was not told of.
The answer is an ordinary event of the conversation, deleted with it.
"""

from __future__ import annotations

from protocol.messages import Event

from .errors import ParoleError


def check_answer(events: list[Event], asked: int, client_id: str) -> Event | None:
    """May the visitor answer request ``asked`` now? ``events``: the log from seq
    ``asked`` on. Returns the answer stored earlier when this one is its retry (same
    ``client_id``), None when it may be answered; raises ParoleError
    ``unknown_request`` for no such request, one answered already, or one void."""
    if not events or events[0].seq != asked or events[0].kind != "asked":
        raise ParoleError(f"no request {asked}", code="unknown_request")
    request = events[0]
    for event in events[1:]:
        if event.asked == asked and event.author == "visitor":
            if event.client_id == client_id:
                return event
            raise ParoleError(f"request {asked} is answered", code="unknown_request")
        if event.kind in ("transferred", "ended") or (
            event.kind == "left" and event.alias == request.alias
        ):
            raise ParoleError(f"request {asked} is void", code="unknown_request")
    return None
