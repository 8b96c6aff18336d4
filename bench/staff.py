"""State made with Parole's own code before a scenario: counsellor accounts, waiting visitors.

Sign-in then goes through the real login form.
"""

from __future__ import annotations

import asyncio
import re
import time

import httpx

from server.backends import open_backend
from server.core.staff import Role, StaffAccount
from server.demo import DEMO_CITE
from server.web.live.chat import Chat
from server.web.settings import Settings
from server.web.staff.auth import hash_password

PASSWORD = "bench-parole-password"
_CSRF = re.compile(r'<input[^>]*name="csrf"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="csrf"')


class Throttled(Exception):
    """The server refused a sign-in as too many attempts."""


def login_name(index: int) -> str:
    return f"bench{index:05d}"


async def create_accounts(backend_url: str, count: int) -> list[str]:
    """``count`` counsellors on every demo pole, written to the shared state before any server.

    They share one password, so one argon2 hash serves them all (hashing is slow on purpose).
    """
    backend = open_backend(backend_url)
    await backend.start()
    try:
        password_hash = hash_password(PASSWORD)
        poles = [pole.id for pole in DEMO_CITE.poles]
        logins = [login_name(i) for i in range(count)]
        await asyncio.gather(
            *(
                backend.put_staff(
                    StaffAccount(
                        login=login,
                        alias=f"Conseil {i}",
                        password_hash=password_hash,
                        role=Role.COUNSELLOR,
                        poles=poles,
                    )
                )
                for i, login in enumerate(logins)
            )
        )
    finally:
        await backend.close()
    return logins


async def sign_in(base_url: str, login: str) -> tuple[str, float]:
    """Sign in through /console/login as a browser does; the Cookie header and seconds taken."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        form = await http.get("/console/login")
        found = _CSRF.search(form.text)
        if found is None:
            raise RuntimeError(f"no csrf field on the login page (HTTP {form.status_code})")
        answer = await http.post(
            "/console/login",
            data={"login": login, "password": PASSWORD, "csrf": found[1] or found[2]},
        )
        if answer.status_code == 429 or "too many" in answer.text.lower():
            raise Throttled(login)
        if answer.status_code != 303 or "parole_staff" not in answer.cookies:
            raise RuntimeError(f"sign-in of {login} refused: HTTP {answer.status_code}")
        return f"parole_staff={answer.cookies['parole_staff']}", time.monotonic() - started


async def enqueue(backend_url: str, poles: list[str], count: int) -> list[tuple[str, str, str]]:
    """``count`` waiting visitors joined through ``Chat.join``, round robin over ``poles``.

    Returns (pole, pseudonym, resume token) of each. Their sockets then attach
    by resuming: a join announces the queue to every visitor already waiting in it,
    so filling a queue of N live costs O(N²) position lookups, which is measured
    apart (``join_ramp``), not paid again by every scenario's set-up.
    """
    backend = open_backend(backend_url)
    await backend.start()
    chat = Chat(backend, Settings(backend=backend_url))
    if await backend.get_cite() is None:  # the demo Cité, as the servers will install it
        await backend.put_cite(DEMO_CITE)
    gate = asyncio.Semaphore(32)

    async def one(i: int) -> tuple[str, str, str]:
        pole, pseudonym = poles[i % len(poles)], f"attente-{i}"
        async with gate:
            _, token, _ = await chat.join(pole, pseudonym, None, None)
        return pole, pseudonym, token

    try:
        return await asyncio.gather(*(one(i) for i in range(count)))
    finally:
        await backend.close()
