"""The Redis backend: several server processes, on one or several machines, share one Redis.

Key layout (all under ``parole:``; documented for operators in ``ops/redis.md``):

- durable: ``cite``, ``library`` (resource cards), ``keyring``, ``staff:<login>``,
  ``desk:<login>``, ``ticket`` (arrival counter);
- ``visitor:<id>`` and ``token:<sha256>`` (TTL), ``queue:<pole>`` (ZSET of visitor ids by
  ticket) with ``queue-exp:<pole>`` (ZSET of the same ids by expiry time, so expired
  visitors are removed before any queue is read);
- ``conversation:<id>``, its log ``log:<id>`` (a Stream whose entry ids are ``<seq>-0``)
  and ``client-ids:<id>`` (HASH author:client_id -> seq), all with the same TTL;
- ``secret:<key>`` (TTL; counters too), ``leases:<kind>`` (ZSET member -> expiry time);
- durable anonymous figures: ``figures:<figure>`` (HASH cell -> count) and ``comments``
  (ZSET of comments by the time they are due, dropped at every sweep);
- pub/sub channels ``parole:ch:<channel>``, one connection per process for all of them.

Times that must agree across processes (expiry, leases) are taken from Redis's clock.
Any Redis error is raised as :class:`~server.core.errors.Unavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError

from protocol.messages import Event, encoder
from server.core.attestation import Keyring
from server.core.conversations import HOLDERS, Conversation
from server.core.errors import IllegalTransition, NotFound, NotHeld, Unavailable
from server.core.estimates import KEPT, WINDOW
from server.core.feedback import Comment
from server.core.poles import Cite
from server.core.resources import Library
from server.core.staff import Desk, StaffAccount
from server.core.visitors import VisitorSession, VisitorState

from .base import Backend, CiteDecoder
from .fanout import Hub, Sink, Subscriber
from .resp import Commands, Endpoint, Link

log = logging.getLogger("parole.redis")

T = TypeVar("T")
S = TypeVar("S")
P = ParamSpec("P")

PREFIX = "parole:"
CHANNELS = PREFIX + "ch:"
MAX_CONNECTIONS = 32
CONNECTION_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 5}
_encode = msgspec.msgpack.Encoder().encode

# Expired members of a queue go first: a queue never counts an expired visitor.
_REAP = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function reap(queue, expiry)
  local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', now_ms())
  for _, member in ipairs(due) do
    redis.call('ZREM', queue, member)
    redis.call('ZREM', expiry, member)
  end
end
"""

ADD_VISITOR = (
    _REAP
    + """
-- KEYS: visitor, token, queue, queue-exp; ARGV: session, id, ticket, ttl_ms
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
reap(KEYS[3], KEYS[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[4], now_ms() + tonumber(ARGV[4]), ARGV[2])
return redis.call('ZRANK', KEYS[3], ARGV[2]) + 1
"""
)

SWEEP = (
    _REAP
    + """
-- KEYS: queue, queue-exp
reap(KEYS[1], KEYS[2])
return 1
"""
)

POSITION = (
    _REAP
    + """
-- KEYS: queue, queue-exp; ARGV: id
reap(KEYS[1], KEYS[2])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank then return rank + 1 end
return nil
"""
)

POSITIONS = (
    _REAP
    + """
-- KEYS: queue, queue-exp; ARGV: ids; returns {length, position or 0 for each id}
reap(KEYS[1], KEYS[2])
local found = {redis.call('ZCARD', KEYS[1])}
for i = 1, #ARGV do
  local rank = redis.call('ZRANK', KEYS[1], ARGV[i])
  found[#found + 1] = rank and rank + 1 or 0
end
return found
"""
)

LENGTHS = (
    _REAP
    + """
-- KEYS: queue, queue-exp, queue, queue-exp, ...
local lengths = {}
for i = 1, #KEYS, 2 do
  reap(KEYS[i], KEYS[i + 1])
  lengths[#lengths + 1] = redis.call('ZCARD', KEYS[i])
end
return lengths
"""
)

FIRSTS = (
    _REAP
    + """
-- KEYS: queue, queue-exp, queue, queue-exp, ...; ARGV: key prefix. Returns, for each
-- queue, the stored session of the first in line, or '' when nobody waits.
local found = {}
for i = 1, #KEYS, 2 do
  reap(KEYS[i], KEYS[i + 1])
  local head = redis.call('ZRANGE', KEYS[i], 0, 0)[1]
  found[#found + 1] = head and redis.call('GET', ARGV[1] .. 'visitor:' .. head) or ''
end
return found
"""
)

POP = (
    _REAP
    + """
-- KEYS: queue, queue-exp
reap(KEYS[1], KEYS[2])
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return nil end
redis.call('ZREM', KEYS[2], popped[1])
return popped[1]
"""
)

EXPIRE_VISITOR = (
    _REAP
    + """
-- KEYS: visitor, token, queue-exp; ARGV: id, ttl_ms
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  redis.call('ZADD', KEYS[3], 'XX', now_ms() + tonumber(ARGV[2]), ARGV[1])
end
return 1
"""
)

APPEND = """
-- KEYS: conversation, log, client-ids; ARGV: client key ('' if none), draft event,
-- what it changes ('ended', 'transferred', 'opened' or ''), channel, the published JSON
-- cut around its seq, 1 if a counsellor wrote it else 0.
-- Returns the new seq; -1: no such conversation; 0: ended already; < -1: -(seq of the
-- first copy) - 1 for a retry; 'unheld': a counsellor's draft while nobody holds it.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[1] ~= '' then
  local seen = redis.call('HGET', KEYS[3], ARGV[1])
  if seen then return -tonumber(seen) - 1 end
end
if redis.call('HEXISTS', KEYS[3], '!ended') == 1 then return 0 end
if ARGV[7] == '1' and redis.call('HEXISTS', KEYS[3], '!unheld') == 1 then
  return 'unheld'
end
local seq = redis.call('XLEN', KEYS[2]) + 1
redis.call('XADD', KEYS[2], seq .. '-0', 'e', ARGV[2])
if ARGV[1] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], seq) end
if ARGV[3] == 'ended' then redis.call('HSET', KEYS[3], '!ended', seq) end
if ARGV[3] == 'transferred' then redis.call('HSET', KEYS[3], '!unheld', seq) end
if ARGV[3] == 'opened' then redis.call('HDEL', KEYS[3], '!unheld') end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. seq .. ARGV[6])
return seq
"""

EXPIRE_ALL = """
-- KEYS: whatever must go together; ARGV: ttl_ms
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[1]) end
return 1
"""

RENEW_LEASES = (
    _REAP
    + """
-- KEYS: leases; ARGV: ttl_ms, members...
local expires = now_ms() + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
return 1
"""
)

RESUME_VISITOR = (
    _REAP
    + """
-- KEYS: token, leases; ARGV: key prefix, lease_ttl_ms, channel, signal.
-- Returns {session, length of its pole's queue, its position there or 0}. The visitor
-- and queue keys come from stored values, so they are not in KEYS (one Redis, no Cluster).
-- The session is msgpack (msgspec writes a map by field name): cmsgpack edits only its
-- generation, as VisitorSession.attach does. A None field comes back missing, which
-- msgspec reads as its default (None for every optional field of VisitorSession).
local id = redis.call('GET', KEYS[1])
if not id then return nil end
local key = ARGV[1] .. 'visitor:' .. id
local raw = redis.call('GET', key)
if not raw then return nil end
local session = cmsgpack.unpack(raw)
local generation = (session.generation or 0) + 1
session.generation = generation
raw = cmsgpack.pack(session)
redis.call('SET', key, raw, 'KEEPTTL')
redis.call('ZREM', KEYS[2], id .. ':' .. (generation - 1))
redis.call('ZADD', KEYS[2], now_ms() + tonumber(ARGV[2]), id .. ':' .. generation)
local function fill(text)
  text = string.gsub(text, '{id}', function() return id end)
  return (string.gsub(text, '{generation}', function() return tostring(generation) end))
end
redis.call('PUBLISH', fill(ARGV[3]), fill(ARGV[4]))
local queue = ARGV[1] .. 'queue:' .. session.pole
reap(queue, ARGV[1] .. 'queue-exp:' .. session.pole)
local rank = redis.call('ZRANK', queue, id)
return {raw, redis.call('ZCARD', queue), rank and rank + 1 or 0}
"""
)

CLAIM_LEASES = (
    _REAP
    + """
-- KEYS: leases; ARGV: limit
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, ARGV[1])
for _, member in ipairs(due) do redis.call('ZREM', KEYS[1], member) end
return due
"""
)


COUNT = """
-- KEYS: counter; ARGV: ttl_ms. The lifetime is set by the first increment only.
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value
"""


def _available(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn Redis and connection errors into Unavailable."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise Unavailable(type(exc).__name__) from exc

    return wrapper


def _event(entry: list[Any]) -> Event:
    """The event of a log entry as XRANGE gives it: ``[b"<seq>-0", [b"e", msgpack]]``."""
    entry_id, (_, packed) = entry
    seq = int(entry_id.split(b"-", 1)[0])
    return msgspec.structs.replace(msgspec.msgpack.decode(packed, type=Event), seq=seq)


class RedisBackend(Backend):
    heartbeat = 10.0  # seconds of silence on the pub/sub connection before a PING

    def __init__(self, url: str) -> None:
        self.url = url
        # Any: redis-py's async annotations mix sync and async return types; every call
        # below is exercised by the contract suite against a real redis-server.
        # A bounded pool shared by every socket of this process: a burst waits for a free
        # connection instead of opening one per client.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=5, **CONNECTION_OPTIONS
        )
        self.redis: Any = aioredis.Redis(connection_pool=pool)
        # No redis-py health checks: a command on a dead connection fails with or
        # without one (redis-py does not retry), and each check looks the running loop
        # up, a getpid system call on Python 3.11 (3 % of the CPU of a message).
        # What messages and resumes run goes through lean links instead (resp.py): every
        # script, publication and plain read on one pipelined link, and the pub/sub
        # connection, which has its own heartbeat (_listen). Transactions (WATCH/MULTI)
        # and the rest stay on the pool.
        self._endpoint = Endpoint(
            url, CONNECTION_OPTIONS["socket_timeout"], CONNECTION_OPTIONS["socket_connect_timeout"]
        )
        self._commands = Commands(self._endpoint)
        self._scripts = {
            name: self._commands.script(source)
            for name, source in {
                "add_visitor": ADD_VISITOR,
                "position": POSITION,
                "positions": POSITIONS,
                "sweep": SWEEP,
                "lengths": LENGTHS,
                "firsts": FIRSTS,
                "pop": POP,
                "expire_visitor": EXPIRE_VISITOR,
                "append": APPEND,
                "expire_all": EXPIRE_ALL,
                "renew_leases": RENEW_LEASES,
                "resume_visitor": RESUME_VISITOR,
                "claim_leases": CLAIM_LEASES,
                "count": COUNT,
            }.items()
        }
        self._hub = Hub(on_first=self._subscribe, on_last=self._unsubscribe)
        self._decode_cite = CiteDecoder()
        self._pubsub: Link | None = None
        self._dropped = asyncio.Event()  # the pub/sub link was lost
        self._drop = ""  # why, for the log
        self._listener: asyncio.Task[None] | None = None
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        # A channel of this process only, so the pub/sub connection exists from the start.
        self._own_channel = f"{CHANNELS}_process:{secrets.token_hex(8)}"

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        try:
            await self.redis.ping()
            await self._open_pubsub()
        except (RedisError, OSError) as exc:
            await self.redis.aclose()
            raise Unavailable(f"cannot reach Redis at {_safe_url(self.url)}: {exc}") from exc
        self._listener = asyncio.create_task(self._listen())

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._pubsub is not None:
            self._pubsub.abort(RedisConnectionError("closed"))
        self._commands.drop()
        await self.redis.aclose()

    # --- pub/sub -------------------------------------------------------------------------
    async def _open_pubsub(self) -> None:
        link = await self._endpoint.open(on_push=self._pushed, on_lost=self._lost)
        self._pubsub = link
        self._dropped.clear()
        link.write("SUBSCRIBE", self._own_channel, *(CHANNELS + c for c in self._hub.names))

    def _pushed(self, reply: Any) -> None:
        """A reply on the pub/sub link, as soon as it is read: deliver it, or confirm."""
        if not isinstance(reply, list) or len(reply) < 2:
            return  # an error (a refused SUBSCRIBE): its channels stay unconfirmed
        kind, name = reply[0], reply[1].decode()
        if kind == b"message" and name.startswith(CHANNELS):
            try:
                self._hub.deliver(name[len(CHANNELS) :], reply[2])
            except Exception:  # one subscriber's bug must not cost the others the link
                log.exception("unexpected error delivering a payload")
        elif kind == b"subscribe":
            future = self._confirmations.pop(name, None)
            if future is not None and not future.done():
                future.set_result(None)

    def _lost(self, error: Exception) -> None:
        self._drop = type(error).__name__
        self._dropped.set()

    async def _listen(self) -> None:
        """Watch the pub/sub link; after a drop, reconnect and tell subscribers to resync.

        A connection that only reads cannot tell a quiet Redis from one that is gone
        without closing it (stopped, or cut off by the network): after ``heartbeat``
        seconds without a word it sends a PING, and no answer within ``heartbeat``
        seconds more counts as a drop.
        """
        loop = asyncio.get_running_loop()
        pinged: float | None = None  # when the PING it waits for an answer to went
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self.heartbeat, 1.0)):
                    await self._dropped.wait()
            link = self._pubsub
            assert link is not None
            if not link.lost:
                now = loop.time()
                if pinged is not None and link.heard >= pinged:
                    pinged = None  # answered
                if pinged is not None and now - pinged > self.heartbeat:
                    link.abort(RedisConnectionError("no answer to PING"))
                elif pinged is None and now - link.heard > self.heartbeat:
                    link.write("PING")
                    pinged = now
                continue
            log.warning("pub/sub connection lost (%s); reconnecting", self._drop)
            self._hub.broadcast_outage()
            await self._reconnect_pubsub()
            pinged = None

    async def _reconnect_pubsub(self) -> None:
        """Retry, backing off up to 2 s, until a new pub/sub connection has every channel."""
        delay = 0.1
        while True:
            await asyncio.sleep(delay)
            try:
                await self._open_pubsub()
                break
            except (RedisError, OSError):
                delay = min(delay * 2, 2.0)
        # Connections opened before the outage may be dead without knowing it yet (a cut
        # network closes nothing); drop them so the resync that follows runs on fresh ones.
        self._commands.drop()
        with contextlib.suppress(RedisError, OSError):
            await self.redis.connection_pool.disconnect()
        log.warning("pub/sub connection restored")
        self._hub.broadcast_resync()

    async def _subscribe(self, channel: str) -> None:
        name = CHANNELS + channel
        future = asyncio.get_running_loop().create_future()
        self._confirmations[name] = future
        try:
            # The channels asked for in one loop turn (the sockets of a reconnection
            # storm open together) leave in one write: see resp.Link.
            assert self._pubsub is not None
            self._pubsub.write("SUBSCRIBE", name)
            await asyncio.wait_for(future, 5.0)
        except (RedisError, TimeoutError) as exc:
            self._confirmations.pop(name, None)
            # Resubscribed with every other channel once the connection is back.
            raise Unavailable("subscribe") from exc

    async def _unsubscribe(self, channel: str) -> None:
        with contextlib.suppress(RedisError):
            assert self._pubsub is not None
            self._pubsub.write("UNSUBSCRIBE", CHANNELS + channel)

    @_available
    async def sweep(self) -> None:
        """Reap every queue's expired entries and the comments due (keys expire by
        themselves)."""
        async for expiry in self.redis.scan_iter(match=f"{PREFIX}queue-exp:*", count=100):
            queue = PREFIX + "queue:" + expiry.decode().split(":", 2)[2]
            await self._scripts["sweep"](keys=[queue, expiry])
        await self.redis.zremrangebyscore(PREFIX + "comments", "-inf", time.time())

    @_available
    async def publish(self, channel: str, payload: bytes) -> None:
        await self._commands.call("PUBLISH", CHANNELS + channel, payload)

    def subscriber(self, sink: Sink | None = None) -> Subscriber:
        return self._hub.subscriber(sink)

    # --- helpers -------------------------------------------------------------------------
    async def _load(self, key: str, kind: type[S]) -> S | None:
        raw = await self._commands.call("GET", PREFIX + key)
        return None if raw is None else msgspec.msgpack.decode(raw, type=kind)

    async def _update(
        self, key: str, kind: type[S], change: Callable[[S], T], default: bytes | None = None
    ) -> T:
        """Optimistic read-change-write (WATCH/MULTI), retried on contention; keeps the TTL."""
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(PREFIX + key)
                    raw = await pipe.get(PREFIX + key) or default
                    if raw is None:
                        raise NotFound(key.split(":", 1)[0])
                    value = msgspec.msgpack.decode(raw, type=kind)
                    result = change(value)
                    pipe.multi()
                    pipe.set(PREFIX + key, _encode(value), keepttl=True)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue
                finally:
                    await pipe.reset()

    # --- durable configuration ---------------------------------------------------------
    @_available
    async def get_cite(self) -> Cite | None:
        raw = await self._commands.call("GET", PREFIX + "cite")
        return None if raw is None else self._decode_cite(raw)

    @_available
    async def put_cite(self, cite: Cite) -> None:
        await self.redis.set(PREFIX + "cite", _encode(cite))

    @_available
    async def get_staff(self, login: str) -> StaffAccount | None:
        return await self._load(f"staff:{login}", StaffAccount)

    @_available
    async def put_staff(self, account: StaffAccount) -> None:
        await self.redis.set(f"{PREFIX}staff:{account.login}", _encode(account))

    @_available
    async def get_keyring(self) -> Keyring | None:
        return await self._load("keyring", Keyring)

    @_available
    async def init_keyring(self, keyring: Keyring) -> Keyring:
        if await self.redis.set(PREFIX + "keyring", _encode(keyring), nx=True):
            return keyring
        stored = await self._load("keyring", Keyring)
        assert stored is not None  # set a moment ago, and durable keys are never deleted
        return stored

    @_available
    async def put_keyring(self, keyring: Keyring) -> None:
        await self.redis.set(PREFIX + "keyring", _encode(keyring))

    @_available
    async def get_library(self) -> Library:
        return await self._load("library", Library) or Library()

    @_available
    async def update_library(self, change: Callable[[Library], T]) -> T:
        return await self._update("library", Library, change, _encode(Library()))

    @_available
    async def staff_logins(self) -> list[str]:
        # A Cité has tens of accounts: a SCAN on a manager's page is cheap enough.
        start = len(PREFIX) + len("staff:")
        keys = self.redis.scan_iter(match=f"{PREFIX}staff:*", count=100)
        return sorted([key.decode()[start:] async for key in keys])

    # --- expiring secrets --------------------------------------------------------------
    @_available
    async def put_expiring(self, key: str, value: bytes, ttl: float) -> None:
        await self.redis.set(f"{PREFIX}secret:{key}", value, px=_ms(ttl))

    @_available
    async def get_expiring(self, key: str, refresh_ttl: float | None = None) -> bytes | None:
        name = f"{PREFIX}secret:{key}"
        if refresh_ttl is None:
            value: bytes | None = await self.redis.get(name)
            return value
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(name).pexpire(name, _ms(refresh_ttl))
            value, _ = await pipe.execute()
        return value

    @_available
    async def delete_expiring(self, key: str) -> None:
        await self.redis.delete(f"{PREFIX}secret:{key}")

    @_available
    async def init_expiring(self, key: str, value: bytes, ttl: float) -> bytes:
        name = f"{PREFIX}secret:{key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(name, value, px=_ms(ttl), nx=True).get(name)
            _, stored = await pipe.execute()
        return bytes(stored) if stored is not None else value

    @_available
    async def count(self, key: str, ttl: float) -> int:
        return int(await self._scripts["count"](keys=[f"{PREFIX}secret:{key}"], args=[_ms(ttl)]))

    # --- visitors and queues -----------------------------------------------------------
    @_available
    async def next_ticket(self) -> int:
        return int(await self.redis.incr(PREFIX + "ticket"))

    @staticmethod
    def _queue_keys(pole: str) -> list[str]:
        return [f"{PREFIX}queue:{pole}", f"{PREFIX}queue-exp:{pole}"]

    @_available
    async def add_visitor(self, session: VisitorSession, ttl: float) -> int:
        keys = [f"{PREFIX}visitor:{session.id}", f"{PREFIX}token:{session.token_hash}"]
        args: list[bytes | str | int] = [_encode(session), session.id, session.ticket, _ms(ttl)]
        position = await self._scripts["add_visitor"](
            keys=keys + self._queue_keys(session.pole), args=args
        )
        return int(position)

    @_available
    async def get_visitor(self, visitor_id: str) -> VisitorSession | None:
        return await self._load(f"visitor:{visitor_id}", VisitorSession)

    @_available
    async def visitor_by_token(self, token_hash: str) -> VisitorSession | None:
        visitor_id = await self.redis.get(f"{PREFIX}token:{token_hash}")
        return None if visitor_id is None else await self.get_visitor(visitor_id.decode())

    @_available
    async def update_visitor(self, visitor_id: str, change: Callable[[VisitorSession], T]) -> T:
        return await self._update(f"visitor:{visitor_id}", VisitorSession, change)

    @_available
    async def resume_visitor(
        self, token_hash: str, lease_kind: str, lease_ttl: float, channel: str, signal: bytes
    ) -> tuple[VisitorSession, int, int | None] | None:
        keys = [f"{PREFIX}token:{token_hash}", f"{PREFIX}leases:{lease_kind}"]
        args: list[bytes | str | int] = [PREFIX, _ms(lease_ttl), CHANNELS + channel, signal]
        found = await self._scripts["resume_visitor"](keys=keys, args=args)
        if found is None:
            return None
        raw, waiting, position = found
        session = msgspec.msgpack.decode(raw, type=VisitorSession)
        return session, int(waiting), int(position) or None

    @_available
    async def requeue(
        self, visitor_id: str, change: Callable[[VisitorSession], T]
    ) -> tuple[T, int]:
        """As ``_update``, with the queue entries in the same transaction. The entry's
        expiry is the session's, on Redis's clock (read under WATCH), as ADD_VISITOR."""
        key = f"{PREFIX}visitor:{visitor_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise NotFound("visitor")
                    left = await pipe.pttl(key)
                    seconds, micros = await pipe.time()
                    session = msgspec.msgpack.decode(raw, type=VisitorSession)
                    result = change(session)
                    assert session.state is VisitorState.WAITING
                    queue, expiry = self._queue_keys(session.pole)
                    now = int(seconds) * 1000 + int(micros) // 1000
                    pipe.multi()
                    pipe.set(key, _encode(session), keepttl=True)
                    pipe.zadd(queue, {visitor_id: session.ticket})
                    pipe.zadd(expiry, {visitor_id: now + max(int(left), 0)})
                    pipe.zrank(queue, visitor_id)
                    *_, rank = await pipe.execute()
                    return result, int(rank) + 1
                except WatchError:
                    continue
                finally:
                    await pipe.reset()

    @_available
    async def dequeue(self, session: VisitorSession) -> bool:
        queue, expiry = self._queue_keys(session.pole)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(queue, session.id).zrem(expiry, session.id)
            removed, _ = await pipe.execute()
        return bool(removed)

    @_available
    async def pop_waiting(self, pole: str) -> str | None:
        while True:
            raw = await self._scripts["pop"](keys=self._queue_keys(pole))
            if raw is None:
                return None
            visitor_id: str = raw.decode()
            session = await self.get_visitor(visitor_id)
            if session is not None and session.state is VisitorState.WAITING:
                return visitor_id

    @_available
    async def position(self, session: VisitorSession) -> int | None:
        rank = await self._scripts["position"](
            keys=self._queue_keys(session.pole), args=[session.id]
        )
        return None if rank is None else int(rank)

    @_available
    async def positions(
        self, pole: str, sessions: list[VisitorSession]
    ) -> tuple[int, list[int | None]]:
        ids = [s.id if s.pole == pole else "" for s in sessions]
        found = await self._scripts["positions"](keys=self._queue_keys(pole), args=ids)
        return int(found[0]), [int(rank) or None for rank in found[1:]]

    @_available
    async def queue_lengths(self, poles: list[str]) -> dict[str, int]:
        if not poles:
            return {}
        keys = [key for pole in poles for key in self._queue_keys(pole)]
        lengths = await self._scripts["lengths"](keys=keys)
        return {pole: int(n) for pole, n in zip(poles, lengths, strict=True)}

    @_available
    async def first_arrivals(self, poles: list[str]) -> dict[str, float]:
        if not poles:
            return {}
        keys = [key for pole in poles for key in self._queue_keys(pole)]
        heads = await self._scripts["firsts"](keys=keys, args=[PREFIX])
        return {
            pole: msgspec.msgpack.decode(raw, type=VisitorSession).arrived_at
            for pole, raw in zip(poles, heads, strict=True)
            if raw
        }

    @_available
    async def expire_visitor(self, visitor_id: str, ttl: float) -> None:
        session = await self.get_visitor(visitor_id)
        if session is None:
            return
        keys = [
            f"{PREFIX}visitor:{visitor_id}",
            f"{PREFIX}token:{session.token_hash}",
            self._queue_keys(session.pole)[1],
        ]
        await self._scripts["expire_visitor"](keys=keys, args=[visitor_id, _ms(ttl)])

    # --- conversations -----------------------------------------------------------------
    @staticmethod
    def _conversation_keys(conversation_id: str) -> list[str]:
        return [
            f"{PREFIX}conversation:{conversation_id}",
            f"{PREFIX}log:{conversation_id}",
            f"{PREFIX}client-ids:{conversation_id}",
        ]

    @_available
    async def add_conversation(self, conversation: Conversation, ttl: float) -> None:
        key, log_key, ids_key = self._conversation_keys(conversation.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(log_key, ids_key).set(key, _encode(conversation), px=_ms(ttl))
            await pipe.execute()

    @_available
    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self._load(f"conversation:{conversation_id}", Conversation)

    @_available
    async def update_conversation(
        self, conversation_id: str, change: Callable[[Conversation], T]
    ) -> T:
        return await self._update(f"conversation:{conversation_id}", Conversation, change)

    @_available
    async def append_event(
        self, conversation_id: str, draft: Event, channel: str
    ) -> tuple[Event, bool]:
        client_key = "" if draft.client_id is None else f"{draft.author}:{draft.client_id}"
        keys = self._conversation_keys(conversation_id)
        # The script writes the seq into the published JSON: cut it where the seq goes.
        # ``"seq":0,`` cannot occur earlier: only the type and the conversation id (a
        # JSON string, whose quotes would be escaped) come before it.
        head, cut, tail = encoder.encode(msgspec.structs.replace(draft, seq=0)).partition(
            b'"seq":0,'
        )
        assert cut, "an event's JSON has a seq"
        args: list[bytes | str | int] = [
            client_key,
            _encode(draft),
            draft.kind if draft.kind in ("ended", *HOLDERS) else "",
            CHANNELS + channel,
            head + b'"seq":',
            b"," + tail,
            int(draft.author == "counsellor"),
        ]
        reply = await self._scripts["append"](keys=keys, args=args)
        if reply == b"unheld":
            raise NotHeld("nobody holds this conversation now")
        result = int(reply)
        if result == -1:
            raise NotFound("conversation")
        if result == 0:
            raise IllegalTransition("this conversation has ended")
        if result > 0:
            return msgspec.structs.replace(draft, seq=result), True
        seq = -result - 1  # a retry: the event stored the first time
        entries = await self._commands.call("XRANGE", keys[1], f"{seq}-0", f"{seq}-0")
        return _event(entries[0]), False

    @_available
    async def events_since(self, conversation_id: str, seq: int) -> list[Event]:
        key, log_key, _ = self._conversation_keys(conversation_id)
        exists, entries = await self._commands.pipeline(
            ("EXISTS", key), ("XRANGE", log_key, f"{max(seq, 0) + 1}-0", "+")
        )
        if not exists:
            raise NotFound("conversation")
        return [_event(entry) for entry in entries]

    @_available
    async def expire_conversation(self, conversation_id: str, ttl: float) -> None:
        keys = self._conversation_keys(conversation_id)
        await self._scripts["expire_all"](keys=keys, args=[_ms(ttl)])

    # --- counsellors -------------------------------------------------------------------
    @_available
    async def update_desk(self, login: str, change: Callable[[Desk], T]) -> T:
        return await self._update(f"desk:{login}", Desk, change, _encode(Desk(login=login)))

    @_available
    async def get_desk(self, login: str) -> Desk | None:
        return await self._load(f"desk:{login}", Desk)

    # --- service figures ---------------------------------------------------------------
    @_available
    async def record_take(self, pole: str, at: float) -> None:
        key = f"{PREFIX}takes:{pole}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, repr(at)).ltrim(key, -KEPT, -1).pexpire(key, _ms(WINDOW))
            await pipe.execute()

    @_available
    async def recent_takes(self, pole: str) -> list[float]:
        return [float(at) for at in await self.redis.lrange(f"{PREFIX}takes:{pole}", 0, -1)]

    # --- anonymous figures -------------------------------------------------------------
    @_available
    async def count_figure(self, figure: str, cell: str, by: int = 1) -> None:
        await self.redis.hincrby(f"{PREFIX}figures:{figure}", cell, by)

    @_available
    async def count_figures(self, figure: str, cells: dict[str, int]) -> None:
        key = f"{PREFIX}figures:{figure}"
        async with self.redis.pipeline(transaction=False) as pipe:
            for cell, by in cells.items():
                pipe.hincrby(key, cell, by)
            await pipe.execute()

    @_available
    async def figures(self, figure: str) -> dict[str, int]:
        found = await self.redis.hgetall(f"{PREFIX}figures:{figure}")
        return {cell.decode(): int(count) for cell, count in found.items()}

    @_available
    async def figure_names(self) -> list[str]:
        prefix = f"{PREFIX}figures:"
        return [
            key.decode().removeprefix(prefix)
            async for key in self.redis.scan_iter(match=f"{prefix}*", count=500)
        ]

    @_available
    async def drop_figure(self, figure: str) -> None:
        await self.redis.delete(f"{PREFIX}figures:{figure}")

    @_available
    async def add_comment(self, comment: Comment) -> None:
        await self.redis.zadd(PREFIX + "comments", {_encode(comment): comment.until})

    @_available
    async def comments(self, now: float) -> list[Comment]:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(PREFIX + "comments", "-inf", now)
            pipe.zrange(PREFIX + "comments", 0, -1)
            _, found = await pipe.execute()
        return [msgspec.msgpack.decode(raw, type=Comment) for raw in found]

    # --- leases ------------------------------------------------------------------------
    @_available
    async def renew_leases(self, kind: str, members: list[str], ttl: float) -> None:
        if members:
            await self._scripts["renew_leases"](
                keys=[f"{PREFIX}leases:{kind}"], args=[_ms(ttl), *members]
            )

    @_available
    async def drop_lease(self, kind: str, member: str) -> None:
        await self.redis.zrem(f"{PREFIX}leases:{kind}", member)

    @_available
    async def claim_expired(self, kind: str, limit: int = 100) -> list[str]:
        due = await self._scripts["claim_leases"](keys=[f"{PREFIX}leases:{kind}"], args=[limit])
        return [member.decode() for member in due]


def _ms(seconds: float) -> int:
    return max(int(seconds * 1000), 1)


def _safe_url(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
