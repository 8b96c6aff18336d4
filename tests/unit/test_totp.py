"""One-time codes: the window around now, the code's shape, and a code used once."""

from __future__ import annotations

import time

import pyotp

from server.backends.memory import MemoryBackend
from server.web.staff import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # in the middle of a 30-second step
STEP = int(NOW) // 30


def test_the_codes_of_the_steps_around_now_match_and_no_others() -> None:
    code = pyotp.TOTP(SECRET).at
    for offset in (-1, 0, 1):
        assert totp.matching_step(SECRET, code(NOW, counter_offset=offset), NOW) == STEP + offset
    for offset in (-2, 2):
        assert totp.matching_step(SECRET, code(NOW, counter_offset=offset), NOW) is None


def test_a_code_may_be_typed_with_spaces_but_must_be_six_digits() -> None:
    code = pyotp.TOTP(SECRET).at(NOW)
    assert totp.matching_step(SECRET, f" {code[:3]} {code[3:]} ", NOW) == STEP
    for wrong in ("", "12345", "1234567", "abcdef", code + "0"):
        assert totp.matching_step(SECRET, wrong, NOW) is None


def test_the_uri_names_the_issuer_and_the_alias() -> None:
    uri = totp.provisioning_uri(SECRET, "Camille")
    assert uri == f"otpauth://totp/Parole:Camille?secret={SECRET}&issuer=Parole"


async def test_a_code_is_used_once_and_never_after_a_later_one() -> None:
    backend = MemoryBackend()
    generator = pyotp.TOTP(SECRET)
    now = time.time()
    current, following = generator.at(now), generator.at(now, counter_offset=1)
    assert await totp.use_code(backend, "marie", SECRET, following)
    assert not await totp.use_code(backend, "marie", SECRET, following)  # replayed
    assert not await totp.use_code(backend, "marie", SECRET, current)  # older than the last
    assert await totp.use_code(backend, "paul", SECRET, current)  # per login
