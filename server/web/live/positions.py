"""Queue positions for this process's waiting visitors: one lookup per pole (R3).

The process listens once to the queue of each pole where it has waiting visitors.
When a queue changes it reads the positions of all of them in one backend call —
at most once per ``position_interval`` for each pole, the first change at once —
and sends each visitor theirs, with the wait range and the pole's closing time.
A surge of ten thousand waiting visitors costs one query per change, not ten
thousand. Every ``REFRESH`` seconds it reads them again anyway: the estimate grows
while nobody is taken, and a change announced during an outage is caught up.

Each frame also says how many counsellors are available in the pole now; with nobody
there, no estimate is given (R3). The count is read again, once for all poles, in the
round after a counsellor came, went, paused or resumed (``staffing`` channel).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec

from protocol.messages import Position, WaitEstimate
from server.backends.fanout import Subscriber
from server.core.errors import ParoleError
from server.core.estimates import pace, range_at
from server.core.staff import staffing
from server.core.visitors import VisitorSession

from .background import stop_tasks
from .chat import STAFFING_CHANNEL, Chat, Place, QueueChanged, queue_channel
from .hours import Hours

log = logging.getLogger("parole.positions")

#: Seconds between two full refreshes of every position and estimate.
REFRESH = 30.0

Send = Callable[[Position], None]
_decode = msgspec.json.Decoder(QueueChanged).decode


class Positions:
    def __init__(self, chat: Chat, hours: Hours) -> None:
        self.chat = chat
        self.hours = hours
        self.backend = chat.backend
        self._waiting: dict[str, dict[str, tuple[VisitorSession, Send]]] = {}
        self._takes: dict[str, list[float]] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._inbox: Subscriber | None = None
        self._heard = 0  # queue changes, outages and overflows heard of, in any pole
        self._staffed: dict[str, int] | None = None  # None: to be counted
        self._recount = True
        self._counted_at: float | None = None  # loop time of the last count
        self._count_later: asyncio.TimerHandle | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._inbox = self.backend.subscriber()
        await self._inbox.add(STAFFING_CHANNEL)
        self._tasks = [
            asyncio.create_task(self._listen(), name="positions-listen"),
            asyncio.create_task(self._flush_loop(), name="positions"),
            asyncio.create_task(self._refresh_loop(), name="positions-refresh"),
        ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        if self._inbox is not None:
            await self._inbox.close()

    # --- for visitor sockets -----------------------------------------------------------
    def heard(self) -> int:
        """How many queue changes this process has heard of: see :meth:`add`."""
        return self._heard

    async def add(
        self, session: VisitorSession, send: Send, place: Place | None = None, heard: int = 0
    ) -> None:
        """Keep ``session`` (waiting) informed of its position, from now on and at once.

        ``place``: its queue's length and its position, read by a resume that began when
        :meth:`heard` returned ``heard``. It is sent as is, sparing a lookup, unless a
        change heard since (or a queue not listened to yet) may have made it stale.
        """
        pole = session.pole
        if pole not in self._waiting:
            self._waiting[pole] = {}
            assert self._inbox is not None
            await self._inbox.add(queue_channel(pole))
            self._takes[pole] = await self.backend.recent_takes(pole)
            place = None
        self._waiting[pole][session.id] = (session, send)
        if self._staffed is None:
            await self._count()
        if place is None or heard != self._heard:
            waiting, (position,) = await self.backend.positions(pole, [session])
        else:
            waiting, position = place
        if position is not None:
            send(self._frame(pole, position, waiting, *self._round(pole)))

    async def remove(self, session: VisitorSession) -> None:
        """No longer waiting (taken, left, closed) or gone from this process."""
        pole = session.pole
        local = self._waiting.get(pole)
        if local is None or local.pop(session.id, None) is None or local:
            return
        del self._waiting[pole]
        self._takes.pop(pole, None)
        if self._inbox is not None:
            await self._inbox.remove(queue_channel(pole))

    def refresh(self, pole: str | None = None) -> None:
        """Read positions again soon: of ``pole``, or of every pole."""
        self._dirty.update([pole] if pole is not None else self._waiting)
        self._wake.set()

    # --- the tasks ---------------------------------------------------------------------
    async def _listen(self) -> None:
        while True:
            assert self._inbox is not None
            item = await self._inbox.get()
            self._heard += 1
            if item is None:  # overflowed: listen afresh and read every position again
                old, self._inbox = self._inbox, self.backend.subscriber()
                await old.close()
                self._recount = True
                await self._inbox.add(STAFFING_CHANNEL)
                for pole in self._waiting:
                    await self._inbox.add(queue_channel(pole))
                self.refresh()
                continue
            channel, payload = item
            if channel == STAFFING_CHANNEL:  # only the poles whose count changes are re-sent
                self._recount = True
                self._wake.set()
                continue
            if not channel:  # an outage began or ended: positions may have moved
                self.refresh()
                continue
            try:
                changed = _decode(payload)
            except msgspec.DecodeError:
                continue
            if changed.takes is not None:
                self._takes[changed.pole] = changed.takes
            self.refresh(changed.pole)

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            started = loop.time()
            if self._recount and self._waiting:
                await self._count_soon(loop)
            dirty, self._dirty = self._dirty, set()
            for pole in dirty:
                try:
                    await self._flush(pole)
                except ParoleError as exc:  # shared state unreachable: the refresh retries
                    log.warning("positions not read: %s", exc.code, extra={"code": exc.code})
                except Exception:
                    log.exception("positions not read")
            # Coalesce: changes meanwhile wait for the next round, then go out together.
            # Rounds start one interval apart (not an interval after the last ended), so
            # each visitor hears at most once per interval and a change waits no longer.
            await asyncio.sleep(self.chat.settings.position_interval - (loop.time() - started))

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH)
            self._recount = True  # e.g. a console whose process died, its lease run out
            self.refresh()

    async def _flush(self, pole: str) -> None:
        local = self._waiting.get(pole)
        if not local:
            return
        entries = list(local.values())
        waiting, found = await self.backend.positions(pole, [s for s, _ in entries])
        shared = self._round(pole)  # once for the pole's thousands of visitors
        for (_, send), position in zip(entries, found, strict=True):
            if position is not None:
                send(self._frame(pole, position, waiting, *shared))

    def _round(self, pole: str) -> tuple[float | None, int | None, int | None]:
        """What every position frame of ``pole`` shares now: its pace (None with nobody
        available: no honest estimate), its closing time, who staffs it."""
        staffed = None if self._staffed is None else self._staffed.get(pole, 0)
        gap = pace(self._takes.get(pole, []), self.chat.clock()) if staffed != 0 else None
        return gap, self.hours.closes_at(pole), staffed

    async def _count_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        """Count now, or in the round after ``staffing_interval`` since the last count: a
        count reads every account and desk, and a morning of consoles opening must not
        cost one each."""
        due = (self._counted_at or 0.0) + self.chat.settings.staffing_interval
        if self._counted_at is not None and loop.time() < due:
            if self._count_later is None:
                self._count_later = loop.call_at(due, self._count_due)
            return
        try:
            await self._count()
        except ParoleError as exc:  # unreachable: the next refresh counts again
            log.warning("staffing not read: %s", exc.code, extra={"code": exc.code})

    def _count_due(self) -> None:
        self._count_later = None
        self._counted_at = None  # due now, whatever the timer's rounding
        self._wake.set()

    async def _count(self) -> None:
        """Who staffs each pole now, read once for all of them."""
        self._recount = False
        self._counted_at = asyncio.get_running_loop().time()
        desks = [(a, await self.backend.get_desk(a.login)) for a in await self.chat.accounts()]
        before, self._staffed = self._staffed, staffing(desks)
        for pole in self._waiting:
            if before is None or before.get(pole, 0) != self._staffed.get(pole, 0):
                self._dirty.add(pole)

    @staticmethod
    def _frame(
        pole: str,
        position: int,
        waiting: int,
        gap: float | None,
        closes_at: int | None,
        staffed: int | None,
    ) -> Position:
        found = range_at(position, gap)
        return Position(
            pole=pole,
            position=position,
            waiting=waiting,
            estimate=None if found is None else WaitEstimate(found.low, found.high),
            closes_at=closes_at,
            staffed=staffed,
        )
