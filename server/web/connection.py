"""What both websocket endpoints share: framing, errors, ordering, back-pressure.

A connection runs three tasks until the first one ends:

- the reader decodes client frames and hands them to :meth:`Connection.handle`;
- the pump reads this connection's inbox (channels it subscribed to) and hands
  each payload to :meth:`Connection.on_signal`;
- the writer drains a bounded outbox to the socket. Nothing else awaits the
  socket, so a slow client fills only its own outbox, and is then closed with
  :attr:`Close.SLOW` (it resumes from its last seq, losing nothing).

Conversation events reach the client strictly in seq order, each once: a seq
already sent is dropped, a gap is filled from the backend's log first.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from typing import Any, ClassVar

import msgspec
from starlette.websockets import WebSocket, WebSocketDisconnect

from protocol.messages import (
    MAX_FRAME_BYTES,
    SUPPORTED_VERSIONS,
    Close,
    Error,
    Event,
    Message,
    ServerMessage,
    Service,
    Welcome,
    encode,
)
from server.backends.fanout import Full, Mailbox, Outage, Resync
from server.core.errors import ParoleError, ProtocolError, Unavailable
from server.core.ratelimit import TokenBucket

from .chat import (
    AccountChanged,
    Chat,
    ConfigChanged,
    QueueChanged,
    Replaced,
    conversation_channel,
)
from .frames import decode
from .i18n import Catalogs
from .keeper import Keeper

log = logging.getLogger("parole.ws")

OUTBOX_SIZE = 512

Signal = ServerMessage | QueueChanged | Replaced | AccountChanged | ConfigChanged | Outage | Resync
signal_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(Signal)


class Connection(abc.ABC):
    decoder: ClassVar[msgspec.json.Decoder[Any]]
    role: ClassVar[str]

    def __init__(
        self, websocket: WebSocket, chat: Chat, catalogs: Catalogs, keeper: Keeper
    ) -> None:
        self.ws = websocket
        self.chat = chat
        self.keeper = keeper
        self.catalogs = catalogs
        self.lang = catalogs.negotiate(None, websocket.headers.get("accept-language", ""))
        self.inbox = chat.backend.subscriber()
        self.greeted = False
        self.seen: dict[str, int] = {}
        self._outbox: Mailbox[str | None] = Mailbox(OUTBOX_SIZE)
        self._close_code = 1000
        self._events = asyncio.Lock()
        self._bucket = TokenBucket(rate=5.0, burst=30.0)

    # --- the three tasks ---------------------------------------------------------------
    async def run(self) -> None:
        await self.ws.accept()
        tasks = [
            asyncio.create_task(self._read(), name="read"),
            asyncio.create_task(self._pump(), name="pump"),
            asyncio.create_task(self._write(), name="write"),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.inbox.close()
            with contextlib.suppress(Exception):
                await self.on_close()
            with contextlib.suppress(Exception):
                await self.ws.close(self._close_code)

    async def _read(self) -> None:
        hello_by = asyncio.get_running_loop().time() + self.chat.settings.hello_timeout
        while True:
            try:
                if self.greeted:
                    message = await self.ws.receive()
                else:  # a socket that never says hello is not kept open
                    left = hello_by - asyncio.get_running_loop().time()
                    message = await asyncio.wait_for(self.ws.receive(), max(left, 0.0))
            except TimeoutError:
                self.shut(Close.POLICY)
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                self.error(ProtocolError("binary frames are not accepted", code="malformed"))
                continue
            if len(text.encode()) > MAX_FRAME_BYTES:
                self.shut(Close.TOO_BIG)
                return
            await self._dispatch(text)

    async def _dispatch(self, text: str) -> None:
        ref: str | None = None
        frame: Any = None
        try:
            frame = decode(self.decoder, text)
            ref = getattr(frame, "client_id", None)
            if not self._bucket.allow(time.monotonic()):
                raise ParoleError("slow down", code="rate_limited")
            if not self.greeted and not self.is_hello(frame):
                raise ParoleError("send hello first", code="hello_first")
            if self.is_hello(frame):
                if self.greeted:
                    raise ParoleError("hello was already sent", code="not_allowed")
                if not self._greet(frame):
                    return
                # Opening a session takes a dozen shared-state calls: a few at a time, so
                # that a reconnection storm queues here instead of exhausting the
                # connection pool (whose timeouts would send everyone back to retry).
                async with self.chat.admission:
                    await self.handle(frame)
                return
            await self.handle(frame)
        except Unavailable as exc:
            self.error(exc, ref)
            if self.is_hello(frame):  # half-opened: better start over than limp along
                self.shut(Close.AGAIN)
        except ParoleError as exc:
            self.error(exc, ref)
        except WebSocketDisconnect:
            raise
        except Exception:
            log.exception("unexpected error handling a %s frame", self.role)
            self.error(ParoleError("internal error", code="unavailable"), ref)

    def _greet(self, hello: Any) -> bool:
        common = set(hello.versions) & set(SUPPORTED_VERSIONS)
        if not common:
            self.error(ParoleError("no common version", code="unsupported_version"))
            self.shut(Close.VERSION)
            return False
        self.lang = self.catalogs.negotiate(hello.lang, self.ws.headers.get("accept-language", ""))
        self.greeted = True
        self.send(Welcome(v=max(common), lang=self.lang))
        return True

    async def _pump(self) -> None:
        while True:
            item = await self.inbox.get()
            if item is None:
                self.shut(Close.SLOW)
                return
            _, payload = item
            try:
                signal = signal_decoder.decode(payload)
                if isinstance(signal, Outage):
                    self.send(Service(available=False))
                elif isinstance(signal, Resync):
                    try:
                        await self.resync()
                    except Unavailable:  # down again: let the client reconnect and resume
                        self.shut(Close.AGAIN)
                        return
                    self.send(Service(available=True))
                else:
                    await self.on_signal(signal)
            except ParoleError as exc:
                log.warning("signal not delivered to a %s: %s", self.role, exc.code)

    async def _write(self) -> None:
        while True:
            text = await self._outbox.get()
            if text is None:
                return
            await self.ws.send_text(text)

    # --- sending -----------------------------------------------------------------------
    def send(self, message: Message) -> None:
        """Queue a frame for the client; never waits (see the module doc)."""
        try:
            self._outbox.put_nowait(encode(message))
        except Full:
            self.shut(Close.SLOW)

    def shut(self, code: int) -> None:
        """Close after what is queued is sent (or at once if the outbox is full)."""
        self._close_code = code
        while True:
            try:
                self._outbox.put_nowait(None)
                return
            except Full:
                self._outbox.get_nowait()

    def error(self, exc: ParoleError, ref: str | None = None) -> None:
        text = self.catalogs.text(self.lang, f"error.{exc.code}")
        self.send(Error(code=exc.code, message=text, ref=ref))

    # --- conversations, in order and once ----------------------------------------------
    async def follow(self, conversation_id: str, after: int) -> None:
        """Listen to a conversation and send what the client has not seen after ``after``."""
        async with self._events:
            if conversation_id in self.seen:
                return
            await self.inbox.add(conversation_channel(conversation_id))
            self.seen[conversation_id] = after
            await self._catch_up(conversation_id)

    async def deliver(self, event: Event) -> None:
        async with self._events:
            last = self.seen.get(event.conversation)
            if last is None or event.seq <= last:
                return
            if event.seq == last + 1:
                self.send(event)
                self.seen[event.conversation] = event.seq
            else:
                await self._catch_up(event.conversation)

    async def catch_up_all(self) -> None:
        """Send what was published while delivery was down, for every followed conversation."""
        async with self._events:
            for conversation_id in list(self.seen):
                await self._catch_up(conversation_id)

    async def _catch_up(self, conversation_id: str) -> None:
        last = self.seen[conversation_id]
        try:
            missed = await self.chat.backend.events_since(conversation_id, last)
        except ParoleError:
            return  # deleted after its grace period: nothing left to show
        for event in missed:
            self.send(event)
            self.seen[conversation_id] = event.seq

    # --- what each endpoint adds -------------------------------------------------------
    @staticmethod
    @abc.abstractmethod
    def is_hello(frame: Any) -> bool: ...

    @abc.abstractmethod
    async def handle(self, frame: Any) -> None:
        """One decoded client frame, after ``hello`` was checked."""

    @abc.abstractmethod
    async def on_signal(self, signal: Any) -> None:
        """One payload from a subscribed channel."""

    @abc.abstractmethod
    async def resync(self) -> None:
        """Delivery came back after an outage: bring the client up to date from state."""

    async def on_close(self) -> None:  # noqa: B027 - optional hook
        """The socket is gone; release what this connection held."""
