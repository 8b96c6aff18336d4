"""What an idle socket keeps on the server: the handler's task, and no other.

Thousands of visitors wait on one process; a task per socket is most of what
Parole adds to the stack's own cost of a socket. The server runs in the test's
event loop here, so that its tasks can be counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import uvicorn
import websockets

from server.web.app import create_app
from server.web.settings import Settings

VISITORS = 10


def _tasks_running(name: str) -> int:
    coros = (t.get_coro() for t in asyncio.all_tasks())
    return sum(1 for c in coros if getattr(c, "__qualname__", "").endswith(name))


@contextlib.asynccontextmanager
async def _serving() -> AsyncIterator[int]:
    app = create_app(Settings(demo=True))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    (port,) = {s.getsockname()[1] for srv in server.servers for s in srv.sockets}
    try:
        yield port
    finally:
        server.should_exit = True
        await serving


async def _waiting_visitor(port: int, i: int) -> websockets.ClientConnection:
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/visitor", ping_interval=None)
    await ws.send(json.dumps({"type": "hello", "versions": [1]}))
    await ws.send(json.dumps({"type": "join", "pole": "emploi", "pseudonym": f"attente-{i}"}))
    while json.loads(await ws.recv())["type"] != "position":
        pass
    return ws


async def test_a_waiting_visitor_keeps_one_task_on_the_server_and_none_once_gone() -> None:
    async with _serving() as port:
        before = len(asyncio.all_tasks())
        visitors = [await _waiting_visitor(port, i) for i in range(VISITORS)]
        await asyncio.sleep(0.2)  # the last frames are sent: nothing left to do
        # The clients run no task of their own (no keepalive): all are the server's.
        assert len(asyncio.all_tasks()) - before == VISITORS
        assert _tasks_running("run_asgi") == VISITORS
        for ws in visitors:
            await ws.close()
        for _ in range(100):
            if len(asyncio.all_tasks()) == before:
                break
            await asyncio.sleep(0.05)
        assert len(asyncio.all_tasks()) == before
