"""Local fan-out of channel payloads to the connections of this process.

Every backend delivers through a :class:`Hub`: the memory backend feeds it
directly, a networked backend feeds it from one shared subscription. Pushing
never waits: a subscriber whose bounded queue is full is marked ``overflowed``
and its connection is closed, so one slow client never stalls the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Hook = Callable[[str], Awaitable[None]]


async def _nothing(channel: str) -> None:
    return None


class Subscriber:
    """One connection's inbox: the channels it listens to and what arrived."""

    def __init__(self, hub: Hub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue(maxsize)
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
        if self.overflowed:
            return
        try:
            self._queue.put_nowait((channel, payload))
        except asyncio.QueueFull:
            self.overflowed = True
            self._queue.get_nowait()  # make room for the wake-up below
            self._queue.put_nowait(None)

    async def get(self) -> tuple[str, bytes] | None:
        """Next (channel, payload); None once this inbox overflowed."""
        item = await self._queue.get()
        return None if self.overflowed else item


class Hub:
    """Channel name -> local subscribers. ``on_first``/``on_last`` track interest."""

    def __init__(self, on_first: Hook = _nothing, on_last: Hook = _nothing) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._on_first = on_first
        self._on_last = on_last

    def subscriber(self, maxsize: int = 256) -> Subscriber:
        return Subscriber(self, maxsize)

    async def attach(self, channel: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.setdefault(channel, set())
        subscribers.add(subscriber)
        if len(subscribers) == 1:
            await self._on_first(channel)

    async def detach(self, channel: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(channel)
        if subscribers is None:
            return
        subscribers.discard(subscriber)
        if not subscribers:
            del self._subscribers[channel]
            await self._on_last(channel)

    def deliver(self, channel: str, payload: bytes) -> None:
        for subscriber in tuple(self._subscribers.get(channel, ())):
            subscriber.push(channel, payload)

    @property
    def channels(self) -> int:
        return len(self._subscribers)
