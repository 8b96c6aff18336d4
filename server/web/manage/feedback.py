"""Manager page: what visitors said, and abuse, as anonymous figures (/manage/feedback).

Satisfaction per pole and month (answers by score, their number and mean), blocks
and reports per pole and month, and the comments kept — each with its pole and
month only, until they are deleted. Nothing here names a visitor, a conversation or
a counsellor.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from server.core.feedback import ABUSE, SATISFACTION, SCORES, abuse_table, satisfaction_table

from .base import ManageBase, Visit


class FeedbackPages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        names = {pole.id: pole.name for pole in cite.poles}
        comments = await self.backend.comments(self.chat.clock())
        return self.render(
            visit,
            "manage/feedback.html",
            names=names,
            scores=[str(score) for score in SCORES],
            satisfaction=satisfaction_table(await self.backend.figures(SATISFACTION)),
            abuse=abuse_table(await self.backend.figures(ABUSE)),
            comments=list(reversed(comments)),  # newest first
            retention=self.chat.settings.comment_retention_days,
        )
