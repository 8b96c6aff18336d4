"""Anonymous statistics for the Cité's yearly self-evaluation (R11).

Every count is a cell (site, pole, local hour, measure) of the month's figure
``activity:YYYY-MM``: written once, when the event happens, with no session,
pseudonym, token or time finer than the hour. Waits and conversation lengths are
counted in fixed buckets (a histogram), never as times.

Reading them back, a manager sees tables; :func:`protect` applies the rules that keep a
table from describing a person: any cell under :data:`SMALL` is shown as "< 5", and a
total is not shown where it would let a hidden cell be worked out from the others.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

ACTIVITY = "activity"
SMALL = 5  # cells under this are shown as "< 5"
_HOUR = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}")


class Measure(enum.StrEnum):
    JOINED = "joined"  # entered a queue
    SERVED = "served"  # taken by a counsellor
    LEFT = "left"  # left the queue before being served
    CLOSED = "closed"  # not served: the pole closed before their turn
    TRANSFERRED = "transferred"  # sent on to another pole (counted in the pole left)
    INVITED = "invited"  # a colleague was asked in
    CARDS = "cards"  # resource cards shared
    REPORTED = "reported"
    BLOCKED = "blocked"


#: Upper bounds (seconds) of the wait and the length buckets; the last bucket is open.
WAIT_BUCKETS = (60, 300, 600, 900, 1800, 3600)
LENGTH_BUCKETS = (300, 900, 1800, 3600)


def bucket(seconds: float, bounds: tuple[int, ...]) -> str:
    """The bucket of ``seconds``, named by its bounds in minutes: "0-1", "1-5", … "60+"."""
    low = 0
    for high in bounds:
        if seconds < high:
            return f"{low // 60}-{high // 60}"
        low = high
    return f"{low // 60}+"


def buckets(bounds: tuple[int, ...]) -> list[str]:
    """Every bucket's name, in order."""
    names, low = [], 0
    for high in bounds:
        names.append(f"{low // 60}-{high // 60}")
        low = high
    return [*names, f"{low // 60}+"]


def wait_measure(seconds: float) -> str:
    return f"wait:{bucket(seconds, WAIT_BUCKETS)}"


def length_measure(seconds: float) -> str:
    return f"length:{bucket(seconds, LENGTH_BUCKETS)}"


def transfer_measure(target: str) -> str:
    return f"{Measure.TRANSFERRED.value}:{target}"


def score_measure(score: int) -> str:
    return f"score:{score}"


def figure_of(at: datetime) -> str:
    """The figure (one per month) an event at local time ``at`` is counted in."""
    return f"{ACTIVITY}:{at.year:04d}-{at.month:02d}"


def cell(site: str, pole: str, at: datetime, measure: str) -> str:
    """The cell of an event at ``at`` (aware, in the site's time zone): to the hour."""
    return f"{site}|{pole}|{at:%Y-%m-%dT%H}|{measure}"


@dataclass(frozen=True)
class Count:
    site: str
    pole: str
    hour: datetime  # naive, local to the site: the hour the events happened in
    measure: str
    n: int


def parse(figures: dict[str, int]) -> list[Count]:
    """The counts of a month's figure; cells not of the form above are skipped."""
    counts = []
    for key, n in figures.items():
        parts = key.split("|")
        if len(parts) != 4 or not _HOUR.fullmatch(parts[2]) or n <= 0:
            continue
        site, pole, hour, measure = parts
        try:
            when = datetime.strptime(hour, "%Y-%m-%dT%H")
        except ValueError:
            continue
        counts.append(Count(site, pole, when, measure, n))
    return counts


# --- periods ----------------------------------------------------------------------------
class Span(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` (both included)."""

    start: date
    end: date

    @classmethod
    def of(cls, span: Span, day: date) -> Period:
        """The day, ISO week, month or year holding ``day``."""
        if span is Span.DAY:
            return cls(day, day)
        if span is Span.WEEK:
            monday = day - timedelta(days=day.weekday())
            return cls(monday, monday + timedelta(days=6))
        if span is Span.MONTH:
            first = day.replace(day=1)
            following = (first + timedelta(days=32)).replace(day=1)
            return cls(first, following - timedelta(days=1))
        return cls(date(day.year, 1, 1), date(day.year, 12, 31))

    def holds(self, when: datetime) -> bool:
        return self.start <= when.date() <= self.end

    def months(self) -> list[str]:
        """The figures (``activity:YYYY-MM``) this period reads."""
        found, at = [], self.start.replace(day=1)
        while at <= self.end:
            found.append(f"{ACTIVITY}:{at.year:04d}-{at.month:02d}")
            at = (at + timedelta(days=32)).replace(day=1)
        return found


def within(counts: Iterable[Count], period: Period, site: str | None = None) -> list[Count]:
    return [c for c in counts if period.holds(c.hour) and (site is None or c.site == site)]


def table(
    counts: Iterable[Count], rows: list[str], columns: list[str], row_of: str, column_of: str
) -> list[list[int]]:
    """Sums of ``counts`` in a grid: ``row_of`` and ``column_of`` name what picks the row
    and the column — "site", "pole", "measure", "hour" (0–23) or "weekday" (0–6)."""
    grid = [[0] * len(columns) for _ in rows]
    index_r = {name: i for i, name in enumerate(rows)}
    index_c = {name: i for i, name in enumerate(columns)}
    for count in counts:
        r = index_r.get(_key(count, row_of))
        c = index_c.get(_key(count, column_of))
        if r is not None and c is not None:
            grid[r][c] += count.n
    return grid


def _key(count: Count, by: str) -> str:
    if by == "hour":
        return str(count.hour.hour)
    if by == "weekday":
        return str(count.hour.weekday())
    if by == "day":
        return count.hour.date().isoformat()
    value: str = getattr(count, by)
    return value


# --- small cells --------------------------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """A figure as a manager may see it: ``value`` when shown, else ``small`` ("< 5")
    or hidden (a total that would give a small cell away)."""

    value: int | None
    small: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None and not self.small


@dataclass(frozen=True)
class Protected:
    cells: list[list[Shown]]
    row_totals: list[Shown]
    column_totals: list[Shown]
    total: Shown


def _shown(value: int) -> Shown:
    return Shown(None, small=True) if value < SMALL else Shown(value)


def _total(value: int, parts: list[int], shown: list[Shown]) -> Shown:
    """A total of ``parts`` as shown in ``shown``: small itself, or hidden when it would
    give an unknown part away — the only unknown one, or unknown small parts (each 0 to
    4) whose sum can only be made one way (all 0, or all 4)."""
    if value < SMALL:
        return Shown(None, small=True)
    unknown = [(v, s) for v, s in zip(parts, shown, strict=True) if s.value is None]
    rest = sum(v for v, _ in unknown)
    bounded = all(s.small for _, s in unknown)
    if len(unknown) == 1 or (unknown and bounded and rest in (0, (SMALL - 1) * len(unknown))):
        return Shown(None)
    return Shown(value)


def protect(grid: list[list[int]]) -> Protected:
    """``grid`` with its row and column totals and grand total, as a manager may see
    it: cells under 5 shown as "< 5" (zeros included), and every total that would let
    one be worked out hidden. The grand total is hidden when
    it would give away the one unknown row (or column) total."""
    cells = [[_shown(v) for v in row] for row in grid]
    width = len(grid[0]) if grid else 0
    sums = [sum(row) for row in grid]
    row_totals = [_total(v, row, shown) for v, row, shown in zip(sums, grid, cells, strict=True)]
    columns = [[row[j] for row in grid] for j in range(width)]
    column_sums = [sum(column) for column in columns]
    column_totals = [
        _total(column_sums[j], columns[j], [shown[j] for shown in cells]) for j in range(width)
    ]
    grand = sum(sums)
    total = _total(grand, sums, row_totals)
    if total.value is not None:
        total = _total(grand, column_sums, column_totals)
    return Protected(cells, row_totals, column_totals, total)
