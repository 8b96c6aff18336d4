"""Resource cards in the console: found as the counsellor types, shared in one step (R7);
and the counsellor's usual hours on duty, shared the same way.

A search covers every published pole's live cards, the conversation's pole first:
the accueil orients visitors to the other poles, and so do counsellors. Sharing
puts a copy of the card into the conversation as a ``card`` event, numbered,
resumed and deduplicated like any message; editing or retiring the card later
changes no conversation.
"""

from __future__ import annotations

from protocol.messages import CardInfo, DutyInfo, Event
from server.core.errors import IllegalTransition, ParoleError
from server.core.resources import Card
from server.core.staff import StaffAccount
from server.core.statistics import Measure

from .chat import Chat


def card_info(card: Card) -> CardInfo:
    return CardInfo(
        id=card.id,
        pole=card.pole,
        kind=card.kind.value,
        title=card.title,
        text=card.text,
        url=card.url,
        day=card.day,
        start=card.start,
        place=card.place,
    )


def duty_info(account: StaffAccount) -> list[DutyInfo]:
    return [DutyInfo(s.pole, list(s.days), s.start, s.end) for s in account.duty]


class Cards:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    async def find(
        self, account: StaffAccount, query: str, conversation_id: str | None
    ) -> list[CardInfo]:
        cite = await self.chat.cite()
        first = None
        if conversation_id is not None:
            first = (await self.chat.owned(account, conversation_id)).pole
        library = await self.chat.backend.get_library()
        poles = [pole.id for pole in cite.published]
        return [card_info(card) for card in library.search(query, poles, first)]

    async def share(
        self, account: StaffAccount, conversation_id: str, card_id: str, client_id: str
    ) -> Event:
        conversation = await self.chat.active(account, conversation_id)
        cite = await self.chat.cite()
        card = (await self.chat.backend.get_library()).card(card_id)
        if card is None or card.retired or cite.pole(card.pole) is None:
            raise ParoleError(card_id, code="unknown_card")
        event, new = await self.chat.counsellor_event(
            account, conversation_id, client_id, "card", card=card_info(card)
        )
        if new:  # a retry is the same card, shared once
            await self.chat.tally.count(conversation.site, conversation.pole, Measure.CARDS)
        return event

    async def share_duty(
        self, account: StaffAccount, conversation_id: str, client_id: str
    ) -> Event:
        """The counsellor's usual hours on duty, as a ``duty`` event (charter 002)."""
        await self.chat.active(account, conversation_id)
        if not account.duty:
            raise IllegalTransition("no hours on duty to share: set them on /console/account")
        event, _ = await self.chat.counsellor_event(
            account, conversation_id, client_id, "duty", duty=duty_info(account)
        )
        return event
