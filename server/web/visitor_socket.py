"""The visitor's websocket: join a queue, wait, talk, leave; resume after a drop."""

from __future__ import annotations

import asyncio
from typing import Any

from protocol.messages import (
    Close,
    Event,
    Hello,
    Join,
    Leave,
    Position,
    Rename,
    Send,
    Session,
    Status,
    Typing,
    TypingNotice,
    WaitEstimate,
    visitor_decoder,
)
from server.core.errors import IllegalTransition, ParoleError
from server.core.estimates import wait_range
from server.core.visitors import VisitorSession, VisitorState

from .chat import (
    VISITOR,
    QueueChanged,
    Replaced,
    queue_channel,
    session_message,
    visitor_channel,
)
from .connection import Connection
from .hours import Hours

#: Seconds between two refreshes of a waiting visitor's estimate when the queue
#: does not move (the estimate grows while nobody is taken).
ESTIMATE_REFRESH = 30.0


class VisitorConnection(Connection):
    decoder = visitor_decoder
    role = "visitor"

    def __init__(self, *args: Any, hours: Hours, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hours = hours
        self.site: str | None = None
        self.session: VisitorSession | None = None
        self.generation = 0
        self._position_task: asyncio.Task[None] | None = None
        self._position_dirty = False
        self._lease: str | None = None
        self._takes: list[float] = []
        self._last: Position | None = None
        self._estimate_task: asyncio.Task[None] | None = None

    @staticmethod
    def is_hello(frame: Any) -> bool:
        return isinstance(frame, Hello)

    async def handle(self, frame: Any) -> None:
        if isinstance(frame, Hello):
            self.site = frame.site
            self.send(self.hours.watch(self.site, self._on_status))
            if frame.resume is not None:
                session, generation = await self.chat.resume(frame.resume)
                await self._bind(session, generation, token=None, last_seq=frame.last_seq)
            return
        if isinstance(frame, Join):
            if self.session is not None:
                raise IllegalTransition("already in a queue or a conversation")
            session, token, _ = await self.chat.join(
                frame.pole, frame.pseudonym, frame.question, frame.client_id, self.site
            )
            await self._bind(session, session.generation, token=token, last_seq=0)
            return
        session = self._require_session()
        if isinstance(frame, Rename):
            self.session = await self.chat.rename(session.id, frame.pseudonym)
            self.send(session_message(self.session))
        elif isinstance(frame, Send):
            event = await self.chat.visitor_send(session.id, frame.client_id, frame.text)
            await self.deliver(event)  # the echo also acknowledges a retried duplicate
        elif isinstance(frame, Typing):
            await self.chat.visitor_typing(session.id, frame.active)
        elif isinstance(frame, Leave):
            await self.chat.visitor_leave(session.id)

    def _require_session(self) -> VisitorSession:
        if self.session is None:
            raise IllegalTransition("join a queue first")
        return self.session

    async def _bind(
        self, session: VisitorSession, generation: int, token: str | None, last_seq: int
    ) -> None:
        self.session, self.generation = session, generation
        self._lease = f"{session.id}:{generation}"
        await self.keeper.hold(VISITOR, self._lease)
        await self.inbox.add(visitor_channel(session.id))
        self.send(session_message(session, token))
        if session.state is VisitorState.WAITING:
            await self.inbox.add(queue_channel(session.pole))
            self._takes = await self.chat.backend.recent_takes(session.pole)
            await self._send_position()
            if self._estimate_task is None:
                self._estimate_task = asyncio.create_task(self._refresh_estimates())
        if session.conversation is not None:
            await self.follow(session.conversation, last_seq)

    async def on_signal(self, signal: Any) -> None:
        if isinstance(signal, Event):
            await self.deliver(signal)
        elif isinstance(signal, TypingNotice):
            if signal.author != "visitor":
                self.send(signal)
        elif isinstance(signal, QueueChanged):
            if signal.takes is not None:
                self._takes = signal.takes
            self._refresh_position()
        elif isinstance(signal, Session):
            await self._session_changed(signal)
        elif isinstance(signal, Replaced) and signal.generation != self.generation:
            self.shut(Close.REPLACED)

    async def _session_changed(self, signal: Session) -> None:
        if self.session is None:
            return
        self.session.state = VisitorState(signal.state)
        self.session.conversation = signal.conversation
        if signal.state != "waiting" and self.session is not None:
            await self.inbox.remove(queue_channel(self.session.pole))
        self.send(signal)
        if signal.conversation is not None:
            await self.follow(signal.conversation, 0)

    async def resync(self) -> None:
        if self.session is None:
            return
        session = await self.chat.backend.get_visitor(self.session.id)
        if session is None:  # the shared state lost it (a Redis restart without persistence)
            self.session = None
            self.error(ParoleError("session lost", code="resume_failed"))
            return
        changed = (session.state, session.conversation) != (
            self.session.state,
            self.session.conversation,
        )
        if changed:
            await self._session_changed(session_message(session))
        await self.catch_up_all()
        self._refresh_position()

    def _on_status(self, status: Status) -> None:
        self.send(status)

    def _refresh_position(self) -> None:
        """Coalesce position updates: at most one lookup per ``position_interval``."""
        self._position_dirty = True
        if self._position_task is None or self._position_task.done():
            self._position_task = asyncio.create_task(self._position_loop())

    async def _position_loop(self) -> None:
        while self._position_dirty:
            self._position_dirty = False
            await self._send_position()
            await asyncio.sleep(self.chat.settings.position_interval)

    async def _send_position(self) -> None:
        if self.session is None or self.session.state is not VisitorState.WAITING:
            return
        backend = self.chat.backend
        position = await backend.position(self.session)
        waiting = (await backend.queue_lengths([self.session.pole]))[self.session.pole]
        if position is not None:
            self._last = Position(pole=self.session.pole, position=position, waiting=waiting)
            self._send_estimate()

    def _send_estimate(self) -> None:
        """The last position known, with a fresh estimate and closing time (no lookup)."""
        if self._last is None or self.session is None:
            return
        if self.session.state is not VisitorState.WAITING:
            return
        found = wait_range(self._last.position, self._takes, self.chat.clock())
        self._last.estimate = None if found is None else WaitEstimate(found.low, found.high)
        self._last.closes_at = self.hours.closes_at(self._last.pole)
        self.send(self._last)

    async def _refresh_estimates(self) -> None:
        """Resend the estimate now and then while the queue does not move."""
        while True:
            await asyncio.sleep(ESTIMATE_REFRESH)
            self._send_estimate()

    async def on_close(self) -> None:
        self.hours.unwatch(self.site, self._on_status)
        for task in (self._position_task, self._estimate_task):
            if task is not None:
                task.cancel()
        if self._lease is not None:
            # The session waits for the visitor to come back, for the resume grace.
            await self.keeper.let_go(VISITOR, self._lease)
            await self.chat.visitor_gone(self._lease)
