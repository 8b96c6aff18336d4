"""Turning websocket text frames into protocol messages, or typed protocol errors."""

from __future__ import annotations

from typing import Any

import msgspec

from protocol.messages import MAX_FRAME_BYTES
from server.core.errors import ProtocolError


def decode(decoder: msgspec.json.Decoder[Any], frame: str) -> Any:
    """Decode one frame; raise ProtocolError with code malformed, unknown_type or invalid."""
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError("frame too large", code="too_big")
    try:
        return decoder.decode(frame)
    except msgspec.ValidationError as exc:
        detail = str(exc)
        if "`$.type`" in detail and ("Invalid value" in detail or "Expected `str`" in detail):
            raise ProtocolError(detail, code="unknown_type") from None
        if "missing required field `type`" in detail:
            raise ProtocolError(detail, code="unknown_type") from None
        if detail.startswith("Expected `object`"):
            raise ProtocolError(detail, code="malformed") from None
        raise ProtocolError(detail, code="invalid") from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(str(exc), code="malformed") from None
