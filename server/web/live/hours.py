"""Opening hours, live: what each widget shows, and queues that close (R3, R5).

Every process keeps the Cité and its resource cards in memory and re-reads them
when a manager changes either (the ``config`` channel) and at the next instant
some site's status changes (an opening, a last entry, a closing; at least once a
minute). Then it:

- sends the new ``status`` to each of its visitor sockets whose site changed (its
  hours, its poles, or its upcoming events: a day that passes drops yesterday's);
- ends the wait of the visitors of every pole that no open site offers any more
  (the day is over, or a manager retired the pole or closed the site), telling
  each one. All processes do it; taking a visitor out of a queue is atomic, so
  each is told once, and a process that was down at closing time does it when
  it starts.

Joining is checked against the stored Cité, not this copy (see ``Chat.join``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from protocol.messages import PoleInfo, Status
from server.backends.fanout import Subscriber
from server.core import schedules
from server.core.errors import ParoleError
from server.core.poles import Cite
from server.core.resources import Library

from .background import stop_tasks
from .cards import card_info
from .chat import CONFIG_CHANNEL, Chat

log = logging.getLogger("parole.hours")

#: Longest sleep between two looks, in seconds: public holidays, clock changes and
#: missed signals are caught within this.
MAX_SLEEP = 60.0
#: A little past each change, so the look sees the new status.
LATE = 0.05

Watcher = Callable[[Status], None]


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def site_status(
    cite: Cite | None, site_id: str | None, at: datetime, library: Library | None = None
) -> Status:
    """The ``status`` frame of ``site_id`` (else the main site) at ``at``, with the
    upcoming events of ``library`` that the site's poles hold."""
    site = None if cite is None else cite.site(site_id)
    if cite is None or site is None:  # nothing configured yet: nobody can join
        return Status(
            cite="" if cite is None else cite.name,
            site="",
            site_name="",
            open=False,
            accepting=False,
            poles=[],
        )
    now = schedules.status(site, at)
    offered = [
        PoleInfo(id=pole.id, name=pole.name, description=pole.description, accueil=pole.accueil)
        for pole in cite.published
        if pole.id in site.poles
    ]
    today = at.astimezone(site.tz).date()
    events = (library or Library()).upcoming(today, [pole.id for pole in offered])
    return Status(
        cite=cite.name,
        site=site.id,
        site_name=site.name,
        open=now.open,
        accepting=now.accepting,
        poles=offered,
        closes_at=_ms(now.closes_at),
        last_entry=_ms(now.last_entry),
        next_opening=_ms(now.next_opening),
        events=[card_info(card) for card in events],
        site_address=site.address,
        site_phone=site.phone,
    )


class Hours:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.backend = chat.backend
        self.cite: Cite | None = None
        self.library = Library()
        self._watchers: dict[str, set[Watcher]] = {}
        self._shown: dict[str, Status] = {}
        self._closing: dict[str, int | None] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.chat.clock(), UTC)

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        inbox = self.backend.subscriber()
        await inbox.add(CONFIG_CHANNEL)
        with contextlib.suppress(ParoleError):  # else the loop tries again
            await self.look()
        self._tasks = [
            asyncio.create_task(self._listen(inbox), name="hours-listen"),
            asyncio.create_task(self._run(), name="hours"),
        ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks)

    async def _listen(self, inbox: Subscriber) -> None:
        try:
            while True:
                item = await inbox.get()
                if item is None:  # overflowed: a new inbox, and look again
                    await inbox.close()
                    inbox = self.backend.subscriber()
                    await inbox.add(CONFIG_CHANNEL)
                # A config change, or delivery back after an outage: look again.
                self._wake.set()
        finally:
            await inbox.close()

    async def _run(self) -> None:
        while True:
            sleep = MAX_SLEEP
            try:
                sleep = await self.look()
            except ParoleError as exc:  # shared state unreachable: next round
                log.warning("hours not checked this round: %s", exc.code, extra={"code": exc.code})
                sleep = 1.0
            except Exception:
                log.exception("hours not checked this round")
                sleep = 5.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), sleep)

    # --- one look ----------------------------------------------------------------------
    async def look(self) -> float:
        """Reload the Cité, tell watchers what changed, close what closed; returns
        the seconds until the next change worth a look."""
        self.cite = await self.backend.get_cite()
        self.library = await self.backend.get_library()
        at = self.now()
        for site_id, watchers in list(self._watchers.items()):
            shown = site_status(self.cite, site_id, at, self.library)
            if self._shown.get(site_id) != shown:
                self._shown[site_id] = shown
                for watcher in tuple(watchers):
                    watcher(shown)
        self._closing = {}
        if self.cite is None:
            return MAX_SLEEP
        closed = []
        for pole in self.cite.poles:
            end = None if pole.retired else schedules.pole_closes_at(self.cite.sites, pole.id, at)
            self._closing[pole.id] = _ms(end)
            if end is None:
                closed.append(pole.id)
        lengths = await self.backend.queue_lengths(closed)
        for pole_id, waiting in lengths.items():
            if waiting:
                ended = await self.chat.close_queue(pole_id)
                log.info(
                    "pole %s closed: %d waiting visitors told",
                    pole_id,
                    ended,
                    extra={"pole": pole_id},
                )
        change = schedules.next_change(self.cite.sites, at)
        if change is None:
            return MAX_SLEEP
        return min(max((change - at).total_seconds() + LATE, LATE), MAX_SLEEP)

    # --- for visitor sockets -----------------------------------------------------------
    def status(self, site_id: str | None) -> Status:
        return site_status(self.cite, site_id, self.now(), self.library)

    def closes_at(self, pole: str) -> int | None:
        """When ``pole`` stops today (epoch ms), as of the last look."""
        return self._closing.get(pole)

    def watch(self, site_id: str | None, watcher: Watcher) -> Status:
        """Call ``watcher`` with every new status of the site; returns the current one."""
        key = site_id or ""
        self._watchers.setdefault(key, set()).add(watcher)
        # Kept current by every look: computing a status costs a fraction of a millisecond,
        # too much for each of thousands of sockets reconnecting at once.
        shown = self._shown.get(key)
        if shown is None:
            shown = self._shown[key] = self.status(key)
        return shown

    def unwatch(self, site_id: str | None, watcher: Watcher) -> None:
        key = site_id or ""
        watchers = self._watchers.get(key)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[key]
                self._shown.pop(key, None)
