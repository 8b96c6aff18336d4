"""Gzip for the public responses only.

Compressing a response that holds a secret beside text an attacker can reflect into it
lets them read the secret from the compressed sizes (BREACH). The staff pages carry
CSRF tokens and sit beside reflected form input, so they are never compressed; what is
compressed is public and secret-free: the widget's page and its status, the loader,
the demo host page, the privacy page and the static files. Brotli would save a little
more on these small texts; not enough yet to add a compiled dependency.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Exact paths, and prefixes ending in "/", whose responses carry no secret.
PUBLIC = frozenset({"/chat", "/widget.js", "/demo", "/api/cite", "/privacy", "/verify"})
PUBLIC_PREFIXES = ("/static/",)


def compressible(path: str) -> bool:
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


class Compression:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Level 6: nearly level 9's size for a third of its time on pages made per request.
        self.gzip = GZipMiddleware(app, minimum_size=512, compresslevel=6)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not awaited here: a websocket then keeps no frame of ours for its whole life.
        if scope["type"] == "http" and compressible(scope["path"]):
            return self.gzip(scope, receive, weakened(send))
        return self.app(scope, receive, send)


def weakened(send: Send) -> Send:
    """A compressed body is not the file's bytes: its ETag becomes weak (W/), as a
    strong one promises byte equality. Revalidation still works: If-None-Match is
    compared weakly."""

    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            etag = headers.get("etag")
            if etag and headers.get("content-encoding") and not etag.startswith("W/"):
                headers["etag"] = f"W/{etag}"
        await send(message)

    return sender
