"""An honest wait estimate (R3): a range drawn from recent service, never a promise.

The visitor at position *k* is taken after *k* more takes in their pole. Takes
are counted over the recent past, up to now: when counsellors slow down or
leave, the time since the last take lowers the rate and the range grows at
once, instead of repeating the pace of an hour ago. Treating takes as random
arrivals at that rate, the wait for *k* of them spreads about ``sqrt(k)`` gaps
around *k* gaps; the range covers roughly 80 % of that spread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

#: Takes older than this say nothing about the wait now (seconds).
WINDOW = 3600.0
#: Takes remembered per pole.
KEPT = 20
#: Fewer recent takes than this: too little to estimate anything honest.
MIN_TAKES = 3
_SPREAD = 1.3  # ~80 % of a normal spread


class WaitRange(msgspec.Struct, frozen=True):
    """Seconds, ``low`` <= ``high``: the likely wait before being taken."""

    low: int
    high: int


def wait_range(position: int, takes: Sequence[float], now: float) -> WaitRange | None:
    """The likely wait of the visitor at ``position`` (1: next), from the times
    (epoch seconds) of the latest takes in their pole; None when too few recent
    takes to say anything honest."""
    return range_at(position, pace(takes, now))


def pace(takes: Sequence[float], now: float) -> float | None:
    """Mean seconds between a pole's recent takes, up to ``now``: the same for every
    visitor of the pole, so worked out once for all of them (see :func:`range_at`)."""
    recent = sorted(at for at in takes if now - WINDOW <= at <= now)
    if len(recent) < MIN_TAKES:
        return None
    return (now - recent[0]) / (len(recent) - 1)


def range_at(position: int, gap: float | None) -> WaitRange | None:
    """:func:`wait_range` from the pole's :func:`pace`."""
    if position < 1 or gap is None:
        return None
    spread = _SPREAD * math.sqrt(position)
    low = max(position - spread, 0.0) * gap
    high = (position + spread) * gap
    return WaitRange(low=math.floor(low), high=max(math.ceil(high), 1))
