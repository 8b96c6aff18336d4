"""Manager pages: the canned replies shared with each pole's counsellors.

Add, edit, remove; each change reaches the open consoles at once. A reply belongs
to one pole and is reached under that pole's address only (else 404, nothing
changed). Counsellors keep their own on /console/account (:mod:`server.web.staff.replies`).
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from server.core.errors import ConfigError
from server.core.poles import Pole

from ..staff.replies import read_reply
from .base import Errors, ManageBase, Visit
from .resources import find_pole


class ReplyPages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        """A pole's shared replies, and the form adding one (POST)."""
        pole = find_pole(await self.backend.get_cite(), visit.param("pole"))
        if pole is None:
            return self.not_found(visit)
        if not visit.is_post:
            return await self._page(visit, pole, {}, Errors())
        return await self._save(visit, pole, secrets.token_hex(5), "reply_created")

    async def edit(self, visit: Visit) -> Response:
        pole = find_pole(await self.backend.get_cite(), visit.param("pole"))
        reply_id = visit.param("reply")
        library = await self.backend.get_library()
        if pole is None or not any(r.id == reply_id for r in library.replies_of(pole.id)):
            return self.not_found(visit)
        return await self._save(visit, pole, reply_id, "reply_saved")

    async def remove(self, visit: Visit) -> Response:
        pole = find_pole(await self.backend.get_cite(), visit.param("pole"))
        if pole is None:
            return self.not_found(visit)
        reply_id = visit.param("reply")
        try:
            await self.backend.update_library(lambda lib: lib.remove_reply(pole.id, reply_id))
        except ConfigError:  # not one of this pole's
            return self.not_found(visit)
        await self.chat.library_changed()
        return self.done(f"/manage/replies/{pole.id}", "reply_removed")

    async def _save(self, visit: Visit, pole: Pole, reply_id: str, done: str) -> Response:
        reply, values, problems = read_reply(visit.form.field, reply_id, pole.id)
        errors = Errors()
        for name, detail in problems.items():
            errors.add(f"{reply_id}-{name}", f"manage.error.reply_{name}", detail)
        if reply is not None:
            try:
                await self.backend.update_library(lambda library: library.put_reply(reply))
            except ConfigError as error:  # thirty already
                errors.add("", "manage.error.config", str(error))
        if errors:
            return await self._page(visit, pole, {"id": reply_id, **values}, errors, 400)
        await self.chat.library_changed()
        return self.done(f"/manage/replies/{pole.id}", done)

    async def _page(
        self, visit: Visit, pole: Pole, values: dict[str, Any], errors: Errors, status: int = 200
    ) -> Response:
        library = await self.backend.get_library()
        replies = library.replies_of(pole.id)
        adding = bool(values) and values["id"] not in [r.id for r in replies]
        return self.render(
            visit,
            "manage/replies.html",
            status,
            pole=pole,
            replies=replies,
            values=values,
            adding=adding,
            errors=errors,
        )
