"""Clients that survive a dead server or a Redis outage: what any Parole client must do.

This is the reference behaviour, written small enough to read in one go:

1. **Show each event once, in order.** Remember the highest ``seq`` shown; an event at or
   below it was already shown (it is recorded in ``repeated`` as a server fault, and dropped);
   one above ``last + 1`` means a gap (recorded in ``gaps``).
2. **Every message is pending until acknowledged.** ``say`` gives it a ``client_id`` and keeps
   it in ``pending`` until an ``event`` carrying that ``client_id`` (and our author) arrives.
3. **On a drop, reconnect to the next server and resume.** A visitor sends
   ``hello`` with ``resume: token`` and ``last_seq``; a console opens a new websocket with the
   same staff cookie and sends ``hello`` with ``last_seq: {conversation: seq}``. Then every
   pending message is re-sent, with the same ``client_id``: the server stores a retry once.
4. **A refused message stays pending.** After ``service`` ``available: false`` the server
   refuses frames with ``unavailable``: wait for ``service`` ``available: true``, then re-send
   everything pending. Refused with ``unavailable`` or ``rate_limited`` otherwise: re-send it
   a little later.
5. **Close 4009 means replaced: do not reconnect.** Any other close (1013 "try again later",
   4008 "too slow", a dead server) is a drop: see 3.

Every frame received is kept in ``frames`` so a test can check what the server said.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
from collections import Counter
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.servers import RunningServer

RETRY_AFTER = 0.5  # seconds before re-sending a message refused as unavailable or rate-limited
RETRIED_CODES = {"unavailable", "rate_limited"}


class Resilient(abc.ABC):
    author: str
    path: str

    def __init__(self, servers: list[RunningServer], prefix: str) -> None:
        self.servers = servers
        self.index = 0  # the server in use
        self.prefix = prefix  # of this side's client ids
        self.conversation: str | None = None
        self.shown: list[dict[str, Any]] = []  # conversation events, as shown to the person
        self.frames: list[dict[str, Any]] = []  # every frame received
        self.repeated: list[dict[str, Any]] = []  # events received again (a server fault)
        self.gaps: list[tuple[int, int]] = []  # (last shown, seq received) when seq jumped
        self.pending: dict[str, str] = {}  # client_id -> text, not acknowledged yet
        self.sent: list[str] = []  # every client_id this side used, in order
        self.transmissions: Counter[str] = Counter()  # client_id -> times put on a socket
        self.connections = 0  # websockets opened successfully
        self.servers_used: list[int] = []  # port of each connection
        self.replaced = False
        self.available = True  # the last service frame said so
        self._ws: ClientConnection | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()

    # --- what a test calls -------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), 20)

    async def close(self) -> None:
        for task in [self._task, *self._retries]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._ws is not None:
            await self._ws.close()

    async def say(self, text: str) -> str:
        """Send a message; it stays pending until its event comes back."""
        client_id = f"{self.prefix}{len(self.sent) + 1}"
        self.sent.append(client_id)
        self.pending[client_id] = text
        await self._send_message(client_id)
        return client_id

    @property
    def last_seq(self) -> int:
        return self.shown[-1]["seq"] if self.shown else 0

    @property
    def server(self) -> RunningServer:
        return self.servers[self.index]

    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == "error"]

    def service(self) -> list[bool]:
        return [f["available"] for f in self.frames if f["type"] == "service"]

    def view(self) -> list[tuple[int, str, str, str | None, str]]:
        """What the person sees: (seq, kind, author, client_id, text) of each event."""
        return [
            (e["seq"], e["kind"], e["author"], e.get("client_id"), e.get("text", ""))
            for e in self.shown
        ]

    # --- what each side adds -----------------------------------------------------------
    @abc.abstractmethod
    def headers(self) -> dict[str, str]: ...

    @abc.abstractmethod
    def hello(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def handshake(self, ws: ClientConnection) -> None:
        """After ``hello`` is sent: read until the socket is ready for messages."""

    @abc.abstractmethod
    def message(self, client_id: str, text: str) -> dict[str, Any]: ...

    # --- the connection loop -----------------------------------------------------------
    async def _run(self) -> None:
        while not self.replaced:
            server = self.server
            try:
                ws = await websockets.connect(
                    server.ws(self.path),
                    origin=server.url,  # type: ignore[arg-type]
                    additional_headers=self.headers(),
                    open_timeout=5,
                )
            except (OSError, InvalidHandshake, TimeoutError):
                self._next_server()
                await asyncio.sleep(0.2)
                continue
            self.connections += 1
            self.available = True
            self.servers_used.append(server.port)
            try:
                await ws.send(json.dumps(self.hello()))
                await self.handshake(ws)
                self._ws = ws
                self._ready.set()
                for client_id in list(self.pending):  # rule 3: re-send what is pending
                    await self._send_message(client_id)
                async for raw in ws:
                    self.on_frame(json.loads(raw))
            except (ConnectionClosed, OSError, TimeoutError):
                pass
            finally:
                self._ws = None
            if ws.close_code == 4009:
                self.replaced = True
            else:  # dropped, or 1013 "try again later": resume on the next server
                self._next_server()
                await asyncio.sleep(0.1)

    def _next_server(self) -> None:
        self.index = (self.index + 1) % len(self.servers)

    async def _receive(self, ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        self.on_frame(frame)
        return frame

    async def _send_message(self, client_id: str) -> None:
        ws = self._ws
        if ws is None or client_id not in self.pending:
            return  # re-sent on the next connection
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps(self.message(client_id, self.pending[client_id])))
            self.transmissions[client_id] += 1

    def _retry_later(self, client_id: str, delay: float = RETRY_AFTER) -> None:
        async def retry() -> None:
            await asyncio.sleep(delay)
            await self._send_message(client_id)

        task = asyncio.create_task(retry())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    def on_frame(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)
        kind = frame["type"]
        if kind == "event" and frame["conversation"] == self.conversation:
            self._on_event(frame)
        elif kind == "error" and frame.get("ref") in self.pending:
            if frame["code"] in RETRIED_CODES and self.available:
                self._retry_later(frame["ref"])
        elif kind == "service":
            self.available = frame["available"]
            if self.available:
                for client_id in list(self.pending):
                    self._retry_later(client_id, 0)

    def _on_event(self, event: dict[str, Any]) -> None:
        seq = event["seq"]
        if seq <= self.last_seq:
            self.repeated.append(event)
            return
        if seq != self.last_seq + 1:
            self.gaps.append((self.last_seq, seq))
        self.shown.append(event)
        if event["author"] == self.author:
            self.pending.pop(event.get("client_id") or "", None)


class ResilientVisitor(Resilient):
    author = "visitor"
    path = "/ws/visitor"

    def __init__(self, servers: list[RunningServer], pole: str, pseudonym: str) -> None:
        super().__init__(servers, "v")
        self.pole = pole
        self.pseudonym = pseudonym
        self.token: str | None = None
        self.state: str | None = None

    def headers(self) -> dict[str, str]:
        return {}

    def hello(self) -> dict[str, Any]:
        hello: dict[str, Any] = {"type": "hello", "versions": [1]}
        if self.token is not None:
            hello.update(resume=self.token, last_seq=self.last_seq)
        return hello

    async def handshake(self, ws: ClientConnection) -> None:
        while (await self._receive(ws))["type"] != "welcome":
            pass
        if self.token is None:
            await ws.send(
                json.dumps({"type": "join", "pole": self.pole, "pseudonym": self.pseudonym})
            )
        while True:
            frame = await self._receive(ws)
            if frame["type"] == "session":
                return
            if frame["type"] == "error":
                raise AssertionError(f"visitor could not (re)join: {frame}")

    def message(self, client_id: str, text: str) -> dict[str, Any]:
        return {"type": "send", "client_id": client_id, "text": text}

    def on_frame(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "session":
            self.state = frame["state"]
            self.token = frame.get("token") or self.token
            self.conversation = frame.get("conversation") or self.conversation
        super().on_frame(frame)


class ResilientConsole(Resilient):
    author = "counsellor"
    path = "/ws/console"

    def __init__(self, servers: list[RunningServer], cookie: str) -> None:
        super().__init__(servers, "c")
        self.cookie = cookie

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie}

    def hello(self) -> dict[str, Any]:
        last = {self.conversation: self.last_seq} if self.conversation else {}
        return {"type": "hello", "versions": [1], "last_seq": last}

    async def handshake(self, ws: ClientConnection) -> None:
        while (await self._receive(ws))["type"] != "console":
            pass

    def message(self, client_id: str, text: str) -> dict[str, Any]:
        return {
            "type": "send",
            "conversation": self.conversation,
            "client_id": client_id,
            "text": text,
        }

    async def send(self, frame: dict[str, Any]) -> None:
        """Any other frame (take, end, typing) on the current socket."""
        assert self._ws is not None, "not connected"
        await self._ws.send(json.dumps(frame))

    def on_frame(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "conversation" and self.conversation is None:
            self.conversation = frame["info"]["id"]
        super().on_frame(frame)
