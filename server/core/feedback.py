"""What visitors say of a conversation, and abuse, kept as anonymous figures only.

- Satisfaction: one answer, 1 to 5, per ended conversation, counted in a cell
  (site, pole, month, score): no conversation, no visitor, no counsellor, no time
  finer than the month.
- A comment (at most :data:`COMMENT_MAX` characters) is kept apart from its score and
  its conversation — its pole and month only —, with what looks like an email
  address, a phone number or another identifier taken out first, until a date after
  which every store drops it (``PAROLE_COMMENT_RETENTION_DAYS``).
- Abuse: a counsellor's block and a visitor's report are counted per pole and month.

Figures are named counters (``satisfaction``, ``abuse``) of cells written as
``part|part|…``; :func:`satisfaction_table` and :func:`abuse_table` read them back.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from .identity import scrub
from .text import clean_text

COMMENT_MAX = 500
SCORES = (1, 2, 3, 4, 5)
SATISFACTION = "satisfaction"
ABUSE = "abuse"
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


class Abuse(enum.Enum):
    BLOCKED = "blocked"  # a counsellor ended the conversation and blocked its source
    REPORTED = "reported"  # the visitor ended it and reported it as inappropriate


def month_of(at: datetime) -> str:
    """The month a figure is counted in, of an aware ``at`` in the site's time zone."""
    return f"{at.year:04d}-{at.month:02d}"


def satisfaction_cell(site: str, pole: str, month: str, score: int) -> str:
    if score not in SCORES:
        raise ValueError(f"a score is 1 to 5, not {score!r}")
    return f"{site}|{pole}|{month}|{score}"


def abuse_cell(pole: str, month: str, kind: Abuse) -> str:
    return f"{pole}|{month}|{kind.value}"


class Comment(msgspec.Struct, frozen=True):
    """A visitor's comment, apart from any conversation: its pole and month only.
    ``id`` keeps two equal texts apart; ``until`` is when it is deleted (epoch s)."""

    id: str
    pole: str
    month: str
    text: str
    until: float


def comment_text(text: str) -> str:
    """What is kept of a comment: cleaned, at most :data:`COMMENT_MAX` characters, and
    each thing that looks like an identity replaced by its kind (``[email]``)."""
    return scrub(clean_text(text))[:COMMENT_MAX]


@dataclass
class Row:
    """One line of a figure table: a pole in a month."""

    pole: str
    month: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        """The mean score of a satisfaction row (None without answers)."""
        answers = sum(self.counts.get(str(s), 0) for s in SCORES)
        if not answers:
            return None
        return sum(s * self.counts.get(str(s), 0) for s in SCORES) / answers


def satisfaction_table(figures: dict[str, int], site: str | None = None) -> list[Row]:
    """Rows per pole and month, newest month first, of every site or of ``site``;
    counts by score (as text: "1" … "5"). Cells not of this form are skipped."""
    rows: dict[tuple[str, str], Row] = {}
    for cell, count in figures.items():
        parts = cell.split("|")
        if len(parts) != 4 or not _MONTH.fullmatch(parts[2]) or parts[3] not in "12345":
            continue
        cell_site, pole, month, score = parts
        if site is not None and cell_site != site:
            continue
        row = rows.setdefault((pole, month), Row(pole, month))
        row.counts[score] = row.counts.get(score, 0) + count
    return _sorted(rows)


def abuse_table(figures: dict[str, int]) -> list[Row]:
    """Rows per pole and month, newest month first; counts by kind (``blocked``...)."""
    kinds = {kind.value for kind in Abuse}
    rows: dict[tuple[str, str], Row] = {}
    for cell, count in figures.items():
        parts = cell.split("|")
        if len(parts) != 3 or not _MONTH.fullmatch(parts[1]) or parts[2] not in kinds:
            continue
        pole, month, kind = parts
        row = rows.setdefault((pole, month), Row(pole, month))
        row.counts[kind] = row.counts.get(kind, 0) + count
    return _sorted(rows)


def _sorted(rows: dict[tuple[str, str], Row]) -> list[Row]:
    """Newest month first, poles in order within a month (two stable sorts)."""
    by_pole = sorted(rows.values(), key=lambda row: row.pole)
    return sorted(by_pole, key=lambda row: row.month, reverse=True)
