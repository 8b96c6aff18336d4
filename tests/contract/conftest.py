"""Fixtures of the backend contract suite: one suite, run unchanged over every backend.

Every test in this directory receives ``backend``, a started backend opened by URL
through :func:`server.backends.open_backend`, exactly as the server opens it. Tests
use the public interface only (no memory-only helper, no injected clock): expiry is
checked with real short TTLs and ``asyncio.sleep``, since a Redis server's clock
cannot be injected.

Redis runs in a real ``redis-server`` started on a free port for the session
(``tests/redis_server.py``), flushed before each test. A new backend is one more
name in ``BACKENDS``, its URL in ``backend_url`` and its way of reading every
stored byte in ``_leftovers``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from server.backends import Backend, open_backend
from server.backends.memory import MemoryBackend
from server.backends.redis import RedisBackend
from tests.redis_server import RedisServer, start_redis

#: Backends the whole contract suite runs against. Add "redis" here (see above).
BACKENDS = ["memory", "redis"]


Leftovers = Callable[[Backend, bytes], Awaitable[bool]]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty store for the backend named by the parameter."""
    name = request.param
    if name == "memory":
        return "memory://"  # a new MemoryBackend per test is already empty
    if name == "redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        redis_server.flush()
        return redis_server.url
    raise AssertionError(f"no URL for backend {name!r}: see this module's docstring")


@pytest.fixture
async def backend(backend_url: str) -> AsyncIterator[Backend]:
    """A started backend, closed after the test."""
    opened = open_backend(backend_url)
    await opened.start()
    try:
        yield opened
    finally:
        await opened.close()


async def _leftovers(backend: Backend, needle: bytes) -> bool:
    """True if ``needle`` appears anywhere in what ``backend`` still stores.

    Servers sweep every second; the check sweeps first, as a server would have.
    """
    await backend.sweep()
    if isinstance(backend, MemoryBackend):
        return needle in backend.dump()  # dump() sweeps expired values first
    if isinstance(backend, RedisBackend):
        async for key in backend.redis.scan_iter(count=500):
            if needle in key or needle in (await backend.redis.dump(key) or b""):
                return True
        return False
    raise NotImplementedError(f"leftovers() cannot read {type(backend).__name__}")


@pytest.fixture
def leftovers() -> Leftovers:
    """``await leftovers(backend, needle)``: is ``needle`` still stored anywhere?"""
    return _leftovers
