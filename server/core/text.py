"""Cleaning what people type, and the pseudonyms visitors are given (R1)."""

from __future__ import annotations

import random
import unicodedata

from .errors import ProtocolError

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


def clean_text(text: str) -> str:
    """Drop control and format characters (but newlines and tabs); trim. Refuse empty."""
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
