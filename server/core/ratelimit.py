"""A token bucket, fed the current time by its caller."""

from __future__ import annotations

import msgspec


class TokenBucket(msgspec.Struct):
    """``rate`` tokens per second, at most ``burst`` saved up."""

    rate: float
    burst: float
    tokens: float = 0.0
    stamp: float | None = None

    def allow(self, now: float, cost: float = 1.0) -> bool:
        if self.stamp is None:
            self.tokens, self.stamp = self.burst, now
        elapsed = max(now - self.stamp, 0.0)  # a clock that steps back refills nothing
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = max(now, self.stamp)
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False
