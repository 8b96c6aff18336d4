"""What both websocket endpoints share: framing, errors, ordering, back-pressure.

An idle socket should cost little (thousands of visitors wait on one process),
so a connection runs no task of its own while nothing happens:

- the ASGI handler's task reads client frames and handles each in turn;
- everything else goes through one bounded box, in order: frames to send,
  and payloads from the channels the connection listens to (its subscriber
  puts them there as they arrive). While the box holds something, one worker
  task drains it: it sends frames, hands payloads to :meth:`Connection.on_signal`
  (which may wait on the backend and queue frames behind them), and ends once
  the box is empty. Nothing else awaits the socket, so a slow client fills only
  its own box, and is then closed with :attr:`Close.SLOW` (it resumes from its
  last seq, losing nothing).

:meth:`Connection.shut` queues the close behind what is already queued; from
then on nothing more is queued and client frames and payloads are ignored. The
worker sends the close; the server then reports the socket gone to the reader
(uvicorn at once, other servers once the client answers), and the handler
cleans up. Whichever side ends first, cleanup runs in the handler's task, which
is never cancelled by us, after cancelling the worker if one is running.

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
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

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
from server.backends.fanout import Outage, Resync
from server.core.conversations import HOLDERS
from server.core.errors import ParoleError, ProtocolError, Unavailable
from server.core.ratelimit import TokenBucket

from ..i18n import Catalogs
from .chat import (
    AccountChanged,
    Chat,
    ConfigChanged,
    DeskChanged,
    LibraryChanged,
    QueueChanged,
    Replaced,
    conversation_channel,
)
from .frames import decode
from .keeper import Keeper

log = logging.getLogger("parole.ws")

#: Frames and payloads a connection may have queued; past that the client is too slow.
OUTBOX_SIZE = 512
INTERNAL_ERROR = 1011  # a bug, not the client: it reconnects and resumes

Signal = (
    ServerMessage
    | QueueChanged
    | Replaced
    | AccountChanged
    | ConfigChanged
    | LibraryChanged
    | DeskChanged
    | Outage
    | Resync
)
signal_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(Signal)
CONVERSATIONS = conversation_channel("")


class _Head(msgspec.Struct):
    """What tells whether a payload is a conversation event already sent (the rest is skipped)."""

    type: str = ""
    conversation: str = ""
    seq: int = 0


_head = msgspec.json.Decoder(_Head).decode


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
        self.lang = catalogs.negotiate(None, self._accept_language())
        self.inbox = chat.backend.subscriber(self._arrived)
        self.greeted = False
        self.seen: dict[str, int] = {}
        #: Conversations no longer followed whose channel is still listened to.
        self.unfollowed: set[str] = set()
        # Frames to send (str) and payloads to handle (bytes), in order; None: close.
        self._box: list[str | bytes | None] = []
        self._worker: asyncio.Task[None] | None = None
        # Workers start from the loop itself: asyncio.create_task looks the running loop
        # up, a getpid system call on Python 3.11, for every frame sent to an idle socket.
        self._loop = asyncio.get_running_loop()
        self._close_code: int | None = None  # set once shut: nothing more is queued
        self._events = asyncio.Lock()
        self._bucket = TokenBucket(rate=5.0, burst=30.0)

    # --- the handler's task: read, then clean up ----------------------------------------
    async def run(self) -> None:
        await self.ws.accept()
        try:
            await self._read()
        finally:
            self._close_code = self._close_code or 1000
            if self._worker is not None:
                self._worker.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._worker
            await self.inbox.close()
            with contextlib.suppress(Exception):
                await self.on_close()
            if self.ws.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.ws.close(self._close_code)

    async def _read(self) -> None:
        """Handle client frames until the socket is gone (closing, frames are ignored)."""
        hello_by = asyncio.get_running_loop().time() + self.chat.settings.hello_timeout
        while True:
            if self.greeted or self._close_code is not None:
                message = await self.ws.receive()
            else:  # a socket that never says hello is not kept open
                try:
                    async with asyncio.timeout_at(hello_by):
                        message = await self.ws.receive()
                except TimeoutError:
                    self.shut(Close.POLICY)
                    continue
            if message["type"] == "websocket.disconnect":
                return
            if self._close_code is not None:
                continue
            text = message.get("text")
            if text is None:
                self.error(ProtocolError("binary frames are not accepted", code="malformed"))
                continue
            if len(text.encode()) > MAX_FRAME_BYTES:
                self.shut(Close.TOO_BIG)
                continue
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
        self.lang = self.catalogs.negotiate(hello.lang, self._accept_language())
        self.greeted = True
        self.send(Welcome(v=max(common), lang=self.lang))
        return True

    def _accept_language(self) -> str:
        # From the scope: ``ws.headers`` would keep a parsed copy for the socket's life.
        for name, value in self.ws.scope["headers"]:
            if name == b"accept-language":
                return str(value.decode("latin-1"))
        return ""

    # --- the box and its worker ---------------------------------------------------------
    def _arrived(self, channel: str, payload: bytes) -> None:
        if channel.startswith(CONVERSATIONS) and self._sent_already(payload):
            return
        self._put(payload)

    def _sent_already(self, payload: bytes) -> bool:
        """An event comes back to the process that stored it, whose sender had its echo
        already: dropped here, it costs no task and no full decode. (``seen`` only grows,
        so :meth:`deliver` would drop it too, whatever is queued before it.)"""
        try:
            head = _head(payload)
        except msgspec.DecodeError:
            return False
        last = self.seen.get(head.conversation)
        return head.type == "event" and last is not None and head.seq <= last

    def _put(self, item: str | bytes) -> None:
        if self._close_code is not None:
            return
        if len(self._box) >= OUTBOX_SIZE:
            self.shut(Close.SLOW)
            return
        self._box.append(item)
        if self._worker is None:
            self._worker = self._loop.create_task(self._work())

    async def _work(self) -> None:
        """Drain the box, then end: an idle connection keeps no task waiting."""
        box = self._box
        try:
            while box:
                item = box.pop(0)
                if isinstance(item, str):
                    await self.ws.send_text(item)
                elif item is None:
                    await self.ws.close(self._close_code or 1000)  # the reader sees it gone
                    return
                elif self._close_code is None:  # once closing, signals are not handled
                    await self._handle_signal(item)
        except (WebSocketDisconnect, OSError):  # the socket is gone: the reader is told too
            self._close_code = self._close_code or 1000
            box.clear()
        except Exception:
            log.exception("unexpected error writing to a %s", self.role)
            self._close_code = self._close_code or INTERNAL_ERROR
            box.clear()
            with contextlib.suppress(Exception):  # so that the reader is told
                await self.ws.close(self._close_code)
        finally:
            self._worker = None

    async def _handle_signal(self, payload: bytes) -> None:
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
            log.warning(
                "signal not delivered to a %s: %s", self.role, exc.code, extra={"code": exc.code}
            )
        except Exception:
            log.exception("unexpected error handling a signal for a %s", self.role)
            self.shut(INTERNAL_ERROR)

    # --- sending -----------------------------------------------------------------------
    def send(self, message: Message) -> None:
        """Queue a frame for the client; never waits (see the module doc)."""
        self._put(encode(message))

    def shut(self, code: int) -> None:
        """Close after what is queued is sent (at once if the box is full); the first
        reason given is the one the client gets, and nothing is queued after it."""
        if self._close_code is not None:
            return
        self._close_code = code
        if len(self._box) >= OUTBOX_SIZE:
            self._box.clear()
        self._box.append(None)
        if self._worker is None:
            self._worker = self._loop.create_task(self._work())

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
                self._last_for_us(event)
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
        # A transfer followed by an ``opened`` is history (this counsellor took the visitor
        # after it): only the last change of hands may end the following.
        latest = max((e.seq for e in missed if e.kind in HOLDERS), default=0)
        for event in missed:
            self.send(event)
            self.seen[conversation_id] = event.seq
            if event.seq == latest and self._last_for_us(event):
                return

    def _last_for_us(self, event: Event) -> bool:
        """Stop following the conversation if ``event`` is the last this client may see."""
        if not self.stops_following(event):
            return False
        del self.seen[event.conversation]
        self.unfollowed.add(event.conversation)
        return True

    def stops_following(self, event: Event) -> bool:
        """True for an event after which this client sees nothing more of its
        conversation (a counsellor who transferred it); what comes after is dropped,
        and the endpoint stops listening to the channel (see :attr:`unfollowed`)."""
        return False

    async def drop_unfollowed(self) -> None:
        while self.unfollowed:
            await self.inbox.remove(conversation_channel(self.unfollowed.pop()))

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
