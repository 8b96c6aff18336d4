"""Fixtures of the backend contract suite: one suite, run unchanged over every backend.

Every test in this directory receives ``backend``, a started backend opened by URL
through :func:`server.backends.open_backend`, exactly as the server opens it. Tests
use the public interface only (no memory-only helper, no injected clock): expiry is
checked with real short TTLs and ``asyncio.sleep``, since a Redis server's clock
cannot be injected.

ADDING A BACKEND (e.g. Redis) — three places in this file, nothing in the tests:

1. add its name to ``BACKENDS``;
2. in ``backend_url``, return a URL for it. For Redis: a session-scoped fixture starts
   a real ``redis-server`` on a free port (``--port 0`` is not allowed: bind a socket
   to port 0, read its number, close it), with ``--save "" --appendonly no
   --rdbcompression no``; ``backend_url`` then FLUSHALLs it before each test and
   returns ``f"redis://127.0.0.1:{port}/0"``;
3. in ``_leftovers``, read every stored byte: SCAN all keys and DUMP each one
   (``--rdbcompression no`` matters: with compression, DUMP may LZF-compress a
   string and hide the very needle we look for).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from server.backends import Backend, open_backend
from server.backends.memory import MemoryBackend

#: Backends the whole contract suite runs against. Add "redis" here (see above).
BACKENDS = ["memory"]

#: (backend, test name) -> the bug that makes this test fail today, reported upstream.
#: Each one becomes a strict xfail: when the bug is fixed the test passes, pytest
#: reports XPASS as a failure, and the line must be removed. Keep this list short.
KNOWN_BUGS: dict[tuple[str, str], str] = {}

Leftovers = Callable[[Backend, bytes], Awaitable[bool]]


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty store for the backend named by the parameter."""
    name = request.param
    if name == "memory":
        return "memory://"  # a new MemoryBackend per test is already empty
    # if name == "redis":
    #     return request.getfixturevalue("redis_url")  # flushed before each test
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
    """True if ``needle`` appears anywhere in what ``backend`` still stores."""
    if isinstance(backend, MemoryBackend):
        return needle in backend.dump()  # dump() sweeps expired values first
    # Redis: `async for key in client.scan_iter(count=500)`, then
    # `needle in key or needle in (await client.dump(key) or b"")`.
    raise NotImplementedError(f"leftovers() cannot read {type(backend).__name__}")


@pytest.fixture
def leftovers() -> Leftovers:
    """``await leftovers(backend, needle)``: is ``needle`` still stored anywhere?"""
    return _leftovers


_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if not item.path.is_relative_to(_HERE) or callspec is None:
            continue
        if "backend_url" not in callspec.params:
            continue
        name = getattr(item, "originalname", item.name)
        reason = KNOWN_BUGS.get((callspec.params["backend_url"], name))
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
