"""Canned replies: what a counsellor writes often, inserted with "/" and edited before
it goes.

A counsellor keeps their own (on their account); managers keep shared ones per pole
(in the library, beside the resource cards). A reply's text may name the visitor's
pseudonym and the counsellor's alias as ``{pseudonym}`` and ``{alias}``: the console
fills them in when it inserts the reply, and the counsellor sees the result before
sending. Nothing else between braces is taken, so a typo shows at once.
"""

from __future__ import annotations

import re

import msgspec

from .errors import ConfigError
from .text import check_label, check_paragraphs

NAME_MAX = 40
TEXT_MAX = 600
#: Replies per counsellor, and shared replies per pole: what a type-ahead can offer.
MAX_REPLIES = 30
PLACEHOLDERS = ("pseudonym", "alias")

_ID = re.compile(r"[a-z0-9-]{1,64}")
_BRACES = re.compile(r"\{([^{}]*)\}")


class Reply(msgspec.Struct, frozen=True, omit_defaults=True):
    """A canned reply; ``pole`` is set for a shared one, None for a counsellor's own."""

    id: str
    name: str
    text: str
    pole: str | None = None

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id) or (self.pole is not None and not _ID.fullmatch(self.pole)):
            raise ConfigError(f"bad reply id {self.id!r} or pole {self.pole!r}")
        check_label("a reply's name", self.name, NAME_MAX)
        if not self.text.strip():
            raise ConfigError("a reply needs a text")
        check_paragraphs("a reply's text", self.text, TEXT_MAX)
        unknown = sorted(set(_BRACES.findall(self.text)) - set(PLACEHOLDERS))
        if unknown:
            raise ConfigError(
                f"unknown placeholder {{{unknown[0]}}}: use {{pseudonym}} or {{alias}}"
            )


def filled(text: str, pseudonym: str, alias: str) -> str:
    """``text`` with its placeholders replaced (the console does the same in JS)."""
    values = {"pseudonym": pseudonym, "alias": alias}
    return _BRACES.sub(lambda match: values.get(match[1], match[0]), text)


def put_reply(replies: list[Reply], reply: Reply) -> None:
    """Add ``reply`` last, or replace the one with its id, in a list of one owner's
    (one counsellor's, or one pole's): at most :data:`MAX_REPLIES`."""
    for i, old in enumerate(replies):
        if old.id == reply.id:
            replies[i] = reply
            return
    if len(replies) >= MAX_REPLIES:
        raise ConfigError(f"at most {MAX_REPLIES} replies")
    replies.append(reply)


def remove_reply(replies: list[Reply], reply_id: str) -> None:
    kept = [reply for reply in replies if reply.id != reply_id]
    if len(kept) == len(replies):
        raise ConfigError(f"no reply {reply_id!r}")
    replies[:] = kept
