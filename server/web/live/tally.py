"""Counting the anonymous statistics (R11) as things happen.

One write per event, at once (``count_figures``: one round trip for its cells, each
atomic on Redis, so several processes count exactly), in the cell of the site's local hour: no
session, pseudonym, token or finer time goes with it. The sites' time zones are read
once a minute, not at every event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from server.backends import Backend
from server.core import statistics
from server.core.errors import ParoleError

log = logging.getLogger("parole.tally")

ZONES_FOR = 60.0  # s: how long the sites' time zones are taken as read


class Tally:
    def __init__(self, backend: Backend, clock: Callable[[], float], years: int = 10) -> None:
        self.backend = backend
        self.clock = clock
        self.years = years
        self._month = ""  # the month this process last counted in
        self._zones: dict[str, ZoneInfo] = {}
        self._main = ""
        self._read_at = float("-inf")

    async def count(self, site: str, pole: str, *measures: str, n: int = 1) -> None:
        """Add ``n`` to each of ``measures`` of ``pole`` at ``site`` (empty or unknown:
        the main site), now, in one round trip. A count the backend cannot take is lost,
        not the chat's action (logged)."""
        try:
            at = datetime.fromtimestamp(self.clock(), UTC).astimezone(await self._zone(site))
            site = site if site in self._zones else self._main
            cells = {statistics.cell(site, pole, at, measure): n for measure in measures}
            figure = statistics.figure_of(at)
            await self.backend.count_figures(figure, cells)
            if figure != self._month:  # a new month here: months past retention go
                self._month = figure
                for old in statistics.expired(await self.backend.figure_names(), at, self.years):
                    await self.backend.drop_figure(old)
        except ParoleError:
            log.warning("a figure was not counted: shared state unreachable")

    async def _zone(self, site: str) -> ZoneInfo:
        if self.clock() - self._read_at > ZONES_FOR:
            cite = await self.backend.get_cite()
            if cite is not None:
                self._zones = {s.id: s.tz for s in cite.sites}
                main = cite.site(None)
                self._main = main.id if main else ""
            self._read_at = self.clock()
        return self._zones.get(site) or self._zones.get(self._main) or ZoneInfo("UTC")
