"""Manager pages: the anonymous statistics (R11) — /manage/statistics, its CSV export
(/manage/statistics.csv) and nothing else.

A day, week, month or year, of one site or all: tables of what happened per pole, waits
and lengths in their buckets, satisfaction, transfers, busy hours by weekday, sites
compared; each chart drawn here as SVG with its table beside it for screen readers.
Every table is protected (:func:`server.core.statistics.protect`): the raw counts
never reach a page. A date that cannot be right gets a clear message and a 400, never
an empty chart presented as true.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.responses import PlainTextResponse, RedirectResponse, Response

from server.core import statistics
from server.core.errors import ParoleError
from server.core.poles import Cite
from server.core.publics import PUBLICS, parse_publics
from server.core.statistics import Count, Period, Span

from .base import ManageBase, Visit


class StatisticsPages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        today = self._today(cite)
        query = visit.request.query_params
        chosen = {
            "span": query.get("span", Span.MONTH.value),
            "day": query.get("day", today.isoformat()),
            "site": query.get("site", ""),
            "pole": query.get("pole", ""),
        }
        context: dict[str, Any] = {"cite": cite, "chosen": chosen, "spans": list(Span)}
        try:
            span = self._span(chosen["span"])
            day = statistics.read_day(chosen["day"], today)
            site = self._site(cite, chosen["site"])
            pole = self._pole(cite, chosen["pole"])
        except ParoleError as error:
            return self.render(visit, "manage/statistics.html", 400, problem=error.code, **context)
        period = Period.of(span, day)
        counts = await self._counts(period, site, pole)
        every = self._poles(cite, counts)
        poles = every if pole is None else [pole]
        sites = [s.id for s in cite.sites] if site is None else [site]
        before = period.start - timedelta(days=1)  # a day of the period before
        after = period.end + timedelta(days=1)
        answered = parse_publics(await self.backend.figures(PUBLICS))
        return self.render(
            visit,
            "manage/statistics.html",
            period=period,
            views=statistics.views(counts, poles, sites, every),
            publics=statistics.publics_views(answered, poles, period, site),
            names=self._names(cite),
            before=before.isoformat(),
            after=after.isoformat() if after <= today + statistics.AHEAD else "",
            **context,
        )

    async def report(self, visit: Visit) -> Response:
        """The yearly report, printable: the year's figures per pole, who the visitors
        were, the events held and the partners per pole ("fiche de synthèse")."""
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        today = self._today(cite)
        query = visit.request.query_params
        chosen = {"year": query.get("year", str(today.year)), "site": query.get("site", "")}
        try:
            year = statistics.read_year(chosen["year"], today)
            site = self._site(cite, chosen["site"])
        except ParoleError as error:
            return self.render(
                visit, "manage/report.html", 400, problem=error.code, cite=cite, chosen=chosen
            )
        period = Period.of(Span.YEAR, date(year, 1, 1))
        counts = await self._counts(period, site)
        poles = self._poles(cite, counts)
        sites = [s.id for s in cite.sites] if site is None else [site]
        answered = parse_publics(await self.backend.figures(PUBLICS))
        by_name = {view.name: view for view in statistics.views(counts, poles, sites)}
        library = await self.backend.get_library()
        return self.render(
            visit,
            "manage/report.html",
            cite=cite,
            chosen=chosen,
            year=year,
            views=[by_name[name] for name in ("activity", "waits", "lengths", "scores")],
            publics=statistics.publics_views(answered, poles, period, site),
            events=statistics.held_in(library.cards, year),
            names=self._names(cite),
        )

    async def export(self, visit: Visit) -> Response:
        """The CSV of a range of days (``from``, ``to``), one site or all."""
        cite = await self.backend.get_cite()
        if cite is None:
            return PlainTextResponse("no Cité configured yet\n", status_code=400)
        today = self._today(cite)
        query = visit.request.query_params
        try:
            period = statistics.read_range(
                query.get("from", f"{today.year}-01-01"), query.get("to", today.isoformat()), today
            )
            site = self._site(cite, query.get("site", ""))
            pole = self._pole(cite, query.get("pole", ""))
        except ParoleError as error:
            key = f"manage.stats.problem.{error.code}"
            text = self.templates.catalogs.text(self.lang(visit), key)
            return PlainTextResponse(f"{text}\n", status_code=400)
        counts = await self._counts(period, site, pole)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(statistics.CSV_COLUMNS)
        writer.writerows(statistics.csv_rows(counts, cite.name))
        answered = parse_publics(await self.backend.figures(PUBLICS))
        answered = [a for a in answered if pole is None or a.pole == pole]
        writer.writerows(statistics.publics_csv_rows(answered, cite.name, period, site))
        name = f"parole-{period.start.isoformat()}-{period.end.isoformat()}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def _counts(
        self, period: Period, site: str | None, pole: str | None = None
    ) -> list[Count]:
        found: list[Count] = []
        for figure in period.months():
            found += statistics.parse(await self.backend.figures(figure))
        return [c for c in statistics.within(found, period, site) if pole in (None, c.pole)]

    def _today(self, cite: Cite) -> date:
        main = cite.site(None)
        now = datetime.fromtimestamp(self.chat.clock(), UTC)
        return (now.astimezone(main.tz) if main else now).date()

    @staticmethod
    def _span(text: str) -> Span:
        try:
            return Span(text)
        except ValueError:
            raise ParoleError(text[:20], code="bad_span") from None

    @staticmethod
    def _site(cite: Cite, text: str) -> str | None:
        """None: every site; else a site of the Cité (an unknown one is refused)."""
        return _one_of([site.id for site in cite.sites], text, "unknown_site")

    @staticmethod
    def _pole(cite: Cite, text: str) -> str | None:
        """None: every pole; else one of the Cité's (retired ones too: they were counted)."""
        return _one_of([pole.id for pole in cite.poles], text, "unknown_pole")

    @staticmethod
    def _poles(cite: Cite, counts: list[Count]) -> list[str]:
        """The Cité's poles in order, then any counted pole since removed."""
        poles = [pole.id for pole in cite.poles]
        return poles + sorted({c.pole for c in counts} - set(poles))

    @staticmethod
    def _names(cite: Cite) -> dict[str, str]:
        names = {pole.id: pole.name for pole in cite.poles}
        names.update({site.id: site.name for site in cite.sites})
        return names


def _one_of(ids: list[str], text: str, code: str) -> str | None:
    """None when ``text`` is empty (every one); ``text`` when it is one of ``ids``;
    else ParoleError ``code``."""
    if text and text not in ids:
        raise ParoleError(text[:40], code=code)
    return text or None
