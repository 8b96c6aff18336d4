"""The visitor's websocket: join a queue, wait, talk, leave (maybe reporting the
conversation), say how it was; resume after a drop."""

from __future__ import annotations

import contextlib
from typing import Any

from protocol.messages import (
    Answer,
    Close,
    Event,
    Hello,
    Join,
    Leave,
    Rate,
    Rated,
    Rename,
    Send,
    Session,
    Status,
    Tell,
    Told,
    Typing,
    TypingNotice,
    visitor_decoder,
)
from server.core.errors import IllegalTransition, ParoleError
from server.core.visitors import VisitorSession, VisitorState

from .chat import VISITOR, Place, Replaced, session_message, visitor_channel
from .connection import Connection
from .consent import Consent
from .feedback import Feedback
from .hours import Hours
from .positions import Positions


class VisitorConnection(Connection):
    decoder = visitor_decoder
    role = "visitor"

    def __init__(self, *args: Any, hours: Hours, positions: Positions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hours = hours
        self.positions = positions
        self.site: str | None = None
        self.session: VisitorSession | None = None
        self.generation = 0
        self._lease: str | None = None
        self._typing = False  # what this socket last told the counsellor

    @staticmethod
    def is_hello(frame: Any) -> bool:
        return isinstance(frame, Hello)

    async def handle(self, frame: Any) -> None:
        if isinstance(frame, Hello):
            self.site = frame.site
            self.send(self.hours.watch(self.site, self._on_status))
            if frame.resume is not None:
                heard = self.positions.heard()
                session, place = await self.chat.resume(frame.resume)
                await self._bind(session, None, frame.last_seq, place, heard)
            return
        if isinstance(frame, Join):
            if self.session is not None:
                raise IllegalTransition("already in a queue or a conversation")
            feedback = Feedback(self.chat)
            address = self.ws.client.host if self.ws.client else ""
            if await feedback.blocked(address):
                raise ParoleError("blocked for a while", code="blocked")
            session, token, _ = await self.chat.join(
                frame.pole,
                frame.pseudonym,
                frame.question,
                frame.client_id,
                self.site,
                source=await feedback.source(address),
            )
            await self._bind(session, token, 0)
            return
        session = self._require_session()
        if isinstance(frame, Rename):
            self.session = await self.chat.rename(session.id, frame.pseudonym)
            self.send(session_message(self.session))
        elif isinstance(frame, Send):
            event = await self.chat.visitor_send(
                session, frame.client_id, frame.text, portfolio=frame.portfolio
            )
            await self.deliver(event)  # the echo also acknowledges a retried duplicate
        elif isinstance(frame, Typing):
            await self.chat.visitor_typing(session.id, frame.active)
            self._typing = frame.active
        elif isinstance(frame, Leave) and frame.report:
            await Feedback(self.chat).report(session)
        elif isinstance(frame, Leave):
            await self.chat.visitor_leave(session.id)
        elif isinstance(frame, Rate):
            await Feedback(self.chat).rate(session, frame.conversation, frame.score, frame.comment)
            self.send(Rated(conversation=frame.conversation))
        elif isinstance(frame, Tell):
            await Feedback(self.chat).tell(session, frame.question, frame.answer)
            self.send(Told(question=frame.question))
        elif isinstance(frame, Answer):
            consent = Consent(self.chat)
            await self.deliver(
                await consent.answer(session, frame.asked, frame.client_id, frame.text)
            )

    def _require_session(self) -> VisitorSession:
        if self.session is None:
            raise IllegalTransition("join a queue first")
        return self.session

    async def _bind(
        self,
        session: VisitorSession,
        token: str | None,
        last_seq: int,
        place: Place | None = None,
        heard: int = 0,
    ) -> None:
        """Serve ``session`` on this socket. After a resume, ``place`` is given: the backend
        took the lease and read the position already (see Positions.add for ``heard``)."""
        self.session, self.generation = session, session.generation
        self._lease = f"{session.id}:{session.generation}"
        if place is None:
            await self.keeper.hold(VISITOR, self._lease)
        else:
            self.keeper.adopt(VISITOR, self._lease)
        await self.inbox.add(visitor_channel(session.id))
        self.send(session_message(session, token))
        if session.state is VisitorState.WAITING:
            await self.positions.add(session, self.send, place, heard)
        if session.conversation is not None:
            await self.follow(session.conversation, last_seq)

    async def on_signal(self, signal: Any) -> None:
        if isinstance(signal, Event):
            await self.deliver(signal)
        elif isinstance(signal, TypingNotice):
            if signal.author != "visitor":
                self.send(signal)
        elif isinstance(signal, Session):
            await self._session_changed(signal)
        elif isinstance(signal, Replaced) and signal.generation != self.generation:
            self.shut(Close.REPLACED)

    async def _session_changed(self, signal: Session) -> None:
        if self.session is None:
            return
        state = VisitorState(signal.state)
        was_waiting = self.session.state is VisitorState.WAITING
        if was_waiting and (state is not VisitorState.WAITING or signal.pole != self.session.pole):
            await self.positions.remove(self.session)
        moved = state is VisitorState.WAITING and (
            not was_waiting or signal.pole != self.session.pole
        )
        self.session.state = state
        self.session.conversation = signal.conversation
        self.session.pole = signal.pole
        self.send(signal)
        if moved:  # sent on to another pole's queue (a transfer): its position from now on
            await self.positions.add(self.session, self.send)
        if signal.conversation is not None:
            await self.follow(signal.conversation, 0)

    async def resync(self) -> None:
        if self.session is None:
            return
        session = await self.chat.backend.get_visitor(self.session.id)
        if session is None:  # the shared state lost it (a Redis restart without persistence)
            await self.positions.remove(self.session)
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

    def _on_status(self, status: Status) -> None:
        self.send(status)

    async def on_close(self) -> None:
        self.hours.unwatch(self.site, self._on_status)
        if self.session is not None:
            await self.positions.remove(self.session)
        if self._lease is not None:
            # The session waits for the visitor to come back, for the resume grace.
            await self.keeper.let_go(VISITOR, self._lease)
            await self.chat.visitor_gone(self._lease)
        if self._typing and self.session is not None:
            # Gone mid-sentence (a reload, a lost line): the console would otherwise
            # show "… écrit" until its own timer runs out.
            with contextlib.suppress(ParoleError):
                await self.chat.visitor_typing(self.session.id, False)
