"""Resource cards: the documentation counsellors share, kept by pole (R7).

A card is what a counsellor points a visitor to: a job sheet, a training
directory, an event, the partner who takes the next step. Managers keep the
cards of each pole in order; counsellors search them all (the conversation's
pole first, since the accueil orients visitors elsewhere) and share one into a
conversation, where it is a copy: editing or retiring a card later changes no
conversation. Events with a date to come are shown in the widget to every
visitor of their pole.

A :class:`Library` is edited in place (the backend's ``update_library`` stores
the edited copy atomically); every edit checks its rules first, so a refused
one leaves the library as it was.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from urllib.parse import urlsplit

import msgspec

from .errors import ConfigError
from .replies import Reply, put_reply, remove_reply
from .text import check_label, check_paragraphs

TITLE_MAX = 120
TEXT_MAX = 600
PLACE_MAX = 120
URL_MAX = 2000
#: Cards kept, retired ones included: a bound for the stored value, not a rule.
MAX_CARDS = 1000
#: Longest search query, and most results a search returns.
QUERY_MAX = 100
RESULTS_MAX = 20
#: Most upcoming events the widget shows.
EVENTS_MAX = 5

_ID = re.compile(r"[a-z0-9-]{1,64}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CardKind(enum.Enum):
    JOB_SHEET = "job_sheet"
    TRAINING = "training"
    EVENT = "event"
    PARTNER = "partner"
    OTHER = "other"


def check_url(url: str) -> None:
    """An absolute http(s) link, one line: ``javascript:``, ``data:`` and every other
    scheme are refused, so a shared card can only open a web page."""
    if len(url) > URL_MAX:
        raise ConfigError(f"a link is longer than {URL_MAX} characters")
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url):
        raise ConfigError("a link cannot contain spaces or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:  # a bad port or bracketed host
        raise ConfigError("a link must be a web address") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError("a link starts with https:// or http:// and names a site")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("a link cannot carry a user name or password")


class Card(msgspec.Struct, frozen=True, omit_defaults=True):
    """One resource; ``day``, ``start`` and ``place`` are an event's only."""

    id: str
    pole: str
    kind: CardKind
    title: str
    text: str = ""
    url: str = ""
    #: The event's local day (ISO, ``YYYY-MM-DD``) and start time (``HH:MM``).
    day: str | None = None
    start: str | None = None
    place: str = ""
    retired: bool = False

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id) or not _ID.fullmatch(self.pole):
            raise ConfigError(f"bad card id {self.id!r} or pole {self.pole!r}")
        check_label("a card's title", self.title, TITLE_MAX)
        check_paragraphs("a card's text", self.text, TEXT_MAX)
        if self.url:
            check_url(self.url)
        check_label("an event's place", self.place, PLACE_MAX, required=False)
        if self.kind is not CardKind.EVENT and (self.day or self.start or self.place):
            raise ConfigError("only an event has a date, a time or a place")
        if self.day is not None:
            try:
                if not _DATE.fullmatch(self.day):
                    raise ValueError(self.day)
                date.fromisoformat(self.day)
            except ValueError as exc:
                raise ConfigError("an event's date is a day, as YYYY-MM-DD") from exc
        if self.start is not None:
            if self.day is None:
                raise ConfigError("an event's time needs its date")
            if not _TIME.fullmatch(self.start):
                raise ConfigError("an event's time is HH:MM, 00:00 to 23:59")

    def upcoming(self, today: date) -> bool:
        """An event still to come (or today's): the widget shows it."""
        return (
            self.kind is CardKind.EVENT
            and not self.retired
            and self.day is not None
            and date.fromisoformat(self.day) >= today
        )


def fold(text: str) -> str:
    """What a search compares: no case, no accents ("Métier" finds "metier")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Library(msgspec.Struct):
    """Every card of the Cité, in the order managers gave them within each pole, and
    the replies managers share with each pole's counsellors."""

    cards: list[Card] = []
    replies: list[Reply] = []

    # --- reading -----------------------------------------------------------------------
    def card(self, card_id: str) -> Card | None:
        return next((card for card in self.cards if card.id == card_id), None)

    def of_pole(self, pole: str) -> list[Card]:
        """A pole's cards in order, retired ones included (the manager's list)."""
        return [card for card in self.cards if card.pole == pole]

    def search(self, query: str, poles: Sequence[str], first: str | None = None) -> list[Card]:
        """Live cards of ``poles`` whose title or text holds every word of ``query``.

        The pole ``first`` comes first (the conversation's), then the others in the
        order of ``poles``; within a pole, title matches before text-only matches.
        An empty query lists cards in that order. At most :data:`RESULTS_MAX`.
        """
        words = fold(query[:QUERY_MAX]).split()
        order = [first, *poles] if first in poles else list(poles)
        rank = {pole: i for i, pole in reversed(list(enumerate(order)))}
        found: list[tuple[int, int, int, Card]] = []
        for position, card in enumerate(self.cards):
            if card.retired or card.pole not in rank:
                continue
            title, text = fold(card.title), fold(f"{card.text} {card.place}")
            if all(word in title or word in text for word in words):
                in_title = all(word in title for word in words)
                found.append((rank[card.pole], 0 if in_title else 1, position, card))
        found.sort(key=lambda item: item[:3])
        return [item[3] for item in found[:RESULTS_MAX]]

    def upcoming(self, today: date, poles: Iterable[str]) -> list[Card]:
        """The next events of ``poles`` from ``today`` on, soonest first."""
        offered = set(poles)
        events = [c for c in self.cards if c.pole in offered and c.upcoming(today)]
        events.sort(key=lambda card: (card.day or "", card.start or ""))
        return events[:EVENTS_MAX]

    # --- editing -----------------------------------------------------------------------
    def put(self, card: Card) -> None:
        """Add a card, last of its pole, or replace the one with its id (a card moved
        to another pole goes last there)."""
        old = self.card(card.id)
        if old is not None and old.pole == card.pole:
            self.cards[self.cards.index(old)] = card
            return
        if old is None and len(self.cards) >= MAX_CARDS:
            raise ConfigError(f"at most {MAX_CARDS} cards, retired ones included")
        if old is not None:
            self.cards.remove(old)
        self.cards.append(card)

    def move(self, card_id: str, offset: int) -> None:
        """Move a card ``offset`` places among its pole's cards (-1: up, 1: down)."""
        card = self._find(card_id)
        mates = self.of_pole(card.pole)
        index = mates.index(card)
        target = min(max(index + offset, 0), len(mates) - 1)
        if target == index:
            return
        # Swap the two cards' places in the whole list; other poles' cards stay put.
        a, b = self.cards.index(card), self.cards.index(mates[target])
        self.cards[a], self.cards[b] = self.cards[b], self.cards[a]

    def retire(self, card_id: str, retired: bool = True) -> None:
        """Stop offering a card (or offer it again); it keeps its place."""
        card = self._find(card_id)
        self.cards[self.cards.index(card)] = msgspec.structs.replace(card, retired=retired)

    # --- shared replies ----------------------------------------------------------------
    def replies_of(self, pole: str) -> list[Reply]:
        return [reply for reply in self.replies if reply.pole == pole]

    def put_reply(self, reply: Reply) -> None:
        """Add a shared reply, last of its pole, or replace the one with its id."""
        if reply.pole is None:
            raise ConfigError("a shared reply belongs to a pole")
        if any(r.id == reply.id and r.pole != reply.pole for r in self.replies):
            raise ConfigError(f"the reply {reply.id!r} belongs to another pole")
        self._set_replies(reply.pole, lambda mine: put_reply(mine, reply))

    def remove_reply(self, pole: str, reply_id: str) -> None:
        self._set_replies(pole, lambda mine: remove_reply(mine, reply_id))

    def _set_replies(self, pole: str, change: Callable[[list[Reply]], None]) -> None:
        mine = self.replies_of(pole)
        change(mine)  # raises before anything is stored
        others = [reply for reply in self.replies if reply.pole != pole]
        self.replies = others + mine

    def _find(self, card_id: str) -> Card:
        card = self.card(card_id)
        if card is None:
            raise ConfigError(f"no card {card_id!r}")
        return card
