from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from server.core.errors import ConfigError, ProtocolError
from server.core.text import (
    PSEUDONYM_WORDS,
    check_label,
    check_paragraphs,
    check_phone,
    clean_pseudonym,
    clean_text,
    generate_pseudonym,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Bonjour  ", "Bonjour"),
        ("Ligne 1\nLigne 2\n\tpuce", "Ligne 1\nLigne 2\n\tpuce"),
        ("Windows\r\nline", "Windows\nline"),
        ("bip\x07 nul\x00 échap\x1b[31m", "bip nul échap[31m"),
        ("zéro\u200blargeur", "zérolargeur"),
        ("\ufeffBOM", "BOM"),
        ("admin\u202egnp.exe", "admingnp.exe"),  # a bidi override cannot flip what follows
        ("Привет, 你好, مرحبا 👋🏽", "Привет, 你好, مرحبا 👋🏽"),
        ("café", "café"),  # the combining accent is kept
    ],
)
def test_clean_text_drops_control_and_format_characters_but_keeps_line_breaks(
    raw: str, clean: str
) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize("blank", ["", "   ", "\n\t\n", "\u3000\u00a0", "\u200b\u200d\x00", "\x7f"])
def test_text_that_is_empty_once_cleaned_is_a_protocol_error(blank: str) -> None:
    with pytest.raises(ProtocolError, match="empty") as caught:
        clean_text(blank)
    assert caught.value.code == "invalid"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Loutre 42", "Loutre 42"),
        ("  Loutre\n\n42\t", "Loutre 42"),
        ("Loutre\u2028\u00a0 42", "Loutre 42"),
        ("Lou\u200btre\x00 42", "Loutre 42"),
    ],
)
def test_a_pseudonym_is_one_line_with_single_spaces(raw: str, clean: str) -> None:
    assert clean_pseudonym(raw) == clean


def test_a_forty_char_pseudonym_is_kept_whole() -> None:
    name = "Marmotte-du-Grand-Sud Tournesol 12345678"
    assert len(name) == 40
    assert clean_pseudonym(name) == name


@pytest.mark.parametrize("blank", ["", " \n\t ", "\u200b"])
def test_a_blank_pseudonym_is_a_protocol_error(blank: str) -> None:
    with pytest.raises(ProtocolError):
        clean_pseudonym(blank)


def test_a_generated_pseudonym_is_a_nature_word_and_a_two_digit_number() -> None:
    rng = random.Random(1993)
    for _ in range(200):
        name = generate_pseudonym(rng)
        word, number = name.rsplit(" ", 1)
        assert word in PSEUDONYM_WORDS
        assert 10 <= int(number) <= 99
        assert clean_pseudonym(name) == name
        assert len(name) <= 40


def test_generated_pseudonyms_depend_only_on_the_random_source() -> None:
    one, other = random.Random(7), random.Random(7)
    assert [generate_pseudonym(one) for _ in range(5)] == [
        generate_pseudonym(other) for _ in range(5)
    ]


JOINERS = "\u200c\u200d"  # format characters that messages keep (emoji, Persian, Indic)


def _is_dropped(ch: str, keep: str = "\n\t" + JOINERS) -> bool:
    return ch not in keep and unicodedata.category(ch).startswith("C")


@given(st.text())
@example("0\u200c")  # a joiner stays (found by this test once the joiners were kept)
@example("\u200d \u200c")  # only joiners and space: nothing to say
def test_cleaned_text_has_no_control_char_no_outer_space_and_is_stable(raw: str) -> None:
    try:
        cleaned = clean_text(raw)
    except ProtocolError:
        assert all(_is_dropped(ch) or ch.isspace() or ch in JOINERS for ch in raw)
        return
    assert not any(_is_dropped(ch) for ch in cleaned)
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned) == cleaned


@given(st.text())
def test_a_cleaned_pseudonym_never_has_a_break_or_a_double_space(raw: str) -> None:
    try:
        cleaned = clean_pseudonym(raw)
    except ProtocolError:
        return
    assert re.fullmatch(r"\S+( \S+)*", cleaned)
    assert not any(_is_dropped(ch, keep="") for ch in cleaned)
    assert clean_pseudonym(cleaned) == cleaned


def test_joiners_stay_in_messages_but_not_in_pseudonyms() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "می\u200cخواهم"
    assert clean_text(f"{family} {persian}") == f"{family} {persian}"
    assert clean_pseudonym("Lou\u200ctre\u200d 42") == "Loutre 42"


# Labels a manager types: names of the Cité, its poles and sites, aliases.


def test_a_label_of_one_line_within_the_limit_is_accepted() -> None:
    check_label("a pole's name", "Trouver un emploi", 17)
    check_label("a pole's name", "Привет, 你好, مرحبا 👋🏽 café", 80)
    check_label("a pole's name", 'Salle 2 & 3 : l\'atelier "CV"', 80)


@pytest.mark.parametrize("blank", ["", " ", "\u3000\u00a0"])
def test_a_required_label_cannot_be_blank(blank: str) -> None:
    with pytest.raises(ConfigError, match="a pole's name cannot be blank") as caught:
        check_label("a pole's name", blank, 80)
    assert caught.value.code == "invalid_config"


def test_a_label_longer_than_its_limit_is_refused_and_the_limit_itself_is_accepted() -> None:
    check_label("the Cité's name", "é" * 80, 80)
    with pytest.raises(ConfigError, match="the Cité's name is longer than 80 characters"):
        check_label("the Cité's name", "é" * 81, 80)


@pytest.mark.parametrize("padded", [" Emploi", "Emploi ", "\tEmploi", "Emploi\n", "\u00a0Emploi"])
def test_a_label_with_surrounding_spaces_is_refused(padded: str) -> None:
    with pytest.raises(ConfigError, match="must be one line, without control characters"):
        check_label("a site's name", padded, 80)


@pytest.mark.parametrize(
    "text", ["Trouver\nun emploi", "Trouver\tun emploi", "bip\x07", "nul\x00", "\x7f", "a\u200bb"]
)
def test_a_label_with_a_line_break_or_a_control_character_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="must be one line, without control characters"):
        check_label("a site's name", text, 80)


@pytest.mark.parametrize("text", ["Emploi\u2028Formation", "Emploi\u2029Formation"])
def test_a_label_with_a_unicode_line_or_paragraph_separator_is_not_one_line(text: str) -> None:
    assert len(text.splitlines()) == 2
    with pytest.raises(ConfigError, match="must be one line"):
        check_label("a site's name", text, 80)


@pytest.mark.parametrize("text", ["<b>Emploi</b>", "Emploi <", "Emploi > formation"])
def test_a_label_with_angle_brackets_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="a pole's name cannot contain < or >"):
        check_label("a pole's name", text, 80)


def test_a_label_that_is_not_required_may_be_empty_but_not_just_spaces() -> None:
    check_label("a pole's description", "", 300, required=False)
    check_label("a pole's description", "CV, entretiens", 300, required=False)
    with pytest.raises(ConfigError, match="one line"):
        check_label("a pole's description", "  ", 300, required=False)
    with pytest.raises(ConfigError, match="cannot contain"):
        check_label("a pole's description", "<i>", 300, required=False)


@given(st.text(max_size=40))
def test_an_accepted_label_is_one_trimmed_line_without_markup(text: str) -> None:
    try:
        check_label("a label", text, 30)
    except ConfigError:
        return
    assert 0 < len(text) <= 30
    assert text == text.strip()
    assert "<" not in text and ">" not in text
    assert not any(unicodedata.category(ch).startswith("C") for ch in text)


@given(st.text())
@example("Bonjour, je cherche un stage")  # nothing to drop: the fast path
@example("Bonjour\u00a0: oui\n")  # a no-break space and a newline: the careful path
@example("\u2028x\u200dy\u0085")  # separators and controls
def test_clean_text_keeps_exactly_what_is_not_a_control_or_format_character(raw: str) -> None:
    expected = "".join(ch for ch in raw if not _is_dropped(ch)).strip()
    if not expected.replace("\u200c", "").replace("\u200d", "").strip():
        return  # refused: the test above covers it
    assert clean_text(raw) == expected


def test_paragraphs_keep_newlines_and_refuse_other_controls() -> None:
    check_paragraphs("a note", "Un.\n\nDeux <i>trois</i>", 50)
    check_paragraphs("a note", "", 50)
    for bad, why in (("x" * 51, "longer"), ("\nx", "trimmed"), ("a\tb", "control")):
        with pytest.raises(ConfigError, match=why):
            check_paragraphs("a note", bad, 50)


@pytest.mark.parametrize(
    "phone", ["", "+33 1 40 05 85 85", "01.40.05.85.85", "(555) 010-0199", "+33 (0)1 99 00 12 34"]
)
def test_phone_numbers_as_people_write_them(phone: str) -> None:
    check_phone(phone)


@pytest.mark.parametrize(
    "phone",
    ["12345", "call us", "01 40 05 85 85 <b>", "+33 1 40\n05", "1" * 21, "1 " * 16, "++33123456"],
)
def test_anything_else_is_not_a_phone_number(phone: str) -> None:
    with pytest.raises(ConfigError):
        check_phone(phone)
