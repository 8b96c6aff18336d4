"""Sites and their opening hours: when a visitor may join a pole (R4, R5).

A Cité has one main site, and may have *centres associés* and *points relais*; each
has its own time zone, poles and hours. Every pole a site offers runs whenever
that site is open (R4), so "which poles can I join now?" is "is this site taking
visitors now?" plus the site's pole list.

Hours are written as local wall-clock times ("09:00") in the site's IANA time zone;
every function here takes an *aware* datetime and returns aware datetimes in UTC,
which :func:`in_zone` turns into the visitor's own time (R5). Nothing here reads a
clock: the caller passes the time in.

What decides a local date's slots, first rule that applies:

1. a :class:`SpecialDay` for that date: its slots (none: closed all day), even on a
   public holiday or inside a closure;
2. a :class:`Closure` covering the date: closed;
3. a public holiday of the site's country and subdivision (from the ``holidays``
   library) when ``closed_on_holidays``: closed;
4. the :class:`Week`'s slots for that weekday.

Wall times and daylight saving — a slot is the span during which the site's wall
clock reads a time from ``start`` (included) to ``end`` (excluded):

* **gap** (spring forward): a wall time that does not exist that day means the
  instant the clocks jump past it. In Europe/Paris on the last Sunday of March,
  02:30 means 03:00 CEST; a slot 02:30-04:00 lasts one hour; a slot wholly inside
  the gap (02:10-02:50) does not happen that day.
* **fold** (fall back): a wall time that happens twice means its *first* occurrence.
  In Europe/Paris on the last Sunday of October, 02:30 means 02:30 CEST; a slot
  00:00-24:00 that day lasts 25 hours, a slot 01:00-02:30 lasts 1 h 30.
* Durations (``last_entry_minutes``) are real elapsed minutes, not wall minutes.

Slots never cross midnight: ``end`` may be ``"24:00"``, the end of that local day,
and an opening that goes on past midnight is written as a slot ending at 24:00 plus
one starting at 00:00 the next day. Slots that touch (one ends when the next starts,
on the same day or across midnight) form a single :class:`Opening`, so the
last-entry cut-off applies once, before the real closing time.
"""

from __future__ import annotations

import enum
import functools
import itertools
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import msgspec

from .errors import ConfigError
from .text import check_label, check_paragraphs, check_phone

HORIZON_DAYS = 366
"""How far ahead :func:`next_opening` looks."""

MERGE_DAYS = 3
"""Touching slots merge into one :class:`Opening` over at most this many days on either
side of the instant asked about: a site open around the clock is reported open from
at most that long before to that long after, and each look is cheap."""

DAY_MINUTES = 24 * 60
#: A site's postal address: a few short lines.
ADDRESS_MAX = 300
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_SLUG = re.compile(r"[a-z0-9-]{1,64}")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# IANA names ("Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+4", "UTC");
# the capital first letter keeps out host files such as "localtime" or "posixrules".
_ZONE = re.compile(r"[A-Z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")
_ZONE_MAX = 64


class SiteKind(enum.Enum):
    MAIN = "main"  # le site principal: offers every pole of the Cité
    ASSOCIATED = "associated"  # centre associé: some poles, its own hours
    RELAY = "relay"  # point relais


def _minutes(text: str, *, end: bool) -> int:
    if end and text == "24:00":
        return DAY_MINUTES
    match = _HHMM.fullmatch(text)
    if match is None:
        raise ConfigError(f"bad slot time {text!r}: write HH:MM, from 00:00 to 24:00")
    return int(match[1]) * 60 + int(match[2])


class Slot(msgspec.Struct, frozen=True):
    """An opening span of one local day: ``start`` included, ``end`` excluded.

    Both are "HH:MM" wall-clock times in the site's zone; ``end`` may be "24:00"
    (the end of the day) and must come after ``start``.
    """

    start: str
    end: str

    def __post_init__(self) -> None:
        if self.start == "24:00":
            raise ConfigError("a slot cannot start at 24:00; start the next day at 00:00")
        if self.end_minute <= self.start_minute:
            raise ConfigError(
                f"slot {self.start}-{self.end} does not end after it starts "
                "(a slot cannot cross midnight: end it at 24:00 and go on at 00:00)"
            )

    @property
    def start_minute(self) -> int:
        """Minutes from local midnight, 0 to 1439."""
        return _minutes(self.start, end=False)

    @property
    def end_minute(self) -> int:
        """Minutes from local midnight, 1 to 1440."""
        return _minutes(self.end, end=True)


def _sorted(slots: tuple[Slot, ...]) -> tuple[Slot, ...]:
    return tuple(sorted(slots, key=lambda slot: slot.start_minute))


def _check_day(label: str, slots: tuple[Slot, ...]) -> None:
    for before, after in itertools.pairwise(_sorted(slots)):
        if after.start_minute < before.end_minute:
            raise ConfigError(
                f"{label}: slots {before.start}-{before.end} and {after.start}-{after.end} overlap"
            )


class Week(msgspec.Struct, frozen=True):
    """The usual hours: a few slots per weekday (none: closed that day)."""

    monday: tuple[Slot, ...] = ()
    tuesday: tuple[Slot, ...] = ()
    wednesday: tuple[Slot, ...] = ()
    thursday: tuple[Slot, ...] = ()
    friday: tuple[Slot, ...] = ()
    saturday: tuple[Slot, ...] = ()
    sunday: tuple[Slot, ...] = ()

    def __post_init__(self) -> None:
        for weekday in range(7):
            _check_day(WEEKDAYS[weekday], self.slots(weekday))

    def slots(self, weekday: int) -> tuple[Slot, ...]:
        """The slots of ``weekday`` (0 is Monday, as :meth:`date.weekday`), in order."""
        slots: tuple[Slot, ...] = getattr(self, WEEKDAYS[weekday])
        return _sorted(slots)


class SpecialDay(msgspec.Struct, frozen=True):
    """One date whose slots replace everything else: an exceptional opening (even
    on a public holiday or inside a closure), changed hours, or, with no slots,
    an exceptional closure."""

    day: date
    slots: tuple[Slot, ...] = ()

    def __post_init__(self) -> None:
        _check_day(self.day.isoformat(), self.slots)


class Closure(msgspec.Struct, frozen=True):
    """Closed from ``first`` to ``last``, both included (a summer closure, works...)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ConfigError(f"closure {self.first}..{self.last} ends before it starts")


class Schedule(msgspec.Struct, frozen=True):
    """A site's hours. ``last_entry_minutes``: stop taking new visitors that many
    minutes before each closing (0: until the end)."""

    week: Week = Week()
    special_days: tuple[SpecialDay, ...] = ()
    closures: tuple[Closure, ...] = ()
    last_entry_minutes: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.last_entry_minutes < DAY_MINUTES:
            raise ConfigError("last_entry_minutes must be from 0 to 1439")
        days = [special.day for special in self.special_days]
        if len(set(days)) != len(days):
            raise ConfigError("two special days share a date")

    def slots_on(self, day: date, *, holiday: bool) -> tuple[Slot, ...]:
        """The slots of local date ``day``; ``holiday``: it is a public holiday to close on."""
        for special in self.special_days:
            if special.day == day:
                return _sorted(special.slots)
        if holiday or any(c.first <= day <= c.last for c in self.closures):
            return ()
        return self.week.slots(day.weekday())


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; :class:`ConfigError` if there is none by that name."""
    if len(name) > _ZONE_MAX or not _ZONE.fullmatch(name):
        raise ConfigError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/Paris'")
    try:
        return ZoneInfo(name)
    # The tzdata package raises IsADirectoryError for a folder name such as "Europe".
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Paris'"
        ) from None


def check_region(country: str, subdivision: str | None) -> None:
    """:class:`ConfigError` unless ``holidays`` knows ``country`` (ISO 3166-1 alpha-2,
    upper case) and ``subdivision`` (one of its codes or aliases for that country)."""
    supported = holidays.list_supported_countries()
    if len(country) != 2 or country not in supported:
        raise ConfigError(
            f"unknown country {country!r}: use an ISO 3166-1 alpha-2 code such as 'FR'"
        )
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        known = ", ".join(supported[country]) or "none"
        raise ConfigError(
            f"unknown subdivision {subdivision!r} for {country} (known: {known})"
        ) from None


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of a country (and subdivision) in ``year``, from ``holidays``."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


class Site(msgspec.Struct, frozen=True):
    """A place that takes visitors: the main site, a centre associé or a point relais.

    ``timezone`` is an IANA name; ``country`` (ISO 3166-1 alpha-2) and
    ``subdivision`` (as the ``holidays`` library names it: "57" for Moselle,
    "6AE" or "Alsace" for Alsace, "974" for La Réunion...) choose the public
    holidays the site closes on unless ``closed_on_holidays`` is false.
    """

    id: str
    name: str
    kind: SiteKind
    timezone: str
    country: str
    poles: tuple[str, ...]
    schedule: Schedule = Schedule()
    subdivision: str | None = None
    closed_on_holidays: bool = True
    #: How to come or call instead (the chat is one channel among others): shown in
    #: the widget, prominently when the chat is closed or the wait is long.
    address: str = ""
    phone: str = ""

    def __post_init__(self) -> None:
        if not _SLUG.fullmatch(self.id):
            raise ConfigError(f"bad site id {self.id!r}")
        if not self.name.strip():
            raise ConfigError("a site needs a name")
        check_label("a site's name", self.name, 80)
        check_paragraphs("a site's address", self.address, ADDRESS_MAX)
        check_phone(self.phone)
        zone(self.timezone)
        check_region(self.country, self.subdivision)
        if not self.poles:
            raise ConfigError(f"site {self.id} offers no pole")
        if len(set(self.poles)) != len(self.poles):
            raise ConfigError(f"site {self.id} lists a pole twice")

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def slots_on(self, day: date) -> tuple[Slot, ...]:
        """The slots of local date ``day``, after special days, closures and holidays."""
        holiday = self.closed_on_holidays and day in public_holidays(
            self.country, self.subdivision, day.year
        )
        return self.schedule.slots_on(day, holiday=holiday)


def check_sites(poles: Sequence[str], sites: Sequence[Site]) -> None:
    """:class:`ConfigError` unless ``sites`` fit a Cité publishing ``poles``: unique
    ids, exactly one main site offering every pole (R4), no site offering another."""
    ids = [site.id for site in sites]
    if len(set(ids)) != len(ids):
        raise ConfigError("site ids must be unique")
    mains = [site for site in sites if site.kind is SiteKind.MAIN]
    if len(mains) != 1:
        raise ConfigError("a Cité has exactly one main site")
    known = set(poles)
    for site in sites:
        unknown = sorted(set(site.poles) - known)
        if unknown:
            raise ConfigError(f"site {site.id} offers unknown poles: {', '.join(unknown)}")
    missing = sorted(known - set(mains[0].poles))
    if missing:
        raise ConfigError(
            f"the main site must offer every pole (R4); missing: {', '.join(missing)}"
        )


class Opening(msgspec.Struct, frozen=True):
    """One continuous opening, in UTC: open from ``start`` to ``end``, taking new
    visitors until ``last_entry``."""

    start: datetime
    end: datetime
    last_entry: datetime


class SiteStatus(msgspec.Struct, frozen=True):
    """What the widget shows for a site at one instant (datetimes in UTC).

    ``accepting``: a visitor may join one of ``poles`` now. ``closes_at`` and
    ``last_entry`` describe the current opening (None when closed);
    ``next_opening`` is given when not accepting (None: none within
    :data:`HORIZON_DAYS`).
    """

    site: str
    open: bool
    accepting: bool
    poles: tuple[str, ...]
    closes_at: datetime | None = None
    last_entry: datetime | None = None
    next_opening: datetime | None = None


def _utc(at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise ValueError("schedules work on aware datetimes; got a naive one")
    return at.astimezone(UTC)


def _instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The instant, in UTC, that local wall time ``minute`` of ``day`` means (see the
    module docstring: first occurrence in a fold, the jump in a gap)."""
    if minute == DAY_MINUTES:
        day, minute = day + timedelta(days=1), 0
    wall = datetime.combine(day, wall_time(minute // 60, minute % 60))
    instant = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the first occurrence
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # In a gap: fold=1 reads it with the offset after the jump (an instant before
    # the jump), fold=0 with the offset before it (an instant after). The jump is
    # the first second whose wall clock reads at least ``wall``.
    low = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _spans(site: Site, day: date) -> list[tuple[datetime, datetime]]:
    """The non-empty (start, end) spans, in UTC, of local date ``day``'s slots."""
    tz = site.tz
    spans = []
    for slot in site.slots_on(day):
        start = _instant(day, slot.start_minute, tz)
        end = _instant(day, slot.end_minute, tz)
        if start < end:
            spans.append((start, end))
    return spans


def _openings(site: Site, first: date, days: int) -> Iterator[tuple[datetime, datetime]]:
    """Spans of ``days`` local dates from ``first``, touching ones merged, in order."""
    current: tuple[datetime, datetime] | None = None
    for offset in range(days):
        for start, end in _spans(site, first + timedelta(days=offset)):
            if current is not None and start <= current[1]:
                current = (current[0], end)
                continue
            if current is not None:
                yield current
            current = (start, end)
    if current is not None:
        yield current


def _local_date(site: Site, at: datetime) -> date:
    return at.astimezone(site.tz).date()


def _runs_into(site: Site, day: date) -> bool:
    """The day before ``day`` ends with an opening that goes on into ``day``."""
    before = _spans(site, day - timedelta(days=1))
    after = _spans(site, day)
    return bool(before) and bool(after) and before[-1][1] == after[0][0]


def _opening(site: Site, start: datetime, end: datetime) -> Opening:
    last_entry = max(start, end - timedelta(minutes=site.schedule.last_entry_minutes))
    return Opening(start=start, end=end, last_entry=last_entry)


def current_slot(site: Site, at: datetime) -> Opening | None:
    """The opening ``at`` falls in (touching slots merged), or None when closed."""
    at = _utc(at)
    today = _local_date(site, at)
    first = today - timedelta(days=1)
    for _ in range(MERGE_DAYS):
        if not _runs_into(site, first):
            break
        first -= timedelta(days=1)
    for start, end in _openings(site, first, (today - first).days + MERGE_DAYS + 2):
        if at < start:
            return None
        if at < end:
            return _opening(site, start, end)
    return None


def is_open(site: Site, at: datetime) -> bool:
    """The site is open at ``at`` (its poles run, R4), taking new visitors or not."""
    return current_slot(site, at) is not None


def accepting(site: Site, at: datetime) -> bool:
    """A visitor may join a pole of ``site`` at ``at``: open and before the last entry."""
    opening = current_slot(site, at)
    return opening is not None and _utc(at) < opening.last_entry


def closes_at(site: Site, at: datetime) -> datetime | None:
    """When the opening ``at`` falls in ends (UTC), or None when closed."""
    opening = current_slot(site, at)
    return None if opening is None else opening.end


def next_opening(site: Site, after: datetime) -> datetime | None:
    """The start (UTC) of the first opening that begins strictly after ``after`` and
    takes visitors (longer than ``last_entry_minutes``); None if there is none within
    :data:`HORIZON_DAYS`."""
    after = _utc(after)
    cutoff = timedelta(minutes=site.schedule.last_entry_minutes)
    first = _local_date(site, after) - timedelta(days=1)
    for start, end in _openings(site, first, HORIZON_DAYS + 2):
        if start > after and end - start > cutoff:
            return start
    return None


def day_openings(site: Site, day: date) -> tuple[Opening, ...]:
    """The openings of local date ``day``, in UTC (slots that touch merged; not
    merged with the days before or after)."""
    return tuple(_opening(site, start, end) for start, end in _openings(site, day, 1))


def status(site: Site, at: datetime) -> SiteStatus:
    """Everything the widget needs to say "open now" or "closed, next opening ..."."""
    at = _utc(at)
    opening = current_slot(site, at)
    taking = opening is not None and at < opening.last_entry
    return SiteStatus(
        site=site.id,
        open=opening is not None,
        accepting=taking,
        poles=site.poles,
        closes_at=None if opening is None else opening.end,
        last_entry=None if opening is None else opening.last_entry,
        next_opening=None if taking else next_opening(site, at),
    )


def in_zone(at: datetime, name: str | None, *, fallback: str = "UTC") -> datetime:
    """``at`` as a wall time in zone ``name`` (the visitor's, as their browser reports
    it). A missing or unknown ``name`` is visitor input, so it never raises: ``at`` is
    then shown in ``fallback`` (pass the site's zone)."""
    at = _utc(at)
    if name is not None:
        try:
            return at.astimezone(zone(name))
        except ConfigError:
            pass
    return at.astimezone(zone(fallback))


def pole_closes_at(sites: Sequence[Site], pole: str, at: datetime) -> datetime | None:
    """When ``pole`` stops running (UTC): the latest end of the current openings of
    the sites offering it; None when none of them is open at ``at``. Visitors still
    waiting then are not served that day."""
    ends = [end for site in sites if pole in site.poles if (end := closes_at(site, at))]
    return max(ends, default=None)


def next_change(sites: Sequence[Site], at: datetime) -> datetime | None:
    """The first instant after ``at`` when the status of one of ``sites`` changes
    (an opening, a last entry, a closing); None if none within :data:`HORIZON_DAYS`."""
    at = _utc(at)
    changes = []
    for site in sites:
        now = status(site, at)
        changes += [
            moment
            for moment in (now.last_entry, now.closes_at, now.next_opening)
            if moment is not None and moment > at
        ]
    return min(changes, default=None)
