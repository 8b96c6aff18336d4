"""Log lines: their JSON shape and what they never carry, over plain records."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest

from server.web.logs import JsonLines, NoAddresses, NoRoutineSockets, configure, purge


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("parole.test", logging.WARNING, __file__, 1, msg, args, None)
    made.__dict__.update(extra)
    return made


def test_a_line_is_one_json_object_with_its_code_and_pole() -> None:
    line = JsonLines().format(record("leases not kept: %s", "unavailable", code="unavailable"))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["event"] == "leases not kept: unavailable" and parsed["code"] == "unavailable"
    assert parsed["level"] == "warning" and parsed["logger"] == "parole.test"
    assert parsed["process"] == os.getpid() and parsed["time"].endswith("+00:00")
    assert "pole" not in parsed and "traceback" not in parsed
    assert json.loads(JsonLines().format(record("closed", pole="emploi")))["pole"] == "emploi"


def test_an_exception_keeps_its_stack_on_the_same_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failed = record("unexpected error")
        failed.exc_info = sys.exc_info()
    line = JsonLines().format(failed)
    assert "\n" not in line
    assert json.loads(line)["traceback"].startswith("Traceback (most recent call last):")


def test_routine_socket_lines_are_dropped_and_refusals_kept() -> None:
    keep = NoRoutineSockets().filter
    assert not keep(record("connection open")) and not keep(record("connection closed"))
    assert not keep(record('%s - "WebSocket %s" [accepted]', "1.2.3.4:5", "/ws/visitor"))
    assert keep(record('%s - "WebSocket %s" 403', "1.2.3.4:5", "/ws/visitor"))
    # websockets' debug trace of frames and headers carries messages and cookies.
    assert not keep(record("< %s", 'TEXT \'{"type": "send"...\' [40 bytes]'))
    assert not keep(record("< %s: %s", "Cookie", "parole_staff=secret"))
    assert not keep(record("> %s", 'TEXT \'{"type": "event"...\' [90 bytes]'))


def test_client_addresses_are_blanked_before_formatting() -> None:
    refused = record('%s - "WebSocket %s" 403', ("203.0.113.9", 51234), "/ws/visitor")
    NoAddresses().filter(refused)
    v6 = record("%s left", "[2001:db8::1]:443")
    NoAddresses().filter(v6)
    assert refused.getMessage() == '- - "WebSocket /ws/visitor" 403'
    assert v6.getMessage() == "- left"


def test_purge_deletes_only_rotated_files_past_their_days(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    live, old, young = (tmp_path / n for n in ("p.log", "p.log.2027-01-01", "p.log.2027-01-06"))
    other = tmp_path / "other.log.2027-01-01"
    for path, age in ((live, 30), (old, 8), (young, 6), (other, 30)):
        path.write_text("")
        os.utime(path, (now - age * 86400, now - age * 86400))
    purge(live, 7, now=now)
    assert live.exists() and young.exists() and other.exists() and not old.exists()


def test_a_log_file_needs_its_folder_and_a_positive_retention(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no folder"):
        configure(file=str(tmp_path / "missing" / "p.log"))
    with pytest.raises(ValueError, match="1 or more"):
        configure(file=str(tmp_path / "p.log"), retention_days=0)
    config = configure(file=str(tmp_path / "p.log"), retention_days=3)
    handler = config["handlers"]["file"]  # type: ignore[index]
    assert handler["backupCount"] == 3 and handler["when"] == "midnight"
    assert set(configure()["handlers"]) == {"stderr"}  # type: ignore[arg-type]


def test_what_looks_like_identity_or_an_address_is_scrubbed_from_every_text() -> None:
    # A second line of defence: no code logs such things, but a careless line might.
    try:
        raise ValueError("refused jean.dupont@exemple.fr")
    except ValueError:
        failed = record(
            "from %s: call 06 12 34 56 78, IBAN %s",
            "192.168.10.20",
            "FR76 3000 6000 0112 3456 7890 189",
            pole="a@b.fr",
        )
        failed.exc_info = sys.exc_info()
    line = JsonLines().format(failed)
    for secret in ["jean.dupont", "192.168.10.20", "06 12 34 56 78", "3000 6000", "a@b.fr"]:
        assert secret not in line
    parsed = json.loads(line)
    assert parsed["event"] == "from [ip]: call [phone], IBAN [iban]"
    assert parsed["pole"] == "[email]"
    assert "ValueError: refused [email]" in parsed["traceback"]
    # What is not identity stays readable: versions, times, counts, ports.
    plain = "redis 7.0.15 at 127.0.0.1:6379 took 12.5 ms for 1024 keys on 2026-12-07"
    assert json.loads(JsonLines().format(record(plain)))["event"] == plain
