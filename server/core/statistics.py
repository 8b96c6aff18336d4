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

from .errors import ParoleError
from .publics import ANSWERS, Answered
from .resources import Card, CardKind

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


def expired(figures: Iterable[str], at: datetime, years: int) -> list[str]:
    """The statistics' figures among ``figures`` older than ``years`` before ``at``'s
    month (that month, ``years`` ago, is still kept); other figures are not ours."""
    oldest = f"{ACTIVITY}:{at.year - years:04d}-{at.month:02d}"
    return sorted(
        name
        for name in figures
        if name.startswith(f"{ACTIVITY}:")
        and re.fullmatch(r"[0-9]{4}-[0-9]{2}", name[9:])
        and name < oldest
    )


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


# --- what a manager reads ------------------------------------------------------------------
#: The first Cité des métiers opened in 1993: a date before it is a mistake.
EARLIEST = date(1993, 1, 1)
#: How far ahead a period may start (a manager preparing next year's report).
AHEAD = timedelta(days=366)

ACTIVITY_MEASURES = tuple(Measure)
SCORES = ("1", "2", "3", "4", "5")
WEEKDAYS = [str(d) for d in range(7)]
HOURS = [str(h) for h in range(24)]


def read_day(text: str, today: date) -> date:
    """A day typed as YYYY-MM-DD, checked: ParoleError ``bad_date``, ``too_early`` (before
    the first Cité) or ``too_late`` (more than a year ahead)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ParoleError(text[:20], code="bad_date") from None
    if len(text) != 10:  # fromisoformat also reads "20261207"
        raise ParoleError(text[:20], code="bad_date")
    if day < EARLIEST:
        raise ParoleError(text, code="too_early")
    if day > today + AHEAD:
        raise ParoleError(text, code="too_late")
    return day


def read_range(start: str, end: str, today: date) -> Period:
    """Days ``start`` to ``end`` as typed; ParoleError as :func:`read_day`, or
    ``reversed`` when the end comes before the start."""
    period = Period(read_day(start, today), read_day(end, today))
    if period.end < period.start:
        raise ParoleError(f"{start} > {end}", code="reversed")
    return period


def family(measure: str) -> str:
    """What a measure counts, without its detail: "wait:1-5" → "wait"."""
    return measure.split(":", 1)[0]


def detail(measure: str) -> str:
    return measure.split(":", 1)[1] if ":" in measure else ""


@dataclass(frozen=True)
class View:
    """One protected table of the dashboard: ``rows`` and ``columns`` are ids (poles,
    measures, buckets, weekdays, hours, sites), named by the page."""

    name: str
    rows: list[str]
    columns: list[str]
    shown: Protected  # only what may be seen: the raw counts do not leave this module

    @property
    def largest(self) -> int:
        """The largest value shown (a chart's scale: never a hidden one's)."""
        return max((s.value or 0 for row in self.shown.cells for s in row), default=0)


def _view(name: str, grid: list[list[int]], rows: list[str], columns: list[str]) -> View:
    return View(name, rows, columns, protect(grid))


def _families(counts: Iterable[Count]) -> list[Count]:
    return [Count(c.site, c.pole, c.hour, family(c.measure), c.n) for c in counts]


def _details(counts: Iterable[Count], of: str) -> list[Count]:
    return [
        Count(c.site, c.pole, c.hour, detail(c.measure), c.n)
        for c in counts
        if family(c.measure) == of
    ]


def views(
    counts: list[Count], poles: list[str], sites: list[str], targets: list[str] | None = None
) -> list[View]:
    """Every table of the dashboard for ``counts`` (one period, one site or all, the
    ``poles`` shown); ``targets``: the poles a transfer may go to (default ``poles``)."""
    targets = poles if targets is None else targets
    families = _families(counts)
    measures = [m.value for m in ACTIVITY_MEASURES]
    joined = [c for c in families if c.measure == Measure.JOINED]
    return [
        _view("activity", table(families, poles, measures, "pole", "measure"), poles, measures),
        _view(
            "waits",
            table(_details(counts, "wait"), poles, buckets(WAIT_BUCKETS), "pole", "measure"),
            poles,
            buckets(WAIT_BUCKETS),
        ),
        _view(
            "lengths",
            table(_details(counts, "length"), poles, buckets(LENGTH_BUCKETS), "pole", "measure"),
            poles,
            buckets(LENGTH_BUCKETS),
        ),
        _view(
            "scores",
            table(_details(counts, "score"), poles, list(SCORES), "pole", "measure"),
            poles,
            list(SCORES),
        ),
        _view(
            "transfers",
            table(_details(counts, "transferred"), poles, targets, "pole", "measure"),
            poles,
            targets,
        ),
        _view("hours", table(joined, WEEKDAYS, HOURS, "weekday", "hour"), WEEKDAYS, HOURS),
        _view("sites", table(joined, sites, poles, "site", "pole"), sites, poles),
    ]


#: The columns of the CSV export, the same for every Cité (see ops/statistics.md).
CSV_COLUMNS = ("cite", "site", "pole", "month", "measure", "detail", "count")


def csv_rows(counts: Iterable[Count], cite: str) -> list[tuple[str, ...]]:
    """One row per site, pole, month and measure, sorted; a count under 5 as "<5"."""
    sums: dict[tuple[str, str, str, str, str], int] = {}
    for c in counts:
        key = (c.site, c.pole, f"{c.hour:%Y-%m}", family(c.measure), detail(c.measure))
        sums[key] = sums.get(key, 0) + c.n
    return [(cite, *key, str(n) if n >= SMALL else f"<{SMALL}") for key, n in sorted(sums.items())]


# --- who the visitors are (counted per month) -----------------------------------------------
def _in(answered: Iterable[Answered], period: Period, site: str | None) -> list[Answered]:
    months = {name.split(":", 1)[1] for name in period.months()}
    return [a for a in answered if a.month in months and (site is None or a.site == site)]


def publics_views(
    answered: Iterable[Answered], poles: list[str], period: Period, site: str | None = None
) -> list[View]:
    """One table per question (poles × answers) for the months ``period`` touches:
    these answers are counted per month only."""
    chosen = _in(answered, period, site)
    found = []
    for question, answers in ANSWERS.items():
        grid = [[0] * len(answers) for _ in poles]
        for a in chosen:
            if a.question is question and a.pole in poles:
                grid[poles.index(a.pole)][answers.index(a.answer)] += a.n
        found.append(_view(f"publics.{question.value}", grid, poles, list(answers)))
    return found


def publics_csv_rows(
    answered: Iterable[Answered], cite: str, period: Period, site: str | None = None
) -> list[tuple[str, ...]]:
    """The CSV's rows of the answers (``measure`` the question, ``detail`` the answer)."""
    return sorted(
        (cite, a.site, a.pole, a.month, a.question.value, a.answer, _csv_count(a.n))
        for a in _in(answered, period, site)
    )


def _csv_count(n: int) -> str:
    return str(n) if n >= SMALL else f"<{SMALL}"


def held_in(cards: Iterable[Card], year: int) -> list[Card]:
    """The event cards of ``year``, retired ones too (they were held), by day and time."""
    events = [c for c in cards if c.kind is CardKind.EVENT and c.day and c.day[:4] == f"{year:04d}"]
    return sorted(events, key=lambda c: (c.day or "", c.start or "", c.title))


def read_year(text: str, today: date) -> int:
    """A year as typed, from 1993 to next year; ParoleError ``bad_year`` otherwise."""
    if not re.fullmatch(r"[0-9]{4}", text) or not EARLIEST.year <= int(text) <= today.year + 1:
        raise ParoleError(text[:10], code="bad_year")
    return int(text)
