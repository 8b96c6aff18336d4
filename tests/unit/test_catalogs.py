"""The catalogs (locales/*.json) and their plural forms, read as the server reads them.

The same cases (protocol/fixtures/plurals.json) run in tests/js/texts.test.mjs against
the browser's Intl.PluralRules: both sides pick the same form and write the same text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from server.web.i18n import FALLBACK, Catalogs, placeholders
from server.web.plurals import CATEGORIES, RULES_FILE, PluralRules, load_rules

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "protocol" / "fixtures" / "plurals.json").read_text("utf-8"))
RULES = load_rules(RULES_FILE)
RAW = {
    path.stem: json.loads(path.read_text("utf-8"))
    for path in (ROOT / "locales").glob("*.json")
    if path.stem != "plurals"
}


@pytest.mark.parametrize(("lang", "count", "category"), CASES["categories"])
def test_each_language_picks_the_cldr_category(lang: str, count: int, category: str) -> None:
    assert RULES[lang].select(count) == category


@pytest.mark.parametrize(("lang", "key", "values", "text"), CASES["texts"])
def test_the_shared_cases_read_the_same_text(
    lang: str, key: str, values: dict[str, Any], text: str
) -> None:
    assert Catalogs().text(lang, key, **values) == text


def test_the_catalogs_are_the_language_files_only() -> None:
    assert Catalogs().languages == sorted(RAW) and FALLBACK in RAW and "en" in RAW


def test_every_language_has_the_same_keys_and_placeholders_as_french() -> None:
    french = RAW[FALLBACK]
    for lang, catalog in RAW.items():
        assert sorted(catalog) == sorted(french), lang
        for key, value in catalog.items():
            assert placeholders(value) == placeholders(french[key]), (lang, key)
            assert isinstance(value, str) == isinstance(french[key], str), (lang, key)


def test_every_language_of_the_catalogs_has_plural_rules() -> None:
    assert set(RAW) <= set(RULES)


def test_plural_forms_are_cldr_categories_or_exact_counts() -> None:
    for lang, catalog in RAW.items():
        allowed = set(RULES[lang].categories)
        for key, value in catalog.items():
            if isinstance(value, str):
                assert value.strip(), (lang, key)
                continue
            assert isinstance(value, dict) and "other" in value, (lang, key)
            for name, text in value.items():
                assert name in allowed or re.fullmatch(r"=\d+", name), (lang, key, name)
                assert isinstance(text, str) and text.strip(), (lang, key, name)


def test_every_count_below_a_thousand_finds_its_own_form() -> None:
    """'other' is only a fallback for counts that rare (French 'many': millions)."""
    for lang, catalog in RAW.items():
        rules = RULES[lang]
        for key, value in catalog.items():
            if isinstance(value, dict):
                missing = {
                    rules.select(n)
                    for n in range(1000)
                    if f"={n}" not in value and rules.select(n) not in value
                }
                assert not missing, (lang, key, missing)


def test_a_text_with_a_count_has_plural_forms_and_its_other_form_shows_the_count() -> None:
    for lang, catalog in RAW.items():
        for key, value in catalog.items():
            if isinstance(value, str):
                assert "{count}" not in value, (lang, key)
            else:
                assert "{count}" in value["other"], (lang, key)


# Every literal use of a key in the code, with or without a count.
JS_CALL = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']\s*(,[^)]*)?\)""")
JINJA_CALL = re.compile(r"""\b(t|counted)\(\s*'([a-z_.]+)'\s*(,[^)]*)?\)""")


def uses() -> list[tuple[str, str, bool]]:
    """(file, key, given a count) for each literal catalog key in the browser code
    and the templates."""
    found = []
    for path in [
        *(ROOT / "widget" / "static").glob("*.js"),
        *(ROOT / "console" / "static").glob("*.js"),
    ]:
        for match in JS_CALL.finditer(path.read_text("utf-8")):
            found.append((path.name, match[1], bool(re.search(r"\bcount\b", match[2] or ""))))
    for path in [
        *(ROOT / "console" / "templates").rglob("*.html"),
        *(ROOT / "widget" / "templates").rglob("*.html"),
    ]:
        for match in JINJA_CALL.finditer(path.read_text("utf-8")):
            counted = match[1] == "counted" or "count=" in (match[3] or "")
            found.append((path.name, match[2], counted))
    return found


def test_keys_given_a_count_have_plural_forms_and_the_others_have_none() -> None:
    found = uses()
    assert sum(counted for _, _, counted in found) >= 12, found
    for lang, catalog in RAW.items():
        for where, key, counted in found:
            assert key in catalog, (lang, where, key)
            assert isinstance(catalog[key], dict) == counted, (lang, where, key)


def test_a_rule_table_reads_cldr_syntax() -> None:
    rules = PluralRules(
        {
            "one": "i = 1 and v = 0 @integer 1",
            "few": "n % 10 = 2..4 and n % 100 != 12..14 @integer 2~4, 22~24",
            "many": "n != 1 and n % 10 = 0..1 or n % 10 = 5..9 or n % 100 = 12..14",
        }
    )
    assert rules.categories == ("one", "few", "many", "other")
    assert [rules.select(n) for n in (1, 2, 4, 5, 12, 22, 25, 112, 121)] == [
        "one",
        "few",
        "few",
        "many",
        "many",
        "few",
        "many",
        "many",
        "many",
    ]
    assert PluralRules({}).select(1) == "other"
    assert CATEGORIES == ("zero", "one", "two", "few", "many")


@pytest.mark.parametrize(
    "rules",
    [{"one": "i = "}, {"one": "x = 1"}, {"one": "i = 1.5"}, {"lots": "i = 1"}, {"one": "i = 1 or"}],
)
def test_a_rule_table_that_is_not_cldr_is_refused(rules: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        PluralRules(rules)
