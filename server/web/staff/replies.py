"""A counsellor's own canned replies, on /console/account (managers keep the shared ones
per pole, in /manage: :mod:`server.web.manage.replies`).

Add, edit and remove; each change is stored on the account and reaches the open
consoles at once (``AccountChanged``). A reply of someone else's cannot be reached:
the id is looked up among the signed-in account's own.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.routing import Route

from server.core.errors import ConfigError
from server.core.replies import NAME_MAX, TEXT_MAX, Reply, put_reply, remove_reply
from server.core.staff import StaffAccount

from .account import PATH, AccountPages, Visit


def read_reply(
    field: Callable[[str, int], str], reply_id: str, pole: str | None
) -> tuple[Reply | None, dict[str, str], dict[str, str]]:
    """The reply a form describes: (reply or None, typed values, {field: detail})."""
    values = {
        "name": field("name", NAME_MAX * 4).strip(),
        # Browsers send a textarea's lines apart by CRLF.
        "text": field("text", TEXT_MAX * 4).replace("\r\n", "\n").strip(),
    }
    problems: dict[str, str] = {}
    for name, probe in (("name", {"text": "-"}), ("text", {"name": "-"})):
        try:
            Reply(reply_id, pole=pole, **{**probe, name: values[name]})
        except ConfigError as error:
            problems[name] = str(error)
    if problems:
        return None, values, problems
    return Reply(reply_id, values["name"], values["text"], pole), values, problems


class ReplyPages:
    def __init__(self, pages: AccountPages) -> None:
        self.pages = pages
        self.auth = pages.auth

    def routes(self) -> list[Route]:
        post = self.pages.post
        return [
            Route(f"{PATH}/replies", post(self.create), methods=["POST"]),
            Route(f"{PATH}/replies/{{reply}}", post(self.edit), methods=["POST"]),
            Route(f"{PATH}/replies/{{reply}}/remove", post(self.remove), methods=["POST"]),
        ]

    async def create(self, visit: Visit) -> Response:
        return await self._save(visit, secrets.token_hex(5), "reply_added")

    async def edit(self, visit: Visit) -> Response:
        reply_id = str(visit.request.path_params["reply"])
        if not any(r.id == reply_id for r in visit.account.replies):
            return await self.pages.error(visit, "replies", "account.replies.missing", 404)
        return await self._save(visit, reply_id, "reply_saved")

    async def _save(self, visit: Visit, reply_id: str, done: str) -> Response:
        reply, values, problems = read_reply(visit.field, reply_id, None)
        if reply is None:
            return await self._refused(visit, reply_id, values, problems)
        try:
            await self._change(visit.account, lambda replies: put_reply(replies, reply))
        except ConfigError:  # thirty already
            return await self._refused(visit, reply_id, values, {}, "account.replies.full")
        return self.pages.done(done)

    async def remove(self, visit: Visit) -> Response:
        reply_id = str(visit.request.path_params["reply"])
        try:
            await self._change(visit.account, lambda replies: remove_reply(replies, reply_id))
        except ConfigError:
            return await self.pages.error(visit, "replies", "account.replies.missing", 404)
        return self.pages.done("reply_removed")

    async def _change(self, account: StaffAccount, change: Callable[[list[Reply]], None]) -> None:
        """Change the account's replies as stored now (not as this request read it)."""
        stored = await self.auth.backend.get_staff(account.login)
        if stored is None:
            raise ConfigError("no such account")
        change(stored.replies)
        await self.auth.save_staff(stored)

    def _refused(
        self,
        visit: Visit,
        reply_id: str,
        values: dict[str, str],
        problems: dict[str, str],
        error: str = "account.replies.invalid",
    ) -> Awaitable[Response]:
        return self.pages.render(
            visit.request,
            visit.session,
            visit.account,
            400,
            error=error,
            error_for="replies",
            reply_values={"id": reply_id, **values},
            reply_problems=problems,
        )
