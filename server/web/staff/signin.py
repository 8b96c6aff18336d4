"""Signing in and out of the console, and the console's own page."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.core.staff import Role

from ..templates import Templates
from .auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Auth, SignIn, same_token
from .cookies import set_cookie, set_session_cookie


class SignInPages:
    def __init__(self, auth: Auth, templates: Templates) -> None:
        self.auth = auth
        self.backend = auth.backend
        self.templates = templates
        self.settings = auth.settings

    def routes(self) -> list[Route]:
        return [
            Route("/console", self.console),
            Route("/console/login", self.login, methods=["GET", "POST"]),
            Route("/console/logout", self.logout, methods=["POST"]),
        ]

    async def console(self, request: Request) -> Response:
        found = await self.auth.session(request.cookies.get(SESSION_COOKIE))
        if found is None:
            return RedirectResponse("/console/login", status_code=303)
        session, account = found
        manager = account.role is Role.MANAGER
        return self.templates.render(
            request, "console.html", alias=account.alias, csrf=session.csrf, manager=manager
        )

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self._login_form(request)
        form = await request.form()
        if not same_token(str(form.get("csrf", "")), request.cookies.get(LOGIN_CSRF_COOKIE)):
            return self._login_form(request, error="login.csrf", status=403)
        outcome, account = await self.auth.sign_in(
            str(form.get("login", ""))[:200],
            str(form.get("password", ""))[:1000],
            str(form.get("code", ""))[:20],
            request.client.host if request.client else "",
        )
        if outcome is SignIn.LOCKED:
            # The same page for every name, known or not; the lockout is a setting.
            locked = self._login_form(request, error="login.locked", status=429)
            locked.headers["Retry-After"] = str(int(self.settings.login_lockout))
            return locked
        if account is None:
            return self._login_form(request, error="login.failed", status=401)
        await self.auth.close_session(request.cookies.get(SESSION_COOKIE))
        session_id, _ = await self.auth.open_session(account)
        # A manager with no pole to staff, or no Cité yet, has nothing to do in the console.
        manages = account.role is Role.MANAGER and (
            not account.poles or await self.backend.get_cite() is None
        )
        response = RedirectResponse("/manage" if manages else "/console", status_code=303)
        set_session_cookie(response, self.settings, session_id)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
        return response

    def _login_form(self, request: Request, error: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.templates.render(
            request, "login.html", status=status, csrf=token, error=error
        )
        set_cookie(response, self.settings, LOGIN_CSRF_COOKIE, token, "/console", max_age=3600)
        return response

    async def logout(self, request: Request) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        found = await self.auth.session(session_id)
        form = await request.form()
        if found is None or not same_token(str(form.get("csrf", "")), found[0].csrf):
            return Response("CSRF", status_code=403)
        await self.auth.close_session(session_id)
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
