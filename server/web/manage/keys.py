"""/manage/keys: the keys that sign proofs of visit, and their rotation."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from ..live.chat import Chat
from ..proofs.keys import Keys
from ..staff.auth import Auth
from ..templates import Templates
from .base import ManageBase, Visit


def day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


class KeyPages(ManageBase):
    def __init__(self, chat: Chat, auth: Auth, templates: Templates, keys: Keys) -> None:
        super().__init__(chat, auth, templates)
        self.keys = keys

    async def index(self, visit: Visit) -> Response:
        ring = await self.keys.ring()
        rows = [
            {
                "id": key.id,
                "created": day(key.created),
                "retired": day(key.retired) if key.retired is not None else "",
            }
            for key in reversed(ring.keys)
        ]
        return self.render(visit, "manage/keys.html", keys=rows)

    async def rotate(self, visit: Visit) -> Response:
        await self.keys.rotate()
        return self.done("/manage/keys", "rotated")
