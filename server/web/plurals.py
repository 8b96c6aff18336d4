"""CLDR plural rules, read from ``locales/plurals.json``, for whole counts.

A catalog text with a count has one form per plural category of its language
("one", "other"…, see locales/README.md). Browsers pick the category with
``Intl.PluralRules``; the server has no such library, so it evaluates the same
rules, written in CLDR's own syntax (Unicode TR35, "Language Plural Rules") and
copied from CLDR: adding a language is adding its lines to the table, not code.

Only whole, non-negative counts are ever formatted (people, minutes, messages), so
of CLDR's operands ``n`` and ``i`` are the count and ``v w f t c e`` are 0. The
shared cases of ``protocol/fixtures/plurals.json`` hold both sides to the same answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .paths import LOCALES

RULES_FILE = LOCALES / "plurals.json"
#: The categories a rule may name, in the order CLDR tries them; none matches: "other".
CATEGORIES = ("zero", "one", "two", "few", "many")

_RELATION = re.compile(
    r"([nivwftce])(?:\s*%\s*(\d+))?\s*(!=|=)\s*(\d+(?:\.\.\d+)?(?:\s*,\s*\d+(?:\.\.\d+)?)*)"
)


@dataclass(frozen=True)
class _Relation:
    """``operand [% modulus] (= | !=) ranges``, e.g. ``i % 100 != 12..14``."""

    operand: str
    modulus: int | None
    negated: bool
    ranges: tuple[tuple[int, int], ...]

    def holds(self, count: int) -> bool:
        value = count if self.operand in "ni" else 0
        if self.modulus is not None:
            value %= self.modulus
        inside = any(low <= value <= high for low, high in self.ranges)
        return inside != self.negated


def _parse(rule: str) -> tuple[tuple[_Relation, ...], ...]:
    """``a and b or c`` as ((a, b), (c,)); the samples after ``@`` are left out."""
    condition = rule.split("@", 1)[0].strip()
    if not condition:
        raise ValueError(f"empty plural rule {rule!r}")
    alternatives = []
    for part in re.split(r"\s+or\s+", condition):
        relations = []
        for text in re.split(r"\s+and\s+", part.strip()):
            match = _RELATION.fullmatch(text.strip())
            if match is None:
                raise ValueError(f"not a CLDR plural relation: {text!r} in {rule!r}")
            bounds = []
            for item in match[4].split(","):
                low, _, high = item.strip().partition("..")
                bounds.append((int(low), int(high or low)))
            modulus = int(match[2]) if match[2] else None
            relations.append(_Relation(match[1], modulus, match[3] == "!=", tuple(bounds)))
        alternatives.append(tuple(relations))
    return tuple(alternatives)


class PluralRules:
    """One language's rules: ``select(count)`` is the category of a whole count."""

    def __init__(self, rules: Mapping[str, str]) -> None:
        unknown = set(rules) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown plural categories {sorted(unknown)}")
        self._rules = [(name, _parse(rules[name])) for name in CATEGORIES if name in rules]

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories of the language, "other" last (always there)."""
        return (*(name for name, _ in self._rules), "other")

    def select(self, count: int) -> str:
        for name, alternatives in self._rules:
            if any(all(r.holds(count) for r in relations) for relations in alternatives):
                return name
        return "other"


def load_rules(path: Path = RULES_FILE) -> dict[str, PluralRules]:
    """Every language of the table; a malformed rule raises ValueError at start-up."""
    table = json.loads(path.read_text(encoding="utf-8"))["languages"]
    return {lang: PluralRules(rules) for lang, rules in table.items()}
