"""Conversations and their event logs: numbered, deduplicated, then deleted."""

from __future__ import annotations

import enum

import msgspec

from protocol.messages import Author, Event

from .errors import IllegalTransition, NotHeld

#: Event kinds that change who holds a conversation: nobody after a transfer, the
#: counsellor who took the visitor after an ``opened``.
HOLDERS = ("opened", "transferred")


class ConversationState(enum.Enum):
    ACTIVE = "active"
    ENDED = "ended"


class Note(msgspec.Struct, frozen=True):
    """What a counsellor writes for the next one when transferring (never to the visitor)."""

    alias: str
    pole: str  # the pole the visitor came from
    text: str
    at: float


class Conversation(msgspec.Struct):
    """A visitor and the counsellor who took them, by alias and pole only (R2).

    A transfer (R6) leaves it held by nobody (``counsellor`` empty) in the target
    ``pole`` until someone there takes the visitor, who then :meth:`adopt` it, history
    and notes included: nothing is copied anywhere.
    """

    id: str
    pole: str
    visitor: str
    counsellor: str
    alias: str
    pseudonym: str
    opened_at: float
    state: ConversationState = ConversationState.ACTIVE
    ended_at: float | None = None
    #: A proof of visit was issued: at most one per conversation (R10).
    attested: bool = False
    notes: list[Note] = []

    @property
    def held(self) -> bool:
        return bool(self.counsellor)

    def end(self, at: float | None = None) -> None:
        if self.state is ConversationState.ENDED:
            raise IllegalTransition("this conversation has already ended")
        self.state = ConversationState.ENDED
        self.ended_at = at

    def transfer(self, by: str, pole: str, note: Note | None) -> None:
        """``by`` hands the conversation over to ``pole``'s queue; they no longer hold it."""
        if self.state is ConversationState.ENDED:
            raise IllegalTransition("this conversation has ended")
        if not self.side_of(by):
            raise NotHeld("only the counsellor holding a conversation transfers it")
        if pole == self.pole:
            raise IllegalTransition("the conversation is in this pole already")
        self.counsellor = ""
        self.alias = ""
        self.pole = pole
        if note is not None:
            self.notes = [*self.notes, note]

    def adopt(self, counsellor: str, alias: str) -> None:
        """A counsellor of the target pole took the transferred visitor."""
        if self.state is ConversationState.ENDED:
            raise IllegalTransition("this conversation has ended")
        if self.held:
            raise IllegalTransition("this conversation is held already")
        self.counsellor = counsellor
        self.alias = alias

    def attest(self) -> None:
        if self.attested:
            raise IllegalTransition("this conversation has its proof of visit already")
        self.attested = True

    def rename_visitor(self, pseudonym: str) -> None:
        self.pseudonym = pseudonym

    def side_of(self, counsellor: str) -> bool:
        return bool(counsellor) and self.counsellor == counsellor


class ConversationLog(msgspec.Struct):
    """The events of one conversation, numbered 1, 2, 3... without gaps.

    ``append`` is idempotent per (author, client_id): a retried message returns
    the event stored the first time and ``False``, so it is never shown twice.
    The ``ended`` event is the last: nothing new is appended after it, which lets
    a sender skip reading the conversation's state before each message. Likewise a
    counsellor's message is refused from a ``transferred`` event until the next
    ``opened``: whoever transferred it no longer writes there, whatever their tabs
    still believe.
    """

    events: list[Event] = []
    client_ids: dict[str, int] = {}
    unheld: bool = False

    @property
    def last_seq(self) -> int:
        return len(self.events)

    @property
    def ended(self) -> bool:
        return bool(self.events) and self.events[-1].kind == "ended"

    def append(self, draft: Event) -> tuple[Event, bool]:
        """Store ``draft`` under the next seq; returns (stored event, is new)."""
        key = _client_key(draft.author, draft.client_id)
        if key is not None and key in self.client_ids:
            return self.events[self.client_ids[key] - 1], False
        if self.ended:
            raise IllegalTransition("this conversation has ended")
        if self.unheld and draft.author == "counsellor":
            raise NotHeld("nobody holds this conversation now")
        if draft.kind in HOLDERS:
            self.unheld = draft.kind == "transferred"
        event = msgspec.structs.replace(draft, seq=self.last_seq + 1)
        self.events.append(event)
        if key is not None:
            self.client_ids[key] = event.seq
        return event, True

    def since(self, seq: int) -> list[Event]:
        """Events after ``seq``, in order."""
        return self.events[max(seq, 0) :]


def _client_key(author: Author, client_id: str | None) -> str | None:
    return None if client_id is None else f"{author}:{client_id}"
