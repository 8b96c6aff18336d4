"""Logging that keeps no visitor data: no IP address, no text, no pseudonym, no token,
written as one JSON object per line, and kept a few days at most.

Uvicorn's access log is off; its websocket lines name the client address, which
this filter blanks before anything is written. The lines it writes for every
websocket it accepts, opens and closes are dropped: they say nothing an operator can
use, and when a crashed process's visitors all come back to this one, writing them
took about 4 % of the CPU of the recovery. Refused handshakes are still logged.

As a second line of defence, what the identity guard finds (an email, a phone
number...) and IPv4 addresses are scrubbed from every text a line carries, the
traceback included: "[email]", "[ip]".

A line holds: ``time`` (UTC), ``level``, ``logger``, ``event`` (the message), and
when the code gave them ``code`` (a ParoleError's code) and ``pole``; ``process`` is
the pid, so that lines of several processes in one journal can be told apart.
Parole's own log files (``PAROLE_LOG_FILE``) start anew at midnight UTC and are
deleted after ``PAROLE_LOG_RETENTION_DAYS`` days.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import time
from pathlib import Path

from server.core import identity

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


#: What uvicorn and websockets say of every socket that works as it should.
_ROUTINE = ("connection open", "connection closed")


class NoRoutineSockets(logging.Filter):
    """Drops the routine lines, and at debug level websockets' trace of each frame and
    header it reads ("< …") or writes ("> …"): a visitor's messages, a staff cookie."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(("< ", "> ")):
            return False
        return not (message.endswith('" [accepted]') or message in _ROUTINE)


# An IPv4 address anywhere in a text (uvicorn's own are blanked earlier, by NoAddresses).
_IPV4 = re.compile(
    r"(?<![0-9.])(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?![0-9.])"
)


def private(text: str) -> str:
    """``text`` without what looks like a person's identity or an IPv4 address (but
    loopback and 0.0.0.0, where a server listens, which are nobody's)."""
    return _IPV4.sub(_ip, identity.scrub(text))


def _ip(match: re.Match[str]) -> str:
    address = match.group()
    return address if address.startswith("127.") or address == "0.0.0.0" else "[ip]"


#: Extra fields a call may give (``log.warning(..., extra={"code": exc.code})``).
FIELDS = ("code", "pole")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": private(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = private(value) if isinstance(value, str) else value
        line["process"] = record.process
        if record.exc_info:
            # The stack says where; exception messages name no visitor data (codes only).
            line["traceback"] = private(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def purge(path: Path, days: int, now: float | None = None) -> None:
    """Delete the rotated files of ``path`` older than ``days`` days: rotation deletes
    only at a rollover, and a server stopped for a week would find them all still there."""
    limit = (time.time() if now is None else now) - days * 86400
    for old in path.parent.glob(f"{path.name}.*"):
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


def _looks_like_address(value: object) -> bool:
    if isinstance(value, tuple):
        return len(value) == 2 and isinstance(value[1], int)
    return isinstance(value, str) and bool(_ADDRESS.fullmatch(value))


def configure(level: str = "info", file: str = "", retention_days: int = 7) -> dict[str, object]:
    """A dictConfig for uvicorn and Parole's own loggers: JSON lines on stderr, and in
    ``file`` too when given, rotated daily and kept ``retention_days`` days."""
    handlers: dict[str, object] = {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["private"]}
    }
    if file:
        if retention_days < 1:
            raise ValueError("PAROLE_LOG_RETENTION_DAYS must be 1 or more")
        if not Path(file).parent.is_dir():
            raise ValueError(f"no folder for the log file {file}")
        purge(Path(file), retention_days)
        handlers["file"] = {
            "class": "logging.handlers.TimedRotatingFileHandler",
            "filename": file,
            "when": "midnight",
            "utc": True,
            "backupCount": retention_days,
            "encoding": "utf-8",
            "formatter": "json",
            "filters": ["private"],
        }
    names = list(handlers)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"private": {"()": NoAddresses}, "routine": {"()": NoRoutineSockets}},
        "formatters": {"json": {"()": JsonLines}},
        "handlers": handlers,
        "loggers": {
            "uvicorn": {"handlers": names, "level": level.upper(), "propagate": False},
            # On the logger, not the handler: the record is dropped before it is formatted.
            "uvicorn.error": {"filters": ["routine"]},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "parole": {"handlers": names, "level": level.upper(), "propagate": False},
        },
    }
