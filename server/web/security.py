"""Origins allowed to open websockets, and the headers every response carries."""

from __future__ import annotations

from collections.abc import Awaitable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import Settings

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)


def own_origin(scope: Scope) -> str:
    """This server's origin as the client reached it (Host header, scheme)."""
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1")
    scheme = {"wss": "https", "ws": "http"}.get(scope.get("scheme", "http"), scope["scheme"])
    return f"{scheme}://{host}"


def origin_allowed(scope: Scope, settings: Settings, *, required: bool) -> bool:
    """Same origin as this server, or one listed in ``settings.origins``.

    Browsers always send Origin on websocket handshakes, so a handshake without it
    does not come from a page. Where a cookie opens the door (``required``, the
    console) it is refused all the same: nothing but a browser page has any business
    there. The visitor's socket carries no cookie and no credential a page could
    borrow, and a script can forge any Origin it likes, so refusing a missing one
    there would protect no one: it is let through.
    """
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin")
    if origin is None:
        return not required
    value = origin.decode("latin-1").rstrip("/")
    if value in settings.origins:
        return True
    parts = urlsplit(value)
    mine = urlsplit(own_origin(scope))
    return (parts.scheme, parts.netloc) == (mine.scheme, mine.netloc)


def chat_csp(settings: Settings) -> str:
    """The chat page may be framed by Parole itself and the configured host sites only."""
    ancestors = " ".join(("'self'", *settings.embed_origins))
    return CONSOLE_CSP.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")


class SecurityHeaders:
    """Strict defaults on every HTTP response; a route may set its own CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http":
            # Not awaited here: a websocket then keeps no frame of ours for its whole life.
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "interest-cohort=()")
            await send(message)

        await self.app(scope, receive, send_with_headers)
