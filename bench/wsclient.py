"""A lean websocket client for thousands of sockets in one process.

It drives the ``websockets`` sans-I/O protocol from an asyncio ``Protocol``:
frames are handed to a callback as they are parsed, with no task and no queue
per socket, and a send is a synchronous write that never waits. So the load
generator stays open-loop (a slow server cannot slow the offered rate: unsent
bytes pile up in the transport) and cheap enough not to be the bottleneck.

Like a browser, it offers permessage-deflate unless told not to.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, cast

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri

ABNORMAL = 1006  # closed without a close frame (a dead server, a reset)


class HandshakeFailed(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"handshake refused with HTTP {status}")
        self.status = status


class Handler(Protocol):
    def on_text(self, data: bytes) -> None: ...

    def on_close(self, code: int) -> None: ...


class Socket(asyncio.Protocol):
    def __init__(
        self,
        protocol: ClientProtocol,
        handler: Handler,
        opened: asyncio.Future[None],
        headers: dict[str, str],
    ) -> None:
        self.protocol = protocol
        self.handler = handler
        self.opened = opened
        self.headers = headers
        self.transport: asyncio.Transport | None = None
        self.closed = False

    # --- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not an isinstance check: uvloop's transports do not subclass asyncio's.
        self.transport = cast(asyncio.Transport, transport)
        request = self.protocol.connect()
        for name, value in self.headers.items():
            request.headers[name] = value
        self.protocol.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.opened.done():  # gave up waiting (timeout)
                    continue
                if self.protocol.state is State.OPEN:
                    self.opened.set_result(None)
                else:
                    self.opened.set_exception(HandshakeFailed(event.status_code))
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.handler.on_text(bytes(event.data))
        self._flush()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))
            self.closed = True  # the caller of connect() hears of it, not the handler
        if self.closed or self.opened.exception() is not None:
            return
        self.closed = True
        received = self.protocol.close_rcvd
        self.handler.on_close(received.code if received is not None else ABNORMAL)

    # --- what the load generator calls -----------------------------------------------------
    def send_text(self, text: str) -> bool:
        """Queue a text frame now; False if the socket is no longer open."""
        if self.closed or self.protocol.state is not State.OPEN:
            return False
        self.protocol.send_text(text.encode())
        self._flush()
        return True

    def abort(self) -> None:
        """Drop the connection at once, without telling the handler."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            else:  # the protocol asks to half-close once the close handshake is done
                transport.close()
                return


async def connect(
    url: str,
    handler: Handler,
    *,
    origin: str | None = None,
    headers: dict[str, str] | None = None,
    deflate: bool = True,
    timeout: float = 10.0,
) -> Socket:
    """Open a websocket to ``url``; frames go to ``handler`` from the handshake on."""
    uri = parse_uri(url)
    extensions = (
        # What Chromium offers; the client side's zlib memory kept small.
        [ClientPerMessageDeflateFactory(compress_settings={"memLevel": 5})] if deflate else None
    )
    protocol = ClientProtocol(
        uri,
        origin=Origin(origin) if origin else None,
        extensions=extensions,
        max_size=1 << 20,
    )
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[None] = loop.create_future()
    _, sock = await asyncio.wait_for(
        loop.create_connection(
            lambda: Socket(protocol, handler, opened, headers or {}), uri.host, uri.port
        ),
        timeout,
    )
    try:
        await asyncio.wait_for(opened, timeout)
    except BaseException:
        sock.abort()
        raise
    return sock
