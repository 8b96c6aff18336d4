"""The counsellor's websocket: queues of their poles, presence, take, talk, transfer,
colleagues invited, end.

A manager's change reaches open consoles: the account's (``staff:<login>``) or the
Cité's or its library's (``config``). The console then gets a fresh ``console`` frame (its poles may
have changed), or, if the account was disabled or its sessions voided (password
reset), is closed with :attr:`Close.POLICY` and the page goes back to sign-in. A
console is also closed when its session reaches its absolute expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from protocol.messages import (
    Ask,
    CardList,
    Close,
    ColleagueList,
    Colleagues,
    Console,
    ConsoleHello,
    ConsoleSend,
    ConsoleTyping,
    End,
    Event,
    FindCards,
    Invitation,
    InvitationClosed,
    InvitationInfo,
    Invite,
    InviteReply,
    LeaveConversation,
    PoleInfo,
    Queues,
    Released,
    ReplyInfo,
    ShareCard,
    ShareDuty,
    Take,
    Transfer,
    TypingNotice,
    Withdraw,
    counsellor_decoder,
)
from protocol.messages import Block as BlockFrame
from protocol.messages import Conversation as ConversationMessage
from protocol.messages import Presence as PresenceFrame
from server.core.errors import NotFound, ParoleError
from server.core.poles import Cite, Pole
from server.core.staff import Desk, Presence, StaffAccount

from ..staff.auth import StaffSession
from .cards import Cards, duty_info
from .chat import (
    CONFIG_CHANNEL,
    CONSOLE,
    DESK,
    AccountChanged,
    ConfigChanged,
    DeskChanged,
    LibraryChanged,
    QueueChanged,
    conversation_info,
    invitation_info,
    ms,
    new_id,
    queue_channel,
    staff_channel,
)
from .colleagues import Colleagues as ColleagueDesk
from .connection import Connection
from .consent import Consent
from .feedback import Feedback

#: Conversations a reconnecting console may ask about beyond those it holds.
MAX_KNOWN = 20


class ConsoleConnection(Connection):
    decoder = counsellor_decoder
    role = "counsellor"

    def __init__(
        self,
        *args: Any,
        account: StaffAccount,
        session: StaffSession,
        touch: Callable[[], Awaitable[object | None]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.session = session
        self.touch = touch  # renews the session's idle timer; None once it is not valid
        self._keep: asyncio.Task[None] | None = None
        self._desk_open = False
        self._held: set[str] = set()
        self._holding: set[str] = set()  # being looked up by _hold
        self._poles: set[str] = set()
        self._lease = f"{account.login}:{new_id()}"
        self._expiry: asyncio.TimerHandle | None = None
        self._typing: set[str] = set()  # conversations this socket said it is typing in

    @staticmethod
    def is_hello(frame: Any) -> bool:
        return isinstance(frame, ConsoleHello)

    async def handle(self, frame: Any) -> None:
        chat = self.chat
        if isinstance(frame, ConsoleHello):
            await self._open(frame.last_seq)
        elif isinstance(frame, Take):
            conversation = await chat.take(self.account, frame.pole)
            await self._hold(conversation.id, 0)
        elif isinstance(frame, ConsoleSend):
            event = await chat.counsellor_send(
                self.account,
                frame.conversation,
                frame.client_id,
                frame.text,
                held=frame.conversation in self._held,
            )
            await self.deliver(event)
        elif isinstance(frame, ConsoleTyping):
            await chat.counsellor_typing(self.account, frame.conversation, frame.active)
            (self._typing.add if frame.active else self._typing.discard)(frame.conversation)
        elif isinstance(frame, End):
            await chat.counsellor_end(self.account, frame.conversation)
        elif isinstance(frame, PresenceFrame):
            await chat.set_presence(self.account, frame.available)  # DeskChanged follows
        elif isinstance(frame, Transfer) and frame.colleague is None:
            await chat.transfer(self.account, frame.conversation, frame.pole, frame.note)
            # Its ``transferred`` event, on its way, ends this console's view of it.
        elif isinstance(frame, FindCards):
            found = await Cards(chat).find(self.account, frame.query, frame.conversation)
            self.send(CardList(query=frame.query, cards=found))
        elif isinstance(frame, ShareCard):
            cards = Cards(chat)
            event = await cards.share(self.account, frame.conversation, frame.card, frame.client_id)
            await self.deliver(event)
        elif isinstance(frame, BlockFrame):
            await Feedback(chat).block(self.account, frame.conversation)
        elif isinstance(frame, ShareDuty):
            event = await Cards(chat).share_duty(self.account, frame.conversation, frame.client_id)
            await self.deliver(event)
        elif isinstance(frame, Ask):
            consent = Consent(chat)
            event = await consent.ask(
                self.account, frame.conversation, frame.client_id, frame.detail, frame.purpose
            )
            await self.deliver(event)
        else:
            await self._colleagues(frame)

    async def _colleagues(self, frame: Any) -> None:
        """Frames about colleagues; their answers come back on the staff channels."""
        desk = ColleagueDesk(self.chat)
        account = self.account
        if isinstance(frame, Colleagues):
            self.send(ColleagueList(colleagues=await desk.listed(account)))
        elif isinstance(frame, Transfer):
            assert frame.colleague is not None
            await desk.invite(
                account, frame.conversation, frame.colleague, pole=frame.pole, note=frame.note
            )
        elif isinstance(frame, Invite):
            await desk.invite(account, frame.conversation, frame.colleague)
        elif isinstance(frame, InviteReply):
            await desk.reply(account, frame.conversation, frame.accept)
        elif isinstance(frame, Withdraw):
            await desk.withdraw(account, frame.conversation, frame.colleague)
        elif isinstance(frame, LeaveConversation):
            await self.chat.owned(account, frame.conversation)
            await self.chat.leave(frame.conversation, account.login)  # Released follows

    def stops_following(self, event: Event) -> bool:
        if event.kind != "transferred":
            return False
        self._release(event.conversation, event.pole or "")
        return True

    def _release(self, conversation_id: str, pole: str) -> None:
        """Transferred: the console lets the conversation go (Connection stops following)."""
        self._held.discard(conversation_id)  # its frames now get unknown_conversation
        self._typing.discard(conversation_id)
        self.send(Released(conversation=conversation_id, pole=pole))

    def _let_go(self, conversation_id: str, pole: str) -> None:
        """As :meth:`_release`, outside the event flow (a leave, or a transfer seen only
        in state): nothing more of it is sent, and its channel is dropped."""
        if conversation_id in self._held:
            self.seen.pop(conversation_id, None)
            self.unfollowed.add(conversation_id)
            self._release(conversation_id, pole)

    async def _open(self, last_seq: dict[str, int]) -> None:
        backend = self.chat.backend
        capacity = self.account.capacity_or(self.chat.settings.capacity)
        desk = await backend.update_desk(self.account.login, lambda d: d.open_console(capacity))
        await backend.drop_lease(DESK, self.account.login)  # back within the grace
        if desk.consoles == 1:  # present again (available or paused)
            await self.chat.staffing_changed()
        self._desk_open = True
        await self.keeper.hold(CONSOLE, self._lease)
        # The session ends at its absolute expiry even while the socket stays busy.
        left = self.session.created + self.chat.settings.staff_max_age - time.time()
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(max(left, 0.0), self.shut, Close.POLICY)
        self._keep = asyncio.create_task(self._keep_session())
        await self.inbox.add(staff_channel(self.account.login))
        await self.inbox.add(CONFIG_CHANNEL)
        # Read again once listening: a change made since the handshake is not missed.
        if not await self._reload_account():
            return
        await self._send_state(desk, last_seq)

    async def _reload_account(self) -> bool:
        """The account as stored now; False (and the socket closing) if this session
        is no longer valid: account gone or disabled, or sessions voided since."""
        account = await self.chat.backend.get_staff(self.account.login)
        if account is None or account.disabled or self.session.created < account.sessions_after:
            self.shut(Close.POLICY)
            return False
        self.account = account
        return True

    async def _send_state(self, desk: Desk, last_seq: dict[str, int]) -> None:
        """The ``console`` frame: poles, queues and conversations, all from state."""
        backend = self.chat.backend
        cite = await backend.get_cite()  # None before a manager sets the Cité up
        poles = [p for p in (cite.published if cite else ()) if self.account.can_staff(p.id)]
        infos = []
        login = self.account.login
        now = self.chat.clock()
        invitations: list[InvitationInfo] = []
        # The desk's conversations, and those the client knew that ended while it was away
        # (still readable for the end grace): it is owed their last events.
        known = [c for c in last_seq if c not in desk.conversations][:MAX_KNOWN]
        for conversation_id in [*desk.conversations, *known]:
            conversation = await backend.get_conversation(conversation_id)
            if conversation is None or not conversation.side_of(self.account.login):
                if conversation_id in desk.conversations:  # expired: forget it
                    release = partial(Desk.release, conversation=conversation_id)
                    await backend.update_desk(self.account.login, release)
                continue
            try:
                events = await backend.events_since(conversation_id, 0)
            except NotFound:  # expired this very moment
                continue
            infos.append(conversation_info(conversation, len(events)))
            invitations += [
                invitation_info(conversation, i, incoming=False)
                for i in conversation.waiting(now)
                if i.by == login
            ]
        for conversation_id in desk.invited:
            conversation = await backend.get_conversation(conversation_id)
            if conversation is not None:
                invitations += [
                    invitation_info(conversation, i, incoming=True)
                    for i in conversation.waiting(now)
                    if i.to == login
                ]
        for gone in self._poles - {p.id for p in poles}:
            await self.inbox.remove(queue_channel(gone))
        self._poles = {p.id for p in poles}
        for pole in poles:
            await self.inbox.add(queue_channel(pole.id))
        ids = [p.id for p in poles]
        library = await backend.get_library()
        replies = [*self.account.replies, *(r for p in ids for r in library.replies_of(p))]
        queues = await backend.queue_lengths(ids)
        since = await backend.first_arrivals(ids)
        self.send(
            Console(
                alias=self.account.alias,
                poles=[_info(p) for p in poles],
                queues=queues,
                conversations=infos,
                capacity=desk.capacity,
                available=desk.presence is not Presence.PAUSED,
                since={pole: ms(at) for pole, at in since.items()},
                targets=[_info(p) for p in _targets(cite)],
                invitations=invitations,
                replies=[
                    ReplyInfo(id=r.id, name=r.name, text=r.text, pole=r.pole) for r in replies
                ],
                duty=duty_info(self.account),
            )
        )
        for info in infos:
            self._held.add(info.id)
            await self.follow(info.id, last_seq.get(info.id, 0))

    async def _hold(self, conversation_id: str, after: int) -> None:
        """Show a conversation this counsellor holds (once, whichever path came first:
        the take's answer and the staff channel's signal run in two tasks)."""
        if conversation_id in self._held or conversation_id in self._holding:
            return
        self._holding.add(conversation_id)
        try:
            conversation = await self.chat.backend.get_conversation(conversation_id)
            if conversation is None or not conversation.side_of(self.account.login):
                return  # transferred on meanwhile
            self._held.add(conversation_id)
        finally:
            self._holding.discard(conversation_id)
        self.send(ConversationMessage(info=conversation_info(conversation, 0)))
        await self.follow(conversation_id, after)

    async def resync(self) -> None:
        backend = self.chat.backend
        desk = await backend.update_desk(self.account.login, Desk.snapshot)
        for conversation_id in desk.conversations:  # taken from another tab meanwhile
            await self._hold(conversation_id, 0)
        for conversation_id in [c for c in self._held if c not in desk.conversations]:
            # Transferred meanwhile (maybe taken by a colleague since): nothing more of it.
            conversation = await backend.get_conversation(conversation_id)
            if conversation is not None and not conversation.side_of(self.account.login):
                self._let_go(conversation_id, conversation.pole)
        await self.catch_up_all()
        if not await self._reload_account():  # disabled during the outage
            return
        await self.drop_unfollowed()
        cite = await backend.get_cite()
        poles = [p.id for p in (cite.published if cite else ()) if self.account.can_staff(p.id)]
        since = await backend.first_arrivals(poles)
        self.send(
            Queues(
                counts=await backend.queue_lengths(poles),
                since={pole: ms(at) for pole, at in since.items()},
            )
        )

    async def on_signal(self, signal: Any) -> None:
        if isinstance(signal, Event):
            await self.deliver(signal)
            await self.drop_unfollowed()
        elif isinstance(signal, TypingNotice):
            if signal.author == "visitor" and signal.conversation in self.seen:
                self.send(signal)
        elif isinstance(signal, QueueChanged):
            since = {} if signal.since is None else {signal.pole: signal.since}
            self.send(Queues(counts={signal.pole: signal.waiting}, since=since))
        elif isinstance(signal, ConversationMessage):
            await self._hold(signal.info.id, 0)
        elif isinstance(signal, Released):  # this counsellor left it (maybe from another tab)
            self._let_go(signal.conversation, signal.pole)
            await self.drop_unfollowed()
        elif isinstance(signal, Invitation | InvitationClosed):
            self.send(signal)
        elif isinstance(signal, AccountChanged | ConfigChanged | DeskChanged | LibraryChanged):
            await self._refresh()

    async def _refresh(self) -> None:
        """A manager changed the account or the Cité: close, or send the new state."""
        if self._desk_open and await self._reload_account():
            capacity = self.account.capacity_or(self.chat.settings.capacity)
            desk = await self.chat.backend.update_desk(
                self.account.login, partial(Desk.set_capacity, capacity=capacity)
            )
            await self._send_state(desk, dict(self.seen))

    async def _keep_session(self) -> None:
        """An open console is a counsellor at work: its session must not run out of
        idle time meanwhile, or the next reconnect would ask them to sign in again."""
        while True:
            await asyncio.sleep(self.chat.settings.staff_idle / 3)
            try:
                valid = await self.touch()
            except ParoleError:  # shared state unreachable: try again next time
                continue
            if valid is None:
                self.shut(Close.POLICY)
                return

    async def on_close(self) -> None:
        if self._keep is not None:
            self._keep.cancel()
        if self._expiry is not None:
            self._expiry.cancel()
        if self._desk_open:
            await self.keeper.let_go(CONSOLE, self._lease)
            await self.chat.console_gone(self.account.login)
        for conversation in self._typing:
            # The tab closed mid-sentence: the visitor would otherwise see "… écrit"
            # until their own timer runs out. (Another tab still typing renews it.)
            with contextlib.suppress(ParoleError):
                await self.chat.counsellor_typing(self.account, conversation, False)


def _info(pole: Pole) -> PoleInfo:
    return PoleInfo(id=pole.id, name=pole.name, description=pole.description, accueil=pole.accueil)


def _targets(cite: Cite | None) -> list[Pole]:
    """Where a visitor may be sent: every published pole (the transfer then checks
    that the visitor's site offers it and takes visitors now)."""
    return list(cite.published) if cite else []
