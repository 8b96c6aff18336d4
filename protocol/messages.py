"""Every message Parole's websockets carry, defined once.

Three unions: what a visitor may send, what a counsellor may send, and what the
server sends to either. Each frame is one JSON object whose ``type`` field names
its struct. Decoding validates types and bounds; anything else is refused with a
typed :class:`Error` (see ``PROTOCOL.md``). ``python -m protocol.schema`` writes
the JSON Schema the JavaScript side and the tests use.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

VERSION = 1
SUPPORTED_VERSIONS = (1,)

#: Largest frame accepted, in bytes; larger frames are closed with 1009.
MAX_FRAME_BYTES = 64 * 1024

# Patterns end with (?!\n)$ because Python's `$` also matches before a final newline.
ClientId = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+(?!\n)$")
]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Pseudonym = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Slug = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+(?!\n)$")]
Lang = Annotated[
    str, msgspec.Meta(min_length=2, max_length=8, pattern=r"^[a-z]{2,3}(-[A-Z]{2})?(?!\n)$")
]
Versions = Annotated[list[int], msgspec.Meta(min_length=1, max_length=8)]
Token = Annotated[str, msgspec.Meta(min_length=16, max_length=128)]
Seq = Annotated[int, msgspec.Meta(ge=0)]
NoteText = Annotated[str, msgspec.Meta(max_length=500)]
Detail = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Purpose = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
#: A colleague as the console names them: opaque, stable, never shown to visitors.
ColleagueId = Annotated[
    str, msgspec.Meta(min_length=16, max_length=16, pattern=r"^[0-9a-f]+(?!\n)$")
]

Author = Literal["visitor", "counsellor", "system"]
EventKind = Literal[
    "opened",
    "message",
    "card",
    "duty",
    "asked",
    "declined",
    "renamed",
    "transferred",
    "joined",
    "left",
    "ended",
]
SessionState = Literal["waiting", "talking", "ended"]


class Message(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, omit_defaults=True):
    """Base of every frame."""


# --- visitor -> server ------------------------------------------------------------------


class Hello(Message, tag="hello"):
    """First frame on every connection. ``resume`` and ``last_seq`` reattach a visitor.

    ``site`` names the site whose widget the visitor uses (its ``data-site``): the
    server answers with its ``status`` and keeps it up to date. Unknown or absent:
    the Cité's main site.
    """

    versions: Versions
    lang: Lang | None = None
    resume: Token | None = None
    last_seq: Seq = 0
    site: Slug | None = None


class Join(Message, tag="join"):
    """Join a pole's queue; ``question`` becomes the first message once a counsellor takes it."""

    pole: Slug
    pseudonym: Pseudonym | None = None
    question: Text | None = None
    client_id: ClientId | None = None


class Rename(Message, tag="rename"):
    pseudonym: Pseudonym


class Send(Message, tag="send"):
    """A visitor's message in their conversation. A retry reuses ``client_id``.
    ``portfolio``: an item the visitor sends from their e-portfolio (shown so)."""

    client_id: ClientId
    text: Text
    portfolio: bool = False


class Typing(Message, tag="typing"):
    active: bool


class Leave(Message, tag="leave"):
    """Leave the queue, or end the conversation; ``report``: and report it as
    inappropriate (counted per pole and month, nothing else kept)."""

    report: bool = False


class Rate(Message, tag="rate"):
    """The one answer to "how was it?" once a conversation has ended: a score, and
    maybe a comment, kept apart from the conversation. Skipping sends nothing."""

    conversation: Slug
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class Tell(Message, tag="tell"):
    """One optional answer about who the visitor is, with the satisfaction question:
    ``question`` and one of its ``answer`` codes (PROTOCOL.md, "Satisfaction and
    abuse"). Counted alone, per pole and month; once per question. Answered by ``told``."""

    question: Literal["situation", "age", "origin"]
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[a-z0-9_]+(?!\n)$")]


class Answer(Message, tag="answer"):
    """The visitor's answer to the counsellor's ``asked`` event number ``asked``: the
    detail in ``text`` (shared with consent), or no ``text`` to decline. Once per
    request; a retry reuses ``client_id``."""

    asked: Annotated[int, msgspec.Meta(ge=1)]
    client_id: ClientId
    text: Text | None = None


VisitorMessage = Hello | Join | Rename | Send | Typing | Leave | Rate | Answer | Tell


# --- counsellor -> server ---------------------------------------------------------------


class ConsoleHello(Message, tag="hello"):
    """First frame of the console. ``last_seq`` maps conversation id to the last seq seen."""

    versions: Versions
    lang: Lang | None = None
    last_seq: dict[str, Seq] = {}


class Take(Message, tag="take"):
    """Take the oldest waiting visitor of a pole."""

    pole: Slug


class ConsoleSend(Message, tag="send"):
    conversation: Slug
    client_id: ClientId
    text: Text


class ConsoleTyping(Message, tag="typing"):
    conversation: Slug
    active: bool


class End(Message, tag="end"):
    conversation: Slug


class Presence(Message, tag="presence"):
    """Available (takes visitors) or paused, for every console of the account."""

    available: bool


class Transfer(Message, tag="transfer"):
    """Send the visitor of a conversation one holds to another pole's queue, keeping
    their turn; ``note`` is for the next counsellor only."""

    conversation: Slug
    pole: Slug
    note: NoteText = ""
    #: Directly to this colleague of ``pole``, who accepts or declines; unanswered
    #: in time or declined, the visitor goes to ``pole``'s queue keeping their turn.
    colleague: ColleagueId | None = None


class Colleagues(Message, tag="colleagues"):
    """Ask for the colleagues one may invite or transfer to (answered by ``colleagues``)."""


class Invite(Message, tag="invite"):
    """Ask a colleague into a conversation one is in; they accept or decline."""

    conversation: Slug
    colleague: ColleagueId


class InviteReply(Message, tag="invite_reply"):
    """The invited colleague's answer (to an invitation or a direct transfer)."""

    conversation: Slug
    accept: bool


class Withdraw(Message, tag="withdraw"):
    """Withdraw an invitation still waiting for ``colleague``'s answer."""

    conversation: Slug
    colleague: ColleagueId


class Block(Message, tag="block"):
    """End an abusive conversation and block its source for a while (see PROTOCOL.md)."""

    conversation: Slug


class LeaveConversation(Message, tag="leave_conversation"):
    """Leave a conversation colleagues go on with (the last counsellor ends it)."""

    conversation: Slug


class FindCards(Message, tag="find_cards"):
    """Search the resource cards as the counsellor types; answered with ``cards``."""

    query: Annotated[str, msgspec.Meta(max_length=100)] = ""
    #: Its pole's cards come first.
    conversation: Slug | None = None


class ShareCard(Message, tag="share_card"):
    """Share a resource card into a conversation: a ``card`` event, a copy of it."""

    conversation: Slug
    card: Slug
    client_id: ClientId


class Ask(Message, tag="ask"):
    """Ask the visitor for one ``detail`` (an email address...) for a stated
    ``purpose``; they see both, and who asks, and may decline (R9)."""

    conversation: Slug
    client_id: ClientId
    detail: Detail
    purpose: Purpose


class ShareDuty(Message, tag="share_duty"):
    """Tell the visitor when this counsellor is usually on duty: a ``duty`` event."""

    conversation: Slug
    client_id: ClientId


CounsellorMessage = (
    ConsoleHello
    | Take
    | ConsoleSend
    | ConsoleTyping
    | End
    | Presence
    | Transfer
    | Colleagues
    | Invite
    | InviteReply
    | Withdraw
    | LeaveConversation
    | Block
    | FindCards
    | ShareCard
    | ShareDuty
    | Ask
)


# --- server -> clients ------------------------------------------------------------------


class Welcome(Message, tag="welcome"):
    """Answer to ``hello``: the version chosen."""

    v: int
    lang: str


class Session(Message, tag="session"):
    """The visitor's own session, after ``join``, ``rename`` or a resume.

    ``token`` is sent once, when the session is created; the client keeps it in
    sessionStorage to resume. ``conversation`` is set once a counsellor took them.
    """

    state: SessionState
    pseudonym: str
    pole: str
    token: str | None = None
    conversation: str | None = None
    closed: bool = False  # ended because the pole closed before their turn
    blocked: bool = False  # ended by a counsellor who blocked this source for a while
    rated: bool = False  # answered "how was it?" already (asked once)


class WaitEstimate(msgspec.Struct):
    """Seconds: the likely wait, a range from recent service, never a promise."""

    low: int
    high: int


class Position(Message, tag="position"):
    """Where a waiting visitor stands: 1 means next.

    ``estimate`` is absent when too little recent service is known to say anything
    honest, or when nobody is available in the pole now. ``closes_at`` (epoch ms) is
    when the pole stops for the day: a visitor still waiting then is not served, and
    is told so (``session`` with ``closed``). ``staffed``: counsellors available in the
    pole now (a console open, not paused).
    """

    pole: str
    position: int
    waiting: int
    estimate: WaitEstimate | None = None
    closes_at: int | None = None
    staffed: int | None = None


class CardInfo(msgspec.Struct, omit_defaults=True):
    """A resource card as visitors and counsellors see it; ``day`` (YYYY-MM-DD),
    ``start`` (HH:MM) and ``place`` are an event's, in its site's local time."""

    id: str
    pole: str
    kind: Literal["job_sheet", "training", "event", "partner", "other"]
    title: str
    text: str = ""
    url: str = ""
    day: str | None = None
    start: str | None = None
    place: str = ""


class DutyInfo(msgspec.Struct):
    """A line of a counsellor's usual duty: at ``pole`` on ``days`` (``monday`` …
    ``sunday``), from ``start`` to ``end`` (HH:MM, the site's local time)."""

    pole: str
    days: list[str]
    start: str
    end: str


class AskInfo(msgspec.Struct):
    """What an ``asked`` event asks for, and why."""

    detail: str
    purpose: str


class Event(Message, tag="event"):
    """One conversation event, numbered from 1 without gaps per conversation.
    A ``card`` event carries the card shared, as it was then; a ``duty`` event the
    counsellor's usual hours on duty, as they were then. An ``asked`` event holds a
    counsellor's request for one detail (``ask``); the visitor answers it once, by a
    ``message`` or a ``declined`` event naming it in ``asked``."""

    conversation: str
    seq: int
    kind: EventKind
    author: Author
    at: int
    text: str = ""
    client_id: str | None = None
    alias: str | None = None
    pole: str | None = None
    card: CardInfo | None = None
    duty: list[DutyInfo] | None = None
    ask: AskInfo | None = None
    #: On the visitor's answer (a ``message`` shared with consent, or ``declined``):
    #: the seq of the ``asked`` event it answers.
    asked: int | None = None
    portfolio: bool = False  # a message the visitor sent from their e-portfolio


class TypingNotice(Message, tag="typing"):
    conversation: str
    author: Author
    active: bool


class PoleInfo(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    description: str = ""
    #: The Cité's general reception, for visitors unsure which pole fits: shown first.
    accueil: bool = False


class Status(Message, tag="status"):
    """What the visitor's site offers now; sent after ``welcome`` and on every change
    (opening, last entry, closing, a manager's edit). Instants are epoch ms (UTC):
    the client shows them in the visitor's own time zone.

    ``accepting``: a visitor may join one of ``poles`` now. Otherwise ``open`` tells
    whether the site is still open (last entry passed) and ``next_opening``, when
    known, when it takes visitors again.
    """

    cite: str
    site: str
    site_name: str
    open: bool
    accepting: bool
    poles: list[PoleInfo]
    closes_at: int | None = None
    last_entry: int | None = None
    next_opening: int | None = None
    #: The next workshops and events of the site's poles, soonest first (R7).
    events: list[CardInfo] = []
    #: How to come or call instead: the chat is one channel among others.
    site_address: str = ""
    site_phone: str = ""


class NoteInfo(msgspec.Struct):
    """A transfer note: who wrote it (alias), from which pole, when (epoch ms)."""

    alias: str
    pole: str
    text: str
    at: int


class ConversationInfo(msgspec.Struct, omit_defaults=True):
    id: str
    pole: str
    pseudonym: str
    state: Literal["active", "ended"]
    last_seq: int
    #: Written by counsellors who transferred the visitor, for whoever holds it next.
    notes: list[NoteInfo] = []


class InvitationInfo(msgspec.Struct):
    """An invitation waiting for an answer. ``incoming``: this counsellor is asked
    (by ``by``); else they asked ``to`` (``colleague``, to withdraw it). ``transfer``: a
    direct transfer to ``pole``; else the colleague joins, shown with ``pole``.
    ``until``: epoch ms after which it is void."""

    conversation: str
    colleague: str
    by: str
    to: str
    pole: str
    pseudonym: str
    until: int
    incoming: bool
    transfer: bool = False
    note: str = ""


class ReplyInfo(msgspec.Struct, omit_defaults=True):
    """A canned reply: the counsellor's own, or shared with a ``pole``'s counsellors.
    ``{pseudonym}`` and ``{alias}`` in ``text`` are filled in by the console."""

    id: str
    name: str
    text: str
    pole: str | None = None


class Console(Message, tag="console"):
    """The counsellor's console state, sent after ``welcome`` and whenever the account,
    the Cité or the counsellor's presence changes.

    ``since``: per pole with someone waiting, when the first in line arrived (epoch
    ms): the longest current wait. ``targets``: every pole a visitor may be
    transferred to (all published poles, the accueil included).
    """

    alias: str
    poles: list[PoleInfo]
    queues: dict[str, int]
    conversations: list[ConversationInfo]
    capacity: int
    available: bool
    since: dict[str, int] = {}
    targets: list[PoleInfo] = []
    #: Invitations waiting for an answer, this counsellor's and those they sent.
    invitations: list[InvitationInfo] = []
    #: The counsellor's own canned replies, then those shared with their poles.
    replies: list[ReplyInfo] = []
    #: Their usual hours on duty, as set on /console/account (shared with ``share_duty``).
    duty: list[DutyInfo] = []


class Queues(Message, tag="queues"):
    """Waiting counts per pole, pushed to counsellors when a queue changes. ``since``
    gives the first arrival of each pole listed in ``counts`` (absent: nobody waits)."""

    counts: dict[str, int]
    since: dict[str, int] = {}


class Conversation(Message, tag="conversation"):
    """A conversation the counsellor now holds (after ``take``, or from another tab)."""

    info: ConversationInfo


class Released(Message, tag="released"):
    """This console no longer holds the conversation: it was transferred to ``pole``
    (from this tab or another), or the counsellor left it (``pole`` empty). Frames for
    it now get ``unknown_conversation``."""

    conversation: str
    pole: str


class ColleagueInfo(msgspec.Struct):
    """``available``: takes visitors now and has room for one more conversation."""

    id: str
    alias: str
    poles: list[str]
    available: bool


class ColleagueList(Message, tag="colleagues"):
    """Answer to ``colleagues``: every other enabled counsellor, available ones first."""

    colleagues: list[ColleagueInfo]


class Invitation(Message, tag="invitation"):
    """An invitation sent (to the consoles of both counsellors)."""

    info: InvitationInfo


class CardList(Message, tag="cards"):
    """Answer to ``find_cards``: the query it answers (a console drops stale answers)
    and the live cards found, best first, at most 20."""

    query: str
    cards: list[CardInfo]


class InvitationClosed(Message, tag="invitation_closed"):
    """An invitation is answered, withdrawn or expired. ``queued``: a direct transfer
    not accepted sent the visitor to the pole's queue, keeping their turn."""

    conversation: str
    colleague: str
    outcome: Literal["accepted", "declined", "withdrawn", "expired"]
    queued: bool = False


class Rated(Message, tag="rated"):
    """Answer to ``rate``: the answer is counted (and the comment kept, if any)."""

    conversation: str


class Told(Message, tag="told"):
    """Answer to ``tell``: that answer is counted."""

    question: str


class Service(Message, tag="service"):
    """The server lost (``false``) or regained (``true``) its shared state.

    While unavailable, frames are refused with ``unavailable``; once available
    again the server has re-sent what the client missed, and the client re-sends
    what is still pending.
    """

    available: bool


class Error(Message, tag="error"):
    """A refused frame. ``ref`` repeats the offending ``client_id`` when there is one."""

    code: str
    message: str
    ref: str | None = None


ServerMessage = (
    Welcome
    | Status
    | Session
    | Position
    | Event
    | TypingNotice
    | Console
    | Queues
    | Conversation
    | Released
    | ColleagueList
    | Invitation
    | InvitationClosed
    | CardList
    | Rated
    | Told
    | Service
    | Error
)

#: Error codes, each with a message in the locale catalog under ``error.<code>``.
ERROR_CODES = (
    "malformed",  # not a JSON object
    "unknown_type",  # ``type`` names no message of this endpoint
    "invalid",  # a field is missing, of the wrong type or out of bounds
    "hello_first",  # a frame before ``hello``
    "unsupported_version",
    "not_allowed",  # legal frame, illegal now (e.g. ``send`` while waiting)
    "unknown_pole",
    "closed",  # the site does not take visitors now, or does not offer that pole
    "not_your_pole",
    "queue_empty",
    "capacity_reached",
    "paused",  # ``take`` while paused
    "unknown_conversation",
    "unknown_colleague",  # no such enabled colleague (or oneself)
    "colleague_unavailable",  # paused, offline, full, or not staffing that pole
    "unknown_invitation",  # withdrawn, answered, expired, or never sent
    "unknown_card",  # no such card, retired, or of a pole no longer published
    "unknown_request",  # no such ``asked`` event, answered already, or void since
    "blocked",  # this source was blocked by a counsellor, for a while
    "resume_failed",
    "rate_limited",
    "unavailable",
    "not_found",  # a session or conversation that is gone
    "too_big",  # a frame over MAX_FRAME_BYTES (the socket is closed with 1009)
)


class Close:
    """Websocket close codes used by Parole (besides 1000, 1001, 1009, 1011)."""

    POLICY = 1008  # bad origin or not authenticated (before accept: HTTP 403)
    TOO_BIG = 1009
    VERSION = 4002  # no common protocol version
    REPLACED = 4009  # the same visitor session was opened elsewhere
    SLOW = 4008  # the client did not read fast enough; resume to catch up
    AGAIN = 1013  # shared state unreachable while opening or catching up: reconnect later


visitor_decoder = msgspec.json.Decoder(VisitorMessage)
counsellor_decoder = msgspec.json.Decoder(CounsellorMessage)
encoder = msgspec.json.Encoder()


def encode(message: Message) -> str:
    return encoder.encode(message).decode()
