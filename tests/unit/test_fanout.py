"""The local fan-out: interest tracking, delivery, sinks (no backend, no socket)."""

from __future__ import annotations

import pytest

from server.backends.fanout import Hub


class Interest:
    """Records the hub's on_first/on_last calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def first(self, channel: str) -> None:
        self.calls.append(f"+{channel}")

    async def last(self, channel: str) -> None:
        self.calls.append(f"-{channel}")


async def test_interest_is_announced_once_per_channel_whoever_comes_and_goes() -> None:
    interest = Interest()
    hub = Hub(interest.first, interest.last)
    got: dict[str, list[bytes]] = {"a": [], "b": [], "c": []}
    a, b, c = (hub.subscriber(lambda _, p, k=k: got[k].append(p)) for k in "abc")
    await a.add("x")
    await b.add("x")
    await c.add("x")
    await b.remove("x")
    hub.deliver("x", b"1")
    await a.remove("x")
    hub.deliver("x", b"2")
    await a.remove("x")  # not listening any more: nothing happens
    await c.remove("x")
    hub.deliver("x", b"3")
    assert interest.calls == ["+x", "-x"]
    assert got == {"a": [b"1"], "b": [], "c": [b"1", b"2"]}
    assert hub.names == []


async def test_broadcast_reaches_each_subscriber_once() -> None:
    hub = Hub()
    got: list[tuple[str, bytes]] = []
    lone = hub.subscriber(lambda channel, payload: got.append((channel, payload)))
    queued = hub.subscriber()
    await lone.add("own")
    await lone.add("shared")
    await queued.add("shared")
    hub.broadcast(b"all")
    assert got == [("", b"all")]
    assert await queued.get() == ("", b"all")


async def test_a_subscriber_with_a_sink_cannot_be_read() -> None:
    subscriber = Hub().subscriber(lambda channel, payload: None)
    with pytest.raises(TypeError):
        await subscriber.get()
