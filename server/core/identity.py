"""What looks like a person's identity in a text: the identity guard (R1).

A visitor may write an email address, a phone number, a social security number, an
IBAN or a postal address without thinking; the Cité needs none of them to advise.
The widget and the console find them before a message goes (their twin,
protocol/js/identity.js, holds the same patterns), say so, and offer to remove them
or send anyway; the server scrubs them from anything it logs (server/web/logs.py).

What counts, and why ordinary numbers raise no alarm:
- an email address: ``name@domain.tld``, also written ``name (at) domain.tld`` or
  ``name arobase domain.tld``;
- a phone number: French (``06 12 34 56 78``, ten digits from 0, grouped by pairs or
  not) or international (``+`` or ``00``, then 9 to 15 digits, ``(0)`` allowed);
- a NIR, the French social security number: 13 characters (sex, year, month,
  département — 2A and 2B included —, commune, order) and its two-digit key, which
  must be right: a random 15-digit number is not one;
- an IBAN: country, check digits, then groups; its mod-97 check must hold;
- a postal address: a street number, a street word (rue, avenue, boulevard…) and a
  name, with the postcode and town that may follow.
Dates, prices, years, postcodes alone, dossier numbers and hours match none of them:
the corpus in protocol/fixtures/identity.json holds examples both ways, and both
sides are tested against it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Kind(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    NIR = "nir"
    IBAN = "iban"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Found:
    kind: Kind
    start: int
    end: int


# Letters as people write them in French names and streets (Latin-1 letters).
_L = "A-Za-zÀ-ÖØ-öø-ÿ"
# Each pattern is written the same in protocol/js/identity.js; keep them in step.
_EMAIL = re.compile(
    rf"(?<![{_L}0-9._%+-])[{_L}0-9._%+-]+"
    r"(?:@|\s?[(\[]at[)\]]\s?|\sarobase\s)"
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])",
    re.IGNORECASE,
)
_PHONE_FR = re.compile(r"(?<![0-9A-Za-z+])0[1-9](?:[ .-]?[0-9]{2}){4}(?![0-9])")
_PHONE_INTL = re.compile(
    r"(?<![0-9A-Za-z+])(?:\+|00)[1-9](?:[ .-]?(?:\([0-9]{1,4}\)|[0-9])){7,16}(?![0-9])"
)
_NIR = re.compile(
    r"(?<![0-9A-Za-z])[1-478][ .-]?[0-9]{2}[ .-]?(?:0[1-9]|1[0-2]|[2-9][0-9])[ .-]?"
    r"(?:(?:[0-9]{2}|2[AB])[ .-]?[0-9]{3}|9[78][0-9][ .-]?[0-9]{2})"
    r"[ .-]?[0-9]{3}[ .-]?[0-9]{2}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_IBAN = re.compile(
    r"(?<![0-9A-Za-z])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![0-9A-Za-z])",
    re.IGNORECASE,
)
# Street words and the particles after them, as typed: "rue", "Rue" or "RUE". Not
# case-insensitive as a whole: the capitalised words that carry a street's name on
# ("avenue Jean Jaurès") must stop at the sentence's lowercase words.
_STREETS = (
    "rue", "avenue", "av.", "av", "boulevard", "bd", "allée", "allee", "impasse", "chemin",
    "quai", "square", "faubourg", "résidence", "residence", "lotissement", "hameau", "sentier",
)  # fmt: skip
_PARTICLES = (
    "de la",
    "de l'",
    "de l’",
    "du",
    "des",
    "de",
    "d'",
    "d’",
    "la",
    "le",
    "les",
    "l'",
    "l’",
)


def _cases(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for word in words for w in (word, word.capitalize(), word.upper()))


_ADDRESS = re.compile(
    rf"(?<![{_L}0-9])[0-9]{{1,4}}(?: ?(?:bis|ter|quater|[a-dA-D]))?,? (?:{_cases(_STREETS)}) "
    rf"(?:(?:{_cases(_PARTICLES)}) ?)?[{_L}][{_L}'’-]*"
    rf"(?: [A-ZÀ-ÖØ-Þ][{_L}'’-]*)*"
    rf"(?:,? [0-9]{{5}}(?![0-9])(?: [{_L}][{_L}'’-]*)?)?"
)


def find(text: str) -> list[Found]:
    """What looks like identity in ``text``, in order, never overlapping."""
    found = [Found(Kind.EMAIL, m.start(), m.end()) for m in _EMAIL.finditer(text)]
    found += [Found(Kind.PHONE, m.start(), m.end()) for m in _PHONE_FR.finditer(text)]
    found += [
        Found(Kind.PHONE, m.start(), m.end())
        for m in _PHONE_INTL.finditer(text)
        if 9 <= len(_digits(m.group().replace("(0)", ""))) <= 15
    ]
    found += [Found(Kind.NIR, m.start(), m.end()) for m in _NIR.finditer(text) if nir_ok(m.group())]
    for m in _IBAN.finditer(text):
        end = _iban_end(m.group())
        if end:
            found.append(Found(Kind.IBAN, m.start(), m.start() + end))
    found += [Found(Kind.ADDRESS, m.start(), m.end()) for m in _ADDRESS.finditer(text)]
    # The earliest first, the longest of those starting together; drop what overlaps.
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Found] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def scrub(text: str) -> str:
    """``text`` with each thing found replaced by its kind in brackets: ``[email]``."""
    pieces, at = [], 0
    for f in find(text):
        pieces += [text[at : f.start], f"[{f.kind}]"]
        at = f.end
    return "".join(pieces) + text[at:]


def nir_ok(candidate: str) -> bool:
    """Whether a NIR's key is right (Corsica's 2A and 2B count as 19 and 18)."""
    compact = re.sub(r"[ .-]", "", candidate).upper()
    number = compact[:13].replace("2A", "19", 1).replace("2B", "18", 1)
    return number.isdigit() and 97 - int(number) % 97 == int(compact[13:])


def iban_ok(candidate: str) -> bool:
    """Whether an IBAN's length and mod-97 check hold (ISO 13616)."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _iban_end(candidate: str) -> int:
    """How much of ``candidate`` is a valid IBAN, dropping the groups written after it
    (its last group may be a word's first letters: "… 189 MERCI"); 0 if none."""
    end = len(candidate)
    while end >= 15:
        if iban_ok(candidate[:end]):
            return end
        space = candidate.rfind(" ", 0, end)
        if space < 0:
            return 0
        end = space
    return 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())
