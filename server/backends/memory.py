"""The default backend: everything in this process; with a state file, the Cité and
staff accounts are also kept on disk (:mod:`.state_file`), nothing else.

Values are stored encoded (msgpack), as a networked backend would store them,
so no caller can share or mutate stored state by reference. Expiry times also go
into a heap: every operation first drops what is due (cheaply: only the keys
whose time has come), so an expired visitor never counts in a queue; the
server's ``sweep`` every second does the same when nobody calls.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from protocol.messages import Event, encoder
from server.core.attestation import Keyring
from server.core.conversations import Conversation, ConversationLog
from server.core.errors import NotFound
from server.core.estimates import KEPT, WINDOW
from server.core.feedback import Comment
from server.core.leases import LeaseTable
from server.core.poles import Cite
from server.core.queues import PoleQueue
from server.core.resources import Library
from server.core.staff import Desk, StaffAccount
from server.core.visitors import VisitorSession, VisitorState

from .base import Backend, CiteDecoder
from .fanout import Hub, Sink, Subscriber
from .state_file import State, StateFile

T = TypeVar("T")
S = TypeVar("S")

_encode = msgspec.msgpack.Encoder().encode


class MemoryBackend(Backend):
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, state_file: str | None = None
    ) -> None:
        self._clock = clock
        self._state_file = StateFile(state_file) if state_file else None
        self._values: dict[str, tuple[bytes, float | None]] = {}
        self._expiries: list[tuple[float, str]] = []  # heap; stale entries are skipped
        self._queues: dict[str, PoleQueue] = {}
        self._logs: dict[str, ConversationLog] = {}
        self._leases: dict[str, LeaseTable] = {}
        self._ticket = 0
        self._hub = Hub()
        self._decode_cite = CiteDecoder()
        self._figures: dict[str, dict[str, int]] = {}
        self._comments: list[Comment] = []

    # --- the store ---------------------------------------------------------------------
    def _get(self, key: str) -> bytes | None:
        self._reap()
        item = self._values.get(key)
        return None if item is None else item[0]

    def _set(self, key: str, value: bytes, ttl: float | None) -> None:
        expires = None if ttl is None else self._clock() + ttl
        self._values[key] = (value, expires)
        if expires is not None:
            heapq.heappush(self._expiries, (expires, key))

    def _load(self, key: str, kind: type[S]) -> S | None:
        raw = self._get(key)
        return None if raw is None else msgspec.msgpack.decode(raw, type=kind)

    def _update(self, key: str, kind: type[S], change: Callable[[S], T]) -> T:
        value = self._load(key, kind)
        if value is None:
            raise NotFound(key.split(":", 1)[0])
        result = change(value)
        _, expires = self._values[key]
        self._values[key] = (_encode(value), expires)
        return result

    def _expire(self, key: str, ttl: float) -> None:
        item = self._values.get(key)
        if item is not None:
            self._set(key, item[0], ttl)

    def _drop(self, key: str) -> None:
        """Delete a key and whatever hangs on it (queue entry, token index, log)."""
        raw, _ = self._values.pop(key)
        if key.startswith("visitor:"):
            session = msgspec.msgpack.decode(raw, type=VisitorSession)
            queue = self._queues.get(session.pole)
            if queue is not None:
                queue.remove(session.ticket, session.id)
            self._values.pop(f"token:{session.token_hash}", None)
        elif key.startswith("conversation:"):
            self._logs.pop(key.split(":", 1)[1], None)

    def _reap(self) -> None:
        """Drop every key whose time has come."""
        now = self._clock()
        while self._expiries and self._expiries[0][0] <= now:
            due, key = heapq.heappop(self._expiries)
            item = self._values.get(key)
            if item is not None and item[1] == due:  # else renewed or already gone
                self._drop(key)

    async def sweep(self) -> None:
        self._reap()
        self._drop_comments(time.time())

    # --- the state file ----------------------------------------------------------------
    async def start(self) -> None:
        """Take the state file, if any, and load the configuration it holds."""
        if self._state_file is None:
            return
        self._state_file.lock()
        try:
            state = self._state_file.load()
        except BaseException:
            self._state_file.unlock()
            raise
        if state.cite is not None:
            self._set("cite", _encode(state.cite), None)
        if state.keyring is not None:
            self._set("keyring", _encode(state.keyring), None)
        self._set("library", _encode(state.library), None)
        for account in state.staff:
            self._set(f"staff:{account.login}", _encode(account), None)
        self._figures = {name: dict(cells) for name, cells in state.figures.items()}
        self._comments = list(state.comments)

    async def close(self) -> None:
        if self._state_file is not None:
            self._state_file.unlock()

    def _save(self) -> None:
        """Write the durable configuration to the state file; every put of it calls this."""
        if self._state_file is None:
            return
        staff = [
            msgspec.msgpack.decode(raw, type=StaffAccount)
            for key, (raw, _) in sorted(self._values.items())
            if key.startswith("staff:")
        ]
        self._state_file.save(
            State(
                cite=self._load("cite", Cite),
                staff=staff,
                keyring=self._load("keyring", Keyring),
                library=self._load("library", Library) or Library(),
                figures=self._figures,
                comments=self._comments,
            )
        )

    def dump(self) -> bytes:
        """Every stored byte, for tests that look for a pseudonym or a token."""
        self._reap()
        parts: list[Any] = [self._values, self._queues, self._logs]
        return msgspec.msgpack.encode(parts)

    # --- durable configuration ---------------------------------------------------------
    async def get_cite(self) -> Cite | None:
        raw = self._get("cite")
        return None if raw is None else self._decode_cite(raw)

    async def put_cite(self, cite: Cite) -> None:
        self._set("cite", _encode(cite), None)
        self._save()

    async def get_staff(self, login: str) -> StaffAccount | None:
        return self._load(f"staff:{login}", StaffAccount)

    async def get_keyring(self) -> Keyring | None:
        return self._load("keyring", Keyring)

    async def init_keyring(self, keyring: Keyring) -> Keyring:
        stored = self._load("keyring", Keyring)
        if stored is not None:
            return stored
        await self.put_keyring(keyring)
        return keyring

    async def put_keyring(self, keyring: Keyring) -> None:
        self._set("keyring", _encode(keyring), None)
        self._save()

    async def put_staff(self, account: StaffAccount) -> None:
        self._set(f"staff:{account.login}", _encode(account), None)
        self._save()

    async def get_library(self) -> Library:
        return self._load("library", Library) or Library()

    async def update_library(self, change: Callable[[Library], T]) -> T:
        if self._get("library") is None:
            self._set("library", _encode(Library()), None)
        result = self._update("library", Library, change)
        self._save()
        return result

    async def staff_logins(self) -> list[str]:
        return sorted(key[6:] for key in self._values if key.startswith("staff:"))

    # --- expiring secrets --------------------------------------------------------------
    async def put_expiring(self, key: str, value: bytes, ttl: float) -> None:
        self._set(f"secret:{key}", value, ttl)

    async def get_expiring(self, key: str, refresh_ttl: float | None = None) -> bytes | None:
        value = self._get(f"secret:{key}")
        if value is not None and refresh_ttl is not None:
            self._expire(f"secret:{key}", refresh_ttl)
        return value

    async def delete_expiring(self, key: str) -> None:
        self._values.pop(f"secret:{key}", None)

    async def count(self, key: str, ttl: float) -> int:
        name = f"secret:{key}"
        raw = self._get(name)
        if raw is None:
            self._set(name, b"1", ttl)
            return 1
        value = int(raw) + 1
        self._values[name] = (str(value).encode(), self._values[name][1])
        return value

    async def init_expiring(self, key: str, value: bytes, ttl: float) -> bytes:
        stored = self._get(f"secret:{key}")
        if stored is not None:
            return stored
        self._set(f"secret:{key}", value, ttl)
        return value

    # --- visitors and queues -----------------------------------------------------------
    async def next_ticket(self) -> int:
        self._ticket += 1
        return self._ticket

    async def add_visitor(self, session: VisitorSession, ttl: float) -> int:
        self._reap()
        self._set(f"visitor:{session.id}", _encode(session), ttl)
        self._set(f"token:{session.token_hash}", session.id.encode(), ttl)
        queue = self._queues.setdefault(session.pole, PoleQueue())
        return queue.push(session.ticket, session.id)

    async def get_visitor(self, visitor_id: str) -> VisitorSession | None:
        return self._load(f"visitor:{visitor_id}", VisitorSession)

    async def visitor_by_token(self, token_hash: str) -> VisitorSession | None:
        visitor_id = self._get(f"token:{token_hash}")
        return None if visitor_id is None else await self.get_visitor(visitor_id.decode())

    async def update_visitor(self, visitor_id: str, change: Callable[[VisitorSession], T]) -> T:
        return self._update(f"visitor:{visitor_id}", VisitorSession, change)

    async def resume_visitor(
        self, token_hash: str, lease_kind: str, lease_ttl: float, channel: str, signal: bytes
    ) -> tuple[VisitorSession, int, int | None] | None:
        raw_id = self._get(f"token:{token_hash}")
        if raw_id is None:
            return None
        visitor_id = raw_id.decode()
        try:
            session = self._update(f"visitor:{visitor_id}", VisitorSession, _attached)
        except NotFound:
            return None
        generation = session.generation
        await self.drop_lease(lease_kind, f"{visitor_id}:{generation - 1}")
        await self.renew_leases(lease_kind, [f"{visitor_id}:{generation}"], lease_ttl)
        fill = {"{id}": visitor_id, "{generation}": str(generation)}
        for hole, value in fill.items():
            channel = channel.replace(hole, value)
            signal = signal.replace(hole.encode(), value.encode())
        self._hub.deliver(channel, signal)
        waiting, (position,) = await self.positions(session.pole, [session])
        return session, waiting, position

    async def requeue(
        self, visitor_id: str, change: Callable[[VisitorSession], T]
    ) -> tuple[T, int]:
        self._reap()
        key = f"visitor:{visitor_id}"
        result = self._update(key, VisitorSession, change)
        session = self._load(key, VisitorSession)
        assert session is not None and session.state is VisitorState.WAITING
        queue = self._queues.setdefault(session.pole, PoleQueue())
        return result, queue.push(session.ticket, session.id)

    async def dequeue(self, session: VisitorSession) -> bool:
        self._reap()
        queue = self._queues.get(session.pole)
        return queue is not None and queue.remove(session.ticket, session.id)

    async def pop_waiting(self, pole: str) -> str | None:
        queue = self._queues.get(pole)
        while queue:
            visitor_id = queue.pop()
            session = await self.get_visitor(visitor_id or "")
            if session is not None and session.state is VisitorState.WAITING:
                return visitor_id
        return None

    async def position(self, session: VisitorSession) -> int | None:
        self._reap()
        queue = self._queues.get(session.pole)
        return None if queue is None else queue.position(session.ticket, session.id)

    async def positions(
        self, pole: str, sessions: list[VisitorSession]
    ) -> tuple[int, list[int | None]]:
        self._reap()
        queue = self._queues.get(pole, PoleQueue())
        return len(queue), [
            queue.position(s.ticket, s.id) if s.pole == pole else None for s in sessions
        ]

    async def queue_lengths(self, poles: list[str]) -> dict[str, int]:
        self._reap()
        return {pole: len(self._queues.get(pole, ())) for pole in poles}

    async def first_arrivals(self, poles: list[str]) -> dict[str, float]:
        self._reap()
        found = {}
        for pole in poles:
            queue = self._queues.get(pole)
            head = None if not queue else await self.get_visitor(queue.entries[0][1])
            if head is not None:
                found[pole] = head.arrived_at
        return found

    async def expire_visitor(self, visitor_id: str, ttl: float) -> None:
        session = await self.get_visitor(visitor_id)
        if session is not None:
            self._expire(f"visitor:{visitor_id}", ttl)
            self._expire(f"token:{session.token_hash}", ttl)

    # --- conversations -----------------------------------------------------------------
    async def add_conversation(self, conversation: Conversation, ttl: float) -> None:
        self._set(f"conversation:{conversation.id}", _encode(conversation), ttl)
        self._logs[conversation.id] = ConversationLog()

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return self._load(f"conversation:{conversation_id}", Conversation)

    async def update_conversation(
        self, conversation_id: str, change: Callable[[Conversation], T]
    ) -> T:
        return self._update(f"conversation:{conversation_id}", Conversation, change)

    def _log(self, conversation_id: str) -> ConversationLog:
        if self._get(f"conversation:{conversation_id}") is None:
            raise NotFound("conversation")
        return self._logs[conversation_id]

    async def append_event(
        self, conversation_id: str, draft: Event, channel: str
    ) -> tuple[Event, bool]:
        event, new = self._log(conversation_id).append(draft)
        if new:
            await self.publish(channel, encoder.encode(event))
        return event, new

    async def events_since(self, conversation_id: str, seq: int) -> list[Event]:
        return list(self._log(conversation_id).since(seq))

    async def expire_conversation(self, conversation_id: str, ttl: float) -> None:
        self._expire(f"conversation:{conversation_id}", ttl)

    # --- counsellors -------------------------------------------------------------------
    async def update_desk(self, login: str, change: Callable[[Desk], T]) -> T:
        key = f"desk:{login}"
        if self._get(key) is None:
            self._set(key, _encode(Desk(login=login)), None)
        return self._update(key, Desk, change)

    async def get_desk(self, login: str) -> Desk | None:
        return self._load(f"desk:{login}", Desk)

    # --- service figures ---------------------------------------------------------------
    async def record_take(self, pole: str, at: float) -> None:
        takes = [*await self.recent_takes(pole), at][-KEPT:]
        self._set(f"takes:{pole}", _encode(takes), WINDOW)

    async def recent_takes(self, pole: str) -> list[float]:
        return self._load(f"takes:{pole}", list[float]) or []

    # --- anonymous figures -------------------------------------------------------------
    async def count_figure(self, figure: str, cell: str, by: int = 1) -> None:
        cells = self._figures.setdefault(figure, {})
        cells[cell] = cells.get(cell, 0) + by
        self._save()

    async def count_figures(self, figure: str, cells: dict[str, int]) -> None:
        counted = self._figures.setdefault(figure, {})
        for cell, by in cells.items():
            counted[cell] = counted.get(cell, 0) + by
        self._save()

    async def figures(self, figure: str) -> dict[str, int]:
        return dict(self._figures.get(figure, {}))

    async def figure_names(self) -> list[str]:
        return list(self._figures)

    async def drop_figure(self, figure: str) -> None:
        if self._figures.pop(figure, None) is not None:
            self._save()

    async def add_comment(self, comment: Comment) -> None:
        self._comments.append(comment)
        self._save()

    async def comments(self, now: float) -> list[Comment]:
        self._drop_comments(now)
        return list(self._comments)

    def _drop_comments(self, now: float) -> None:
        kept = [comment for comment in self._comments if comment.until > now]
        if len(kept) != len(self._comments):
            self._comments = kept
            self._save()

    # --- leases ------------------------------------------------------------------------
    async def renew_leases(self, kind: str, members: list[str], ttl: float) -> None:
        table = self._leases.setdefault(kind, LeaseTable())
        until = self._clock() + ttl
        for member in members:
            table.renew(member, until)

    async def drop_lease(self, kind: str, member: str) -> None:
        if kind in self._leases:
            self._leases[kind].drop(member)

    async def claim_expired(self, kind: str, limit: int = 100) -> list[str]:
        table = self._leases.get(kind)
        return [] if table is None else table.claim(self._clock(), limit)

    # --- delivery ----------------------------------------------------------------------
    async def publish(self, channel: str, payload: bytes) -> None:
        self._hub.deliver(channel, payload)

    def subscriber(self, sink: Sink | None = None) -> Subscriber:
        return self._hub.subscriber(sink)


def _attached(session: VisitorSession) -> VisitorSession:
    session.attach()
    return session
