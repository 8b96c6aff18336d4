"""HTTP routes: the widget's loader and chat page, the demo host page, the console."""

from __future__ import annotations

import secrets
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from protocol.messages import encoder
from server.core.staff import Role

from .auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Auth, SignIn, same_token
from .chat import Chat
from .hours import Hours, site_status
from .i18n import Catalogs
from .paths import CONSOLE, WIDGET
from .security import chat_csp, own_origin


class Pages:
    def __init__(self, chat: Chat, auth: Auth, catalogs: Catalogs, hours: Hours) -> None:
        self.chat = chat
        self.hours = hours
        self.auth = auth
        self.catalogs = catalogs
        self.settings = chat.settings
        self.jinja = Environment(
            loader=FileSystemLoader([CONSOLE / "templates", WIDGET / "templates"]),
            autoescape=select_autoescape(default=True),
        )

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = self.catalogs.negotiate(
            request.query_params.get("lang"), request.headers.get("accept-language", "")
        )
        catalog = self.catalogs.catalog(lang)
        html = self.jinja.get_template(name).render(
            lang=lang, t=lambda key: catalog.get(key, key), catalog=catalog, **context
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    # --- public ------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        found = await self.auth.session(request.cookies.get(SESSION_COOKIE))
        if found is not None and found[1].role is Role.MANAGER:
            return RedirectResponse("/manage", status_code=303)
        return RedirectResponse("/demo" if self.settings.demo else "/console", status_code=303)

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def loader(self, request: Request) -> Response:
        return FileResponse(
            WIDGET / "loader.js",
            media_type="text/javascript",
            headers={
                "Cross-Origin-Resource-Policy": "cross-origin",
                "Cache-Control": "max-age=300",
            },
        )

    async def demo(self, request: Request) -> Response:
        return self.render(request, "demo.html", origin=own_origin(request.scope))

    async def chat_page(self, request: Request) -> Response:
        """The page inside the widget's iframe: no cookie, framed only by allowed hosts."""
        host = request.query_params.get("host", "")
        allowed = {own_origin(request.scope), *self.settings.embed_origins}
        response = self.render(
            request,
            "chat.html",
            host_origin=host if host in allowed else "",
            site=request.query_params.get("site", ""),
        )
        response.headers["Content-Security-Policy"] = chat_csp(self.settings)
        return response

    async def cite(self, request: Request) -> Response:
        """The ``status`` of a site (``?site=``, else the main one), as the widget's
        socket sends it: what the widget shows before its socket is open."""
        site = request.query_params.get("site") or None
        cite = await self.chat.backend.get_cite()
        status = site_status(cite, site, self.hours.now())
        return Response(
            encoder.encode(status),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    # --- staff -------------------------------------------------------------------------
    async def console(self, request: Request) -> Response:
        found = await self.auth.session(request.cookies.get(SESSION_COOKIE))
        if found is None:
            return RedirectResponse("/console/login", status_code=303)
        session, account = found
        manager = account.role is Role.MANAGER
        return self.render(
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
            not account.poles or await self.chat.backend.get_cite() is None
        )
        response = RedirectResponse("/manage" if manages else "/console", status_code=303)
        self.set_session_cookie(response, session_id)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
        return response

    def _login_form(self, request: Request, error: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.render(request, "login.html", status=status, csrf=token, error=error)
        self._cookie(response, LOGIN_CSRF_COOKIE, token, path="/console", max_age=3600)
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

    def set_session_cookie(self, response: Response, session_id: str) -> None:
        self._cookie(response, SESSION_COOKIE, session_id, path="/")

    def _cookie(
        self, response: Response, name: str, value: str, path: str, max_age: int | None = None
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=path,
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookies,
        )
