"""Sign-in throttling that never tells whether an account exists.

Failures are counted per login name, existing or not, the same way, and per client
address, in expiring backend counters shared by every process. After too many, the
name (or the address) is refused for a while without any password being checked.
Names and addresses reach the backend only as an HMAC under a random key that the
backend itself holds: no raw IP address is stored, nor any typed name (a password
typed into the name field included).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from server.backends import Backend

from ..settings import Settings

#: The HMAC key's own name among the expiring secrets; renewed while sign-ins happen.
KEY_NAME = "signin:key"
KEY_TTL = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Attempt:
    """Who is trying, as the backend may know them: two opaque ids."""

    login: str
    address: str


class Throttle:
    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self.settings = settings

    async def _key(self) -> bytes:
        key = await self.backend.get_expiring(KEY_NAME, refresh_ttl=KEY_TTL)
        if key is None:
            # Two processes may both create one: the later write wins and is read back
            # by both from then on, so at worst a failure or two are counted apart.
            fresh = secrets.token_bytes(32)
            await self.backend.put_expiring(KEY_NAME, fresh, KEY_TTL)
            key = await self.backend.get_expiring(KEY_NAME) or fresh
        return key

    async def attempt(self, login: str, address: str) -> Attempt:
        key = await self._key()

        def mac(kind: str, value: str) -> str:
            return hmac.new(key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()

        return Attempt(mac("login", login), mac("address", address))

    async def locked(self, attempt: Attempt) -> bool:
        """Refused now, for the name or the address: check no password at all."""
        for name in (f"lock:{attempt.login}", f"lock-address:{attempt.address}"):
            if await self.backend.get_expiring(f"signin:{name}") is not None:
                return True
        return False

    async def failed(self, attempt: Attempt) -> None:
        await self._fail(attempt.login, "", self.settings.login_failures)
        await self._fail(attempt.address, "-address", self.settings.login_address_failures)

    async def _fail(self, who: str, kind: str, ceiling: int) -> None:
        if ceiling <= 0:
            return
        failures = f"signin:fail{kind}:{who}"
        if await self.backend.count(failures, self.settings.login_window) >= ceiling:
            lockout = self.settings.login_lockout
            await self.backend.put_expiring(f"signin:lock{kind}:{who}", b"1", lockout)
            # Once the lockout is over, a fresh series of attempts.
            await self.backend.delete_expiring(failures)

    async def succeeded(self, attempt: Attempt) -> None:
        """A right password (and code) clears the name's failures, not the address's."""
        await self.backend.delete_expiring(f"signin:fail:{attempt.login}")
