"""Message catalogs: every text a person reads comes from ``locales/<lang>.json``.

Adding a language is adding a file; keys missing there fall back to French.
"""

from __future__ import annotations

import json
from pathlib import Path

from .paths import LOCALES

FALLBACK = "fr"


class Catalogs:
    def __init__(self, folder: Path = LOCALES) -> None:
        self.texts: dict[str, dict[str, str]] = {}
        for path in sorted(folder.glob("*.json")):
            self.texts[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        base = self.texts[FALLBACK]
        for lang, texts in self.texts.items():
            self.texts[lang] = {**base, **texts}

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

    def catalog(self, lang: str) -> dict[str, str]:
        return self.texts.get(lang, self.texts[FALLBACK])

    def text(self, lang: str, key: str) -> str:
        return self.catalog(lang).get(key, key)
