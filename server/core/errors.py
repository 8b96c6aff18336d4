"""One root exception; each subclass carries the protocol error code it maps to."""

from __future__ import annotations


class ParoleError(Exception):
    """Root of every error Parole raises on purpose."""

    code = "error"

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        super().__init__(detail or self.code)


class ProtocolError(ParoleError):
    """A frame that cannot be accepted: malformed, unknown type, invalid field."""

    code = "invalid"


class IllegalTransition(ParoleError):
    """An action that the current state does not allow."""

    code = "not_allowed"


class CapacityReached(ParoleError):
    code = "capacity_reached"


class ConfigError(ParoleError):
    """A Cité configuration that breaks the charter's rules."""

    code = "invalid_config"


class Unavailable(ParoleError):
    """The shared state cannot be reached right now."""

    code = "unavailable"


class NotFound(ParoleError):
    """A visitor session or conversation that does not exist (or has expired)."""

    code = "not_found"


class NotHeld(IllegalTransition):
    """A counsellor's frame for a conversation they do not hold (or no longer: transferred)."""

    code = "unknown_conversation"


class Paused(IllegalTransition):
    """A paused counsellor takes no one until they say they are available again."""

    code = "paused"


class UnknownInvitation(IllegalTransition):
    """An invitation that is not there: never sent, withdrawn, answered or expired."""

    code = "unknown_invitation"
