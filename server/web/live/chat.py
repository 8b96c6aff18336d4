"""The chat operations both websocket endpoints share: core rules, backend, delivery.

Every change goes through the backend and is announced on a channel, so a
visitor and a counsellor connected to different processes see the same thing:

- ``visitor:<id>``       the visitor's session changed (taken, ended, replaced);
- ``conversation:<id>``  conversation events and typing notices;
- ``queue:<pole>``       a pole's queue changed (positions, waiting counts);
- ``staff:<login>``      a counsellor took a conversation (their other tabs follow),
                         paused or came back, or a manager changed the account;
- ``config``             a manager changed the Cité.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import msgspec

from protocol.messages import Conversation as ConversationMessage
from protocol.messages import (
    ConversationInfo,
    Event,
    EventKind,
    InvitationClosed,
    InvitationInfo,
    Message,
    NoteInfo,
    Released,
    Session,
    TypingNotice,
    encoder,
)
from server.backends import Backend
from server.core import schedules, statistics
from server.core.conversations import Conversation, ConversationState, Invitation, Note
from server.core.errors import IllegalTransition, NotFound, NotHeld, ParoleError
from server.core.poles import Cite
from server.core.staff import Desk, StaffAccount
from server.core.statistics import Measure
from server.core.text import clean_pseudonym, clean_text, generate_pseudonym
from server.core.visitors import VisitorSession, VisitorState

from ..settings import Settings
from .tally import Tally


class QueueChanged(msgspec.Struct, tag="_queue", tag_field="type", omit_defaults=True):
    """Internal: a pole's queue changed; ``waiting`` is its new length; ``takes``,
    after a take, the pole's recent take times (for the wait estimate)."""

    pole: str
    waiting: int
    takes: list[float] | None = None
    #: When the first in line arrived (epoch ms): the longest current wait.
    since: int | None = None


class ConfigChanged(msgspec.Struct, tag="_config", tag_field="type"):
    """Internal: a manager changed the Cité (poles, sites, hours)."""


class LibraryChanged(msgspec.Struct, tag="_library", tag_field="type"):
    """Internal: a manager changed the resource cards (the widgets' events may change)."""


class AccountChanged(msgspec.Struct, tag="_account", tag_field="type"):
    """Internal: a manager changed this staff account (poles, alias, disabled...)."""


class DeskChanged(msgspec.Struct, tag="_desk", tag_field="type"):
    """Internal: this counsellor's presence changed (from another tab, or by itself)."""


class StaffingChanged(msgspec.Struct, tag="_staffing", tag_field="type"):
    """Internal: a counsellor came, went, paused or resumed: who staffs the poles changed."""


class Replaced(msgspec.Struct, tag="_replaced", tag_field="type"):
    """Internal: a newer connection (``generation``) took the visitor session over."""

    generation: int


#: A pole's queue length and a visitor's position in it (None: not waiting there).
Place = tuple[int, int | None]

#: The encoded ``Replaced`` with the backend's holes in it (see Backend.resume_visitor).
REPLACED_SIGNAL = b'{"type":"_replaced","generation":{generation}}'


def visitor_channel(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def conversation_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def queue_channel(pole: str) -> str:
    return f"queue:{pole}"


def staff_channel(login: str) -> str:
    return f"staff:{login}"


#: Sockets of one process opening their session at the same time (a fraction of
#: the backend's connection pool).
ADMISSION = 16

#: Every process listens here for changes of the Cité's configuration.
CONFIG_CHANNEL = "config"
#: ... and here for counsellors coming, going, pausing (see Positions).
STAFFING_CHANNEL = "staffing"


#: Lease kinds (see server/core/leases.py): a visitor's connection ("<id>:<generation>"),
#: the same once that connection is gone, for the resume grace; a console connection
#: ("<login>:<connection id>"); a desk left without console, for the resume grace
#: ("<login>"); an invitation waiting for an answer ("<conversation>:<login>").
VISITOR = "visitor"
VISITOR_GONE = "visitor-gone"
CONSOLE = "console"
DESK = "desk"
INVITATION = "invitation"


def ms(seconds: float) -> int:
    return int(seconds * 1000)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_id() -> str:
    return secrets.token_hex(12)


def colleague_id(login: str) -> str:
    """How consoles name a colleague: stable, and not their sign-in name."""
    return hashlib.sha256(f"colleague:{login}".encode()).hexdigest()[:16]


def invitation_member(conversation_id: str, login: str) -> str:
    return f"{conversation_id}:{login}"


def invitation_info(
    conversation: Conversation, invitation: Invitation, *, incoming: bool
) -> InvitationInfo:
    return InvitationInfo(
        conversation=conversation.id,
        colleague=colleague_id(invitation.to),
        by=invitation.by_alias,
        to=invitation.alias,
        pole=invitation.pole,
        pseudonym=conversation.pseudonym,
        until=ms(invitation.until),
        incoming=incoming,
        transfer=invitation.transfer,
        note=invitation.note,
    )


def session_message(session: VisitorSession, token: str | None = None) -> Session:
    return Session(
        state=session.state.value,
        pseudonym=session.pseudonym,
        pole=session.pole,
        token=token,
        conversation=session.conversation,
        closed=session.closed,
        blocked=session.blocked,
        rated=session.rated,
    )


def conversation_info(conversation: Conversation, last_seq: int) -> ConversationInfo:
    return ConversationInfo(
        id=conversation.id,
        pole=conversation.pole,
        pseudonym=conversation.pseudonym,
        state=conversation.state.value,
        last_seq=last_seq,
        notes=[
            NoteInfo(alias=n.alias, pole=n.pole, text=n.text, at=int(n.at * 1000))
            for n in conversation.notes
        ],
    )


class Chat:
    def __init__(
        self,
        backend: Backend,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.SystemRandom()
        #: Sockets opening (``hello``) at once in this process; see Connection.
        self.admission = asyncio.Semaphore(ADMISSION)
        #: The anonymous statistics, counted as things happen (R11).
        self.tally = Tally(backend, clock, settings.statistics_years)

    # --- shared helpers ----------------------------------------------------------------
    async def cite(self) -> Cite:
        cite = await self.backend.get_cite()
        if cite is None:
            raise ParoleError("no Cité configured", code="unavailable")
        return cite

    async def save_cite(self, cite: Cite) -> None:
        """Store a manager's change and tell every process (widgets follow at once)."""
        await self.backend.put_cite(cite)
        await self.publish(CONFIG_CHANNEL, ConfigChanged())

    async def library_changed(self) -> None:
        """Tell every process that the resource cards changed (see Hours)."""
        await self.publish(CONFIG_CHANNEL, LibraryChanged())

    async def save_staff(self, account: StaffAccount) -> None:
        """Store a manager's change to an account and tell its open consoles."""
        await self.backend.put_staff(account)
        await self.publish(staff_channel(account.login), AccountChanged())
        await self.staffing_changed()

    async def accounts(self) -> list[StaffAccount]:
        """Every enabled staff account (colleagues to invite, who staffs the poles)."""
        found = []
        for login in await self.backend.staff_logins():
            account = await self.backend.get_staff(login)
            if account is not None and not account.disabled:
                found.append(account)
        return found

    async def staffing_changed(self) -> None:
        await self.publish(STAFFING_CHANNEL, StaffingChanged())

    async def publish(self, channel: str, message: Message | msgspec.Struct) -> None:
        await self.backend.publish(channel, encoder.encode(message))

    async def announce_queue(self, pole: str, takes: list[float] | None = None) -> None:
        waiting = (await self.backend.queue_lengths([pole]))[pole]
        first = (await self.backend.first_arrivals([pole])).get(pole) if waiting else None
        await self.publish(
            queue_channel(pole),
            QueueChanged(
                pole=pole, waiting=waiting, takes=takes, since=None if first is None else ms(first)
            ),
        )

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def append(
        self,
        conversation_id: str,
        kind: EventKind,
        author: str,
        text: str = "",
        client_id: str | None = None,
        **extra: Any,
    ) -> tuple[Event, bool]:
        draft = Event(
            conversation=conversation_id,
            seq=0,
            kind=kind,
            author=author,  # type: ignore[arg-type]
            at=self._now_ms(),
            text=text,
            client_id=client_id,
            **extra,
        )
        return await self.backend.append_event(
            conversation_id, draft, conversation_channel(conversation_id)
        )

    # --- visitors ----------------------------------------------------------------------
    async def join(
        self,
        pole: str,
        pseudonym: str | None,
        question: str | None,
        client_id: str | None,
        site_id: str | None = None,
        source: str = "",
    ) -> tuple[VisitorSession, str, int]:
        """A new waiting session; returns it, its resume token and its position.

        Only at a site taking visitors now, in a pole it offers: nobody joins a
        queue that will not be served that day (the last entry is the cut-off).
        """
        cite = await self.cite()
        if cite.pole(pole) is None:
            raise ParoleError(pole, code="unknown_pole")
        site = cite.site(site_id)
        at = datetime.fromtimestamp(self.clock(), UTC)
        if site is None or pole not in site.poles or not schedules.accepting(site, at):
            raise ParoleError(pole, code="closed")
        token = secrets.token_urlsafe(32)
        session = VisitorSession(
            id=new_id(),
            token_hash=hash_token(token),
            pole=pole,
            pseudonym=clean_pseudonym(pseudonym) if pseudonym else generate_pseudonym(self.rng),
            ticket=await self.backend.next_ticket(),
            arrived_at=self.clock(),
            question=clean_text(question) if question else None,
            question_client_id=client_id,
            site=site.id,
            source=source,
        )
        session.attach()
        position = await self.backend.add_visitor(session, self.settings.session_max_age)
        await self.announce_queue(pole)
        await self.tally.count(site.id, pole, Measure.JOINED)
        return session, token, position

    async def resume(self, token: str) -> tuple[VisitorSession, Place]:
        """Reattach a session by its token; returns it (holding the new generation) and
        its place in its pole's queue (length, position or None if not waiting).

        One backend step takes the session over, holds this connection's lease, tells
        older connections they were replaced and reads the place: a storm of resumes
        after a process died costs the survivor as little as possible.
        """
        found = await self.backend.resume_visitor(
            hash_token(token),
            VISITOR,
            self.settings.lease_ttl,
            visitor_channel("{id}"),
            REPLACED_SIGNAL,
        )
        if found is None:
            raise ParoleError("unknown or expired session", code="resume_failed")
        session, waiting, position = found
        return session, (waiting, position)

    async def rename(self, visitor_id: str, pseudonym: str) -> VisitorSession:
        name = clean_pseudonym(pseudonym)

        def change(session: VisitorSession) -> VisitorSession:
            session.rename(name)
            return session

        session = await self.backend.update_visitor(visitor_id, change)
        if session.conversation is not None:
            await self.append(session.conversation, "renamed", "visitor", name)
            await self.backend.update_conversation(
                session.conversation, lambda c: c.rename_visitor(name)
            )
        return session

    async def visitor_send(
        self, known: VisitorSession, client_id: str, text: str, *, portfolio: bool = False
    ) -> Event:
        """A visitor's message. ``known`` is their connection's copy of the session,
        kept current by its channel: talking there, the message goes out in one round
        trip (the log itself refuses it once the conversation has ended)."""
        session: VisitorSession | None = known
        if known.state is not VisitorState.TALKING:  # the take may be on its way
            session = await self.backend.get_visitor(known.id)
        if session is None or session.state is not VisitorState.TALKING:
            raise IllegalTransition("not in a conversation")
        assert session.conversation is not None
        try:
            event, _ = await self.append(
                session.conversation,
                "message",
                "visitor",
                clean_text(text),
                client_id,
                portfolio=portfolio,
            )
        except NotFound:
            raise IllegalTransition("not in a conversation") from None
        return event

    async def visitor_typing(self, visitor_id: str, active: bool) -> None:
        session = await self.backend.get_visitor(visitor_id)
        if session is None or session.state is not VisitorState.TALKING:
            raise IllegalTransition("not in a conversation")
        assert session.conversation is not None
        await self.publish_typing(session.conversation, "visitor", active)

    async def publish_typing(self, conversation_id: str, author: str, active: bool) -> None:
        notice = TypingNotice(conversation=conversation_id, author=author, active=active)  # type: ignore[arg-type]
        await self.publish(conversation_channel(conversation_id), notice)

    async def visitor_leave(self, visitor_id: str) -> VisitorSession:
        """The visitor leaves the queue, or ends their conversation."""
        previous, ended = await self.backend.update_visitor(visitor_id, _end_and_copy)
        if previous is VisitorState.WAITING:
            await self.backend.dequeue(ended)
            await self.announce_queue(ended.pole)
            await self.tally.count(ended.site, ended.pole, Measure.LEFT)
        if ended.conversation is not None:  # talking, or waiting after a transfer
            with contextlib.suppress(IllegalTransition):  # the counsellor ended it first
                await self._end_conversation(ended.conversation, "visitor")
        await self.backend.expire_visitor(visitor_id, self.settings.end_grace)
        await self.publish(visitor_channel(visitor_id), session_message(ended))
        return ended

    async def close_queue(self, pole: str) -> int:
        """The pole stopped for the day (or was retired): end every wait in it, and
        tell each visitor why. Returns how many were told."""
        told = 0
        sites: Counter[str] = Counter()
        while (visitor_id := await self.backend.pop_waiting(pole)) is not None:
            try:
                session = await self.backend.update_visitor(visitor_id, _close_and_copy)
            except (IllegalTransition, NotFound):
                continue  # taken or gone meanwhile
            if session.conversation is not None:  # transferred here, never taken
                with contextlib.suppress(IllegalTransition, NotFound):
                    await self._end_conversation(session.conversation, "system")
            await self.backend.expire_visitor(visitor_id, self.settings.end_grace)
            await self.publish(visitor_channel(visitor_id), session_message(session))
            told += 1
            sites[session.site] += 1
        if told:
            await self.announce_queue(pole)
        for site, n in sites.items():
            await self.tally.count(site, pole, Measure.CLOSED, n=n)
        return told

    async def visitor_gone(self, member: str) -> None:
        """A visitor's socket closed, or its process died: wait the resume grace for them."""
        await self.backend.renew_leases(VISITOR_GONE, [member], self.settings.resume_grace)

    async def visitor_lease_over(self, member: str) -> None:
        """The resume grace ran out: end the session unless someone came back."""
        visitor_id, _, generation = member.rpartition(":")
        session = await self.backend.get_visitor(visitor_id)
        if session is not None and session.abandoned(int(generation)):
            with contextlib.suppress(IllegalTransition, NotFound):  # ended meanwhile
                await self.visitor_leave(visitor_id)

    # --- counsellors -------------------------------------------------------------------
    async def take(self, account: StaffAccount, pole: str) -> Conversation:
        """Give the counsellor the oldest visitor waiting in ``pole``: a new conversation,
        or the one a transferred visitor brings, history and notes included (R6)."""
        cite = await self.cite()
        if cite.pole(pole) is None:
            raise ParoleError(pole, code="unknown_pole")
        if not account.can_staff(pole):
            raise ParoleError(pole, code="not_your_pole")
        reserved = new_id()
        # Reserve the desk's capacity first, so a visitor popped is never put back.
        await self.backend.update_desk(account.login, lambda d: d.hold(reserved))
        try:
            session = await self._pop_and_assign(pole, reserved)
        except BaseException:
            await self.backend.update_desk(account.login, lambda d: d.release(reserved))
            raise
        if session.conversation == reserved:
            conversation = await self._open(account, pole, session)
        else:
            conversation = await self._adopt(account, pole, session, reserved)
        await self.publish(visitor_channel(session.id), session_message(session))
        waited = statistics.wait_measure(session.waited(self.clock()))
        await self.tally.count(session.site, pole, Measure.SERVED, waited)
        await self.backend.record_take(pole, self.clock())
        await self.announce_queue(pole, takes=await self.backend.recent_takes(pole))
        await self.publish(
            staff_channel(account.login),
            ConversationMessage(info=conversation_info(conversation, 0)),
        )
        return conversation

    async def _open(
        self, account: StaffAccount, pole: str, session: VisitorSession
    ) -> Conversation:
        assert session.conversation is not None
        conversation = Conversation(
            id=session.conversation,
            pole=pole,
            visitor=session.id,
            counsellor=account.login,
            alias=account.alias,
            pseudonym=session.pseudonym,
            opened_at=self.clock(),
            site=session.site,
        )
        await self.backend.add_conversation(conversation, self.settings.session_max_age)
        await self.append(conversation.id, "opened", "system", alias=account.alias, pole=pole)
        if session.question:
            await self.append(
                conversation.id, "message", "visitor", session.question, session.question_client_id
            )
        return conversation

    async def _adopt(
        self, account: StaffAccount, pole: str, session: VisitorSession, reserved: str
    ) -> Conversation:
        """The visitor came by a transfer: take over the conversation they bring."""
        assert session.conversation is not None
        conversation_id = session.conversation
        await self.backend.update_desk(account.login, lambda d: d.swap(reserved, conversation_id))

        def adopt(conversation: Conversation) -> Conversation:
            conversation.adopt(account.login, account.alias)
            return conversation

        conversation = await self.backend.update_conversation(conversation_id, adopt)
        await self.append(conversation_id, "opened", "system", alias=account.alias, pole=pole)
        return conversation

    async def transfer(
        self, account: StaffAccount, conversation_id: str, pole: str, note: str | None
    ) -> int:
        """Send the visitor of a conversation this counsellor holds to ``pole``'s queue, at
        the place their first arrival gives them (R6); returns that position.

        Checked before anything changes: the pole exists, the visitor's site offers it
        and takes visitors now. Then the conversation changes hands atomically (of two
        racing transfers, or a transfer and an end, one wins), and the visitor is queued
        with their ticket in one backend step.
        """
        conversation = await self.owned(account, conversation_id)
        session = await self.check_target(conversation, pole)
        written = None
        if note:
            written = Note(account.alias, conversation.pole, clean_text(note), self.clock())
        try:
            voided = await self.backend.update_conversation(
                conversation_id, lambda c: c.transfer(account.login, pole, written)
            )
        except NotFound:
            raise NotHeld(conversation_id) from None
        await self.append(
            conversation_id, "transferred", "counsellor", alias=account.alias, pole=pole
        )
        for invitation in voided:
            await self.close_invitation(conversation_id, invitation, "withdrawn")
        await self.backend.update_desk(account.login, lambda d: d.release(conversation_id))
        try:
            moved, position = await self.backend.requeue(
                session.id, partial(_transfer, pole=pole, at=self.clock())
            )
        except (IllegalTransition, NotFound):  # the visitor left meanwhile
            with contextlib.suppress(IllegalTransition, NotFound):
                await self._end_conversation(conversation_id, "visitor")
            raise IllegalTransition("the visitor left") from None
        await self.publish(visitor_channel(moved.id), session_message(moved))
        await self.announce_queue(pole)
        await self.tally.count(moved.site, conversation.pole, statistics.transfer_measure(pole))
        return position

    async def check_target(self, conversation: Conversation, pole: str) -> VisitorSession:
        """Refuse, before anything changes, a transfer to a pole that does not exist, is
        the conversation's own, or that the visitor's site does not offer or take
        visitors in now; returns the visitor's session."""
        if conversation.state is not ConversationState.ACTIVE:
            raise IllegalTransition("this conversation has ended")
        cite = await self.cite()
        if cite.pole(pole) is None:
            raise ParoleError(pole, code="unknown_pole")
        session = await self.backend.get_visitor(conversation.visitor)
        if session is None or session.state is not VisitorState.TALKING:
            raise IllegalTransition("the visitor is not in this conversation any more")
        site = cite.site(session.site)
        at = datetime.fromtimestamp(self.clock(), UTC)
        if site is None or pole not in site.poles or not schedules.accepting(site, at):
            raise ParoleError(pole, code="closed")
        if pole == conversation.pole:
            raise IllegalTransition("the conversation is in this pole already")
        return session

    async def close_invitation(
        self, conversation_id: str, invitation: Invitation, outcome: str, queued: bool = False
    ) -> None:
        """An invitation is over: neither counsellor's consoles show it any more."""
        await self.backend.update_desk(
            invitation.to, partial(Desk.uninvite, conversation=conversation_id)
        )
        await self.backend.drop_lease(INVITATION, invitation_member(conversation_id, invitation.to))
        closed = InvitationClosed(
            conversation=conversation_id,
            colleague=colleague_id(invitation.to),
            outcome=outcome,  # type: ignore[arg-type]
            queued=queued,
        )
        for login in (invitation.to, invitation.by):
            await self.publish(staff_channel(login), closed)

    async def _pop_and_assign(self, pole: str, reserved: str) -> VisitorSession:
        """The oldest waiting visitor, now talking; their ``conversation`` is ``reserved``
        unless they bring one (a transfer)."""
        while True:
            visitor_id = await self.backend.pop_waiting(pole)
            if visitor_id is None:
                await self.announce_queue(pole)
                raise ParoleError(pole, code="queue_empty")
            try:
                await self.backend.update_visitor(visitor_id, lambda s: s.assign(reserved))
            except (IllegalTransition, NotFound):
                continue  # left or expired between the pop and now
            session = await self.backend.get_visitor(visitor_id)
            if session is not None:
                return session

    async def owned(self, account: StaffAccount, conversation_id: str) -> Conversation:
        conversation = await self.backend.get_conversation(conversation_id)
        if conversation is None or not conversation.side_of(account.login):
            raise ParoleError(conversation_id, code="unknown_conversation")
        return conversation

    async def counsellor_send(
        self,
        account: StaffAccount,
        conversation_id: str,
        client_id: str,
        text: str,
        *,
        held: bool = False,
    ) -> Event:
        """A counsellor's message. ``held``: the console believes this counsellor holds
        the conversation, so the message goes out in one round trip; the log itself
        refuses it once the conversation has ended or was transferred (NotHeld)."""
        if not held:
            await self.owned(account, conversation_id)
        try:
            # By alias: with a colleague invited, the visitor sees who wrote what.
            event, _ = await self.append(
                conversation_id,
                "message",
                "counsellor",
                clean_text(text),
                client_id,
                alias=account.alias,
            )
        except NotFound:
            raise ParoleError(conversation_id, code="unknown_conversation") from None
        return event

    async def active(self, account: StaffAccount, conversation_id: str) -> Conversation:
        """The conversation, held by this counsellor and not ended."""
        conversation = await self.owned(account, conversation_id)
        if conversation.state is not ConversationState.ACTIVE:
            raise IllegalTransition("this conversation has ended")
        return conversation

    async def counsellor_event(
        self,
        account: StaffAccount,
        conversation_id: str,
        client_id: str,
        kind: EventKind,
        **extra: Any,
    ) -> tuple[Event, bool]:
        """A counsellor's event other than a message (a card, a request...), by alias;
        returns it and whether it is new (not a retry's earlier copy)."""
        try:
            return await self.append(
                conversation_id, kind, "counsellor", "", client_id, alias=account.alias, **extra
            )
        except NotFound:
            raise ParoleError(conversation_id, code="unknown_conversation") from None

    async def counsellor_typing(
        self, account: StaffAccount, conversation_id: str, active: bool
    ) -> None:
        conversation = await self.owned(account, conversation_id)
        if conversation.state is not ConversationState.ACTIVE:
            raise IllegalTransition("this conversation has ended")
        await self.publish_typing(conversation_id, "counsellor", active)

    async def counsellor_end(self, account: StaffAccount, conversation_id: str) -> None:
        """End the conversation; with colleagues still in it, leave it to them."""
        conversation = await self.owned(account, conversation_id)
        if len(conversation.counsellors) > 1:
            await self.leave(conversation_id, account.login)
        else:
            await self.end_for_visitor(conversation, "counsellor")

    async def leave(self, conversation_id: str, login: str) -> None:
        """``login`` leaves a conversation colleagues go on with (R6); the visitor and
        they see who left, and every console of ``login`` lets it go."""
        conversation = await self.backend.get_conversation(conversation_id)
        if conversation is None or not conversation.side_of(login):
            raise ParoleError(conversation_id, code="unknown_conversation")
        alias, pole = conversation.alias, conversation.pole
        for guest in conversation.guests:
            if guest.login == login:
                alias, pole = guest.alias, guest.pole
        await self.backend.update_conversation(conversation_id, lambda c: c.leave(login))
        await self.append(conversation_id, "left", "system", alias=alias, pole=pole)
        await self.backend.update_desk(login, lambda d: d.release(conversation_id))
        await self.publish(staff_channel(login), Released(conversation=conversation_id, pole=""))

    async def set_presence(self, account: StaffAccount, available: bool) -> Desk:
        """Available or paused, for every tab of this account (they follow at once)."""
        desk = await self.backend.update_desk(account.login, lambda d: d.set_paused(not available))
        await self.publish(staff_channel(account.login), DeskChanged())
        await self.staffing_changed()
        return desk

    async def console_gone(self, login: str) -> None:
        """A console closed, or its lease ran out (its process died)."""
        desk = await self.backend.update_desk(login, Desk.close_console)
        if desk.consoles == 0:
            await self.staffing_changed()  # offline now, whatever comes next
            # The resume grace to come back before pausing the desk and ending anything.
            await self.backend.renew_leases(DESK, [login], self.settings.resume_grace)

    async def desk_lease_over(self, login: str) -> None:
        """No console came back in time: the desk is paused (whoever opens a console
        next says when they take visitors again), and the conversations nobody is
        answering end."""
        desk = await self.backend.update_desk(login, Desk.snapshot)
        if desk.consoles > 0:
            return
        await self.backend.update_desk(login, _pause_if_away)
        for conversation_id in desk.conversations:
            conversation = await self.backend.get_conversation(conversation_id)
            if conversation is None:
                await self.backend.update_desk(
                    login, partial(Desk.release, conversation=conversation_id)
                )
            elif conversation.state is ConversationState.ACTIVE:
                with contextlib.suppress(ParoleError):  # ended or left meanwhile
                    if len(conversation.counsellors) > 1:  # colleagues go on with it
                        await self.leave(conversation_id, login)
                    else:
                        await self.end_for_visitor(conversation, "system")

    async def end_for_visitor(self, conversation: Conversation, author: str) -> None:
        """End a conversation from the counsellor's side and tell the visitor."""
        await self._end_conversation(conversation.id, author)
        try:
            await self.backend.update_visitor(conversation.visitor, VisitorSession.end)
        except (IllegalTransition, NotFound):
            return
        await self.backend.expire_visitor(conversation.visitor, self.settings.end_grace)
        session = await self.backend.get_visitor(conversation.visitor)
        if session is not None:
            await self.publish(visitor_channel(session.id), session_message(session))

    async def _end_conversation(self, conversation_id: str, author: str) -> None:
        at = self.clock()
        conversation = await self.backend.update_conversation(
            conversation_id, lambda c: _end_and_return(c, at)
        )
        await self.append(conversation_id, "ended", author)
        length = statistics.length_measure(at - conversation.opened_at)
        await self.tally.count(conversation.site, conversation.pole, length)
        # Nobody holds it if it was on its way to another pole.
        for login in conversation.counsellors:
            await self.backend.update_desk(login, lambda d: d.release(conversation_id))
        for invitation in conversation.invitations:
            await self.close_invitation(conversation_id, invitation, "withdrawn")
        await self.backend.expire_conversation(conversation_id, self.settings.end_grace)


def _pause_if_away(desk: Desk) -> None:
    if desk.consoles == 0:  # a console may have opened since the snapshot
        desk.paused = True


def _transfer(session: VisitorSession, pole: str, at: float) -> VisitorSession:
    session.transfer(pole, at)
    return msgspec.structs.replace(session)


def _close_and_copy(session: VisitorSession) -> VisitorSession:
    session.close()
    return msgspec.structs.replace(session)


def _end_and_copy(session: VisitorSession) -> tuple[VisitorState, VisitorSession]:
    previous = session.end()
    return previous, msgspec.structs.replace(session)


def _end_and_return(conversation: Conversation, at: float) -> Conversation:
    conversation.end(at)
    return conversation
