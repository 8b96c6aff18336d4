"""Staff accounts and a counsellor's desk: presence and capacity."""

from __future__ import annotations

import enum

import msgspec

from .errors import CapacityReached, IllegalTransition


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

    def can_staff(self, pole: str) -> bool:
        return not self.disabled and pole in self.poles


class Presence(enum.Enum):
    OFFLINE = "offline"
    AVAILABLE = "available"


class Desk(msgspec.Struct):
    """A counsellor's live state: open consoles and the conversations held."""

    login: str
    capacity: int = 3
    consoles: int = 0
    conversations: list[str] = []

    @property
    def presence(self) -> Presence:
        return Presence.AVAILABLE if self.consoles > 0 else Presence.OFFLINE

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
        return msgspec.structs.replace(self, conversations=list(self.conversations))

    def check_can_take(self) -> None:
        """Raise unless this counsellor may take one more visitor now."""
        if self.presence is not Presence.AVAILABLE:
            raise IllegalTransition("the console is offline")
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
