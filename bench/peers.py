"""The simulated people: visitors and counsellors speaking Parole's protocol, and relay clients.

Each is one websocket (:mod:`bench.wsclient`) that behaves as the shipped client
does (``protocol/js/client.js``, ``tests/resilient.py``): every message has a
``client_id`` and stays pending until the server's event carrying it comes back;
after a drop it reconnects with the same jittered backoff, resumes (a visitor by
token and ``last_seq``, a console by ``last_seq`` per conversation) and re-sends
what is pending; a message refused as ``rate_limited`` or ``unavailable`` is
re-sent half a second later.

Every message's text starts with ``<tag> <send time in ns>``: the receiver takes
its latency from the text it got. The :class:`Ledger` files latencies under the
tag (a load step), and counts what was duplicated, out of order or refused.
"""

from __future__ import annotations

import abc
import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Protocol

import msgspec

from .wsclient import HandshakeFailed, Socket, connect

decode = msgspec.json.Decoder().decode
encode = msgspec.json.Encoder().encode
REPLACED = 4009
RETRY_AFTER = 2.0  # seconds before a refused message is re-sent (client.js retryLimited)
RETRIED = {"rate_limited", "unavailable"}
HANDSHAKE_TIMEOUT = 30.0
# About the length of a short chat line, so frames have a realistic size.
FILLER = "Bonjour, je cherche une formation en alternance près de chez moi, merci."


class Server(Protocol):
    @property
    def url(self) -> str: ...

    def ws(self, path: str) -> str: ...


class Backoff:
    """The widget's reconnect delays: equal jitter, 0.5 s doubling to 30 s (client.js)."""

    def __init__(self, base: float = 0.5, cap: float = 30.0) -> None:
        self.base, self.cap, self.attempt = base, cap, 0

    def next(self) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        return ceiling / 2 + random.random() * ceiling / 2

    def reset(self) -> None:
        self.attempt = 0


class Upstreams:
    """What a reverse proxy knows of the servers behind it, shared by the clients it serves.

    A server that refused a connection is passed over for ``fail_timeout`` seconds
    (nginx's passive health check, as ``ops/nginx/parole.conf`` sets it), so after a crash the
    clients are sent to a live server at once instead of each trying the dead one
    first. Trying it costs more than a refusal on one machine: the client's new
    port often matches a connection the dead server's kernel still holds in
    TIME_WAIT, so the SYN is answered with a stray ACK and retried a second later.
    """

    def __init__(self, fail_timeout: float = 5.0) -> None:
        self.fail_timeout = fail_timeout
        self.refused_at: dict[str, float] = {}  # server url -> monotonic s

    def usable(self, server: Server) -> bool:
        at = self.refused_at.get(server.url)
        return at is None or time.monotonic() - at >= self.fail_timeout

    def refused(self, server: Server) -> None:
        self.refused_at[server.url] = time.monotonic()


def behind_one_proxy(peers: Iterable[Peer]) -> None:
    """Let ``peers`` share one view of the servers, as the clients of one reverse proxy do."""
    shared = Upstreams()
    for peer in peers:
        peer.upstreams = shared


class Ledger:
    """What every peer of a run measured, by tag (one tag per load step or phase)."""

    def __init__(self) -> None:
        self.latency: defaultdict[str, list[int]] = defaultdict(list)  # ns, sender -> peer
        self.ack: defaultdict[str, list[int]] = defaultdict(list)  # ns, sender -> own echo
        self.lag: defaultdict[str, list[int]] = defaultdict(list)  # ns, schedule -> write
        self.counts: Counter[str] = Counter()  # duplicated, gaps, errors by code...


class Peer(abc.ABC):
    """One websocket to one of ``servers``; on a drop, reconnects and resumes."""

    path: ClassVar[str]

    def __init__(self, servers: Sequence[Server], ledger: Ledger, deflate: bool = True) -> None:
        self.servers = servers
        self.index = 0  # the server in use
        self.ledger = ledger
        self.deflate = deflate
        self.sock: Socket | None = None
        self.stopped = False
        self.connections = 0
        self.dropped_at: float | None = None  # monotonic s of the last drop
        self.back_at: float | None = None  # monotonic s when the session was back after it
        self._backoff = Backoff()
        self.upstreams = Upstreams()  # this client's own view, unless shared
        self._reconnecting: asyncio.Task[None] | None = None

    # --- what a subclass says ------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        return {}

    def target(self) -> str:
        return self.servers[self.index].ws(self.path)

    @abc.abstractmethod
    def greet(self) -> None:
        """The socket just opened: say hello."""

    @abc.abstractmethod
    def on_frame(self, frame: dict[str, Any]) -> None: ...

    # --- connection ----------------------------------------------------------------------
    async def connect(self) -> None:
        """Open a socket to the current server, falling over to the next ones as a proxy would."""
        last: Exception | None = None
        if not any(self.upstreams.usable(s) for s in self.servers):
            self.upstreams.refused_at.clear()  # all refused lately: try them all again
        for _ in range(len(self.servers)):
            server = self.servers[self.index]
            if not self.upstreams.usable(server):
                self.index = (self.index + 1) % len(self.servers)
                continue
            try:
                self.sock = await connect(
                    self.target(),
                    self,
                    origin=server.url,  # the widget and console are served by Parole itself
                    headers=self.headers(),
                    deflate=self.deflate,
                    # Browsers give a handshake long to complete; giving up sooner would
                    # make a swamped server do the same work twice.
                    timeout=HANDSHAKE_TIMEOUT,
                )
            except (OSError, HandshakeFailed, TimeoutError) as exc:
                if isinstance(exc, ConnectionRefusedError):
                    self.upstreams.refused(server)
                last = exc
                self.index = (self.index + 1) % len(self.servers)
                continue
            self.connections += 1
            self.greet()
            return
        raise ConnectionError(f"no server took the connection: {last!r}")

    def send(self, frame: dict[str, Any]) -> bool:
        sock = self.sock
        return sock is not None and sock.send_text(encode(frame).decode())

    def on_text(self, data: bytes) -> None:
        self.on_frame(decode(data))

    def on_close(self, code: int) -> None:
        self.sock = None
        self.ledger.counts[f"closed_{code}"] += 1
        if self.stopped or code == REPLACED:
            return
        if self.dropped_at is None or self.back_at is not None:
            self.dropped_at = time.monotonic()  # a new drop, not a failed resume of the last
        self.back_at = None
        if self._reconnecting is None or self._reconnecting.done():  # one socket at a time
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while not self.stopped:
            await asyncio.sleep(self._backoff.next())
            try:
                await self.connect()
                return
            except ConnectionError:
                self.ledger.counts["reconnect_failed"] += 1

    def was_back(self) -> None:
        """The session is whole again on a new socket (after a drop): note when."""
        self._backoff.reset()
        if self.dropped_at is not None and self.back_at is None:
            self.back_at = time.monotonic()

    def stop(self) -> None:
        self.stopped = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self.sock is not None:
            self.sock.abort()
            self.sock = None


class Party(Peer):
    """A side of a conversation: sends timestamped messages, accounts for what comes back."""

    author: ClassVar[str]
    prefix: ClassVar[str]

    def __init__(self, servers: Sequence[Server], ledger: Ledger, deflate: bool = True) -> None:
        super().__init__(servers, ledger, deflate)
        self.conversation: str | None = None
        self.peer: Party | None = None
        self.ready = False  # the socket may carry messages now
        self.last_seq = 0
        self.pending: dict[str, dict[str, Any]] = {}  # client_id -> frame, not acknowledged
        self.sent: defaultdict[str, list[int]] = defaultdict(list)  # tag -> numbers sent
        self.got: set[int] = set()  # numbers of the peer's messages received
        self.acked: set[int] = set()  # numbers of our own messages acknowledged
        self._count = 0

    @abc.abstractmethod
    def message(self, client_id: str, text: str) -> dict[str, Any]: ...

    def say(self, tag: str, scheduled_ns: int) -> None:
        """Send one message now (it stays pending until acknowledged)."""
        self._count += 1
        now = time.monotonic_ns()
        client_id = f"{self.prefix}{self._count}"
        frame = self.message(client_id, f"{tag} {now} {FILLER}")
        self.pending[client_id] = frame
        self.sent[tag].append(self._count)
        self.ledger.lag[tag].append(now - scheduled_ns)
        if self.ready:
            self.send(frame)

    def flush(self) -> None:
        """Re-send everything pending (after a resume, or the service came back)."""
        for frame in list(self.pending.values()):
            self.send(frame)

    def missing(self, tag: str) -> int:
        """Messages of ``tag`` we sent that our peer has not received (yet)."""
        peer = self.peer
        if peer is None:
            return len(self.sent.get(tag, ()))
        return sum(1 for n in self.sent.get(tag, ()) if n not in peer.got)

    def on_event(self, event: dict[str, Any]) -> None:
        seq = event.get("seq")
        counts = self.ledger.counts
        if seq is not None:
            if seq <= self.last_seq:  # shown already: a server fault
                counts["duplicated"] += 1
                counts["duplicated_seq"] += 1
                return
            if seq != self.last_seq + 1:
                counts["gaps"] += 1
            self.last_seq = seq
        if event.get("kind", "message") != "message":
            return
        client_id: str = event.get("client_id") or ""
        text: str = event["text"]
        tag, stamp, _ = text.split(" ", 2)
        latency = time.monotonic_ns() - int(stamp)
        number = int(client_id[1:])
        if event["author"] == self.author:
            if number in self.acked:
                counts["duplicated"] += 1
                counts["duplicated_echo"] += 1
                return
            self.acked.add(number)
            self.pending.pop(client_id, None)
            self.ledger.ack[tag].append(latency)
        else:
            if number in self.got:
                counts["duplicated"] += 1
                counts["duplicated_peer"] += 1
                return
            self.got.add(number)
            self.ledger.latency[tag].append(latency)

    def on_error(self, frame: dict[str, Any]) -> None:
        code = frame.get("code", "")
        self.ledger.counts[f"error_{code}"] += 1
        ref = frame.get("ref")
        if ref in self.pending:
            if code in RETRIED:
                asyncio.get_running_loop().call_later(RETRY_AFTER, self._retry, ref)
            else:
                self.ledger.counts["refused"] += 1
                del self.pending[ref]

    def _retry(self, client_id: str) -> None:
        frame = self.pending.get(client_id)
        if frame is not None and self.ready:
            self.send(frame)

    def on_service(self, available: bool) -> None:
        self.ready = available and self.conversation is not None
        if self.ready:
            self.flush()


class Conversations:
    """Pairs a visitor with the console that took them, once both know the conversation."""

    def __init__(self) -> None:
        self.sides: dict[str, list[Party | None]] = {}
        self.paired: list[tuple[Party, Party]] = []
        self.complete = asyncio.Event()
        self.expected = 0

    def join(self, conversation: str, party: Party, side: int) -> None:
        sides = self.sides.setdefault(conversation, [None, None])
        sides[side] = party
        visitor, console = sides
        if visitor is not None and console is not None and visitor.peer is None:
            visitor.peer, console.peer = console, visitor
            self.paired.append((visitor, console))
            if len(self.paired) >= self.expected:
                self.complete.set()


class Visitor(Party):
    author = "visitor"
    prefix = "v"
    path = "/ws/visitor"

    def __init__(
        self,
        servers: Sequence[Server],
        ledger: Ledger,
        pole: str,
        pseudonym: str,
        *,
        deflate: bool = True,
        conversations: Conversations | None = None,
        token: str | None = None,
    ) -> None:
        super().__init__(servers, ledger, deflate)
        self.pole = pole
        self.pseudonym = pseudonym
        self.token = token  # given: attach to a session made beforehand, by resuming it
        self.conversations = conversations
        self.state: str | None = None
        self.joined = asyncio.Event()
        self.first_position: int | None = None
        #: (wall-clock s, position) of each position frame, when ``record_positions``.
        self.positions: list[tuple[float, int]] = []
        self.record_positions = False

    def greet(self) -> None:
        hello: dict[str, Any] = {"type": "hello", "versions": [1]}
        if self.token is not None:
            hello.update(resume=self.token, last_seq=self.last_seq)
        self.send(hello)

    def message(self, client_id: str, text: str) -> dict[str, Any]:
        return {"type": "send", "client_id": client_id, "text": text}

    def on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "event":
            if frame["conversation"] == self.conversation:
                self.on_event(frame)
        elif kind == "position":
            if self.first_position is None:
                self.first_position = frame["position"]
            if self.record_positions:
                self.positions.append((time.time(), frame["position"]))
        elif kind == "session":
            self._on_session(frame)
        elif kind == "welcome" and self.token is None:
            self.send({"type": "join", "pole": self.pole, "pseudonym": self.pseudonym})
        elif kind == "error":
            if frame.get("code") == "resume_failed":
                self.ledger.counts["resume_failed"] += 1
            self.on_error(frame)
        elif kind == "service":
            self.on_service(frame["available"])

    def _on_session(self, frame: dict[str, Any]) -> None:
        self.state = frame["state"]
        self.token = frame.get("token") or self.token
        conversation = frame.get("conversation")
        if conversation is not None and self.conversation is None:
            self.conversation = conversation
            if self.conversations is not None:
                self.conversations.join(conversation, self, 0)
        self.was_back()
        self.joined.set()
        self.ready = self.state == "talking"
        if self.ready:
            self.flush()


class Console(Party):
    """A counsellor's console holding one conversation (one socket per account, see run)."""

    author = "counsellor"
    prefix = "c"
    path = "/ws/console"

    def __init__(
        self,
        servers: Sequence[Server],
        ledger: Ledger,
        cookie: str,
        *,
        deflate: bool = True,
        conversations: Conversations | None = None,
    ) -> None:
        super().__init__(servers, ledger, deflate)
        self.cookie = cookie
        self.conversations = conversations
        self.opened = asyncio.Event()

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie}

    def greet(self) -> None:
        last = {self.conversation: self.last_seq} if self.conversation else {}
        self.send({"type": "hello", "versions": [1], "last_seq": last})

    def message(self, client_id: str, text: str) -> dict[str, Any]:
        return {
            "type": "send",
            "conversation": self.conversation,
            "client_id": client_id,
            "text": text,
        }

    def on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "event":
            if frame["conversation"] == self.conversation:
                self.on_event(frame)
        elif kind == "console":
            self.was_back()
            self.opened.set()
            self.ready = self.conversation is not None
            if self.ready:
                self.flush()
        elif kind == "conversation":
            conversation = frame["info"]["id"]
            if self.conversation is None:
                self.conversation = conversation
                self.ready = True
                if self.conversations is not None:
                    self.conversations.join(conversation, self, 1)
        elif kind == "error":
            self.on_error(frame)
        elif kind == "service":
            self.on_service(frame["available"])


class RelayParty(Party):
    """A side of a conversation on the bare relay: the same messages, no protocol around them."""

    path = "/ws"

    def __init__(
        self, servers: Sequence[Server], ledger: Ledger, conversation: str, deflate: bool = True
    ) -> None:
        super().__init__(servers, ledger, deflate)
        self.conversation = conversation

    def target(self) -> str:
        return self.servers[self.index].ws(f"{self.path}?c={self.conversation}")

    def greet(self) -> None:
        self.ready = True

    def message(self, client_id: str, text: str) -> dict[str, Any]:
        return {"author": self.author, "client_id": client_id, "text": text}

    def on_frame(self, frame: dict[str, Any]) -> None:
        self.on_event(frame)

    def on_close(self, code: int) -> None:  # no resume: the relay keeps nothing
        self.sock = None
        self.ready = False
        self.ledger.counts[f"closed_{code}"] += 1


class RelayVisitor(RelayParty):
    author = "visitor"
    prefix = "v"


class ReturningRelayVisitor(RelayVisitor):
    """A relay socket that reconnects after a drop as a visitor's would (the storm's floor)."""

    def greet(self) -> None:
        super().greet()
        self.was_back()

    def on_close(self, code: int) -> None:
        Peer.on_close(self, code)


class RelayCounsellor(RelayParty):
    author = "counsellor"
    prefix = "c"


class Taker(Peer):
    """A counsellor of the queue surge: takes the next visitor, ends at once, on a schedule."""

    path = "/ws/console"

    def __init__(self, servers: Sequence[Server], ledger: Ledger, cookie: str, pole: str) -> None:
        super().__init__(servers, ledger)
        self.cookie = cookie
        self.pole = pole
        self.opened = asyncio.Event()
        #: (server wall-clock s of the ``opened`` event, visitor pseudonym) of each take.
        self.takes: list[tuple[float, str]] = []
        self._pseudonyms: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie}

    def greet(self) -> None:
        self.send({"type": "hello", "versions": [1]})

    def take(self) -> None:
        self.send({"type": "take", "pole": self.pole})

    def on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "console":
            self.opened.set()
        elif kind == "conversation":
            self._pseudonyms[frame["info"]["id"]] = frame["info"]["pseudonym"]
        elif kind == "event" and frame["kind"] == "opened":
            conversation = frame["conversation"]
            pseudonym = self._pseudonyms.pop(conversation, None)
            if pseudonym is not None:
                self.takes.append((frame["at"] / 1000, pseudonym))
                self.send({"type": "end", "conversation": conversation})
        elif kind == "error":
            self.ledger.counts[f"error_{frame.get('code')}"] += 1
