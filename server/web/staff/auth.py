"""Staff sign-in: argon2id passwords, optional TOTP, throttling, server-side sessions, CSRF.

The session cookie holds a random id; the backend keeps only its hash, with an
idle lifetime renewed on use and an absolute one checked here; a session older than
its account's ``sessions_after`` (password changed, account disabled) is void. A new
id is issued at every login. Forms carry a CSRF token that must match the session's
(or, on the login form, a short-lived pre-session cookie's).

Sign-in answers the same way whether the login exists, has TOTP, or is locked out
for too many failures: see :mod:`.throttle` and :meth:`Auth.sign_in`.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.backends import Backend
from server.core.staff import StaffAccount

from ..settings import Settings
from . import totp
from .throttle import Throttle

SESSION_COOKIE = "parole_staff"
LOGIN_CSRF_COOKIE = "parole_login"

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Verified against when the login does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_verifying = asyncio.Semaphore(2)

#: Shortest password accepted, wherever one is set (console, command line).
MIN_PASSWORD = 12


class SignIn(enum.Enum):
    OK = "ok"
    FAILED = "failed"  # wrong login, password or code: one answer for all three
    LOCKED = "locked"  # too many failures for this login name or address


class StaffSession(msgspec.Struct):
    login: str
    csrf: str
    created: float


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str) -> str | None:
    """The catalog key saying why ``password`` cannot be set, or None."""
    return "account.password.short" if len(password) < MIN_PASSWORD else None


def _key(session_id: str) -> str:
    return "staff-session:" + hashlib.sha256(session_id.encode()).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class Auth:
    def __init__(
        self,
        backend: Backend,
        settings: Settings,
        save_staff: Callable[[StaffAccount], Awaitable[None]] | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        #: Stores a changed account; the app passes Chat.save_staff, which also tells
        #: the account's open consoles (so that ended sessions close at once).
        self.save_staff = save_staff or backend.put_staff
        self.throttle = Throttle(backend, settings)

    async def sign_in(
        self, login: str, password: str, code: str, address: str
    ) -> tuple[SignIn, StaffAccount | None]:
        """Check a sign-in attempt; the account only with ``SignIn.OK``.

        An unknown login, a wrong password and a missing or wrong code on an account
        with TOTP all give FAILED and count the same way; a locked name or address
        gives LOCKED before any password is checked, known or not.
        """
        login = login.strip().lower()  # logins are lower case: "Camille" is camille
        attempt = await self.throttle.attempt(login, address)
        if await self.throttle.locked(attempt):
            return SignIn.LOCKED, None
        account = await self.check_password(login, password)
        secret = account.totp_secret if account else None
        if (
            account
            and secret
            and not await totp.use_code(self.backend, account.login, secret, code)
        ):
            account = None
        if account is None:
            await self.throttle.failed(attempt)
            return SignIn.FAILED, None
        await self.throttle.succeeded(attempt)
        return SignIn.OK, account

    async def confirm_password(self, account: StaffAccount, password: str, address: str) -> SignIn:
        """Re-check a signed-in user's password (before changing it), throttled like
        a sign-in so that a stolen session cannot guess it."""
        attempt = await self.throttle.attempt(account.login, address)
        if await self.throttle.locked(attempt):
            return SignIn.LOCKED
        if await self.check_password(account.login, password) is None:
            await self.throttle.failed(attempt)
            return SignIn.FAILED
        return SignIn.OK

    async def set_password(self, login: str, password: str) -> StaffAccount | None:
        """Store a new password hash and end every session of ``login`` opened so far."""
        async with _verifying:
            hashed = await asyncio.to_thread(hash_password, password)
        account = await self.backend.get_staff(login)
        if account is None:
            return None
        account.password_hash = hashed
        account.sessions_after = time.time()
        await self.save_staff(account)
        return account

    async def end_sessions(self, login: str) -> None:
        """Void every console session of ``login`` opened so far."""
        account = await self.backend.get_staff(login)
        if account is not None:
            account.sessions_after = time.time()
            await self.save_staff(account)

    async def remove_totp(self, login: str) -> bool:
        """Drop the second factor of ``login`` (a manager's reset); False if unknown."""
        account = await self.backend.get_staff(login)
        if account is None:
            return False
        account.totp_secret = None
        await self.save_staff(account)
        return True

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
        if account is None or account.disabled or session.created < account.sessions_after:
            await self.close_session(session_id)
            return None
        return session, account

    async def close_session(self, session_id: str | None) -> None:
        if session_id:
            await self.backend.delete_expiring(_key(session_id))
