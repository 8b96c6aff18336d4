"""A visitor's session: waiting in a queue, talking, or ended (R1, R3)."""

from __future__ import annotations

import enum

import msgspec

from .errors import IllegalTransition


class VisitorState(enum.Enum):
    WAITING = "waiting"
    TALKING = "talking"
    ENDED = "ended"


class VisitorSession(msgspec.Struct):
    """Everything the server knows of a visitor: no name, no contact, no address.

    ``ticket`` orders arrivals across all poles, so a visitor moved to another
    pole keeps their turn. ``generation`` counts attachments: the newest
    connection owns the session and older ones are told they were replaced.
    Each connection holds a lease named after its generation; when a lease runs
    out (the tab closed, or its server died) and no newer connection came, the
    session is :meth:`abandoned`.
    """

    id: str
    token_hash: str
    pole: str
    pseudonym: str
    ticket: int
    arrived_at: float
    state: VisitorState = VisitorState.WAITING
    question: str | None = None
    question_client_id: str | None = None
    conversation: str | None = None
    generation: int = 0
    #: The site whose widget the visitor came through (its hours applied at joining).
    site: str = ""
    #: Ended because the pole closed before their turn came (told so, R3).
    closed: bool = False
    #: The visitor answered "how was it?" (once per session, so once per conversation).
    rated: bool = False
    #: Ended by a counsellor who blocked its source (told so, calmly).
    blocked: bool = False
    #: Where it came from, as an HMAC of the client address under the day's key
    #: (never the address): what a block refuses for a while.
    source: str = ""
    #: When they entered the queue they are in, if a transfer sent them there (else
    #: ``arrived_at``): where the wait counted in the statistics starts.
    queued_at: float | None = None
    #: The questions about who they are already answered (the answers are not kept here).
    told: list[str] = []

    def waited(self, now: float) -> float:
        """Seconds in the current queue (the statistics' wait, R11)."""
        return now - (self.arrived_at if self.queued_at is None else self.queued_at)

    def assign(self, conversation_id: str) -> str:
        """A counsellor took this visitor; returns the conversation they are in now.

        A visitor transferred from another pole keeps the conversation they had: its
        history goes on with whoever takes them next (``conversation_id`` is unused).
        """
        if self.state is not VisitorState.WAITING:
            raise IllegalTransition(f"cannot assign a visitor who is {self.state.value}")
        self.state = VisitorState.TALKING
        if self.conversation is None:
            self.conversation = conversation_id
        return self.conversation

    def transfer(self, pole: str, at: float | None = None) -> None:
        """A counsellor sends this visitor to ``pole``'s queue (R6). The ticket stays:
        they wait there at the place their first arrival gives them, not at the back."""
        if self.state is not VisitorState.TALKING:
            raise IllegalTransition(f"cannot transfer a visitor who is {self.state.value}")
        if pole == self.pole:
            raise IllegalTransition("the visitor is in this pole already")
        self.state = VisitorState.WAITING
        self.pole = pole
        self.queued_at = at

    def hand_over(self, pole: str) -> None:
        """A colleague of ``pole`` accepted a direct transfer: the visitor goes on
        talking, now in ``pole``."""
        if self.state is not VisitorState.TALKING:
            raise IllegalTransition(f"cannot transfer a visitor who is {self.state.value}")
        self.pole = pole

    def end(self) -> VisitorState:
        """Leave the queue or the conversation; returns the state left."""
        if self.state is VisitorState.ENDED:
            raise IllegalTransition("this session has already ended")
        previous, self.state = self.state, VisitorState.ENDED
        return previous

    def close(self) -> None:
        """The pole closed while this visitor was still waiting."""
        if self.state is not VisitorState.WAITING:
            raise IllegalTransition(
                f"cannot close the queue for a visitor who is {self.state.value}"
            )
        self.state = VisitorState.ENDED
        self.closed = True

    def rate(self, conversation_id: str) -> None:
        """The one answer to "how was it?", once the conversation ``conversation_id``
        (this session's) has ended."""
        if conversation_id != self.conversation:
            raise IllegalTransition("not this session's conversation", code="unknown_conversation")
        if self.state is not VisitorState.ENDED:
            raise IllegalTransition("the conversation has not ended")
        if self.rated:
            raise IllegalTransition("already answered")
        self.rated = True

    def tell(self, question: str) -> None:
        """One answer about who they are (situation, age, origin), once each, after a
        conversation a counsellor took has ended — as "how was it?"."""
        if self.conversation is None or self.state is not VisitorState.ENDED:
            raise IllegalTransition("asked once a conversation has ended")
        if question in self.told:
            raise IllegalTransition("already answered")
        self.told = [*self.told, question]

    def rename(self, pseudonym: str) -> None:
        if self.state is VisitorState.ENDED:
            raise IllegalTransition("this session has ended")
        self.pseudonym = pseudonym

    def attach(self) -> int:
        """A connection takes the session over; returns its generation.

        ``Backend.resume_visitor`` applies this rule inside the store (a Lua script in
        Redis): change one, change the other.
        """
        self.generation += 1
        return self.generation

    def abandoned(self, generation: int) -> bool:
        """The lease of ``generation`` ran out: True unless a newer connection came or it ended."""
        return self.state is not VisitorState.ENDED and self.generation == generation
