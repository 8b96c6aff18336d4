"""Shared state and delivery behind one interface, chosen by URL (memory://, redis://)."""

from __future__ import annotations

from .base import Backend
from .fanout import Subscriber


def open_backend(url: str) -> Backend:
    """The backend for ``url``; its module is imported only when asked for."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "memory":
        from .memory import MemoryBackend

        return MemoryBackend()
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisBackend

        return RedisBackend(url)
    raise ValueError(f"unknown backend {url!r}: use memory:// or redis://host:port/db")


__all__ = ["Backend", "Subscriber", "open_backend"]
