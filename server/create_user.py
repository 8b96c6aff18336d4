"""``parole create-user``: a staff account from the command line.

This is how a fresh install gets its first manager, who then does everything else
in the manager console; and how a manager who lost their password (or their second
factor) gets back in. The password is read from the terminal, twice, or from
standard input with ``--password-stdin``; nothing secret is ever printed.

With the memory backend the account goes into the state file, which a running server
holds locked: then the command refuses, since the server would overwrite the file.
With Redis it is written there directly, servers running or not.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
import time
from collections.abc import Callable

from server.backends import Backend, open_backend
from server.core.errors import ConfigError, ParoleError
from server.core.staff import Role, StaffAccount
from server.core.text import check_label
from server.web.staff.auth import MIN_PASSWORD, hash_password

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
ALIAS_MAX = 40


class Refused(Exception):
    """Why the account was not written: one line for the terminal."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--login", required=True, help="what the person types to sign in")
    parser.add_argument("--alias", help="the name visitors see (required for a new account)")
    parser.add_argument(
        "--role", choices=[r.value for r in Role], help="required for a new account"
    )
    parser.add_argument("--poles", default=None, help="pole ids the counsellor staffs: a,b")
    parser.add_argument("--backend", default=None, help="memory:// (default) or redis://...")
    parser.add_argument("--state-file", default=None, help="memory:// only; '' for none")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    parser.add_argument(
        "--reset-password",
        action="store_true",
        help="set a new password for an existing login (ends its sessions)",
    )
    parser.add_argument(
        "--remove-totp", action="store_true", help="with --reset-password: drop the second factor"
    )


def read_password(from_stdin: bool, prompt: Callable[[str], str] = getpass.getpass) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = prompt("Password: ")
    if prompt("Password again: ") != first:
        raise Refused("the two passwords differ")
    return first


def _poles(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return list(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))


async def _check_poles(backend: Backend, poles: list[str]) -> None:
    cite = await backend.get_cite()
    if cite is None:
        return  # a fresh install: poles are set in the manager console once the Cité exists
    known = {p.id for p in cite.poles}
    unknown = [p for p in poles if p not in known]
    if unknown:
        raise Refused(f"unknown pole(s) {', '.join(unknown)}: the Cité has {', '.join(known)}")


async def write_account(
    backend: Backend, args: argparse.Namespace, password_source: Callable[[], str]
) -> str:
    """Create or reset the account; returns what to tell the operator."""
    login = args.login.strip().lower()
    if not LOGIN.fullmatch(login):
        raise Refused(
            "a login is 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    poles = _poles(args.poles)
    existing = await backend.get_staff(login)
    if existing is not None and not args.reset_password:
        raise Refused(f"the login {login!r} exists: add --reset-password to set a new password")
    if existing is None and args.reset_password:
        raise Refused(f"there is no login {login!r} to reset")
    if args.remove_totp and not args.reset_password:
        raise Refused("--remove-totp goes with --reset-password")
    if existing is None and (args.alias is None or args.role is None):
        raise Refused("a new account needs --alias and --role")
    if args.alias is not None:
        try:
            check_label("an alias", args.alias, ALIAS_MAX)
        except ConfigError as exc:
            raise Refused(str(exc)) from exc
    if poles:
        await _check_poles(backend, poles)

    password = password_source()
    if len(password) < MIN_PASSWORD:
        raise Refused(f"the password is too short: use at least {MIN_PASSWORD} characters")
    hashed = await asyncio.to_thread(hash_password, password)

    if existing is None:
        account = StaffAccount(
            login=login,
            alias=args.alias,
            password_hash=hashed,
            role=Role(args.role),
            poles=poles or [],
        )
        await backend.put_staff(account)
        return f"created {account.role.value} {login!r}, shown to visitors as {account.alias!r}"
    existing.password_hash = hashed
    existing.sessions_after = time.time()  # every open console session ends
    if args.alias is not None:
        existing.alias = args.alias
    if args.role is not None:
        existing.role = Role(args.role)
    if poles is not None:
        existing.poles = poles
    if args.remove_totp:
        existing.totp_secret = None
    await backend.put_staff(existing)
    return f"new password set for {login!r}; its open sessions are ended"


async def _run(url: str, state_file: str, args: argparse.Namespace) -> str:
    backend = open_backend(url, state_file)
    await backend.start()
    try:
        return await write_account(backend, args, lambda: read_password(args.password_stdin))
    finally:
        await backend.close()


def create_user_command(args: argparse.Namespace, url: str, state_file: str) -> int:
    if url.startswith("memory:") and not state_file:
        print(
            "parole: with memory:// and no state file the account would vanish at once: "
            "give --state-file, or a redis:// --backend",
            file=sys.stderr,
        )
        return 2
    try:
        said = asyncio.run(_run(url, state_file, args))
    except (Refused, ParoleError, ValueError) as exc:
        print(f"parole: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        print("parole: cancelled, nothing written", file=sys.stderr)
        return 1
    print(f"parole: {said}")
    return 0
