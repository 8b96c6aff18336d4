"""Cleaning what people type, and the pseudonyms visitors are given (R1)."""

from __future__ import annotations

import random
import re
import unicodedata

from .errors import ConfigError, ProtocolError

# Zero-width (non-)joiners are format characters, but emoji sequences and the
# spelling of Persian or Indic scripts need them (R12).
_KEEP = {"\n", "\t", "\u200c", "\u200d"}

# Nature words, neutral and easy to read aloud; a number keeps them apart.
PSEUDONYM_WORDS = (
    "Colibri", "Mésange", "Érable", "Cèdre", "Lynx", "Loutre", "Héron", "Bouleau",
    "Castor", "Pinson", "Tilleul", "Renard", "Saule", "Comète", "Lagune", "Galet",
    "Aurore", "Cyprès", "Rivière", "Sirocco", "Alizé", "Jasmin", "Tournesol", "Marmotte",
)  # fmt: skip


def generate_pseudonym(rng: random.Random) -> str:
    return f"{rng.choice(PSEUDONYM_WORDS)} {rng.randint(10, 99)}"


_WITHOUT_KEPT = str.maketrans("", "", "".join(_KEEP))


def clean_text(text: str) -> str:
    """Drop control and format characters (but newlines and tabs); trim. Refuse empty."""
    if text.translate(_WITHOUT_KEPT).isprintable():
        # Nearly every message: nothing to drop (isprintable() is False for every "C"
        # character), found in C instead of a Python step per character.
        cleaned = text.strip()
    else:
        cleaned = "".join(
            ch for ch in text if ch in _KEEP or unicodedata.category(ch)[0] != "C"
        ).strip()
    if not cleaned.replace("\u200c", "").replace("\u200d", "").strip():
        raise ProtocolError("empty text")
    return cleaned


def clean_pseudonym(pseudonym: str) -> str:
    """One line, single spaces, no control characters."""
    one_line = pseudonym.replace("\n", " ").replace("\t", " ")
    one_line = one_line.replace("\u200c", "").replace("\u200d", "")
    return " ".join(clean_text(one_line).split())


def check_label(what: str, text: str, limit: int, *, required: bool = True) -> None:
    """A name shown to visitors: one line of at most ``limit`` characters, no markup.

    Pages escape it anyway; refusing ``<`` and ``>`` tells the manager at once that
    markup is not how a name is styled.
    """
    if required and not text.strip():
        raise ConfigError(f"{what} cannot be blank")
    if len(text) > limit:
        raise ConfigError(f"{what} is longer than {limit} characters")
    # Zl/Zp: U+2028 and U+2029 break lines too.
    breaks = ("Zl", "Zp")
    if text != text.strip() or any(
        unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in breaks for ch in text
    ):
        raise ConfigError(f"{what} must be one line, without control characters")
    if "<" in text or ">" in text:
        raise ConfigError(f"{what} cannot contain < or >")


def check_paragraphs(what: str, text: str, limit: int) -> None:
    """Plain text of a few lines that pages show as text (markup stays visible as
    written): at most ``limit`` characters, trimmed, no control characters but newlines."""
    if len(text) > limit:
        raise ConfigError(f"{what} is longer than {limit} characters")
    if text != text.strip() or any(
        ch != "\n" and unicodedata.category(ch)[0] == "C" for ch in text
    ):
        raise ConfigError(f"{what} must be trimmed text, without control characters")


#: What a phone number is written with, as people write it: "+33 1 40 05 85 85",
#: "01.40.05.85.85", "(555) 010-0199".
_PHONE = re.compile(r"\+?[0-9 ().-]+")
PHONE_MAX = 30


def check_phone(phone: str) -> None:
    """A number to call, or nothing: digits with the usual separators, 6 to 20 digits."""
    if not phone:
        return
    digits = sum(ch.isdigit() for ch in phone)
    if len(phone) > PHONE_MAX or not _PHONE.fullmatch(phone) or not 6 <= digits <= 20:
        raise ConfigError("a phone number is digits, spaces, + . - ( ): 6 to 20 digits")
