"""The lean Redis links (server/backends/resp.py) against a real redis-server.

The contract suite runs them through the backend; here is what it cannot reach:
replies matched to concurrent commands, a cancelled caller, a script Redis forgot,
a Redis that stops answering, sign-in and database selection from the URL.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.backends.resp import Commands, Endpoint
from tests.cluster import eventually
from tests.redis_server import RedisServer, start_redis
from tests.servers import free_port


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = start_redis(tmp_path)
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)  # in case a test left it stopped
    server.stop()


@pytest.fixture
async def commands(redis: RedisServer) -> AsyncIterator[Commands]:
    commands = Commands(Endpoint(redis.url, timeout=0.5))
    yield commands
    commands.drop()


async def test_concurrent_commands_each_get_their_own_reply(commands: Commands) -> None:
    replies = await asyncio.gather(*(commands.call("ECHO", f"n{i}") for i in range(500)))
    assert replies == [f"n{i}".encode() for i in range(500)]


async def test_a_cancelled_caller_does_not_shift_the_replies_of_the_others(
    commands: Commands,
) -> None:
    await commands.call("PING")
    first = asyncio.ensure_future(commands.call("ECHO", "abandoned"))
    second = asyncio.ensure_future(commands.call("ECHO", "kept"))
    await asyncio.sleep(0)  # both written
    first.cancel()
    assert await second == b"kept"
    assert await commands.call("ECHO", "after") == b"after"


async def test_an_error_reply_fails_that_command_only(commands: Commands) -> None:
    with pytest.raises(ResponseError, match="unknown command"):
        await commands.call("NO-SUCH-COMMAND")
    assert await commands.call("SET", "k", 7) == b"OK"
    assert await commands.call("GET", "k") == b"7"


async def test_a_pipeline_gives_every_reply_in_order(commands: Commands) -> None:
    assert await commands.pipeline(("SET", "a", 1), ("GET", "a"), ("EXISTS", "b")) == [
        b"OK",
        b"1",
        0,
    ]
    with pytest.raises(ResponseError, match="unknown command"):
        await commands.pipeline(("GET", "a"), ("NO-SUCH-COMMAND",))
    assert await commands.call("GET", "a") == b"1"


async def test_a_script_redis_forgot_is_sent_again_in_full(
    commands: Commands, redis: RedisServer
) -> None:
    script = commands.script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert await script(keys=["counter"], args=[2]) == 2
    redis.client().script_flush()  # as after a restart
    assert await script(keys=["counter"], args=[3]) == 5
    assert await script(keys=["counter"], args=[4]) == 9


async def test_a_silent_redis_fails_the_waiting_commands_and_the_link_comes_back(
    commands: Commands, redis: RedisServer
) -> None:
    assert redis.process is not None
    await commands.call("PING")
    os.kill(redis.process.pid, signal.SIGSTOP)
    try:
        waiting = [asyncio.ensure_future(commands.call("ECHO", str(i))) for i in range(3)]
        for call in waiting:  # the link's timeout is 0.5 s
            with pytest.raises(RedisTimeoutError):
                await asyncio.wait_for(call, 5)
    finally:
        os.kill(redis.process.pid, signal.SIGCONT)
    assert await commands.call("ECHO", "back") == b"back"


async def test_a_redis_that_went_away_fails_and_the_next_command_reconnects(
    commands: Commands, redis: RedisServer
) -> None:
    await commands.call("SET", "k", "v")
    redis.client().client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(RedisConnectionError):
        for _ in range(50):  # the close reaches the link within a few loop turns
            await commands.call("PING")
            await asyncio.sleep(0.01)
    assert await commands.call("GET", "k") == b"v"


async def test_nothing_listening_is_a_connection_error() -> None:
    commands = Commands(Endpoint(f"redis://127.0.0.1:{free_port()}/0"))
    with pytest.raises(RedisConnectionError, match="cannot reach Redis"):
        await commands.call("PING")
    commands.drop()


async def test_the_url_signs_in_and_selects_its_database(redis: RedisServer) -> None:
    admin = redis.client()
    admin.acl_setuser("parole", enabled=True, passwords=["+s3cret"], commands=["+@all"], keys=["*"])
    url = f"redis://parole:s3cret@127.0.0.1:{redis.port}/3"
    commands = Commands(Endpoint(url))
    try:
        assert await commands.call("SET", "where", "db3") == b"OK"
    finally:
        commands.drop()
    assert admin.get("where") is None
    assert redis_py.Redis(port=redis.port, db=3).get("where") == b"db3"

    wrong = Commands(Endpoint(f"redis://parole:wrong@127.0.0.1:{redis.port}/0"))
    with pytest.raises(ResponseError):
        await wrong.call("PING")
    wrong.drop()


async def test_a_pubsub_link_hands_over_every_reply_and_says_when_it_is_lost(
    redis: RedisServer,
) -> None:
    pushed: list[Any] = []
    lost: list[Exception] = []
    link = await Endpoint(redis.url).open(on_push=pushed.append, on_lost=lost.append)
    link.write("SUBSCRIBE", "a", "b")
    await eventually(lambda: len(pushed) == 2, what="two confirmations")
    assert pushed == [[b"subscribe", b"a", 1], [b"subscribe", b"b", 2]]
    redis.client().publish("b", b"payload")
    await eventually(lambda: len(pushed) == 3, what="the message")
    assert pushed[2] == [b"message", b"b", b"payload"]

    redis.client().client_kill_filter(_type="pubsub")
    await eventually(lambda: bool(lost), what="the loss reported")
    assert link.lost and len(lost) == 1
    with pytest.raises(RedisConnectionError):
        link.write("PING")
