"""Shared state and delivery behind one interface, chosen by URL (memory://, redis://)."""

from __future__ import annotations

from .base import Backend
from .fanout import Subscriber


def open_backend(url: str, state_file: str = "") -> Backend:
    """The backend for ``url``; its module is imported only when asked for.

    ``state_file`` (memory only): where the Cité and staff accounts are kept across
    restarts; "" keeps nothing. Redis keeps its own.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "memory":
        from .memory import MemoryBackend

        return MemoryBackend(state_file=state_file or None)
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisBackend

        return RedisBackend(url)
    raise ValueError(f"unknown backend {url!r}: use memory:// or redis://host:port/db")


__all__ = ["Backend", "Subscriber", "open_backend"]
