"""Runtime settings, from the command line or ``PAROLE_*`` environment variables."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit


def _origins(value: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in value.split(",") if o.strip())


def origin(value: str) -> str:
    """``value`` as a browser writes an origin (``https://cite.example:8443``), or
    ValueError; a non-ASCII host is given in its xn-- form, as browsers send it.

    Origins are compared with ``Origin`` headers and written into the chat page's
    ``frame-ancestors``: a path, a wildcard or a stray character there would silently
    refuse every real host, or let in hosts nobody listed."""
    text = value.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"not an origin: {value!r}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not all(c.isascii() and (c.isalnum() or c in ".-:[]") for c in parts.netloc)
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
        or text.endswith(":")
    ):
        raise ValueError(f"not an origin (scheme://host[:port], nothing after): {value!r}")
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.netloc.lower().rsplit(":", 1)[0] if port is not None else parts.netloc.lower()
    # as browsers serialise it: the default port is left out
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


def _checked(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(origin(v) for v in values))


@dataclasses.dataclass(frozen=True)
class Settings:
    #: memory:// (one process) or redis://host:port/db
    backend: str = "memory://"
    #: Origins, besides Parole's own, whose pages may open Parole's websockets.
    origins: tuple[str, ...] = ()
    #: Host sites allowed to embed the chat widget in a frame.
    embed_origins: tuple[str, ...] = ()
    #: Seconds a disconnected visitor keeps their place or conversation.
    resume_grace: float = 120.0
    #: Seconds an ended conversation stays readable by its visitor before deletion.
    end_grace: float = 300.0
    #: Ceiling on the life of any visitor session, in seconds.
    session_max_age: float = 4 * 3600.0
    #: Staff console sessions: idle and absolute expiry, in seconds.
    staff_idle: float = 30 * 60.0
    staff_max_age: float = 12 * 3600.0
    #: Sign-in throttling: this many failures for one login name (existing or not)
    #: within ``login_window`` seconds refuse that name for ``login_lockout`` seconds.
    login_failures: int = 5
    login_window: float = 15 * 60.0
    login_lockout: float = 15 * 60.0
    #: Failures from one client address within the window before it is refused
    #: too (0: no ceiling per address, e.g. behind a proxy that hides addresses).
    login_address_failures: int = 50
    #: JSON file keeping the memory backend's Cité and staff accounts across restarts;
    #: "" keeps nothing (``parole serve`` defaults it to ``parole-state.json``).
    state_file: str = ""
    #: Seconds a socket's lease lasts unless its process renews it (a third of it apart):
    #: how long a dead process's visitors and consoles linger before being let go.
    lease_ttl: float = 30.0
    #: Seconds between two looks for leases that ran out.
    reap_interval: float = 1.0
    #: Least seconds between two readings of a pole's positions (so between two
    #: position updates a waiting visitor gets); the first change is sent at once.
    position_interval: float = 2.0
    #: Least seconds between two counts of who staffs each pole (told to waiting visitors).
    staffing_interval: float = 10.0
    #: Seconds a new websocket has to send ``hello`` before it is closed.
    hello_timeout: float = 10.0
    #: Conversations one counsellor may hold at once.
    capacity: int = 3
    #: Seconds an invitation to a colleague (or a direct transfer) waits for an answer.
    invitation_ttl: float = 60.0
    #: Days a visitor's comment on a conversation is kept (its pole and month only).
    comment_retention_days: int = 90
    #: Years the anonymous statistics are kept (they describe no one): whole months.
    statistics_years: int = 10
    #: Seconds a blocked source cannot join again (a keyed hash of its address only).
    block_cooldown: float = 1800.0
    #: Addresses or networks of the reverse proxies whose X-Forwarded-For is believed:
    #: without them, behind a proxy every visitor has the proxy's address, and a block
    #: or a sign-in lockout by address would hit everyone.
    trusted_proxies: tuple[str, ...] = ()
    #: Language of the catalog used when the visitor's cannot be served.
    default_lang: str = "fr"
    #: Mark cookies Secure (set it when served over HTTPS).
    secure_cookies: bool = False
    #: Load the demo Cité and counsellor account at start-up.
    demo: bool = False
    #: A file Parole writes its log lines to besides stderr ("": stderr only), started
    #: anew each midnight UTC; with several processes, one file each.
    log_file: str = ""
    #: Days a rotated log file is kept before deletion.
    log_retention_days: int = 7

    def __post_init__(self) -> None:
        # frozen: the checked, normalised forms replace what was given
        object.__setattr__(self, "origins", _checked(self.origins))
        object.__setattr__(self, "embed_origins", _checked(self.embed_origins))
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"not an address or network: {proxy!r}") from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides: object) -> Settings:
        """Defaults, then ``PAROLE_<FIELD>`` variables, then explicit overrides."""
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(f"PAROLE_{field.name.upper()}")
            if raw is None:
                continue
            if field.type in ("tuple[str, ...]",):
                values[field.name] = _origins(raw)
            elif field.type == "bool":
                values[field.name] = raw.lower() in ("1", "true", "yes", "on")
            elif field.type == "float":
                values[field.name] = float(raw)
            elif field.type == "int":
                values[field.name] = int(raw)
            else:
                values[field.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
