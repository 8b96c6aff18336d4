"""The one interface for shared state and delivery.

Everything two server processes must agree on goes through here, so that the
web layer never relies on living in a single process. Values cross this
boundary as copies (events excepted: treat them as read-only), so changing a
returned object changes nothing stored.

``update_*`` methods load the stored value, let ``change`` edit it in place, and
store the edited value atomically; they return what ``change`` returns. On
contention ``change`` may run again on a fresh copy, so it must depend on its
argument only. If it raises, nothing is stored and the error propagates.

Every key about a visitor or a conversation has a TTL, and an expired visitor
never counts in a queue, a position or a length. The Cité, its resource cards, staff
accounts and counsellors' desks (presence, capacity, conversation ids — nothing about a
visitor) are the only durable values.

Delivery: once ``await subscriber.add(channel)`` returns, every later
``publish`` on that channel reaches the subscriber.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TypeVar

import msgspec

from protocol.messages import Event
from server.core.attestation import Keyring
from server.core.conversations import Conversation
from server.core.feedback import Comment
from server.core.poles import Cite
from server.core.resources import Library
from server.core.staff import Desk, StaffAccount
from server.core.visitors import VisitorSession

from .fanout import Sink, Subscriber

T = TypeVar("T")


class CiteDecoder:
    """Decodes stored Cités, each stored version once.

    Decoding checks every rule again (time zones, holiday regions: about half a
    millisecond), and the Cité is read at every join and take but rarely changes.
    A Cité is frozen, so handing out the same decoded value is safe.
    """

    def __init__(self) -> None:
        self._raw = b""
        self._cite: Cite | None = None

    def __call__(self, raw: bytes) -> Cite:
        if raw != self._raw or self._cite is None:
            self._cite = msgspec.msgpack.decode(raw, type=Cite)
            self._raw = raw
        return self._cite


class Backend(abc.ABC):
    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect; raise :class:`~server.core.errors.Unavailable` if that fails."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and background tasks."""

    @abc.abstractmethod
    async def sweep(self) -> None:
        """Drop what has expired but may still be referenced (queue entries, for one).

        Server processes call it every second; afterwards nothing expired remains.
        """

    # --- durable configuration ---------------------------------------------------------
    @abc.abstractmethod
    async def get_cite(self) -> Cite | None: ...

    @abc.abstractmethod
    async def put_cite(self, cite: Cite) -> None: ...

    @abc.abstractmethod
    async def get_staff(self, login: str) -> StaffAccount | None: ...

    @abc.abstractmethod
    async def put_staff(self, account: StaffAccount) -> None: ...

    @abc.abstractmethod
    async def staff_logins(self) -> list[str]:
        """Every staff account's login, sorted (the manager's staff page)."""

    @abc.abstractmethod
    async def get_keyring(self) -> Keyring | None:
        """The keys that sign proofs of visit (durable configuration)."""

    @abc.abstractmethod
    async def init_keyring(self, keyring: Keyring) -> Keyring:
        """Store ``keyring`` unless one exists; return the stored one. Processes that
        start together each propose a key: one wins, and all of them sign with it."""

    @abc.abstractmethod
    async def put_keyring(self, keyring: Keyring) -> None: ...

    @abc.abstractmethod
    async def get_library(self) -> Library:
        """The Cité's resource cards (durable; empty until a manager adds one)."""

    @abc.abstractmethod
    async def update_library(self, change: Callable[[Library], T]) -> T:
        """Atomic change of the resource cards: two managers editing at once both land."""

    # --- expiring secrets and counters (staff sessions, CSRF, sign-in throttling) -------
    @abc.abstractmethod
    async def put_expiring(self, key: str, value: bytes, ttl: float) -> None: ...

    @abc.abstractmethod
    async def get_expiring(self, key: str, refresh_ttl: float | None = None) -> bytes | None:
        """The value, or None; with ``refresh_ttl`` its lifetime restarts."""

    @abc.abstractmethod
    async def delete_expiring(self, key: str) -> None: ...

    @abc.abstractmethod
    async def init_expiring(self, key: str, value: bytes, ttl: float) -> bytes:
        """Store ``value`` for ``ttl`` seconds unless ``key`` holds one; return what it
        holds. Processes that need the same secret at once all get the first one."""

    @abc.abstractmethod
    async def count(self, key: str, ttl: float) -> int:
        """Atomically add one to the counter ``key`` and return its new value.

        The first increment creates it with a lifetime of ``ttl`` seconds, which later
        increments do not extend (a fixed window). Counters share the expiring secrets'
        keys: ``delete_expiring`` resets one.
        """

    # --- visitors and queues -----------------------------------------------------------
    @abc.abstractmethod
    async def next_ticket(self) -> int:
        """A strictly increasing arrival number, shared by all poles and processes."""

    @abc.abstractmethod
    async def add_visitor(self, session: VisitorSession, ttl: float) -> int:
        """Store a new waiting session, index its token hash, enqueue it by ticket.

        Returns its 1-based position in its pole's queue.
        """

    @abc.abstractmethod
    async def get_visitor(self, visitor_id: str) -> VisitorSession | None: ...

    @abc.abstractmethod
    async def visitor_by_token(self, token_hash: str) -> VisitorSession | None: ...

    @abc.abstractmethod
    async def update_visitor(self, visitor_id: str, change: Callable[[VisitorSession], T]) -> T:
        """Atomic read-change-write; raises NotFound if the session is gone."""

    @abc.abstractmethod
    async def resume_visitor(
        self, token_hash: str, lease_kind: str, lease_ttl: float, channel: str, signal: bytes
    ) -> tuple[VisitorSession, int, int | None] | None:
        """A connection takes over the session of ``token_hash``, in one atomic step.

        Applies :meth:`VisitorSession.attach` (the returned copy holds the new
        generation); makes the lease ``<id>:<generation>`` of ``lease_kind`` run out
        ``lease_ttl`` seconds from now and drops the previous generation's lease of that
        kind (a newer connection owns the session: nothing is left to do when it runs
        out); then publishes ``signal`` on ``channel``, where ``{id}`` and
        ``{generation}`` stand for the visitor id and the new generation in both.

        Returns the session with, read at the same instant, the length of its pole's
        queue and its position there (None: not waiting), as :meth:`positions` would;
        or None, changing nothing, if no session has that token hash.
        """

    @abc.abstractmethod
    async def requeue(
        self, visitor_id: str, change: Callable[[VisitorSession], T]
    ) -> tuple[T, int]:
        """Atomic :meth:`update_visitor` whose ``change`` leaves the session waiting
        (a transfer), and its entry in its pole's queue at its ticket, in one step:
        no instant where the visitor waits outside a queue, or sits in one unchanged.

        Returns what ``change`` returns and the session's 1-based position.
        """

    @abc.abstractmethod
    async def dequeue(self, session: VisitorSession) -> bool:
        """Remove a visitor from their pole's queue; False if they were not in it."""

    @abc.abstractmethod
    async def pop_waiting(self, pole: str) -> str | None:
        """Atomically remove and return the oldest waiting visitor id of ``pole``."""

    @abc.abstractmethod
    async def position(self, session: VisitorSession) -> int | None:
        """1-based position in the queue, or None if not waiting."""

    @abc.abstractmethod
    async def positions(
        self, pole: str, sessions: list[VisitorSession]
    ) -> tuple[int, list[int | None]]:
        """The length of ``pole``'s queue and the position of each of ``sessions`` in
        it (None: not waiting there), read at one instant: one call for many visitors."""

    @abc.abstractmethod
    async def queue_lengths(self, poles: list[str]) -> dict[str, int]: ...

    @abc.abstractmethod
    async def first_arrivals(self, poles: list[str]) -> dict[str, float]:
        """For each of ``poles`` where someone waits, the ``arrived_at`` of the first in
        line: the longest current wait, since a queue is in order of first arrival."""

    @abc.abstractmethod
    async def expire_visitor(self, visitor_id: str, ttl: float) -> None:
        """Set the remaining lifetime of the session and its token index to ``ttl`` s."""

    # --- conversations -----------------------------------------------------------------
    @abc.abstractmethod
    async def add_conversation(self, conversation: Conversation, ttl: float) -> None:
        """Store a new conversation (its id is fresh) with an empty log."""

    @abc.abstractmethod
    async def get_conversation(self, conversation_id: str) -> Conversation | None: ...

    @abc.abstractmethod
    async def update_conversation(
        self, conversation_id: str, change: Callable[[Conversation], T]
    ) -> T: ...

    @abc.abstractmethod
    async def append_event(
        self, conversation_id: str, draft: Event, channel: str
    ) -> tuple[Event, bool]:
        """Number and store ``draft`` and publish it on ``channel``, as one step.

        Returns (stored, True), or (earlier copy, False) on a retry, which publishes
        nothing. A retry is a draft with the same author and ``client_id`` as a stored
        event. The payload is the event as clients receive it
        (``protocol.messages.encoder``). Storing and publishing together costs one
        round trip on a message's path, and no stored event goes unannounced.

        Raises NotFound if the conversation is gone (expired or never added),
        IllegalTransition for a new draft after the ``ended`` event, and NotHeld for a
        counsellor's draft between a ``transferred`` event and the next ``opened`` (see
        :class:`~server.core.conversations.ConversationLog`).
        """

    @abc.abstractmethod
    async def events_since(self, conversation_id: str, seq: int) -> list[Event]:
        """Events after ``seq`` in order; raises NotFound if the conversation is gone."""

    @abc.abstractmethod
    async def expire_conversation(self, conversation_id: str, ttl: float) -> None:
        """Set the remaining lifetime of the conversation and its log to ``ttl`` seconds."""

    # --- counsellors -------------------------------------------------------------------
    @abc.abstractmethod
    async def update_desk(self, login: str, change: Callable[[Desk], T]) -> T:
        """Atomic change of a counsellor's desk, created empty when missing."""

    @abc.abstractmethod
    async def get_desk(self, login: str) -> Desk | None:
        """A counsellor's desk as it is (None: never opened), read without changing it."""

    # --- service figures ---------------------------------------------------------------
    @abc.abstractmethod
    async def record_take(self, pole: str, at: float) -> None:
        """Remember that a visitor of ``pole`` was taken at ``at`` (epoch seconds).

        Only the latest :data:`~server.core.estimates.KEPT` times are kept, for
        :data:`~server.core.estimates.WINDOW` seconds after the last one: anonymous
        figures for the wait estimate, no visitor, no counsellor.
        """

    @abc.abstractmethod
    async def recent_takes(self, pole: str) -> list[float]:
        """The remembered take times of ``pole``, oldest first."""

    # --- anonymous figures (durable) ----------------------------------------------------
    @abc.abstractmethod
    async def count_figure(self, figure: str, cell: str, by: int = 1) -> None:
        """Add ``by`` to the counter ``cell`` of ``figure``, atomically, durably (see
        :mod:`server.core.feedback`): counts with no visitor, session or time in them."""

    @abc.abstractmethod
    async def count_figures(self, figure: str, cells: dict[str, int]) -> None:
        """Add each count of ``cells`` to its cell of ``figure``: one round trip, each
        cell atomically (an event that counts in several cells at once)."""

    @abc.abstractmethod
    async def figures(self, figure: str) -> dict[str, int]:
        """Every cell of ``figure`` and its count."""

    @abc.abstractmethod
    async def figure_names(self) -> list[str]:
        """The name of every figure counted in, in no order."""

    @abc.abstractmethod
    async def drop_figure(self, figure: str) -> None:
        """Forget ``figure`` and its cells (past its retention)."""

    @abc.abstractmethod
    async def add_comment(self, comment: Comment) -> None:
        """Keep a visitor's comment until its ``until`` (epoch seconds)."""

    @abc.abstractmethod
    async def comments(self, now: float) -> list[Comment]:
        """The comments kept, oldest first; those whose ``until`` has passed are
        dropped (:meth:`sweep` drops them too, read or not)."""

    # --- leases ------------------------------------------------------------------------
    @abc.abstractmethod
    async def renew_leases(self, kind: str, members: list[str], ttl: float) -> None:
        """Make each member's lease of ``kind`` run out ``ttl`` seconds from now."""

    @abc.abstractmethod
    async def drop_lease(self, kind: str, member: str) -> None: ...

    @abc.abstractmethod
    async def claim_expired(self, kind: str, limit: int = 100) -> list[str]:
        """Remove and return up to ``limit`` leases of ``kind`` that ran out.

        Each expired lease is returned once, to one caller, across all processes.
        """

    # --- delivery ----------------------------------------------------------------------
    @abc.abstractmethod
    async def publish(self, channel: str, payload: bytes) -> None:
        """Deliver ``payload`` to every subscriber of ``channel``, in any process."""

    @abc.abstractmethod
    def subscriber(self, sink: Sink | None = None) -> Subscriber:
        """A new inbox: what arrives goes to ``sink`` if given, else waits for ``get()``."""
