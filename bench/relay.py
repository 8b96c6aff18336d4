"""The baseline: a bare Starlette websocket relay through Redis pub/sub, and nothing else.

A client opens ``/ws?c=<conversation>``; every text frame it sends is published
unchanged on that conversation's channel, and every socket of the conversation
(the sender's included, as Parole echoes a message to its author) receives it.
No validation, no ordering, no storage, no resume: what is left is the cost of
the same stack (uvicorn, Starlette, redis-py, one pub/sub connection per process)
that Parole pays before adding any of its own work.

Run: ``python -m bench.relay --port 8100 --redis redis://127.0.0.1:6379/0``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PREFIX = "relay:"


def create_relay(url: str) -> Starlette:
    # Any: redis-py's async annotations mix sync and async return types. The same bounded,
    # blocking pool as Parole's backend (server/backends/redis.py), so bursts wait alike.
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=32, timeout=5)
    client: Any = aioredis.Redis(connection_pool=pool)
    pubsub: Any = client.pubsub()
    sockets: dict[str, set[WebSocket]] = {}

    async def listen() -> None:
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is None or message["type"] != "message":
                continue
            text = message["data"].decode()
            for ws in tuple(sockets.get(message["channel"].decode(), ())):
                with contextlib.suppress(Exception):  # a socket closing meanwhile
                    await ws.send_text(text)

    async def relay(ws: WebSocket) -> None:
        channel = PREFIX + ws.query_params.get("c", "")
        await ws.accept()
        members = sockets.setdefault(channel, set())
        members.add(ws)
        if len(members) == 1:
            await pubsub.subscribe(channel)
        try:
            while True:
                await client.publish(channel, await ws.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            members.discard(ws)
            if not members:
                del sockets[channel]
                await pubsub.unsubscribe(channel)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pubsub.subscribe(PREFIX + "_")  # the listener needs a live subscription
        task = asyncio.create_task(listen())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await pubsub.aclose()
            await client.aclose()

    routes = [Route("/healthz", health), WebSocketRoute("/ws", relay)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    args = parser.parse_args()
    # The same server settings as `parole serve` (server/cli.py): 64 KiB frames, no
    # per-message deflate, the same listen backlog, no access log. Keep them in step,
    # or the ratio means nothing.
    uvicorn.run(
        create_relay(args.redis),
        host="127.0.0.1",
        port=args.port,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
        backlog=16384,
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
