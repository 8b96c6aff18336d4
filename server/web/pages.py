"""The public HTTP routes: the widget's loader and chat page, the demo host page, the
Cité's status, the health check, and the front door that sends staff where they work."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from protocol.messages import encoder
from server.core.errors import ParoleError
from server.core.hours_text import format_slots
from server.core.schedules import WEEKDAYS
from server.core.staff import Role

from .live.chat import Chat
from .live.hours import Hours, site_status
from .paths import WIDGET
from .security import chat_csp, own_origin
from .staff.auth import SESSION_COOKIE, Auth
from .templates import Templates


class Pages:
    def __init__(self, chat: Chat, auth: Auth, templates: Templates, hours: Hours) -> None:
        self.chat = chat
        self.hours = hours
        self.auth = auth
        self.templates = templates
        self.settings = chat.settings

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
        return self.templates.render(request, "demo.html", origin=own_origin(request.scope))

    async def chat_page(self, request: Request) -> Response:
        """The page inside the widget's iframe: no cookie, framed only by allowed hosts.
        It carries the site's status, so that the poles show without one more round trip
        (seconds on a slow line); without shared state the widget asks /api/cite."""
        host = request.query_params.get("host", "")
        allowed = {own_origin(request.scope), *self.settings.embed_origins}
        site = request.query_params.get("site", "")
        try:
            cite = await self.chat.backend.get_cite()
            library = await self.chat.backend.get_library()
            status = msgspec.to_builtins(site_status(cite, site or None, self.hours.now(), library))
        except ParoleError:
            status = None
        response = self.templates.render(
            request,
            "chat.html",
            host_origin=host if host in allowed else "",
            site=site,
            site_status=status,
        )
        response.headers["Content-Security-Policy"] = chat_csp(self.settings)
        return response

    async def cite(self, request: Request) -> Response:
        """The ``status`` of a site (``?site=``, else the main one), as the widget's
        socket sends it: what the widget shows before its socket is open."""
        site = request.query_params.get("site") or None
        cite = await self.chat.backend.get_cite()
        status = site_status(cite, site, self.hours.now(), self.hours.library)
        return Response(
            encoder.encode(status),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def privacy(self, request: Request) -> Response:
        """How this chat works and what it keeps, from the live configuration (R12),
        in the widget's language: linked from the widget, public, never cached."""
        cite = await self.chat.backend.get_cite()
        lang = self.templates.language(request)
        site = cite.site(request.query_params.get("site") or None) if cite else None
        hours = None
        if site is not None:
            closed = self.templates.catalogs.text(lang, "privacy.hours.closed")
            hours = {
                "zone": site.timezone,
                "holidays": site.closed_on_holidays,
                "days": [
                    (f"manage.weekday.{name}", format_slots(site.schedule.week.slots(i)) or closed)
                    for i, name in enumerate(WEEKDAYS)
                ],
            }
        s = self.settings
        durations = {
            "resume": s.resume_grace,
            "end": s.end_grace,
            "max": s.session_max_age,
            "logs": s.log_retention_days * 86400.0,
            "comments": s.comment_retention_days * 86400.0,
            "block": s.block_cooldown,
        }
        return self.templates.render(
            request,
            "privacy.html",
            cite=cite,
            site=site,
            hours=hours,
            durations={k: self.templates.duration(lang, v) for k, v in durations.items()},
            paragraphs=[p.strip() for p in cite.notice.split("\n\n") if p.strip()] if cite else [],
        )
