"""What visitors say of a conversation, and abuse handled without identifying anyone.

- ``rate``: once per session, after its conversation ended. The score is counted in
  its (site, pole, month) cell; a comment, its identifiers taken out, is kept apart
  with its pole and month only, until ``PAROLE_COMMENT_RETENTION_DAYS`` have passed.
- ``leave`` with ``report``: the visitor ends the conversation and reports it; a
  counsellor's ``block`` ends it and refuses its source for ``PAROLE_BLOCK_COOLDOWN``
  seconds. Both are counted per pole and month. The source is the client address
  as an HMAC under a random key of the day (UTC), held by the backend and dropped
  after two days: no address is stored, and yesterday's hashes cannot be linked to
  today's once the cooldown is over.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from server.core.conversations import ConversationState
from server.core.errors import IllegalTransition, NotFound, ParoleError, ProtocolError
from server.core.feedback import (
    ABUSE,
    SATISFACTION,
    Abuse,
    Comment,
    abuse_cell,
    comment_text,
    month_of,
    satisfaction_cell,
)
from server.core.publics import ANSWERS, PUBLICS, Question, publics_cell
from server.core.staff import StaffAccount
from server.core.statistics import score_measure
from server.core.visitors import VisitorSession

from .chat import Chat

DAY = 24 * 3600.0


class Feedback:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.backend = chat.backend

    # --- what visitors say --------------------------------------------------------------
    async def rate(
        self, session: VisitorSession, conversation_id: str, score: int, comment: str
    ) -> None:
        """Count one answer (refused before the end, twice, or for another conversation)."""

        try:  # before anything is stored: a comment of control characters is none
            text = comment_text(comment) if comment.strip() else ""
        except ParoleError:
            text = ""

        def answer(stored: VisitorSession) -> VisitorSession:
            stored.rate(conversation_id)
            return stored

        try:
            stored = await self.backend.update_visitor(session.id, answer)
        except NotFound:
            raise ParoleError(conversation_id, code="not_found") from None
        month = await self._month(stored.site, stored.pole)
        cell = satisfaction_cell(stored.site, stored.pole, month, score)
        await self.backend.count_figure(SATISFACTION, cell)
        await self.chat.tally.count(stored.site, stored.pole, score_measure(score))
        if text:
            until = self.chat.clock() + self.chat.settings.comment_retention_days * DAY
            kept = Comment(secrets.token_hex(8), stored.pole, month, text, until)
            await self.backend.add_comment(kept)

    async def report(self, session: VisitorSession) -> None:
        """The visitor ends their conversation and reports it as inappropriate."""
        if session.conversation is None:
            raise IllegalTransition("nothing to report before a counsellor takes you")
        ended = await self.chat.visitor_leave(session.id)
        await self._count(Abuse.REPORTED, ended.site, ended.pole)

    async def tell(self, session: VisitorSession, question: str, answer: str) -> None:
        """Count one answer about who the visitor is, alone (R11): not with the
        conversation, the score or their other answers."""
        asked = Question(question)
        if answer not in ANSWERS[asked]:
            raise ProtocolError(f"{answer!r} is not an answer to {question}")

        def told(stored: VisitorSession) -> VisitorSession:
            stored.tell(question)
            return stored

        try:
            stored = await self.backend.update_visitor(session.id, told)
        except NotFound:
            raise ParoleError(question, code="not_found") from None
        month = await self._month(stored.site, stored.pole)
        cell = publics_cell(stored.site, stored.pole, month, asked, answer)
        await self.backend.count_figure(PUBLICS, cell)

    # --- what counsellors do ------------------------------------------------------------
    async def block(self, account: StaffAccount, conversation_id: str) -> None:
        """End an abusive conversation, refuse its session's token from now on and its
        source for the cooldown; the visitor is told, calmly."""
        conversation = await self.chat.owned(account, conversation_id)
        if conversation.state is not ConversationState.ACTIVE:
            raise IllegalTransition("this conversation has ended")

        def mark(stored: VisitorSession) -> VisitorSession:
            stored.blocked = True
            return stored

        try:  # first, so that the one ``session`` frame the visitor gets says so
            session: VisitorSession | None = await self.backend.update_visitor(
                conversation.visitor, mark
            )
        except NotFound:  # gone this very moment
            session = None
        await self.chat.end_for_visitor(conversation, "counsellor")  # colleagues too
        if session is not None:
            # Its token is refused from now on: a reload starts afresh (and is refused
            # as long as its source is).
            await self.backend.expire_visitor(session.id, 0.001)
            if session.source:
                name = f"blocked:{session.source}"
                await self.backend.put_expiring(name, b"1", self.chat.settings.block_cooldown)
        await self._count(Abuse.BLOCKED, session.site if session else "", conversation.pole)

    async def source(self, address: str) -> str:
        """What a session keeps of where it came from: the HMAC of ``address`` under
        today's key ("" without an address)."""
        return _mac(await self._key(self.chat.clock()), address) if address else ""

    async def blocked(self, address: str) -> bool:
        """Whether ``address`` was blocked within the cooldown."""
        if not address:
            return False
        now = self.chat.clock()
        keys = [await self._key(now)]
        # A session that joined before midnight UTC kept the hash under yesterday's key.
        yesterday = await self.backend.get_expiring(f"source-key:{int(now // DAY) - 1}")
        keys += [yesterday] if yesterday is not None else []
        for key in keys:
            if await self.backend.get_expiring(f"blocked:{_mac(key, address)}") is not None:
                return True
        return False

    async def _key(self, at: float) -> bytes:
        """The key of ``at``'s day (UTC), made by whichever process needs it first."""
        day = int(at // DAY)
        return await self.backend.init_expiring(
            f"source-key:{day}", secrets.token_bytes(32), 2 * DAY
        )

    async def _count(self, kind: Abuse, site: str, pole: str) -> None:
        month = await self._month(site, pole)
        await self.backend.count_figure(ABUSE, abuse_cell(pole, month, kind))
        await self.chat.tally.count(site, pole, kind.value)

    async def _month(self, site_id: str, pole: str) -> str:
        """This month at the visitor's site (else the Cité's main one)."""
        cite = await self.backend.get_cite()
        site = cite.site(site_id) if cite else None
        now = datetime.fromtimestamp(self.chat.clock(), UTC)
        return month_of(now.astimezone(site.tz) if site else now)


def _mac(key: bytes, source: str) -> str:
    return hmac.new(key, f"source\0{source}".encode(), hashlib.sha256).hexdigest()
