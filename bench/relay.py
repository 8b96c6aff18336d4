"""The baseline: a bare Starlette websocket relay through Redis pub/sub, and nothing else.

A client opens ``/ws?c=<conversation>``; every text frame it sends is published
unchanged on that conversation's channel, and every socket of the conversation
(the sender's included, as Parole echoes a message to its author) receives it.
No validation, no ordering, no storage, no resume: what is left is the cost of
the same stack (uvicorn, Starlette, the same lean Redis links, one pub/sub connection
per process) that Parole pays before adding any of its own work.

Run: ``python -m bench.relay --port 8100 --redis redis://127.0.0.1:6379/0``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.backends.resp import Commands, Endpoint, Link

PREFIX = "relay:"


def create_relay(url: str) -> Starlette:
    # The same Redis links as Parole's backend (server/backends/resp.py): publishing on a
    # pipelined connection, and one pub/sub connection read as it arrives.
    endpoint = Endpoint(url)
    commands = Commands(endpoint)
    links: list[Link] = []
    inbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    sockets: dict[str, set[WebSocket]] = {}

    def pushed(reply: Any) -> None:
        if isinstance(reply, list) and reply[0] == b"message":
            inbox.put_nowait((reply[1].decode(), reply[2].decode()))

    async def listen() -> None:
        while True:
            channel, text = await inbox.get()
            for ws in tuple(sockets.get(channel, ())):
                with contextlib.suppress(Exception):  # a socket closing meanwhile
                    await ws.send_text(text)

    async def relay(ws: WebSocket) -> None:
        channel = PREFIX + ws.query_params.get("c", "")
        await ws.accept()
        members = sockets.setdefault(channel, set())
        members.add(ws)
        if len(members) == 1:
            links[0].write("SUBSCRIBE", channel)
        try:
            while True:
                await commands.call("PUBLISH", channel, await ws.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            members.discard(ws)
            if not members:
                del sockets[channel]
                links[0].write("UNSUBSCRIBE", channel)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        links.append(await endpoint.open(on_push=pushed))
        task = asyncio.create_task(listen())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            links[0].abort(ConnectionError("closed"))
            commands.drop()

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
