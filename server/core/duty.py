"""A counsellor's usual hours on duty, which they may share with a visitor (charter 002,
"L'anonymat vu du côté conseiller"): "Camille est au pôle Emploi le mardi et le jeudi,
de 14:00 à 18:00", so that a visitor who wishes to talk to them again can come back
then. It grants no priority: the queue stays in order of arrival.
"""

from __future__ import annotations

import re

import msgspec

from .errors import ConfigError
from .schedules import WEEKDAYS

#: Lines a counsellor may give (a pole, some weekdays, one span of hours each).
MAX_SLOTS = 4
_ID = re.compile(r"[a-z0-9-]{1,64}")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")


class DutySlot(msgspec.Struct, frozen=True):
    """At ``pole``, on ``days`` (weekday names, in week order), from ``start`` to ``end``
    (HH:MM, the site's local time)."""

    pole: str
    days: tuple[str, ...]
    start: str
    end: str

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.pole):
            raise ConfigError(f"bad pole {self.pole!r}")
        if not self.days or any(day not in WEEKDAYS for day in self.days):
            raise ConfigError("a line of duty names one weekday or more")
        if list(self.days) != sorted(set(self.days), key=WEEKDAYS.index):
            raise ConfigError("weekdays are given once each, in week order")
        if not (_HHMM.fullmatch(self.start) and _HHMM.fullmatch(self.end)):
            raise ConfigError("hours are HH:MM, 00:00 to 24:00")
        if self.start >= self.end:
            raise ConfigError("a span of duty ends after it starts")


def check_duty(slots: list[DutySlot], poles: list[str]) -> None:
    """At most :data:`MAX_SLOTS` lines, each at one of the counsellor's ``poles``."""
    if len(slots) > MAX_SLOTS:
        raise ConfigError(f"at most {MAX_SLOTS} lines of duty")
    for slot in slots:
        if slot.pole not in poles:
            raise ConfigError(f"the pole {slot.pole!r} is not one of this account's")
