"""What every manager page shares: the signed-in manager, CSRF, forms, field errors.

Each page is a plain async function of a :class:`Visit`; :meth:`ManageBase.page`
wraps it: no live session sends to the sign-in page, a counsellor gets 403, and
a POST whose CSRF token is not the session's gets 403 before anything is read or
changed. Pages answer a good POST with a redirect carrying ``?done=<what>``
(Post/Redirect/Get), and bad input with the form again, status 400, the typed
values kept and one message per field (:class:`Errors`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.core.errors import ConfigError
from server.core.poles import Cite
from server.core.staff import Role, StaffAccount

from ..live.chat import Chat
from ..staff.auth import SESSION_COOKIE, Auth, StaffSession, same_token
from ..templates import Templates

T = TypeVar("T")

#: Longest value read from a one-line field, and from a text area.
LINE_MAX = 1000
AREA_MAX = 10_000
_DONE = re.compile(r"[a-z_]{1,40}")


class Form:
    """A submitted form, read defensively: bounded lengths, strings only."""

    def __init__(self, data: FormData | None = None) -> None:
        self.data = data

    def text(self, name: str) -> str:
        """A one-line field, trimmed."""
        return self._get(name, LINE_MAX).strip()

    def area(self, name: str) -> str:
        return self._get(name, AREA_MAX)

    def field(self, name: str, limit: int) -> str:
        """A field as sent, cut to ``limit`` characters."""
        return self._get(name, limit)

    def flag(self, name: str) -> bool:
        return self.data is not None and name in self.data

    def choices(self, name: str) -> list[str]:
        if self.data is None:
            return []
        values = [v for v in self.data.getlist(name) if isinstance(v, str)]
        return list(dict.fromkeys(v[:LINE_MAX] for v in values))

    def _get(self, name: str, limit: int) -> str:
        value = None if self.data is None else self.data.get(name)
        return value[:limit] if isinstance(value, str) else ""


@dataclass
class Errors:
    """Messages per form field: a catalog key (translated) and, optionally, the
    English detail of the :class:`ConfigError` (shown as is)."""

    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, name: str, key: str, detail: str = "") -> None:
        self.fields.setdefault(name, (key, detail))

    def check(
        self, name: str, key: str, make: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T | None:
        """``make(*args, **kwargs)``, or None with the error noted under ``name``."""
        try:
            return make(*args, **kwargs)
        except ConfigError as error:
            self.add(name, key, str(error))
            return None

    def __bool__(self) -> bool:
        return bool(self.fields)


@dataclass
class Visit:
    """One request of a signed-in manager."""

    request: Request
    session: StaffSession
    account: StaffAccount
    form: Form

    @property
    def is_post(self) -> bool:
        return self.request.method == "POST"

    def param(self, name: str) -> str:
        return str(self.request.path_params.get(name, ""))


Handler = Callable[[Visit], Awaitable[Response]]


class ManageBase:
    def __init__(self, chat: Chat, auth: Auth, templates: Templates) -> None:
        self.chat = chat
        self.auth = auth
        self.templates = templates
        self.backend = chat.backend

    def page(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint running ``handler`` for a signed-in manager only."""

        async def endpoint(request: Request) -> Response:
            found = await self.auth.session(request.cookies.get(SESSION_COOKIE))
            if found is None:
                return RedirectResponse("/console/login", status_code=303)
            session, account = found
            if account.role is not Role.MANAGER:
                return self.templates.render(request, "manage/refused.html", 403, reason="role")
            form = Form()
            if request.method == "POST":
                data = await request.form()
                if not same_token(str(data.get("csrf", "")), session.csrf):
                    return self.templates.render(request, "manage/refused.html", 403, reason="csrf")
                form = Form(data)
            return await handler(Visit(request, session, account, form))

        return endpoint

    def render(self, visit: Visit, template: str, status: int = 200, **context: Any) -> Response:
        done = visit.request.query_params.get("done", "")
        return self.templates.render(
            visit.request,
            template,
            status,
            csrf=visit.session.csrf,
            me=visit.account,
            done=done if _DONE.fullmatch(done) else "",
            **context,
        )

    def lang(self, visit: Visit) -> str:
        """The page's language, as :meth:`Templates.render` chooses it."""
        return self.templates.language(visit.request)

    async def accounts(self) -> list[StaffAccount]:
        found = [await self.backend.get_staff(login) for login in await self.backend.staff_logins()]
        return [account for account in found if account is not None]

    def not_found(self, visit: Visit) -> Response:
        return self.templates.render(visit.request, "manage/refused.html", 404, reason="missing")

    @staticmethod
    def done(path: str, what: str) -> Response:
        return RedirectResponse(f"{path}?done={what}", status_code=303)

    async def save(self, cite: Cite) -> None:
        await self.chat.save_cite(cite)
