from __future__ import annotations

from datetime import date

import pytest

from server.core.errors import ConfigError
from server.core.hours_text import (
    MAX_LINES,
    MAX_SLOTS,
    format_closures,
    format_slots,
    format_special_days,
    parse_closures,
    parse_slots,
    parse_special_days,
    parse_time,
    slug,
)
from server.core.schedules import Closure, Slot, SpecialDay


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", "09:30"),
        ("9:30", "09:30"),
        ("9", "09:00"),
        ("9h", "09:00"),
        ("13h30", "13:30"),
        ("13H30", "13:30"),
        (" 24:00 ", "24:00"),
        ("0", "00:00"),
    ],
)
def test_times_are_read_the_usual_ways(text: str, expected: str) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "nine", "9.30", "930", "9:3", "123:00", "09:30pm"])
def test_what_is_not_a_time_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="not a time: write HH:MM"):
        parse_time(text)


@pytest.mark.parametrize("text", ["25:00", "24:30", "12:60"])
def test_a_time_past_the_day_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="not a time of day"):
        parse_time(text)


def test_a_split_day_is_read_in_order() -> None:
    slots = parse_slots("13h30-18h ; 09:00 - 12:30")
    assert slots == (Slot("09:00", "12:30"), Slot("13:30", "18:00"))
    assert format_slots(slots) == "09:00-12:30, 13:30-18:00"
    assert parse_slots(format_slots(slots)) == slots


def test_an_empty_day_is_closed() -> None:
    assert parse_slots("") == ()
    assert parse_slots(" , ") == ()
    assert format_slots(()) == ""


def test_an_en_dash_and_a_day_ending_at_midnight_are_accepted() -> None:
    assert parse_slots("20:00–24:00") == (Slot("20:00", "24:00"),)


def test_overlapping_slots_are_refused() -> None:
    with pytest.raises(ConfigError, match="09:00-12:30 and 12:00-14:00 overlap"):
        parse_slots("12:00-14:00, 09:00-12:30")


def test_slots_that_touch_are_fine() -> None:
    assert len(parse_slots("09:00-12:00, 12:00-14:00")) == 2


@pytest.mark.parametrize("text", ["09:00", "9 to 12", "09:00-"])
def test_a_slot_needs_a_start_and_an_end(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a slot"):
        parse_slots(text)


def test_a_slot_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ConfigError, match="does not end after it starts"):
        parse_slots("18:00-09:00")


def test_a_day_has_a_bounded_number_of_slots() -> None:
    many = ", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(MAX_SLOTS + 1))
    with pytest.raises(ConfigError, match=f"at most {MAX_SLOTS} slots"):
        parse_slots(many)


def test_special_days_are_read_one_per_line_sorted() -> None:
    text = "2026-12-31 closed\n\n  2026-12-24   09:00-12:00 \n2026-12-25 Fermé\n2027-01-02 ferme"
    days = parse_special_days(text)
    assert days == (
        SpecialDay(date(2026, 12, 24), (Slot("09:00", "12:00"),)),
        SpecialDay(date(2026, 12, 25)),
        SpecialDay(date(2026, 12, 31)),
        SpecialDay(date(2027, 1, 2)),
    )
    written = format_special_days(days, "fermé")
    assert written.splitlines()[:2] == ["2026-12-24 09:00-12:00", "2026-12-25 fermé"]
    assert parse_special_days(written) == days
    assert parse_special_days("") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24/12/2026 closed", r"line 1: '24/12/2026' is not a date"),
        ("2026-12-24 closed\n2026-02-30 closed", "line 2: '2026-02-30' is not a date"),
        ("2026-12-24", "line 1: give the slots"),
        ("2026-12-24 closed\n\n2026-12-24 09:00-10:00", "line 3: 2026-12-24 is given twice"),
        ("2026-12-24 9-12, 11-13", "line 1: slots 09:00-12:00 and 11:00-13:00 overlap"),
        ("2026-12-24 open", "line 1: 'open' is not a slot"),
    ],
)
def test_a_bad_special_day_says_which_line_and_why(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_special_days(text)


def test_closures_are_read_one_per_line_sorted() -> None:
    text = "2026-12-24 au 2027-01-01\n2026-08-01 2026-08-15\n2026-05-08\n2026-11-02 - 2026-11-03"
    closures = parse_closures(text)
    assert closures == (
        Closure(date(2026, 5, 8), date(2026, 5, 8)),
        Closure(date(2026, 8, 1), date(2026, 8, 15)),
        Closure(date(2026, 11, 2), date(2026, 11, 3)),
        Closure(date(2026, 12, 24), date(2027, 1, 1)),
    )
    written = format_closures(closures)
    assert written.splitlines()[:2] == ["2026-05-08", "2026-08-01 2026-08-15"]
    assert parse_closures(written) == closures


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-08-01 2026-08-10 2026-08-15", "line 1: write the first and last dates"),
        ("\n- ..", "line 2: write the first and last dates"),
        ("2026-08-15 2026-08-01", "line 1: 2026-08-01 comes before 2026-08-15"),
        ("2026-08-01 soon", "line 1: 'soon' is not a date"),
    ],
)
def test_a_bad_closure_says_which_line_and_why(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_closures(text)


@pytest.mark.parametrize("parse", [parse_special_days, parse_closures])
def test_a_field_has_a_bounded_number_of_lines(parse: object) -> None:
    text = "\n".join(f"2026-01-01 closed {i}" for i in range(MAX_LINES + 1))
    with pytest.raises(ConfigError, match=f"at most {MAX_LINES} lines"):
        parse(text)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Trouver un emploi", "trouver-un-emploi"),
        ("Créer son activité !", "creer-son-activite"),
        ("S'installer en France", "s-installer-en-france"),
        ("«»", "x"),
        ("a" * 80, "a" * 56),
    ],
)
def test_a_slug_is_made_from_a_name(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_a_slug_avoids_the_ids_taken() -> None:
    assert slug("Emploi", ["emploi", "emploi-2"]) == "emploi-3"
    assert slug("Emploi", ["formation"]) == "emploi"
