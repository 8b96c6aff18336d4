"""Colleagues: asking one into a conversation, or transferring to one directly (R6).

An invitation waits in the conversation itself (so that of two answers, or an answer
and a withdrawal, one wins) and on the colleague's desk (so that every console of
theirs, even one opened later, shows it). Its lease runs out at ``invitation_ttl``:
whichever process claims it tells both counsellors, and a direct transfer nobody
accepted sends the visitor to the pole's queue at their first-arrival place.
"""

from __future__ import annotations

from functools import partial

from msgspec.structs import replace as _copy

from protocol.messages import ColleagueInfo
from protocol.messages import Conversation as ConversationMessage
from protocol.messages import Invitation as InvitationMessage
from server.core.conversations import Conversation, Invitation
from server.core.errors import NotFound, ParoleError, UnknownInvitation
from server.core.staff import Desk, StaffAccount
from server.core.statistics import Measure, transfer_measure
from server.core.text import clean_text
from server.core.visitors import VisitorSession

from .chat import (
    INVITATION,
    Chat,
    colleague_id,
    conversation_info,
    invitation_info,
    invitation_member,
    session_message,
    staff_channel,
    visitor_channel,
)


class Colleagues:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.backend = chat.backend

    async def listed(self, account: StaffAccount) -> list[ColleagueInfo]:
        """Every other enabled counsellor of a published pole, available ones first."""
        cite = await self.chat.cite()
        published = [p.id for p in cite.published]
        found = []
        for other in await self._others(account):
            poles = [p for p in published if other.can_staff(p)]
            if poles:
                desk = await self.backend.get_desk(other.login)
                found.append(
                    ColleagueInfo(
                        id=colleague_id(other.login),
                        alias=other.alias,
                        poles=poles,
                        available=desk is not None and desk.has_room,
                    )
                )
        return sorted(found, key=lambda c: (not c.available, c.alias.casefold()))

    async def invite(
        self,
        account: StaffAccount,
        conversation_id: str,
        colleague: str,
        *,
        pole: str | None = None,
        note: str = "",
    ) -> None:
        """Ask ``colleague`` into a conversation ``account`` is in; with ``pole``, a
        direct transfer: they would take it over alone in that pole."""
        conversation = await self.chat.owned(account, conversation_id)
        if pole is not None:
            await self.chat.check_target(conversation, pole)
        other = await self._colleague(account, colleague)
        shown = pole or self._shown_pole(conversation, other)
        desk = await self.backend.get_desk(other.login)
        if shown is None or not other.can_staff(shown) or desk is None or not desk.has_room:
            raise ParoleError(colleague, code="colleague_unavailable")
        now = self.chat.clock()
        ttl = self.chat.settings.invitation_ttl
        invitation = Invitation(
            to=other.login,
            alias=other.alias,
            by=account.login,
            by_alias=account.alias,
            pole=shown,
            until=now + ttl,
            transfer=pole is not None,
            note=clean_text(note) if note else "",
        )
        try:
            await self.backend.update_conversation(
                conversation_id, lambda c: c.invite(invitation, now)
            )
        except NotFound:
            raise ParoleError(conversation_id, code="unknown_conversation") from None
        await self.backend.update_desk(
            other.login, partial(Desk.invite, conversation=conversation_id)
        )
        await self.backend.renew_leases(
            INVITATION, [invitation_member(conversation_id, other.login)], ttl
        )
        for login, incoming in ((other.login, True), (account.login, False)):
            info = invitation_info(conversation, invitation, incoming=incoming)
            await self.chat.publish(staff_channel(login), InvitationMessage(info=info))
        await self.chat.tally.count(conversation.site, conversation.pole, Measure.INVITED)

    async def reply(self, account: StaffAccount, conversation_id: str, accept: bool) -> None:
        """The invited colleague's answer. Accepted twice (two tabs), it counts once."""
        if not accept:
            invitation = await self._answer(conversation_id, account.login)
            queued = invitation.transfer and await self._fall_back(conversation_id, invitation)
            await self.chat.close_invitation(conversation_id, invitation, "declined", queued)
            return
        login = account.login
        before = await self.backend.get_conversation(conversation_id)
        if before is None or before.side_of(login):  # never asked, or in it already
            raise UnknownInvitation(conversation_id)
        # The colleague's room first, as for a take: paused or full, the invitation stays.
        await self.backend.update_desk(login, lambda d: d.hold(conversation_id))
        now = self.chat.clock()
        try:
            invitation, conversation = await self.backend.update_conversation(
                conversation_id, lambda c: (c.accept(login, now), _copy(c))
            )
        except ParoleError as exc:
            current = await self.backend.get_conversation(conversation_id)
            if current is not None and current.side_of(login):
                return  # accepted from another tab meanwhile: counted once
            await self.backend.update_desk(login, lambda d: d.release(conversation_id))
            if isinstance(exc, NotFound):
                raise UnknownInvitation(conversation_id) from None
            raise
        if invitation.transfer:
            await self._hand_over(conversation, invitation)
        else:
            await self.chat.append(
                conversation_id, "joined", "system", alias=invitation.alias, pole=invitation.pole
            )
        await self.chat.publish(
            staff_channel(login), ConversationMessage(info=conversation_info(conversation, 0))
        )
        await self.chat.close_invitation(conversation_id, invitation, "accepted")

    async def withdraw(self, account: StaffAccount, conversation_id: str, colleague: str) -> None:
        conversation = await self.chat.owned(account, conversation_id)
        to = next((i.to for i in conversation.invitations if colleague_id(i.to) == colleague), "")
        try:
            invitation = await self.backend.update_conversation(
                conversation_id, lambda c: c.withdraw(account.login, to)
            )
        except NotFound:
            raise UnknownInvitation(conversation_id) from None
        await self.chat.close_invitation(conversation_id, invitation, "withdrawn")

    async def lapse(self, member: str) -> None:
        """An invitation's lease ran out: unanswered, it is void (a direct transfer
        goes to the pole's queue)."""
        conversation_id, _, login = member.partition(":")
        try:
            invitation = await self.backend.update_conversation(
                conversation_id, lambda c: c.lapse(login)
            )
        except NotFound:
            invitation = None
        if invitation is None:  # answered, withdrawn or ended meanwhile
            await self.backend.update_desk(
                login, partial(Desk.uninvite, conversation=conversation_id)
            )
            return
        queued = invitation.transfer and await self._fall_back(conversation_id, invitation)
        await self.chat.close_invitation(conversation_id, invitation, "expired", queued)

    # --- helpers ------------------------------------------------------------------------
    async def _others(self, account: StaffAccount) -> list[StaffAccount]:
        return [other for other in await self.chat.accounts() if other.login != account.login]

    async def _colleague(self, account: StaffAccount, colleague: str) -> StaffAccount:
        for other in await self._others(account):
            if colleague_id(other.login) == colleague:
                return other
        raise ParoleError(colleague, code="unknown_colleague")

    @staticmethod
    def _shown_pole(conversation: Conversation, other: StaffAccount) -> str | None:
        """The pole a joining colleague is shown with: the conversation's if they staff
        it, else the first of theirs."""
        if other.can_staff(conversation.pole):
            return conversation.pole
        return other.poles[0] if other.poles else None

    async def _answer(self, conversation_id: str, login: str) -> Invitation:
        now = self.chat.clock()
        try:
            return await self.backend.update_conversation(
                conversation_id, lambda c: c.decline(login, now)
            )
        except NotFound:
            raise UnknownInvitation(conversation_id) from None

    async def _hand_over(self, conversation: Conversation, invitation: Invitation) -> None:
        """A direct transfer accepted: the visitor goes on talking, with the colleague."""
        chat = self.chat
        pole = invitation.pole
        await chat.append(
            conversation.id, "transferred", "counsellor", alias=invitation.by_alias, pole=pole
        )
        await chat.append(conversation.id, "opened", "system", alias=invitation.alias, pole=pole)
        await chat.tally.count(conversation.site, conversation.pole, transfer_measure(pole))
        await self.backend.update_desk(invitation.by, lambda d: d.release(conversation.id))
        try:
            session = await self.backend.update_visitor(
                conversation.visitor, partial(_handed, pole=invitation.pole)
            )
        except ParoleError:  # the visitor left meanwhile: their leaving ends it
            return
        await chat.publish(visitor_channel(session.id), session_message(session))

    async def _fall_back(self, conversation_id: str, invitation: Invitation) -> bool:
        """A direct transfer not accepted: to the pole's queue, if still possible."""
        by = await self.backend.get_staff(invitation.by)
        if by is None:
            return False
        try:
            await self.chat.transfer(by, conversation_id, invitation.pole, invitation.note)
        except ParoleError:  # ended, closed meanwhile...: the counsellor keeps it
            return False
        return True


def _handed(session: VisitorSession, pole: str) -> VisitorSession:
    session.hand_over(pole)
    return _copy(session)
