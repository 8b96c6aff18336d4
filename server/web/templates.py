"""Jinja templates rendered in the visitor's or staff member's language, never cached;
``static(path)`` names an asset by its versioned URL (assets.py)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from server.core.publics import ANSWERS

from .assets import Assets
from .i18n import Catalogs
from .paths import CONSOLE, WIDGET


class Templates:
    def __init__(self, catalogs: Catalogs, assets: Assets) -> None:
        self.catalogs = catalogs
        self.jinja = Environment(
            loader=FileSystemLoader([CONSOLE / "templates", WIDGET / "templates"]),
            autoescape=select_autoescape(default=True),
        )
        self.jinja.globals.update(
            static=assets.url,
            preload=assets.preload,
            # The widget's questions about who the visitor is, and their answers (R11).
            publics={question.value: answers for question, answers in ANSWERS.items()},
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
        html = self.jinja.get_template(name).render(
            lang=lang,
            t=lambda key, **values: self.catalogs.text(lang, key, **values),
            counted=lambda key, count: self.counted(lang, key, count),
            catalog=self.catalogs.catalog(lang),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def counted(self, lang: str, key: str, count: int) -> Markup:
        """A figure: the text of ``key`` for ``count``, the count in <strong> wherever
        the language puts it. "{count}" survives escaping, so the rest stays text."""
        form = escape(self.catalogs.form(lang, key, count))
        return Markup(form.replace("{count}", Markup("<strong>{}</strong>").format(count)))

    def duration(self, lang: str, seconds: float) -> str:
        """``seconds`` in the largest unit that keeps it a whole-looking figure."""
        for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
            if seconds >= 2 * size or seconds == size:
                return self.catalogs.text(lang, f"duration.{unit}", count=round(seconds / size))
        return self.catalogs.text(lang, "duration.seconds", count=round(seconds))
