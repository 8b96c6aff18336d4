"""The counsellor's websocket: queues of their poles, take, talk, end."""

from __future__ import annotations

from functools import partial
from typing import Any

from protocol.messages import (
    Console,
    ConsoleHello,
    ConsoleSend,
    ConsoleTyping,
    End,
    Event,
    PoleInfo,
    Queues,
    Take,
    TypingNotice,
    counsellor_decoder,
)
from protocol.messages import Conversation as ConversationMessage
from server.core.errors import NotFound
from server.core.staff import Desk, StaffAccount

from .chat import CONSOLE, QueueChanged, conversation_info, new_id, queue_channel, staff_channel
from .connection import Connection

#: Conversations a reconnecting console may ask about beyond those it holds.
MAX_KNOWN = 20


class ConsoleConnection(Connection):
    decoder = counsellor_decoder
    role = "counsellor"

    def __init__(self, *args: Any, account: StaffAccount, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self._desk_open = False
        self._held: set[str] = set()
        self._lease = f"{account.login}:{new_id()}"

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
                self.account, frame.conversation, frame.client_id, frame.text
            )
            await self.deliver(event)
        elif isinstance(frame, ConsoleTyping):
            await chat.counsellor_typing(self.account, frame.conversation, frame.active)
        elif isinstance(frame, End):
            await chat.counsellor_end(self.account, frame.conversation)

    async def _open(self, last_seq: dict[str, int]) -> None:
        backend = self.chat.backend
        capacity = self.chat.settings.capacity
        desk = await backend.update_desk(self.account.login, lambda d: d.open_console(capacity))
        self._desk_open = True
        await self.keeper.hold(CONSOLE, self._lease)
        cite = await self.chat.cite()
        poles = [p for p in cite.poles if self.account.can_staff(p.id)]
        infos = []
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
        await self.inbox.add(staff_channel(self.account.login))
        for pole in poles:
            await self.inbox.add(queue_channel(pole.id))
        queues = await backend.queue_lengths([p.id for p in poles])
        self.send(
            Console(
                alias=self.account.alias,
                poles=[PoleInfo(id=p.id, name=p.name, description=p.description) for p in poles],
                queues=queues,
                conversations=infos,
                capacity=desk.capacity,
            )
        )
        for info in infos:
            self._held.add(info.id)
            await self.follow(info.id, last_seq.get(info.id, 0))

    async def _hold(self, conversation_id: str, after: int) -> None:
        """Show a conversation this counsellor holds (once, whichever path came first)."""
        if conversation_id in self._held:
            return
        self._held.add(conversation_id)
        conversation = await self.chat.backend.get_conversation(conversation_id)
        if conversation is None:
            return
        self.send(ConversationMessage(info=conversation_info(conversation, 0)))
        await self.follow(conversation_id, after)

    async def resync(self) -> None:
        backend = self.chat.backend
        desk = await backend.update_desk(self.account.login, Desk.snapshot)
        for conversation_id in desk.conversations:  # taken from another tab meanwhile
            await self._hold(conversation_id, 0)
        await self.catch_up_all()
        poles = [p.id for p in (await self.chat.cite()).poles if self.account.can_staff(p.id)]
        self.send(Queues(counts=await backend.queue_lengths(poles)))

    async def on_signal(self, signal: Any) -> None:
        if isinstance(signal, Event):
            await self.deliver(signal)
        elif isinstance(signal, TypingNotice):
            if signal.author == "visitor":
                self.send(signal)
        elif isinstance(signal, QueueChanged):
            self.send(Queues(counts={signal.pole: signal.waiting}))
        elif isinstance(signal, ConversationMessage):
            await self._hold(signal.info.id, 0)

    async def on_close(self) -> None:
        if self._desk_open:
            await self.keeper.let_go(CONSOLE, self._lease)
            await self.chat.console_gone(self.account.login)
