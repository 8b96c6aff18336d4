"""A counsellor's request for one detail, and the visitor's answer (R9).

The request is an ``asked`` event naming the detail and the purpose; the visitor's
widget prompts them with both and with who asks. The answer is an event of the
same conversation — a ``message`` shared with consent, or ``declined`` — kept and
deleted like every other one; nothing about it is stored elsewhere or counted.
"""

from __future__ import annotations

from protocol.messages import AskInfo, Event
from server.core.consent import check_answer
from server.core.errors import IllegalTransition, NotFound
from server.core.staff import StaffAccount
from server.core.text import clean_text
from server.core.visitors import VisitorSession, VisitorState

from .chat import Chat


class Consent:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    async def ask(
        self, account: StaffAccount, conversation_id: str, client_id: str, detail: str, purpose: str
    ) -> Event:
        await self.chat.active(account, conversation_id)
        ask = AskInfo(detail=clean_text(detail), purpose=clean_text(purpose))
        event, _ = await self.chat.counsellor_event(
            account, conversation_id, client_id, "asked", ask=ask
        )
        return event

    async def answer(
        self, known: VisitorSession, asked: int, client_id: str, text: str | None
    ) -> Event:
        """Share (``text``) or decline the request numbered ``asked``, once."""
        session = await self.chat.backend.get_visitor(known.id)
        if session is None or session.state is not VisitorState.TALKING:
            raise IllegalTransition("not in a conversation")
        assert session.conversation is not None
        try:
            events = await self.chat.backend.events_since(session.conversation, asked - 1)
            earlier = check_answer(events, asked, client_id)
            if earlier is not None:
                return earlier  # a retry: the same answer, stored once
            if text is None:
                event, _ = await self.chat.append(
                    session.conversation, "declined", "visitor", "", client_id, asked=asked
                )
            else:
                event, _ = await self.chat.append(
                    session.conversation,
                    "message",
                    "visitor",
                    clean_text(text),
                    client_id,
                    asked=asked,
                )
        except NotFound:
            raise IllegalTransition("not in a conversation") from None
        return event
