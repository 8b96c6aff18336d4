"""Staff sign-in: argon2id passwords, server-side sessions, CSRF tokens.

The session cookie holds a random id; the backend keeps only its hash, with an
idle lifetime renewed on use and an absolute one checked here. A new id is
issued at every login. Forms carry a CSRF token that must match the session's
(or, on the login form, a short-lived pre-session cookie's).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.backends import Backend
from server.core.staff import StaffAccount

from .settings import Settings

SESSION_COOKIE = "parole_staff"
LOGIN_CSRF_COOKIE = "parole_login"

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Verified against when the login does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_verifying = asyncio.Semaphore(2)


class StaffSession(msgspec.Struct):
    login: str
    csrf: str
    created: float


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _key(session_id: str) -> str:
    return "staff-session:" + hashlib.sha256(session_id.encode()).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class Auth:
    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self.settings = settings

    async def check_password(self, login: str, password: str) -> StaffAccount | None:
        account = await self.backend.get_staff(login)
        stored = account.password_hash if account else _DUMMY_HASH
        # argon2 takes tens of milliseconds of CPU on purpose: off the event loop, and
        # a few at a time, so sign-in attempts never stall the conversations.
        async with _verifying:
            try:
                await asyncio.to_thread(_hasher.verify, stored, password)
            except (VerificationError, InvalidHashError):
                return None
        if account is None or account.disabled:
            return None
        return account

    async def open_session(self, account: StaffAccount) -> tuple[str, StaffSession]:
        session_id = secrets.token_urlsafe(32)
        session = StaffSession(
            login=account.login, csrf=secrets.token_urlsafe(32), created=time.time()
        )
        await self.backend.put_expiring(
            _key(session_id), msgspec.msgpack.encode(session), self.settings.staff_idle
        )
        return session_id, session

    async def session(self, session_id: str | None) -> tuple[StaffSession, StaffAccount] | None:
        """The live session and its account, or None (expired, disabled, unknown)."""
        if not session_id:
            return None
        raw = await self.backend.get_expiring(_key(session_id), self.settings.staff_idle)
        if raw is None:
            return None
        session = msgspec.msgpack.decode(raw, type=StaffSession)
        if time.time() - session.created > self.settings.staff_max_age:
            await self.close_session(session_id)
            return None
        account = await self.backend.get_staff(session.login)
        if account is None or account.disabled:
            return None
        return session, account

    async def close_session(self, session_id: str | None) -> None:
        if session_id:
            await self.backend.delete_expiring(_key(session_id))
