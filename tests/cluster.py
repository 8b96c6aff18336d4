"""Several real server processes sharing one real Redis, for multi-process and fault tests.

``running_cluster(tmp, ...)`` starts a ``redis-server`` of its own on a free port (never the
machine's 6379), then two ``parole serve --demo --backend <that redis>`` processes, A and B,
and stops everything on exit. Arguments and environment go to both servers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.redis_server import RedisServer, start_redis
from tests.servers import RunningServer, start_server


@dataclass
class Cluster:
    redis: RedisServer
    a: RunningServer
    b: RunningServer

    @property
    def servers(self) -> list[RunningServer]:
        return [self.a, self.b]

    def tracebacks(self) -> list[str]:
        """Log lines of any server that printed a Python traceback."""
        return [
            f"{server.port}: {line}"
            for server in self.servers
            for line in server.logs().splitlines()
            if "Traceback" in line
        ]

    def healthy(self, server: RunningServer) -> bool:
        if server.process.poll() is not None:
            return False
        try:
            return httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def redis_keys(self) -> dict[bytes, bytes]:
        """Every key of the shared Redis and its DUMP (``rdbcompression no``: text shows)."""
        client = self.redis.client()
        found: dict[bytes, bytes] = {}
        for key in client.scan_iter(count=500):
            dump = client.dump(key)
            if dump is not None:  # expired between SCAN and DUMP
                found[key] = dump
        return found

    def holding(self, needle: bytes) -> list[bytes]:
        """Keys whose name or DUMP holds ``needle``."""
        return [key for key, dump in self.redis_keys().items() if needle in key or needle in dump]


@contextlib.contextmanager
def running_cluster(
    tmp: Path, *args: str, env: dict[str, str] | None = None, persistent: bool = False
) -> Iterator[Cluster]:
    folder = tmp / "redis"
    folder.mkdir()
    redis = start_redis(folder, persistent=persistent)
    servers: list[RunningServer] = []
    try:
        for _ in range(2):
            servers.append(start_server(tmp, "--backend", redis.url, *args, env=env))
        yield Cluster(redis, servers[0], servers[1])
    finally:
        for server in servers:
            server.stop()
        redis.stop()


async def eventually(
    check: Callable[[], bool], timeout: float = 20.0, what: str = "condition"
) -> None:
    """Wait until ``check()`` is true, looking every 50 ms; fail after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
