"""Jinja templates rendered in the visitor's or staff member's language, never cached."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .i18n import Catalogs
from .paths import CONSOLE, WIDGET


class Templates:
    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        self.jinja = Environment(
            loader=FileSystemLoader([CONSOLE / "templates", WIDGET / "templates"]),
            autoescape=select_autoescape(default=True),
        )

    def language(self, request: Request) -> str:
        """``?lang=`` when the catalogs have it, else the best of Accept-Language."""
        return self.catalogs.negotiate(
            request.query_params.get("lang"), request.headers.get("accept-language", "")
        )

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = self.language(request)
        catalog = self.catalogs.catalog(lang)
        html = self.jinja.get_template(name).render(
            lang=lang, t=lambda key: catalog.get(key, key), catalog=catalog, **context
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
