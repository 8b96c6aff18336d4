"""Conversations and their event logs: numbered, deduplicated, then deleted."""

from __future__ import annotations

import enum

import msgspec

from protocol.messages import Author, Event

from .errors import IllegalTransition, NotHeld, UnknownInvitation

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


class Participant(msgspec.Struct, frozen=True):
    """A counsellor who joined a conversation on a colleague's invitation."""

    login: str
    alias: str
    pole: str  # the pole they are shown with (one they staff)


class Invitation(msgspec.Struct, frozen=True):
    """A counsellor asks a colleague into a conversation (R6). ``transfer``: a direct
    transfer, the colleague takes it over alone in ``pole``; else they join alongside,
    shown with ``pole``. Unanswered at ``until`` (epoch seconds), it is void."""

    to: str  # the colleague's login
    alias: str  # the colleague's
    by: str  # the inviting counsellor's login
    by_alias: str
    pole: str
    until: float
    transfer: bool = False
    note: str = ""


class Conversation(msgspec.Struct):
    """A visitor and the counsellor who took them, by alias and pole only (R2).

    A transfer (R6) leaves it held by nobody (``counsellor`` empty) in the target
    ``pole`` until someone there takes the visitor, who then :meth:`adopt` it, history
    and notes included: nothing is copied anywhere.

    Colleagues invited may join (``guests``): each reads and writes everything, and the
    conversation goes on until the visitor leaves or the last counsellor ends it. The
    holder is the one who answers for it (transfers, proof of visit); when they leave,
    the first guest holds it.
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
    guests: list[Participant] = []
    invitations: list[Invitation] = []
    #: The visitor's site, for the statistics' cells (R11).
    site: str = ""

    @property
    def held(self) -> bool:
        return bool(self.counsellor)

    @property
    def counsellors(self) -> list[str]:
        """Logins of everyone in it: the holder first."""
        return [self.counsellor, *(g.login for g in self.guests)] if self.held else []

    def end(self, at: float | None = None) -> None:
        if self.state is ConversationState.ENDED:
            raise IllegalTransition("this conversation has already ended")
        self.state = ConversationState.ENDED
        self.ended_at = at

    def transfer(self, by: str, pole: str, note: Note | None) -> list[Invitation]:
        """``by`` hands the conversation over to ``pole``'s queue; they no longer hold it.
        Returns the invitations it voids (whoever was asked in would find nobody)."""
        if self.state is ConversationState.ENDED:
            raise IllegalTransition("this conversation has ended")
        if not self.side_of(by):
            raise NotHeld("only the counsellor holding a conversation transfers it")
        if pole == self.pole:
            raise IllegalTransition("the conversation is in this pole already")
        self._check_alone()
        voided, self.invitations = self.invitations, []
        self.counsellor = ""
        self.alias = ""
        self.pole = pole
        if note is not None:
            self.notes = [*self.notes, note]
        return voided

    def adopt(self, counsellor: str, alias: str) -> None:
        """A counsellor of the target pole took the transferred visitor."""
        if self.state is ConversationState.ENDED:
            raise IllegalTransition("this conversation has ended")
        if self.held:
            raise IllegalTransition("this conversation is held already")
        self.counsellor = counsellor
        self.alias = alias

    def invite(self, invitation: Invitation, now: float) -> None:
        """``invitation.by`` asks ``invitation.to`` in; one invitation per colleague."""
        self._check_active()
        if not self.side_of(invitation.by):
            raise NotHeld("only a counsellor in a conversation invites someone into it")
        if invitation.to in self.counsellors:
            raise IllegalTransition("this counsellor is in the conversation already")
        waiting = self.waiting(now)
        if any(i.to == invitation.to for i in waiting):
            raise IllegalTransition("this counsellor is invited already")
        if any(i.transfer for i in waiting):
            raise IllegalTransition("a transfer to a colleague is waiting for an answer")
        if invitation.transfer:
            if invitation.by != self.counsellor:
                raise NotHeld("only the counsellor holding a conversation transfers it")
            if invitation.pole == self.pole:
                raise IllegalTransition("the conversation is in this pole already")
            self._check_alone()
            if waiting:
                raise IllegalTransition("withdraw the invitations first")
        # One that ran out for the same colleague (its lease not yet claimed) is replaced.
        others = [i for i in self.invitations if i.to != invitation.to]
        self.invitations = [*others, invitation]

    def accept(self, to: str, now: float) -> Invitation:
        """``to`` accepts the invitation waiting for them: they are in (a direct
        transfer: they hold it alone in its pole, the note with it). Returns it."""
        invitation = self.decline(to, now)
        if invitation.transfer:
            self.counsellor, self.alias, self.pole = (
                invitation.to,
                invitation.alias,
                invitation.pole,
            )
            if invitation.note:
                self.notes = [
                    *self.notes,
                    Note(invitation.by_alias, self.pole, invitation.note, now),
                ]
        else:
            guest = Participant(invitation.to, invitation.alias, invitation.pole)
            self.guests = [*self.guests, guest]
        return invitation

    def decline(self, to: str, now: float) -> Invitation:
        """Remove and return the invitation ``to`` may still answer."""
        self._check_active()
        if not any(i.to == to for i in self.waiting(now)):
            raise UnknownInvitation("no invitation waiting for this counsellor")
        return self._take_invitation(to)

    def withdraw(self, by: str, to: str) -> Invitation:
        """Whoever is in the conversation may withdraw an invitation still waiting."""
        if not self.side_of(by):
            raise NotHeld("only a counsellor in a conversation withdraws an invitation")
        return self._take_invitation(to)

    def leave(self, login: str) -> None:
        """``login`` leaves a conversation others go on with (the last one ends it)."""
        self._check_active()
        if not self.side_of(login):
            raise NotHeld("not in this conversation")
        if not self.guests:
            raise IllegalTransition("the last counsellor ends the conversation")
        if login == self.counsellor:
            first, *self.guests = self.guests
            self.counsellor, self.alias = first.login, first.alias
        else:
            self.guests = [g for g in self.guests if g.login != login]

    def lapse(self, to: str) -> Invitation | None:
        """The invitation for ``to`` ran out of time (its lease says so), if still there."""
        try:
            return self._take_invitation(to)
        except UnknownInvitation:
            return None

    def waiting(self, now: float) -> list[Invitation]:
        """The invitations one may still answer at ``now`` (the others wait for their
        lease to be claimed, which tells both counsellors)."""
        return [i for i in self.invitations if i.until > now]

    def _take_invitation(self, to: str) -> Invitation:
        for invitation in self.invitations:
            if invitation.to == to:
                self.invitations = [i for i in self.invitations if i is not invitation]
                return invitation
        raise UnknownInvitation("no invitation waiting for this counsellor")

    def _check_active(self) -> None:
        if self.state is ConversationState.ENDED:
            raise IllegalTransition("this conversation has ended")

    def _check_alone(self) -> None:
        if self.guests:
            raise IllegalTransition("colleagues are in this conversation: they leave first")

    def attest(self) -> None:
        if self.attested:
            raise IllegalTransition("this conversation has its proof of visit already")
        self.attested = True

    def rename_visitor(self, pseudonym: str) -> None:
        self.pseudonym = pseudonym

    def side_of(self, counsellor: str) -> bool:
        return bool(counsellor) and counsellor in self.counsellors


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
