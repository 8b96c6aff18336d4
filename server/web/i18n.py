"""Message catalogs: every text a person reads comes from ``locales/<lang>.json``.

Adding a language is adding a file (and its plural rules to ``locales/plurals.json``);
keys missing there fall back to French. A value is a text, or for a text with a count
a plural object (``{"one": "{count} minute", "other": "{count} minutes"}``): the form is
chosen by ``count`` as widget/static/texts.js does in the browser (locales/README.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from .paths import LOCALES
from .plurals import RULES_FILE, PluralRules, load_rules

FALLBACK = "fr"

#: A text, or a plural object: CLDR category or exact count ("=0") -> text.
Value = str | dict[str, str]

#: Catalog files are named by language tag (fr, en, pt-BR); plurals.json is not one.
_LANGUAGE_FILE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
#: ``{name}`` in a text; the same pattern as in texts.js.
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")


def fill(text: str, values: Mapping[str, object]) -> str:
    """``text`` with each ``{name}`` given in ``values`` replaced; others left as written."""
    return _PLACEHOLDER.sub(
        lambda match: str(values[match[1]]) if match[1] in values else match[0], text
    )


def placeholders(value: Value) -> set[str]:
    """The names a text (every form of a plural object) has placeholders for."""
    forms = [value] if isinstance(value, str) else list(value.values())
    return {name for form in forms for name in _PLACEHOLDER.findall(form)}


def choose(value: Value, count: object, rules: PluralRules) -> str:
    """The form of ``value`` for ``count``: an exact ``=N`` form first, then the
    count's CLDR category, then "other" (also without a whole count)."""
    if isinstance(value, str):
        return value
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        exact = value.get(f"={count}")
        if exact is not None:
            return exact
        return value.get(rules.select(count), value["other"])
    return value["other"]


class Catalogs:
    def __init__(self, folder: Path = LOCALES, rules: Path = RULES_FILE) -> None:
        self.texts: dict[str, dict[str, Value]] = {}
        for path in sorted(folder.glob("*.json")):
            if _LANGUAGE_FILE.fullmatch(path.stem):
                self.texts[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        base = self.texts[FALLBACK]
        for lang, texts in self.texts.items():
            self.texts[lang] = {**base, **texts}
        table = load_rules(rules)
        # A language the table lacks gets "other" for every count rather than a crash;
        # tests/unit/test_catalogs.py makes sure every catalog has its rules.
        self.rules = {lang: table.get(lang, PluralRules({})) for lang in self.texts}

    @property
    def languages(self) -> list[str]:
        return sorted(self.texts)

    def negotiate(self, wanted: str | None, accept_language: str = "") -> str:
        """The best catalog for an explicit choice, else the Accept-Language header."""
        candidates = [wanted] if wanted else []
        for part in accept_language.split(","):
            tag = part.split(";", 1)[0].strip()
            if tag:
                candidates.append(tag)
        for tag in candidates:
            if tag in self.texts:
                return tag
            if tag and tag.split("-", 1)[0].lower() in self.texts:
                return tag.split("-", 1)[0].lower()
        return FALLBACK

    def catalog(self, lang: str) -> dict[str, Value]:
        return self.texts.get(lang, self.texts[FALLBACK])

    def form(self, lang: str, key: str, count: object = None) -> str:
        """The text of ``key`` in ``lang`` as written, its form chosen by ``count`` if
        it has plural forms; the key itself if unknown."""
        if lang not in self.texts:
            lang = FALLBACK
        return choose(self.texts[lang].get(key, key), count, self.rules[lang])

    def text(self, lang: str, key: str, **values: object) -> str:
        """:meth:`form` for ``values["count"]``, with ``values`` filled in."""
        return fill(self.form(lang, key, values.get("count")), values)
