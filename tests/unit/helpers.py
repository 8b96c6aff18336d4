"""Shared by the unit tests: the round trip the backends put every value through."""

from __future__ import annotations

from typing import TypeVar

import msgspec

T = TypeVar("T")


def roundtrip(value: T) -> T:
    """Encode ``value`` to msgpack and decode it back as its own type."""
    return msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=type(value))
