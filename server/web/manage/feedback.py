"""Manager page: what visitors said, and abuse, as anonymous figures (/manage/feedback).

Satisfaction per pole and month (answers by score, their number and mean), blocks
and reports per pole and month, and the comments kept — each with its pole and
month only, until they are deleted. Nothing here names a visitor, a conversation or
a counsellor.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from server.core.feedback import (
    ABUSE,
    SATISFACTION,
    SCORES,
    Abuse,
    abuse_table,
    satisfaction_table,
)
from server.core.statistics import protect

from .base import ManageBase, Visit


class FeedbackPages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        names = {pole.id: pole.name for pole in cite.poles}
        comments = await self.backend.comments(self.chat.clock())
        scores = [str(score) for score in SCORES]
        satisfaction = satisfaction_table(await self.backend.figures(SATISFACTION))
        abuse = abuse_table(await self.backend.figures(ABUSE))
        kinds = [kind.value for kind in Abuse]
        # Small cells protected as on /manage/statistics (R11); a mean is shown only
        # where every score of its row is: with the answers' number, it would give a
        # small one away.
        rated = protect([[row.counts.get(s, 0) for s in scores] for row in satisfaction])
        return self.render(
            visit,
            "manage/feedback.html",
            names=names,
            scores=scores,
            satisfaction=list(zip(satisfaction, rated.cells, rated.row_totals, strict=True)),
            abuse=list(
                zip(
                    abuse,
                    protect([[r.counts.get(k, 0) for k in kinds] for r in abuse]).cells,
                    strict=True,
                )
            ),
            comments=list(reversed(comments)),  # newest first
            retention=self.chat.settings.comment_retention_days,
        )
