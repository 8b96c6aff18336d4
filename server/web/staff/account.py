"""/console/account: a signed-in counsellor or manager manages their own sign-in.

- The second factor: *start* makes a secret that waits in a short-lived expiring key,
  shown as text and as an ``otpauth://`` link; *confirm* with a valid code stores it on
  the account; *disable* needs a current code.
- The password: the current one is required (and throttled like a sign-in); a new one
  ends every session opened so far and opens a fresh one for this browser.
- The counsellor's own canned replies (:mod:`server.web.staff.replies`) and usual
  hours on duty (:mod:`server.web.staff.duty`).

Every POST carries the session's CSRF token; good ones redirect with ``?done=<what>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.core.duty import MAX_SLOTS, DutySlot
from server.core.schedules import WEEKDAYS
from server.core.staff import StaffAccount

from ..templates import Templates
from . import totp
from .auth import (
    MIN_PASSWORD,
    SESSION_COOKIE,
    Auth,
    SignIn,
    StaffSession,
    password_problem,
    same_token,
)
from .cookies import set_session_cookie

PATH = "/console/account"
#: Seconds to type the first code after starting the set-up.
PENDING_TTL = 10 * 60.0
DONE = frozenset(
    {
        "password",
        "totp_on",
        "totp_off",
        "totp_cancelled",
        "reply_added",
        "reply_saved",
        "reply_removed",
        "duty",
    }
)


@dataclass
class Visit:
    request: Request
    session_id: str
    session: StaffSession
    account: StaffAccount
    form: FormData

    def field(self, name: str, limit: int = 1000) -> str:
        value = self.form.get(name)
        return value[:limit] if isinstance(value, str) else ""

    @property
    def address(self) -> str:
        return self.request.client.host if self.request.client else ""


Handler = Callable[[Visit], Awaitable[Response]]


def duty_rows(slots: list[DutySlot]) -> list[dict[str, Any]]:
    """The duty form's lines for stored hours, then empty ones to fill."""
    rows = [{"pole": s.pole, "days": list(s.days), "start": s.start, "end": s.end} for s in slots]
    return rows + [{"pole": "", "days": [], "start": "", "end": ""}] * (MAX_SLOTS - len(rows))


def _pending_key(login: str) -> str:
    return "totp:enrol:" + hashlib.sha256(login.encode()).hexdigest()


class AccountPages:
    def __init__(self, auth: Auth, templates: Templates) -> None:
        self.auth = auth
        self.templates = templates
        self.backend = auth.backend

    def routes(self) -> list[Route]:
        return [
            Route(PATH, self.show),
            Route(f"{PATH}/password", self.post(self.password), methods=["POST"]),
            Route(f"{PATH}/totp/start", self.post(self.totp_start), methods=["POST"]),
            Route(f"{PATH}/totp/confirm", self.post(self.totp_confirm), methods=["POST"]),
            Route(f"{PATH}/totp/cancel", self.post(self.totp_cancel), methods=["POST"]),
            Route(f"{PATH}/totp/disable", self.post(self.totp_disable), methods=["POST"]),
        ]

    # --- page ----------------------------------------------------------------------------
    async def show(self, request: Request) -> Response:
        found = await self.auth.session(request.cookies.get(SESSION_COOKIE))
        if found is None:
            return RedirectResponse("/console/login", status_code=303)
        session, account = found
        done = request.query_params.get("done", "")
        return await self.render(request, session, account, done=done if done in DONE else "")

    async def render(
        self,
        request: Request,
        session: StaffSession,
        account: StaffAccount,
        status: int = 200,
        **context: Any,
    ) -> Response:
        pending = None
        if account.totp_secret is None:
            raw = await self.backend.get_expiring(_pending_key(account.login))
            if raw is not None:
                secret = raw.decode()
                pending = {"secret": secret, "uri": totp.provisioning_uri(secret, account.alias)}
        context.setdefault("done", "")
        context.setdefault("error", "")
        context.setdefault("error_for", "")
        context.setdefault("reply_values", {})
        context.setdefault("reply_problems", {})
        context.setdefault("duty_problems", {})
        context.setdefault("duty_values", duty_rows(account.duty))
        cite = await self.backend.get_cite()
        poles = [p for p in (cite.published if cite else ()) if account.can_staff(p.id)]
        return self.templates.render(
            request,
            "account.html",
            status,
            csrf=session.csrf,
            alias=account.alias,
            login=account.login,
            totp_on=account.totp_secret is not None,
            pending=pending,
            min_password=MIN_PASSWORD,
            replies=account.replies,
            duty_poles=poles,
            weekdays=WEEKDAYS,
            **context,
        )

    def post(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """``handler`` for a live session whose CSRF token the form carries."""

        async def endpoint(request: Request) -> Response:
            session_id = request.cookies.get(SESSION_COOKIE, "")
            found = await self.auth.session(session_id)
            if found is None:
                return RedirectResponse("/console/login", status_code=303)
            session, account = found
            form = await request.form()
            if not same_token(str(form.get("csrf", "")), session.csrf):
                # Nothing read, nothing changed.
                return await self.render(
                    request, session, account, 403, error="login.csrf", error_for="page"
                )
            return await handler(Visit(request, session_id, session, account, form))

        return endpoint

    def error(self, visit: Visit, section: str, key: str, status: int = 400) -> Awaitable[Response]:
        return self.render(
            visit.request, visit.session, visit.account, status, error=key, error_for=section
        )

    @staticmethod
    def done(what: str) -> Response:
        return RedirectResponse(f"{PATH}?done={what}", status_code=303)

    # --- the second factor ---------------------------------------------------------------
    async def totp_start(self, visit: Visit) -> Response:
        if visit.account.totp_secret is None:
            # Not on the account until a code proves the app holds it.
            secret = totp.new_secret().encode()
            await self.backend.put_expiring(_pending_key(visit.account.login), secret, PENDING_TTL)
        return RedirectResponse(PATH, status_code=303)

    async def totp_confirm(self, visit: Visit) -> Response:
        login = visit.account.login
        raw = await self.backend.get_expiring(_pending_key(login))
        if raw is None:
            return await self.error(visit, "totp", "account.totp.expired")
        secret = raw.decode()
        if not await totp.use_code(self.backend, login, secret, visit.field("code", 20)):
            return await self.error(visit, "totp", "account.totp.wrong")
        account = await self.backend.get_staff(login)
        if account is None:
            return RedirectResponse("/console/login", status_code=303)
        account.totp_secret = secret
        await self.auth.save_staff(account)
        await self.backend.delete_expiring(_pending_key(login))
        return self.done("totp_on")

    async def totp_cancel(self, visit: Visit) -> Response:
        await self.backend.delete_expiring(_pending_key(visit.account.login))
        return self.done("totp_cancelled")

    async def totp_disable(self, visit: Visit) -> Response:
        secret = visit.account.totp_secret
        if secret is None:
            return RedirectResponse(PATH, status_code=303)
        login = visit.account.login
        if not await totp.use_code(self.backend, login, secret, visit.field("code", 20)):
            return await self.error(visit, "totp", "account.totp.wrong")
        await self.auth.remove_totp(login)
        return self.done("totp_off")

    # --- the password --------------------------------------------------------------------
    async def password(self, visit: Visit) -> Response:
        new = visit.field("new")
        if new != visit.field("repeat"):
            return await self.error(visit, "password", "account.password.mismatch")
        problem = password_problem(new)
        if problem is not None:
            return await self.error(visit, "password", problem)
        checked = await self.auth.confirm_password(
            visit.account, visit.field("current"), visit.address
        )
        if checked is SignIn.LOCKED:
            return await self.error(visit, "password", "login.locked", status=429)
        if checked is SignIn.FAILED:
            return await self.error(visit, "password", "account.password.wrong")
        account = await self.auth.set_password(visit.account.login, new)
        await self.auth.close_session(visit.session_id)
        if account is None:
            return RedirectResponse("/console/login", status_code=303)
        # Every other session is void now; this browser carries on in a new one.
        session_id, _ = await self.auth.open_session(account)
        response = self.done("password")
        set_session_cookie(response, self.auth.settings, session_id)
        return response
