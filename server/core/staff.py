"""Staff accounts and a counsellor's desk: presence and capacity; who staffs each pole now."""

from __future__ import annotations

import enum
from collections.abc import Iterable

import msgspec

from .duty import DutySlot
from .errors import CapacityReached, ConfigError, IllegalTransition, Paused
from .replies import Reply

#: Bounds of the capacity a manager may give an account.
MAX_CAPACITY = 10


class Role(enum.Enum):
    COUNSELLOR = "counsellor"
    MANAGER = "manager"


class StaffAccount(msgspec.Struct):
    """A counsellor or manager, shown to visitors by ``alias`` and pole only (R2).

    Deliberately no field for the body that lends the counsellor: it cannot leak.
    """

    login: str
    alias: str
    password_hash: str
    role: Role = Role.COUNSELLOR
    poles: list[str] = []
    disabled: bool = False
    #: Base32 secret of the optional TOTP second factor (RFC 6238); None: password only.
    totp_secret: str | None = None
    #: Console sessions opened before this time (epoch seconds) are void: set when the
    #: password is reset or the account disabled, so that every open session ends.
    sessions_after: float = 0.0
    #: Conversations at once; None: the Cité's default (``PAROLE_CAPACITY``).
    capacity: int | None = None
    #: The counsellor's own canned replies (see :mod:`server.core.replies`).
    replies: list[Reply] = []
    #: Their usual hours on duty, to share with a visitor (see :mod:`server.core.duty`).
    duty: list[DutySlot] = []

    def __post_init__(self) -> None:
        if self.capacity is not None and not 1 <= self.capacity <= MAX_CAPACITY:
            raise ConfigError(f"a capacity is 1 to {MAX_CAPACITY} conversations")

    def capacity_or(self, default: int) -> int:
        return default if self.capacity is None else self.capacity

    def can_staff(self, pole: str) -> bool:
        return not self.disabled and pole in self.poles


class Presence(enum.Enum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    PAUSED = "paused"


class Desk(msgspec.Struct):
    """A counsellor's live state: open consoles, whether they take visitors now, and
    the conversations held. ``paused`` is the counsellor's own choice, kept across
    tabs, reloads and processes; it is set by itself when the last console has been
    gone past the resume grace, so nobody is counted as staffing a pole from home."""

    login: str
    capacity: int = 3
    consoles: int = 0
    conversations: list[str] = []
    paused: bool = False
    #: Conversations a colleague invited this counsellor into (or transfers to them),
    #: waiting for an answer: so that every console, even a reloaded one, shows them.
    invited: list[str] = []

    @property
    def presence(self) -> Presence:
        if self.consoles == 0:
            return Presence.OFFLINE
        return Presence.PAUSED if self.paused else Presence.AVAILABLE

    def set_capacity(self, capacity: int) -> Desk:
        """A manager changed it: conversations held beyond it stay, no new one comes."""
        self.capacity = capacity
        return self.snapshot()

    def set_paused(self, paused: bool) -> Desk:
        self.paused = paused
        return self.snapshot()

    def open_console(self, capacity: int) -> Desk:
        """A console connected; ``capacity`` is the Cité's current setting."""
        self.consoles += 1
        self.capacity = capacity
        return self.snapshot()

    def close_console(self) -> Desk:
        self.consoles = max(self.consoles - 1, 0)
        return self.snapshot()

    def snapshot(self) -> Desk:
        """A copy, for reading through an atomic update."""
        return msgspec.structs.replace(
            self, conversations=list(self.conversations), invited=list(self.invited)
        )

    @property
    def has_room(self) -> bool:
        """Takes visitors now, with room for one more conversation."""
        return self.presence is Presence.AVAILABLE and len(self.conversations) < self.capacity

    def invite(self, conversation: str) -> None:
        if conversation not in self.invited:
            self.invited.append(conversation)

    def uninvite(self, conversation: str) -> None:
        if conversation in self.invited:
            self.invited.remove(conversation)

    def check_can_take(self) -> None:
        """Raise unless this counsellor may take one more visitor now."""
        if self.presence is Presence.OFFLINE:
            raise IllegalTransition("the console is offline")
        if self.presence is Presence.PAUSED:
            raise Paused("paused: say you are available first")
        if len(self.conversations) >= self.capacity:
            raise CapacityReached(f"already {self.capacity} conversations")

    def hold(self, conversation: str) -> None:
        if conversation in self.conversations:
            return
        self.check_can_take()
        self.conversations.append(conversation)

    def release(self, conversation: str) -> None:
        if conversation in self.conversations:
            self.conversations.remove(conversation)

    def swap(self, reserved: str, conversation: str) -> None:
        """Hold ``conversation`` in the place ``reserved`` for it (a transferred
        visitor's conversation, known only once they were taken)."""
        self.release(reserved)
        if conversation not in self.conversations:
            self.conversations.append(conversation)


def staffing(desks: Iterable[tuple[StaffAccount, Desk | None]]) -> dict[str, int]:
    """Per pole, the counsellors available now: enabled, staffing it, a console open and
    not paused (a paused counsellor is not counted: R3, the visitor is told)."""
    counts: dict[str, int] = {}
    for account, desk in desks:
        if account.disabled or desk is None or desk.presence is not Presence.AVAILABLE:
            continue
        for pole in account.poles:
            counts[pole] = counts.get(pole, 0) + 1
    return counts
