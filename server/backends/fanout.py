"""Local fan-out of channel payloads to the connections of this process.

Every backend delivers through a :class:`Hub`: the memory backend feeds it
directly, a networked backend feeds it from one shared subscription. Pushing
never waits: a subscriber whose bounded queue is full is marked ``overflowed``
and its connection is closed, so one slow client never stalls the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import msgspec

Hook = Callable[[str], Awaitable[None]]
#: Takes each (channel, payload) as it arrives; must not wait.
Sink = Callable[[str, bytes], None]
T = TypeVar("T")


class Full(Exception):
    """The mailbox holds ``maxsize`` items already."""


class Mailbox(Generic[T]):
    """A bounded first-in first-out box one task waits on.

    What an ``asyncio.Queue`` does for one reader, in a fraction of its memory
    (a list and, while someone waits, a future).
    """

    __slots__ = ("_items", "_maxsize", "_waiter")

    def __init__(self, maxsize: int) -> None:
        self._items: list[T] = []
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def put_nowait(self, item: T) -> None:
        if len(self._items) >= self._maxsize:
            raise Full
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def get_nowait(self) -> T:
        return self._items.pop(0)

    async def get(self) -> T:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class Outage(msgspec.Struct, tag="_outage", tag_field="type"):
    """Delivery stopped (the shared state is unreachable): tell the client."""


class Resync(msgspec.Struct, tag="_resync", tag_field="type"):
    """Delivery is back; what was published meanwhile may be lost: catch up from state."""


_OUTAGE = msgspec.json.encode(Outage())
_RESYNC = msgspec.json.encode(Resync())


async def _nothing(channel: str) -> None:
    return None


class Subscriber:
    """One listener's channels and what arrived on them.

    With a ``sink``, each payload is handed to it as it arrives (a connection
    queues it with the frames it sends, which saves a queue and a task per
    socket); without, payloads wait in a bounded queue read with :meth:`get`.
    """

    __slots__ = ("_hub", "_queue", "_sink", "channels", "overflowed")

    def __init__(self, hub: Hub, maxsize: int, sink: Sink | None = None) -> None:
        self._hub = hub
        self._sink = sink
        self._queue: Mailbox[tuple[str, bytes] | None] | None = (
            Mailbox(maxsize) if sink is None else None
        )
        self.channels: set[str] = set()
        self.overflowed = False

    async def add(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self._hub.attach(channel, self)

    async def remove(self, channel: str) -> None:
        if channel in self.channels:
            self.channels.discard(channel)
            await self._hub.detach(channel, self)

    async def close(self) -> None:
        for channel in list(self.channels):
            await self.remove(channel)

    def push(self, channel: str, payload: bytes) -> None:
        if self._sink is not None:
            self._sink(channel, payload)
            return
        assert self._queue is not None
        if self.overflowed:
            return
        try:
            self._queue.put_nowait((channel, payload))
        except Full:
            self.overflowed = True
            self._queue.get_nowait()  # make room for the wake-up below
            self._queue.put_nowait(None)

    async def get(self) -> tuple[str, bytes] | None:
        """Next (channel, payload); None once this inbox overflowed. Not with a sink."""
        if self._queue is None:
            raise TypeError("this subscriber hands what arrives to its sink")
        item = await self._queue.get()
        return None if self.overflowed else item


class Hub:
    """Channel name -> local subscribers. ``on_first``/``on_last`` track interest."""

    def __init__(self, on_first: Hook = _nothing, on_last: Hook = _nothing) -> None:
        # A lone subscriber is kept as is, not in a set: most channels are one
        # visitor's own, and a set would cost more than the rest of its entry.
        self._subscribers: dict[str, Subscriber | set[Subscriber]] = {}
        self._on_first = on_first
        self._on_last = on_last

    def subscriber(self, sink: Sink | None = None, maxsize: int = 256) -> Subscriber:
        return Subscriber(self, maxsize, sink)

    async def attach(self, channel: str, subscriber: Subscriber) -> None:
        found = self._subscribers.get(channel)
        if found is None:
            self._subscribers[channel] = subscriber
            await self._on_first(channel)
        elif isinstance(found, Subscriber):
            if found is not subscriber:
                self._subscribers[channel] = {found, subscriber}
        else:
            found.add(subscriber)

    async def detach(self, channel: str, subscriber: Subscriber) -> None:
        found = self._subscribers.get(channel)
        if found is subscriber:
            del self._subscribers[channel]
            await self._on_last(channel)
        elif isinstance(found, set):
            found.discard(subscriber)
            if len(found) == 1:
                (self._subscribers[channel],) = found

    def deliver(self, channel: str, payload: bytes) -> None:
        found = self._subscribers.get(channel)
        if isinstance(found, Subscriber):
            found.push(channel, payload)
        elif found is not None:
            for subscriber in tuple(found):
                subscriber.push(channel, payload)

    def broadcast(self, payload: bytes) -> None:
        """Push ``payload`` once to every local subscriber, whatever it listens to."""
        everyone: set[Subscriber] = set()
        for found in self._subscribers.values():
            if isinstance(found, Subscriber):
                everyone.add(found)
            else:
                everyone.update(found)
        for subscriber in everyone:
            subscriber.push("", payload)

    def broadcast_outage(self) -> None:
        self.broadcast(_OUTAGE)

    def broadcast_resync(self) -> None:
        self.broadcast(_RESYNC)

    @property
    def names(self) -> list[str]:
        """The channels some local subscriber listens to."""
        return list(self._subscribers)
