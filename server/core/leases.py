"""Leases: a holder renews them while alive; the first to claim an expired one acts on it.

A server process renews the leases of the visitors and consoles it holds. When a
socket closes, its lease is left to run for the resume grace; when a process
dies, its leases simply stop being renewed. Either way, once a lease is due,
exactly one process claims it and ends what nobody came back for.
"""

from __future__ import annotations

import heapq

import msgspec


class LeaseTable(msgspec.Struct):
    """Members and their expiry times (any clock, as long as it is one clock)."""

    expiry: dict[str, float] = {}
    heap: list[tuple[float, str]] = []  # may hold stale entries; ``expiry`` is the truth

    def renew(self, member: str, until: float) -> None:
        self.expiry[member] = until
        heapq.heappush(self.heap, (until, member))

    def drop(self, member: str) -> None:
        self.expiry.pop(member, None)

    def claim(self, now: float, limit: int) -> list[str]:
        """Remove and return up to ``limit`` members whose time is at or before ``now``."""
        claimed: list[str] = []
        while self.heap and self.heap[0][0] <= now and len(claimed) < limit:
            until, member = heapq.heappop(self.heap)
            if self.expiry.get(member) == until:
                del self.expiry[member]
                claimed.append(member)
        return claimed
