"""Logging that keeps no visitor data: no IP address, no text, no pseudonym, no token.

Uvicorn's access log is off; its websocket lines name the client address, which
this filter blanks before anything is written. The line it writes for every
websocket it accepts is dropped: it says nothing an operator can use, and when a
crashed process's visitors all come back to this one, writing those lines took
about 4 % of the CPU of the recovery. Refused handshakes are still logged.
"""

from __future__ import annotations

import logging
import re

# "host:port" as uvicorn formats a client address (IPv4, or IPv6 with or without brackets)
_ADDRESS = re.compile(r"\[?[0-9a-fA-F:.]+\]?:\d+")


class NoAddresses(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                "-" if isinstance(a, (tuple, str)) and _looks_like_address(a) else a
                for a in record.args
            )
        return True


class NoAcceptedSockets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.endswith('" [accepted]'))


def _looks_like_address(value: object) -> bool:
    if isinstance(value, tuple):
        return len(value) == 2 and isinstance(value[1], int)
    return isinstance(value, str) and bool(_ADDRESS.fullmatch(value))


def configure(level: str = "info") -> dict[str, object]:
    """A dictConfig for uvicorn and Parole's own loggers."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "no_addresses": {"()": NoAddresses},
            "no_accepted_sockets": {"()": NoAcceptedSockets},
        },
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["no_addresses"],
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            # On the logger, not the handler: the record is dropped before it is formatted.
            "uvicorn.error": {"filters": ["no_accepted_sockets"]},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "parole": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }
