"""A counsellor's usual hours on duty, on /console/account (see :mod:`server.core.duty`).

One form of :data:`~server.core.duty.MAX_SLOTS` lines — a pole, weekdays, a span of
hours —; empty lines are dropped, and saving replaces what was stored. The console
gets the new hours at once and offers to share them in a conversation.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from server.core.duty import MAX_SLOTS, DutySlot, check_duty
from server.core.errors import ConfigError
from server.core.schedules import WEEKDAYS

from .account import PATH, AccountPages, Visit


class DutyPages:
    def __init__(self, pages: AccountPages) -> None:
        self.pages = pages
        self.auth = pages.auth

    def routes(self) -> list[Route]:
        return [Route(f"{PATH}/duty", self.pages.post(self.save), methods=["POST"])]

    async def save(self, visit: Visit) -> Response:
        rows: list[dict[str, Any]] = []
        for i in range(MAX_SLOTS):
            days = [d for d in WEEKDAYS if d in visit.form.getlist(f"days_{i}")]
            rows.append(
                {
                    "pole": visit.field(f"pole_{i}", 64),
                    "days": days,
                    "start": visit.field(f"start_{i}", 5),
                    "end": visit.field(f"end_{i}", 5),
                }
            )
        slots: list[DutySlot] = []
        problems: dict[int, str] = {}
        for i, row in enumerate(rows):
            if not (row["days"] or row["start"] or row["end"]):
                continue  # an empty line (its pole list keeps a default)
            try:
                slots.append(DutySlot(row["pole"], tuple(row["days"]), row["start"], row["end"]))
            except ConfigError as error:
                problems[i] = str(error)
        if not problems:
            try:
                check_duty(slots, visit.account.poles)
            except ConfigError as error:
                problems[0] = str(error)
        if problems:
            return await self.pages.render(
                visit.request,
                visit.session,
                visit.account,
                400,
                error="account.duty.invalid",
                error_for="duty",
                duty_values=rows,
                duty_problems=problems,
            )
        stored = await self.auth.backend.get_staff(visit.account.login)
        if stored is None:
            return self.pages.done("duty")
        stored.duty = slots
        await self.auth.save_staff(stored)
        return self.pages.done("duty")
