"""Opening hours as managers type them in a form, and back.

One text field per weekday ("09:00-12:30, 13:30-18:00"; empty: closed), one
special day per line ("2026-12-24 09:00-12:00", "2026-12-25 fermé" or
"closed"), one closure per line ("2026-08-01 2026-08-15", or one date for a
single day). Times may be written the French way too ("9h", "13h30").
Every mistake raises :class:`ConfigError` saying which line and why; the
:mod:`server.core.schedules` types then check the rest.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from .errors import ConfigError
from .schedules import Closure, Slot, SpecialDay

#: Words that mark a special day closed, in the languages of the catalogs.
CLOSED_WORDS = ("fermé", "ferme", "closed")
#: At most this many lines in a special-days or closures field: a bound, not a rule.
MAX_LINES = 200
MAX_SLOTS = 12

_TIME = re.compile(r"(\d{1,2})(?:[:hH](\d{2})?)?")
_RANGE = re.compile(r"\s*(\S+?)\s*[-–—]\s*(\S+)\s*")
# Between the two dates of a closure, besides spaces.
_FILLERS = {"-", "–", "—", "..", "au", "to", "à"}


def parse_time(text: str) -> str:
    """ "9", "9h", "9h30", "9:30", "09:30" -> "09:30" (24:00 kept for an end)."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"{text!r} is not a time: write HH:MM, such as 09:30")
    hours, minutes = int(match[1]), int(match[2] or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ConfigError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return f"{hours:02d}:{minutes:02d}"


def parse_slots(text: str) -> tuple[Slot, ...]:
    """A day's slots, comma- or semicolon-separated; an empty text: closed."""
    parts = [part for part in re.split(r"[,;]", text) if part.strip()]
    if len(parts) > MAX_SLOTS:
        raise ConfigError(f"at most {MAX_SLOTS} slots a day")
    slots = []
    for part in parts:
        match = _RANGE.fullmatch(part)
        if match is None:
            raise ConfigError(f"{part.strip()!r} is not a slot: write 09:00-12:30")
        slots.append(Slot(parse_time(match[1]), parse_time(match[2])))
    ordered = sorted(slots, key=lambda slot: slot.start_minute)
    for before, after in itertools.pairwise(ordered):
        if after.start_minute < before.end_minute:
            raise ConfigError(
                f"slots {before.start}-{before.end} and {after.start}-{after.end} overlap"
            )
    return tuple(ordered)


def format_slots(slots: Iterable[Slot]) -> str:
    return ", ".join(f"{slot.start}-{slot.end}" for slot in slots)


def _lines(text: str) -> list[tuple[int, str]]:
    """Numbered non-blank lines (from 1, as a person counts them)."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(lines) > MAX_LINES:
        raise ConfigError(f"at most {MAX_LINES} lines")
    return lines


def _date(number: int, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"line {number}: {text!r} is not a date: write YYYY-MM-DD, such as 2026-12-24"
        ) from None


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word).casefold()


def parse_special_days(text: str) -> tuple[SpecialDay, ...]:
    """One date per line, then its slots or a word of :data:`CLOSED_WORDS`; sorted."""
    days: dict[date, SpecialDay] = {}
    for number, line in _lines(text):
        first, *rest = line.split(maxsplit=1)
        day = _date(number, first)
        if day in days:
            raise ConfigError(f"line {number}: {day} is given twice")
        if not rest:
            raise ConfigError(f"line {number}: give the slots, or “closed”, after the date")
        try:
            slots = () if _fold(rest[0]) in CLOSED_WORDS else parse_slots(rest[0])
            days[day] = SpecialDay(day, slots)
        except ConfigError as error:
            raise ConfigError(f"line {number}: {error}") from None
    return tuple(days[day] for day in sorted(days))


def format_special_days(days: Iterable[SpecialDay], closed: str) -> str:
    """One line per day; ``closed`` is the word the reader's language uses."""
    return "\n".join(
        f"{special.day.isoformat()} {format_slots(special.slots) or closed}" for special in days
    )


def parse_closures(text: str) -> tuple[Closure, ...]:
    """One closure per line: a first and a last date (both included), or one date."""
    closures = []
    for number, line in _lines(text):
        words = [word for word in line.split() if _fold(word) not in _FILLERS]
        if not 1 <= len(words) <= 2:
            raise ConfigError(
                f"line {number}: write the first and last dates: 2026-08-01 2026-08-15"
            )
        first, last = _date(number, words[0]), _date(number, words[-1])
        if last < first:
            raise ConfigError(f"line {number}: {last} comes before {first}")
        closures.append(Closure(first, last))
    return tuple(sorted(closures, key=lambda closure: closure.first))


def format_closures(closures: Iterable[Closure]) -> str:
    return "\n".join(
        c.first.isoformat() if c.first == c.last else f"{c.first.isoformat()} {c.last.isoformat()}"
        for c in closures
    )


def slug(name: str, taken: Iterable[str] = ()) -> str:
    """An id from a name ("Trouver un emploi" -> "trouver-un-emploi"), not in ``taken``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:56].strip("-") or "x"
    used = set(taken)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
