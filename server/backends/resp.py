"""Lean Redis links for the hot paths: the scripts, publications and reads that messages
and resumes run, and pub/sub.

redis-py spends more CPU around a command than Redis spends running the append
script (a pool checkout, a retry wrapper and three asyncio timeouts, each looking
the running loop up: a getpid system call on Python 3.11), and its pub/sub reader
runs a parse, a timeout and a dict per message. Here a :class:`Link` is an asyncio
protocol: the commands asked for in one turn of the event loop leave in one write
at its end, and hiredis parses what arrives in ``data_received``. Replies, which
Redis sends in the order of the commands, resolve the commands' futures in that
order (pipelining without a pipeline object); on a pub/sub link every reply
goes to a callback at once, with no task between. One timer per link notices a
Redis that stopped answering commands.

Errors are redis-py's exceptions, so callers handle both clients alike.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, cast

import hiredis
from redis.asyncio.connection import SSLConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = bytes | str | int
# hiredis's stub types its argument as a 1-tuple; it packs a command of any length.
_pack: Callable[[tuple[Arg, ...]], bytes] = cast(Any, hiredis.pack_command)


Push = Callable[[Any], None]
Lost = Callable[[Exception], None]


class Link(asyncio.Protocol):
    """One connection: commands go out as written, replies come back in their order.

    A pub/sub connection has ``on_push``: from then on every reply (messages,
    subscribe confirmations, pongs) goes there as it is parsed, with no task between.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._loop = loop
        self._timeout = timeout
        self._parser = hiredis.Reader()
        # (future, time sent) of every command still waiting for its reply, oldest first.
        self._waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self._transport: asyncio.Transport | None = None
        self._unsent: list[bytes] = []
        self._timer: asyncio.TimerHandle | None = None
        self.on_push: Push | None = None
        self.on_lost: Lost | None = None
        self.lost = False
        self.heard = loop.time()  # when data last came: a quiet link may be a dead one

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.heard = self._loop.time()
        self._parser.feed(data)
        try:
            while (reply := self._parser.gets()) is not False:
                if self.on_push is not None:
                    self.on_push(reply)
                    continue
                if not self._waiting:
                    raise hiredis.ProtocolError("a reply to no command")
                future, _ = self._waiting.popleft()
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(reply, hiredis.ReplyError):
                    message = str(reply)
                    kind = NoScriptError if message.startswith("NOSCRIPT") else ResponseError
                    future.set_exception(kind(message))
                else:
                    future.set_result(reply)
        except hiredis.ProtocolError as exc:
            self.abort(RedisConnectionError(f"unreadable reply from Redis: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.abort(RedisConnectionError("connection to Redis lost"))

    def write(self, *args: Arg) -> None:
        """Send a command whose replies go to ``on_push``."""
        if self.lost or self._transport is None:
            raise RedisConnectionError("connection to Redis lost")
        # The commands of one loop turn (one per message read in it) leave in one write:
        # under load, one system call for many.
        self._unsent.append(_pack(args))
        if len(self._unsent) == 1:
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        unsent, self._unsent = self._unsent, []
        if not self.lost and self._transport is not None:
            self._transport.write(b"".join(unsent))

    def send(self, *args: Arg) -> asyncio.Future[Any]:
        """Send a command; the future of its reply."""
        self.write(*args)
        future = self._loop.create_future()
        now = self._loop.time()
        self._waiting.append((future, now))
        if self._timer is None:
            self._timer = self._loop.call_at(now + self._timeout, self._check)
        return future

    def _check(self) -> None:
        """Give up on a connection whose oldest command has waited ``timeout`` seconds."""
        self._timer = None
        if not self._waiting:
            return
        due = self._waiting[0][1] + self._timeout
        if self._loop.time() >= due:
            self.abort(RedisTimeoutError("no reply from Redis"))
        else:
            self._timer = self._loop.call_at(due, self._check)

    def abort(self, error: Exception) -> None:
        """Drop the connection: every waiting command fails with ``error``, then ``on_lost``."""
        if self.lost:
            return
        self.lost = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, collections.deque()
        for future, _ in waiting:
            if not future.done():
                future.set_exception(error)
        if self._transport is not None:
            self._transport.abort()
        if self.on_lost is not None:
            self.on_lost(error)


class Endpoint:
    """Where the Redis is (redis://, rediss://, unix:// URLs, as redis-py reads them) and
    how long to wait for it; opens links to it."""

    def __init__(self, url: str, timeout: float = 5.0, connect_timeout: float = 2.0) -> None:
        self._params: dict[str, Any] = dict(parse_url(url))
        self._timeout = timeout
        self._connect_timeout = connect_timeout

    async def open(self, on_push: Push | None = None, on_lost: Lost | None = None) -> Link:
        """A link, signed in and on the URL's database; with ``on_push``, for pub/sub."""
        loop = asyncio.get_running_loop()
        params = dict(self._params)
        kind = params.pop("connection_class", None)
        link: Link | None = None
        try:
            async with asyncio.timeout(self._connect_timeout):
                if "path" in params:
                    _, link = await loop.create_unix_connection(
                        lambda: Link(loop, self._timeout), params["path"]
                    )
                else:
                    tls = (
                        SSLConnection(**params).ssl_context.get() if kind is SSLConnection else None
                    )
                    _, link = await loop.create_connection(
                        lambda: Link(loop, self._timeout),
                        params.get("host", "localhost"),
                        params.get("port", 6379),
                        ssl=tls,
                    )
                greeting: list[asyncio.Future[Any]] = []
                if params.get("password"):
                    user = (params["username"],) if params.get("username") else ()
                    greeting.append(link.send("AUTH", *user, params["password"]))
                if params.get("db"):
                    greeting.append(link.send("SELECT", params["db"]))
                await asyncio.gather(*greeting)
        except BaseException as exc:
            if link is not None:  # connected, but refused (a wrong password, say)
                link.abort(RedisConnectionError("closed"))
            if isinstance(exc, TimeoutError):
                raise RedisTimeoutError("Redis did not answer in time") from exc
            if isinstance(exc, OSError):
                raise RedisConnectionError(f"cannot reach Redis: {exc}") from exc
            raise
        link.on_push, link.on_lost = on_push, on_lost
        return link


class Commands:
    """Commands on one link, opened when first needed and again after a drop."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self._link: Link | None = None
        self._opening: asyncio.Task[Link] | None = None

    async def call(self, *args: Arg) -> Any:
        """Run one command; its reply, or a redis-py exception."""
        link = self._live() or await self._connected()
        return await link.send(*args)

    async def pipeline(self, *commands: tuple[Arg, ...]) -> list[Any]:
        """Run several commands sent together; their replies, in order."""
        link = self._live() or await self._connected()
        # gather: when one fails, the others' errors are still read (no asyncio warning).
        return list(await asyncio.gather(*(link.send(*command) for command in commands)))

    def script(self, source: str) -> Script:
        return Script(self, source)

    def drop(self) -> None:
        """Drop the link (waiting commands fail); the next command opens a new one."""
        if self._opening is not None:
            self._opening.cancel()
        if self._link is not None:
            self._link.abort(RedisConnectionError("closed"))
            self._link = None

    def _live(self) -> Link | None:
        link = self._link
        return None if link is None or link.lost else link

    async def _connected(self) -> Link:
        # One opening for every caller that finds the link missing; a caller's
        # cancellation does not cancel it for the others.
        if self._opening is None:
            self._opening = asyncio.get_running_loop().create_task(self._endpoint.open())
            self._opening.add_done_callback(self._opened)
        return await asyncio.shield(self._opening)

    def _opened(self, task: asyncio.Task[Link]) -> None:
        self._opening = None
        if not task.cancelled() and task.exception() is None:
            self._link = task.result()


class Script:
    """A Lua script run by its SHA1, sent in full once when Redis does not know it
    (first use, or after Redis restarted)."""

    def __init__(self, commands: Commands, source: str) -> None:
        self._commands = commands
        self._source = source
        self._sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, keys: Sequence[str], args: Sequence[Arg] = ()) -> Any:
        try:
            return await self._commands.call("EVALSHA", self._sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self._commands.call("EVAL", self._source, len(keys), *keys, *args)
