"""The staff's cookies: HTTP-only, same-site strict, secure behind TLS. Visitors get none."""

from __future__ import annotations

from starlette.responses import Response

from ..settings import Settings
from .auth import SESSION_COOKIE


def set_cookie(
    response: Response,
    settings: Settings,
    name: str,
    value: str,
    path: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def set_session_cookie(response: Response, settings: Settings, session_id: str) -> None:
    set_cookie(response, settings, SESSION_COOKIE, session_id, path="/")
