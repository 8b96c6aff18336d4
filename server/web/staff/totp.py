"""The optional second factor: time-based one-time codes (RFC 6238), through pyotp.

A code is accepted in the current 30-second step or the one before or after (clock
drift), and once only: the last step used by a login is kept in an expiring backend
key, so a code seen over a shoulder or replayed from a log fails.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import pyotp

from server.backends import Backend

ISSUER = "Parole"
#: Steps either side of the current one that are still accepted.
WINDOW = 1
#: A step can be accepted until the end of the next one: keep what was used longer.
USED_TTL = 4 * 30.0


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, alias: str) -> str:
    """What an authenticator app reads: issuer Parole, the alias (R2: no institution)."""
    return pyotp.TOTP(secret).provisioning_uri(name=alias, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code ``code`` is, within the window, or None."""
    code = code.replace(" ", "").strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def use_code(backend: Backend, login: str, secret: str, code: str) -> bool:
    """True if ``code`` is valid now and no code of this step or a later one was used."""
    step = matching_step(secret, code, time.time())
    if step is None:
        return False
    owner = hashlib.sha256(login.encode()).hexdigest()
    last = await backend.get_expiring(f"totp:last:{owner}")
    if last is not None and int(last) >= step:
        return False
    # Two requests racing with one code: only the first to count the step gets in.
    if await backend.count(f"totp:step:{owner}:{step}", USED_TTL) != 1:
        return False
    await backend.put_expiring(f"totp:last:{owner}", str(step).encode(), USED_TTL)
    return True
