"""Manager pages: staff accounts, shown to visitors by alias and pole only (R2).

There is no field for the body that lends a counsellor, here or anywhere. A new
account and a reset get a generated password, shown once in the answer to that
POST and stored nowhere else (so that page is not a redirect). Every change goes
through :meth:`Chat.save_staff`, which tells the account's open consoles: a
disabled account's or a reset password's sessions then end (``sessions_after``).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

import msgspec
from starlette.responses import RedirectResponse, Response

from server.core.poles import Cite
from server.core.staff import MAX_CAPACITY, Role, StaffAccount
from server.core.text import check_label

from ..staff.auth import hash_password
from .base import Errors, ManageBase, Visit

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
ALIAS_MAX = 40
#: Generated passwords: 16 letters and digits that cannot be mistaken for one another
#: (about 79 bits), in groups of four to read out or copy.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ACTIONS = ("disable", "enable", "password", "totp")


def new_password() -> str:
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


class StaffPages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        values = {"login": "", "alias": "", "role": Role.COUNSELLOR.value, "poles": []}
        return await self._index(visit, values, Errors())

    async def _index(
        self, visit: Visit, values: dict[str, Any], errors: Errors, status: int = 200
    ) -> Response:
        return self.render(
            visit,
            "manage/staff.html",
            status,
            accounts=await self.accounts(),
            cite=await self.backend.get_cite(),
            values=values,
            errors=errors,
        )

    async def create(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        values = _read(visit)
        values["login"] = visit.form.text("login").lower()
        errors = _check(values, cite)
        if not LOGIN.fullmatch(values["login"]):
            errors.add("login", "manage.error.login")
        elif await self.backend.get_staff(values["login"]) is not None:
            errors.add("login", "manage.error.login_taken")
        if errors:
            return await self._index(visit, values, errors, status=400)
        password = new_password()
        account = StaffAccount(
            login=values["login"],
            alias=values["alias"],
            password_hash=await asyncio.to_thread(hash_password, password),
            role=Role(values["role"]),
            poles=values["poles"],
            capacity=_capacity(values),
        )
        await self.chat.save_staff(account)
        return self.render(
            visit, "manage/password.html", account=account, password=password, created=True
        )

    async def edit(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        account = await self.backend.get_staff(visit.param("login"))
        if account is None:
            return self.not_found(visit)
        if not visit.is_post:
            return self._account(visit, account, cite, _values(account), Errors())
        values = {"login": account.login, **_read(visit)}
        errors = _check(values, cite)
        role = Role(values["role"]) if "role" not in errors.fields else account.role
        if role is not Role.MANAGER and await self._last_manager(account):
            errors.add("role", "manage.error.last_manager")
        if errors:
            return self._account(visit, account, cite, values, errors, status=400)
        published = {p.id for p in cite.published} if cite else set()
        # Retired poles are not offered in the form: an assignment to one is kept for
        # the day it is restored.
        kept = [p for p in account.poles if p not in published and p not in values["poles"]]
        changed = msgspec.structs.replace(
            account,
            alias=values["alias"],
            role=role,
            poles=[*values["poles"], *kept],
            capacity=_capacity(values),
        )
        await self.chat.save_staff(changed)
        if account.login == visit.account.login and role is not Role.MANAGER:
            return RedirectResponse("/console", status_code=303)  # no longer a manager
        return self.done(f"/manage/staff/{account.login}", "staff_saved")

    async def act(self, visit: Visit) -> Response:
        """Disable or enable, reset the password, remove the second factor."""
        cite = await self.backend.get_cite()
        account = await self.backend.get_staff(visit.param("login"))
        action = visit.param("action")
        if account is None or action not in ACTIONS:
            return self.not_found(visit)
        myself = account.login == visit.account.login
        errors = Errors()
        if action == "disable" and myself:
            errors.add("", "manage.error.self_disable")
        if action == "password" and myself:
            errors.add("", "manage.error.self_password")
        if errors:
            return self._account(visit, account, cite, _values(account), errors, status=400)
        now = time.time()
        if action == "disable":
            changed = msgspec.structs.replace(account, disabled=True, sessions_after=now)
        elif action == "enable":
            changed = msgspec.structs.replace(account, disabled=False)
        elif action == "totp":
            changed = msgspec.structs.replace(account, totp_secret=None)
        else:
            password = new_password()
            hashed = await asyncio.to_thread(hash_password, password)
            changed = msgspec.structs.replace(account, password_hash=hashed, sessions_after=now)
            await self.chat.save_staff(changed)
            return self.render(
                visit, "manage/password.html", account=changed, password=password, created=False
            )
        await self.chat.save_staff(changed)
        return self.done(f"/manage/staff/{account.login}", f"staff_{action}")

    def _account(
        self,
        visit: Visit,
        account: StaffAccount,
        cite: Cite | None,
        values: dict[str, Any],
        errors: Errors,
        status: int = 200,
    ) -> Response:
        return self.render(
            visit,
            "manage/staff_member.html",
            status,
            account=account,
            cite=cite,
            values=values,
            errors=errors,
            myself=account.login == visit.account.login,
        )

    async def _last_manager(self, account: StaffAccount) -> bool:
        """``account`` is the only active manager left."""
        if account.role is not Role.MANAGER or account.disabled:
            return False
        return not any(
            other.login != account.login and other.role is Role.MANAGER and not other.disabled
            for other in await self.accounts()
        )


def _values(account: StaffAccount) -> dict[str, Any]:
    return {
        "login": account.login,
        "alias": account.alias,
        "role": account.role.value,
        "poles": list(account.poles),
        "capacity": "" if account.capacity is None else str(account.capacity),
    }


def _read(visit: Visit) -> dict[str, Any]:
    form = visit.form
    return {
        "alias": form.text("alias"),
        "role": form.text("role"),
        "poles": form.choices("poles"),
        "capacity": form.text("capacity"),
    }


def _capacity(values: dict[str, Any]) -> int | None:
    """The checked capacity field: empty for the Cité's default."""
    return int(values["capacity"]) if values.get("capacity") else None


def _check(values: dict[str, Any], cite: Cite | None) -> Errors:
    errors = Errors()
    errors.check("alias", "manage.error.alias", check_label, "an alias", values["alias"], ALIAS_MAX)
    if values["role"] not in {role.value for role in Role}:
        errors.add("role", "manage.error.role")
    published = {p.id for p in cite.published} if cite else set()
    if any(p not in published for p in values["poles"]):
        errors.add("poles", "manage.error.unknown_pole")
    capacity = values.get("capacity", "")
    if capacity and not (capacity.isdigit() and 1 <= int(capacity) <= MAX_CAPACITY):
        errors.add("capacity", "manage.error.capacity")
    return errors
