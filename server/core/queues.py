"""One FIFO queue per pole, ordered by arrival ticket (R3): no privileged lane."""

from __future__ import annotations

import bisect

import msgspec


class PoleQueue(msgspec.Struct):
    """Waiting visitors of one pole as sorted (ticket, visitor id) pairs.

    Tickets come from one counter for the whole Cité, so the oldest arrival is
    always first, whatever pole a visitor started in.
    """

    entries: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self.entries)

    def push(self, ticket: int, visitor: str) -> int:
        """Add a visitor; returns their 1-based position.

        Idempotent for the same (ticket, visitor); callers always pass the ticket
        fixed in the visitor's session.
        """
        entry = (ticket, visitor)
        index = bisect.bisect_left(self.entries, entry)
        if index < len(self.entries) and self.entries[index] == entry:
            return index + 1
        self.entries.insert(index, entry)
        return index + 1

    def remove(self, ticket: int, visitor: str) -> bool:
        index = bisect.bisect_left(self.entries, (ticket, visitor))
        if index < len(self.entries) and self.entries[index] == (ticket, visitor):
            del self.entries[index]
            return True
        return False

    def pop(self) -> str | None:
        """The oldest arrival, removed; None when nobody waits."""
        return self.entries.pop(0)[1] if self.entries else None

    def position(self, ticket: int, visitor: str) -> int | None:
        """1-based position, or None if this visitor is not waiting here."""
        index = bisect.bisect_left(self.entries, (ticket, visitor))
        if index < len(self.entries) and self.entries[index] == (ticket, visitor):
            return index + 1
        return None
