"""A Cité and its poles: the thematic entries a visitor chooses from (R4)."""

from __future__ import annotations

import re

import msgspec

from .errors import ConfigError

MIN_POLES = 3
MAX_POLES = 7
_SLUG = re.compile(r"[a-z0-9-]{1,64}")


class Pole(msgspec.Struct, frozen=True):
    id: str
    name: str
    description: str = ""


class Cite(msgspec.Struct, frozen=True):
    """What a Cité publishes: its name and poles, nothing about who staffs them (R2)."""

    name: str
    poles: tuple[Pole, ...]

    def __post_init__(self) -> None:
        if not MIN_POLES <= len(self.poles) <= MAX_POLES:
            raise ConfigError(f"a Cité publishes {MIN_POLES} to {MAX_POLES} poles")
        ids = [p.id for p in self.poles]
        if len(set(ids)) != len(ids):
            raise ConfigError("pole ids must be unique")
        for pole in self.poles:
            if not _SLUG.fullmatch(pole.id):
                raise ConfigError(f"bad pole id {pole.id!r}")
            if not pole.name.strip():
                raise ConfigError("a pole needs a name")

    def pole(self, pole_id: str) -> Pole | None:
        for pole in self.poles:
            if pole.id == pole_id:
                return pole
        return None
