from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

from server.core.errors import ConfigError
from server.core.schedules import (
    HORIZON_DAYS,
    MERGE_DAYS,
    Closure,
    Opening,
    Schedule,
    Site,
    SiteKind,
    SiteStatus,
    Slot,
    SpecialDay,
    Week,
    accepting,
    check_region,
    check_sites,
    closes_at,
    current_slot,
    day_openings,
    in_zone,
    is_open,
    next_change,
    next_opening,
    pole_closes_at,
    public_holidays,
    status,
    zone,
)
from tests.unit.helpers import roundtrip

PARIS = ZoneInfo("Europe/Paris")
MAURITIUS = ZoneInfo("Indian/Mauritius")
SANTIAGO = ZoneInfo("America/Santiago")

SPLIT = (Slot("09:00", "12:30"), Slot("13:30", "18:00"))
WORKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
DAYS = (*WORKDAYS, "saturday", "sunday")
PARIS_WEEK = Week(**dict.fromkeys(WORKDAYS, SPLIT), saturday=(Slot("10:00", "13:00"),))
POLES = ("emploi", "orientation", "formation")


def at(
    tz: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    """A wall time in ``tz``; ``fold=1`` picks the second of a repeated hour."""
    return datetime(year, month, day, hour, minute, second, tzinfo=tz, fold=fold)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def site(
    schedule: Schedule | None = None,
    *,
    timezone: str = "Europe/Paris",
    country: str = "FR",
    subdivision: str | None = None,
    closed_on_holidays: bool = True,
    kind: SiteKind = SiteKind.MAIN,
    id: str = "paris",
    poles: tuple[str, ...] = POLES,
) -> Site:
    return Site(
        id=id,
        name="Cité des métiers",
        kind=kind,
        timezone=timezone,
        country=country,
        subdivision=subdivision,
        closed_on_holidays=closed_on_holidays,
        poles=poles,
        schedule=schedule or Schedule(week=PARIS_WEEK, last_entry_minutes=15),
    )


def one_day(day: str, *slots: Slot) -> Schedule:
    """A schedule open only on ``day`` (a weekday name), every week."""
    return Schedule(week=Week(**{day: slots}))


def length(opening: Opening) -> timedelta:
    return opening.end - opening.start


# A normal week: a split day, the lunch gap, the last entry, Sunday.


def test_a_split_weekday_has_two_openings_with_a_closed_lunch_gap() -> None:
    tuesday = site()
    assert day_openings(tuesday, date(2025, 6, 3)) == (
        Opening(utc(2025, 6, 3, 7, 0), utc(2025, 6, 3, 10, 30), utc(2025, 6, 3, 10, 15)),
        Opening(utc(2025, 6, 3, 11, 30), utc(2025, 6, 3, 16, 0), utc(2025, 6, 3, 15, 45)),
    )
    assert is_open(tuesday, at(PARIS, 2025, 6, 3, 10, 0))
    assert not is_open(tuesday, at(PARIS, 2025, 6, 3, 12, 45))
    assert current_slot(tuesday, at(PARIS, 2025, 6, 3, 12, 45)) is None
    assert is_open(tuesday, at(PARIS, 2025, 6, 3, 13, 30))


def test_opening_hours_include_the_start_and_exclude_the_end() -> None:
    tuesday = site()
    assert not is_open(tuesday, at(PARIS, 2025, 6, 3, 8, 59, 59))
    assert is_open(tuesday, at(PARIS, 2025, 6, 3, 9, 0))
    assert is_open(tuesday, at(PARIS, 2025, 6, 3, 17, 59, 59))
    assert not is_open(tuesday, at(PARIS, 2025, 6, 3, 18, 0))


def test_new_visitors_are_refused_fifteen_minutes_before_each_closing() -> None:
    tuesday = site()
    assert accepting(tuesday, at(PARIS, 2025, 6, 3, 12, 14, 59))
    assert not accepting(tuesday, at(PARIS, 2025, 6, 3, 12, 15))
    assert is_open(tuesday, at(PARIS, 2025, 6, 3, 12, 20))
    assert not accepting(tuesday, at(PARIS, 2025, 6, 3, 12, 20))
    assert accepting(tuesday, at(PARIS, 2025, 6, 3, 17, 44))
    assert not accepting(tuesday, at(PARIS, 2025, 6, 3, 17, 45))
    assert not accepting(tuesday, at(PARIS, 2025, 6, 3, 20, 0))


def test_without_a_last_entry_delay_a_site_accepts_until_it_closes() -> None:
    late = site(Schedule(week=PARIS_WEEK))
    assert accepting(late, at(PARIS, 2025, 6, 3, 17, 59))
    assert current_slot(late, at(PARIS, 2025, 6, 3, 17, 59)) == Opening(
        utc(2025, 6, 3, 11, 30), utc(2025, 6, 3, 16, 0), utc(2025, 6, 3, 16, 0)
    )


def test_closes_at_is_the_end_of_the_current_slot_and_none_when_closed() -> None:
    tuesday = site()
    assert closes_at(tuesday, at(PARIS, 2025, 6, 3, 10, 0)) == at(PARIS, 2025, 6, 3, 12, 30)
    assert closes_at(tuesday, at(PARIS, 2025, 6, 3, 15, 0)) == utc(2025, 6, 3, 16, 0)
    assert closes_at(tuesday, at(PARIS, 2025, 6, 3, 13, 0)) is None


def test_in_the_lunch_gap_the_next_opening_is_the_afternoon_slot() -> None:
    assert next_opening(site(), at(PARIS, 2025, 6, 3, 12, 45)) == utc(2025, 6, 3, 11, 30)


def test_while_open_the_next_opening_is_the_one_after_the_current_slot() -> None:
    assert next_opening(site(), at(PARIS, 2025, 6, 3, 10, 0)) == utc(2025, 6, 3, 11, 30)
    assert next_opening(site(), at(PARIS, 2025, 6, 3, 9, 0)) == utc(2025, 6, 3, 11, 30)


def test_sunday_is_closed_and_the_next_opening_is_monday_morning() -> None:
    sunday = at(PARIS, 2025, 6, 15, 11, 0)
    assert not is_open(site(), sunday)
    assert day_openings(site(), date(2025, 6, 15)) == ()
    assert next_opening(site(), sunday) == at(PARIS, 2025, 6, 16, 9, 0)


def test_saturday_afternoon_looks_ahead_to_monday() -> None:
    assert next_opening(site(), at(PARIS, 2025, 6, 14, 13, 0)) == utc(2025, 6, 16, 7, 0)


def test_slots_may_be_written_in_any_order() -> None:
    shuffled = Week(monday=(Slot("13:30", "18:00"), Slot("09:00", "12:30")))
    assert shuffled.slots(0) == SPLIT
    assert shuffled.slots(6) == ()


def test_touching_slots_make_one_opening_with_one_last_entry() -> None:
    touching = site(
        Schedule(
            week=Week(monday=(Slot("12:00", "14:00"), Slot("09:00", "12:00"))),
            last_entry_minutes=15,
        )
    )
    opening = current_slot(touching, at(PARIS, 2025, 6, 2, 11, 55))
    assert opening == Opening(
        utc(2025, 6, 2, 7, 0), utc(2025, 6, 2, 12, 0), utc(2025, 6, 2, 11, 45)
    )
    assert accepting(touching, at(PARIS, 2025, 6, 2, 11, 55))


def test_an_evening_slot_ending_at_midnight_runs_on_into_the_next_morning() -> None:
    night = site(
        Schedule(
            week=Week(friday=(Slot("20:00", "24:00"),), saturday=(Slot("00:00", "02:00"),)),
            last_entry_minutes=30,
        )
    )
    friday_late = at(PARIS, 2025, 6, 6, 23, 45)
    assert accepting(night, friday_late)
    assert closes_at(night, friday_late) == at(PARIS, 2025, 6, 7, 2, 0)
    saturday_early = current_slot(night, at(PARIS, 2025, 6, 7, 1, 0))
    assert saturday_early == Opening(
        at(PARIS, 2025, 6, 6, 20, 0), at(PARIS, 2025, 6, 7, 2, 0), at(PARIS, 2025, 6, 7, 1, 30)
    )
    assert day_openings(night, date(2025, 6, 6)) == (
        Opening(
            at(PARIS, 2025, 6, 6, 20, 0), at(PARIS, 2025, 6, 7, 0, 0), at(PARIS, 2025, 6, 6, 23, 30)
        ),
    )


def test_an_opening_shorter_than_the_last_entry_delay_takes_no_one_and_is_skipped() -> None:
    brief = site(
        Schedule(
            week=Week(monday=(Slot("09:00", "09:20"),), tuesday=(Slot("09:00", "10:00"),)),
            last_entry_minutes=30,
        )
    )
    assert is_open(brief, at(PARIS, 2025, 6, 2, 9, 0))
    assert not accepting(brief, at(PARIS, 2025, 6, 2, 9, 0))
    assert current_slot(brief, at(PARIS, 2025, 6, 2, 9, 10)) == Opening(
        at(PARIS, 2025, 6, 2, 9, 0), at(PARIS, 2025, 6, 2, 9, 20), at(PARIS, 2025, 6, 2, 9, 0)
    )
    assert next_opening(brief, at(PARIS, 2025, 6, 1, 12, 0)) == at(PARIS, 2025, 6, 3, 9, 0)


# Daylight saving in Europe/Paris: 30 March 2025 (02:00 -> 03:00), 26 October 2025
# (03:00 -> 02:00).


def test_the_spring_forward_weekend_moves_the_utc_opening_by_one_hour() -> None:
    saturday = at(PARIS, 2025, 3, 29, 14, 0)
    assert next_opening(site(), saturday) == utc(2025, 3, 31, 7, 0)
    assert next_opening(site(), saturday) == at(PARIS, 2025, 3, 31, 9, 0)
    assert day_openings(site(), date(2025, 3, 28))[0].start == utc(2025, 3, 28, 8, 0)
    assert [length(o) for o in day_openings(site(), date(2025, 3, 31))] == [
        timedelta(hours=3, minutes=30),
        timedelta(hours=4, minutes=30),
    ]


def test_a_whole_day_is_twenty_three_hours_on_the_spring_forward_sunday() -> None:
    sunday = site(one_day("sunday", Slot("00:00", "24:00")), closed_on_holidays=False)
    (opening,) = day_openings(sunday, date(2025, 3, 30))
    assert opening.start == utc(2025, 3, 29, 23, 0)
    assert opening.end == utc(2025, 3, 30, 22, 0)
    assert length(opening) == timedelta(hours=23)


def test_a_slot_starting_in_the_spring_gap_opens_when_the_clocks_jump() -> None:
    sunday = site(one_day("sunday", Slot("02:30", "04:00")))
    (opening,) = day_openings(sunday, date(2025, 3, 30))
    assert opening.start == utc(2025, 3, 30, 1, 0)  # 03:00 CEST, the jump
    assert opening.start == at(PARIS, 2025, 3, 30, 3, 0)
    assert length(opening) == timedelta(hours=1)
    assert next_opening(sunday, at(PARIS, 2025, 3, 29, 12, 0)) == utc(2025, 3, 30, 1, 0)


def test_a_slot_ending_in_the_spring_gap_closes_when_the_clocks_jump() -> None:
    sunday = site(one_day("sunday", Slot("01:00", "02:30")))
    (opening,) = day_openings(sunday, date(2025, 3, 30))
    assert (opening.start, opening.end) == (utc(2025, 3, 30, 0, 0), utc(2025, 3, 30, 1, 0))


def test_a_slot_wholly_inside_the_spring_gap_does_not_happen() -> None:
    sunday = site(one_day("sunday", Slot("02:10", "02:50")))
    assert day_openings(sunday, date(2025, 3, 30)) == ()
    assert not is_open(sunday, utc(2025, 3, 30, 1, 0))
    assert next_opening(sunday, at(PARIS, 2025, 3, 29, 12, 0)) == at(PARIS, 2025, 4, 6, 2, 10)


@pytest.mark.parametrize("hour", [1, 2, 3])
def test_asking_about_a_nonexistent_paris_wall_time_raises_nothing(hour: int) -> None:
    night = site(Schedule(week=Week(sunday=(Slot("00:00", "24:00"),))), closed_on_holidays=False)
    assert is_open(night, at(PARIS, 2025, 3, 30, hour, 30))
    assert is_open(night, at(PARIS, 2025, 3, 30, hour, 30, fold=1))


def test_a_whole_day_is_twenty_five_hours_on_the_fall_back_sunday() -> None:
    sunday = site(one_day("sunday", Slot("00:00", "24:00")))
    (opening,) = day_openings(sunday, date(2025, 10, 26))
    assert (opening.start, opening.end) == (utc(2025, 10, 25, 22, 0), utc(2025, 10, 26, 23, 0))
    assert length(opening) == timedelta(hours=25)


def test_a_wall_time_that_happens_twice_means_its_first_occurrence() -> None:
    sunday = site(one_day("sunday", Slot("01:00", "02:30"), Slot("02:45", "04:00")))
    first, second = day_openings(sunday, date(2025, 10, 26))
    assert (first.start, first.end) == (utc(2025, 10, 25, 23, 0), utc(2025, 10, 26, 0, 30))
    assert length(first) == timedelta(hours=1, minutes=30)
    assert (second.start, second.end) == (utc(2025, 10, 26, 0, 45), utc(2025, 10, 26, 3, 0))
    assert length(second) == timedelta(hours=2, minutes=15)


def test_during_the_repeated_hour_the_site_follows_the_real_instants() -> None:
    sunday = site(one_day("sunday", Slot("01:00", "02:30")))
    assert is_open(sunday, at(PARIS, 2025, 10, 26, 2, 15, fold=0))  # 02:15 CEST
    assert not is_open(sunday, at(PARIS, 2025, 10, 26, 2, 15, fold=1))  # 02:15 CET
    # 02:30 CEST; an ambiguous wall time never compares equal across zones (PEP 495).
    assert closes_at(sunday, at(PARIS, 2025, 10, 26, 2, 15)) == utc(2025, 10, 26, 0, 30)


def test_the_fall_back_weekend_moves_the_utc_opening_by_one_hour() -> None:
    assert next_opening(site(), at(PARIS, 2025, 10, 25, 14, 0)) == utc(2025, 10, 27, 8, 0)
    assert day_openings(site(), date(2025, 10, 24))[0].start == utc(2025, 10, 24, 7, 0)
    assert [length(o) for o in day_openings(site(), date(2025, 10, 27))] == [
        timedelta(hours=3, minutes=30),
        timedelta(hours=4, minutes=30),
    ]


# Public holidays, special days and closures.


@pytest.mark.parametrize("day", [date(2025, 7, 14), date(2025, 5, 1), date(2025, 6, 9)])
def test_a_french_public_holiday_on_a_weekday_is_closed(day: date) -> None:
    assert day.weekday() < 5
    assert day_openings(site(), day) == ()
    assert not is_open(site(), datetime(day.year, day.month, day.day, 10, tzinfo=PARIS))


def test_after_the_sunday_before_bastille_day_the_next_opening_is_tuesday() -> None:
    assert next_opening(site(), at(PARIS, 2025, 7, 13, 12, 0)) == utc(2025, 7, 15, 7, 0)


def test_the_26th_of_december_is_closed_in_moselle_and_alsace_but_not_in_paris() -> None:
    friday = at(PARIS, 2025, 12, 26, 10, 0)
    assert is_open(site(), friday)
    for subdivision in ("57", "Moselle", "6AE", "Alsace"):
        assert not is_open(site(subdivision=subdivision), friday)
    assert not is_open(site(subdivision="57"), at(PARIS, 2025, 4, 18, 10, 0))  # Good Friday


def test_public_holidays_come_from_the_library_for_any_year() -> None:
    assert date(2030, 7, 14) in public_holidays("FR", None, 2030)
    assert date(2030, 12, 26) not in public_holidays("FR", None, 2030)
    assert date(2030, 12, 26) in public_holidays("FR", "57", 2030)


def test_a_special_day_opens_a_public_holiday() -> None:
    schedule = Schedule(
        week=PARIS_WEEK, special_days=(SpecialDay(date(2025, 7, 14), (Slot("14:00", "18:00"),)),)
    )
    bastille = site(schedule)
    assert not is_open(bastille, at(PARIS, 2025, 7, 14, 10, 0))
    assert is_open(bastille, at(PARIS, 2025, 7, 14, 15, 0))
    assert next_opening(bastille, at(PARIS, 2025, 7, 13, 12, 0)) == at(PARIS, 2025, 7, 14, 14, 0)


def test_a_site_may_ignore_public_holidays() -> None:
    assert is_open(site(closed_on_holidays=False), at(PARIS, 2025, 7, 14, 10, 0))


def test_a_special_day_without_slots_closes_a_working_day() -> None:
    training = site(Schedule(week=PARIS_WEEK, special_days=(SpecialDay(date(2025, 6, 5)),)))
    assert not is_open(training, at(PARIS, 2025, 6, 5, 10, 0))
    assert next_opening(training, at(PARIS, 2025, 6, 4, 19, 0)) == at(PARIS, 2025, 6, 6, 9, 0)


def test_a_special_day_replaces_the_weeks_slots() -> None:
    short = site(
        Schedule(
            week=PARIS_WEEK, special_days=(SpecialDay(date(2025, 6, 6), (Slot("10:00", "12:00"),)),)
        )
    )
    assert [(o.start, o.end) for o in day_openings(short, date(2025, 6, 6))] == [
        (at(PARIS, 2025, 6, 6, 10, 0), at(PARIS, 2025, 6, 6, 12, 0))
    ]
    assert not is_open(short, at(PARIS, 2025, 6, 6, 9, 30))
    assert not is_open(short, at(PARIS, 2025, 6, 6, 15, 0))


def test_a_three_week_summer_closure_moves_the_next_opening_to_the_monday_after() -> None:
    summer = site(
        Schedule(week=PARIS_WEEK, closures=(Closure(date(2025, 7, 28), date(2025, 8, 17)),))
    )
    assert next_opening(summer, at(PARIS, 2025, 7, 26, 14, 0)) == utc(2025, 8, 18, 7, 0)
    assert not is_open(summer, at(PARIS, 2025, 8, 6, 10, 0))
    assert is_open(summer, at(PARIS, 2025, 8, 18, 9, 0))


def test_a_special_day_inside_a_closure_opens_that_day_only() -> None:
    summer = site(
        Schedule(
            week=PARIS_WEEK,
            closures=(Closure(date(2025, 7, 28), date(2025, 8, 17)),),
            special_days=(SpecialDay(date(2025, 8, 6), (Slot("14:00", "17:00"),)),),
        )
    )
    assert next_opening(summer, at(PARIS, 2025, 7, 26, 14, 0)) == at(PARIS, 2025, 8, 6, 14, 0)
    assert next_opening(summer, at(PARIS, 2025, 8, 6, 15, 0)) == at(PARIS, 2025, 8, 18, 9, 0)


def test_a_site_open_only_on_special_days_has_no_other_opening() -> None:
    relay = site(
        Schedule(special_days=(SpecialDay(date(2025, 9, 20), (Slot("10:00", "16:00"),)),)),
        kind=SiteKind.RELAY,
    )
    assert next_opening(relay, at(PARIS, 2025, 6, 1, 0, 0)) == at(PARIS, 2025, 9, 20, 10, 0)
    assert next_opening(relay, at(PARIS, 2025, 9, 20, 12, 0)) is None
    assert current_slot(relay, at(PARIS, 2025, 9, 21, 12, 0)) is None


def test_a_site_with_no_hours_never_opens() -> None:
    never = site(Schedule())
    assert current_slot(never, utc(2025, 6, 3, 10, 0)) is None
    assert next_opening(never, utc(2025, 6, 3, 10, 0)) is None


def test_a_site_that_never_closes_reports_a_bounded_opening() -> None:
    always = Week(
        **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday"), (Slot("00:00", "24:00"),)),
        friday=(Slot("00:00", "24:00"),),
        saturday=(Slot("00:00", "24:00"),),
        sunday=(Slot("00:00", "24:00"),),
    )
    open_24_7 = site(Schedule(week=always), closed_on_holidays=False)
    now = utc(2025, 6, 3, 10, 0)
    opening = current_slot(open_24_7, now)
    assert opening is not None
    assert opening.start <= now - timedelta(days=MERGE_DAYS)
    assert opening.end >= now + timedelta(days=MERGE_DAYS)
    assert next_opening(open_24_7, now) is None


# Sites in other time zones, seen by a visitor in Europe/Paris.


def mauritius() -> Site:
    week = Week(
        **dict.fromkeys(
            ("monday", "tuesday", "wednesday", "thursday", "friday"), (Slot("08:30", "16:00"),)
        )
    )
    return site(Schedule(week=week), id="port-louis", timezone="Indian/Mauritius", country="MU")


def santiago() -> Site:
    week = Week(
        **dict.fromkeys(
            ("monday", "tuesday", "wednesday", "thursday", "friday"), (Slot("09:00", "17:30"),)
        )
    )
    return site(
        Schedule(week=week, last_entry_minutes=30),
        id="santiago",
        timezone="America/Santiago",
        country="CL",
        subdivision="RM",
    )


def test_a_mauritius_site_opens_at_half_past_six_for_a_visitor_in_paris_in_summer() -> None:
    friday_evening = at(MAURITIUS, 2025, 6, 6, 16, 30)
    opening = next_opening(mauritius(), friday_evening)
    assert opening == utc(2025, 6, 9, 4, 30)
    shown = in_zone(opening, "Europe/Paris")
    assert (shown.date(), shown.hour, shown.minute) == (date(2025, 6, 9), 6, 30)
    assert shown.utcoffset() == timedelta(hours=2)


def test_a_mauritius_site_skips_its_independence_day_seen_from_paris_in_winter() -> None:
    opening = next_opening(mauritius(), at(MAURITIUS, 2025, 3, 11, 17, 0))
    assert opening == at(MAURITIUS, 2025, 3, 13, 8, 30)
    assert in_zone(opening, "Europe/Paris").replace(tzinfo=None) == datetime(2025, 3, 13, 5, 30)


def test_a_santiago_site_seen_from_paris_across_both_daylight_saving_changes() -> None:
    # 4 April 2025: Paris already on summer time (+02), Santiago still on -03.
    friday = day_openings(santiago(), date(2025, 4, 4))[0]
    assert in_zone(friday.start, "Europe/Paris").replace(tzinfo=None) == datetime(2025, 4, 4, 14, 0)
    # Santiago moves to -04 on 6 April: Monday opens at 15:00 in Paris.
    monday = next_opening(santiago(), at(SANTIAGO, 2025, 4, 4, 18, 0))
    assert monday == utc(2025, 4, 7, 13, 0)
    assert in_zone(monday, "Europe/Paris").replace(tzinfo=None) == datetime(2025, 4, 7, 15, 0)
    # In the southern summer (-03) and the northern winter (+01): 13:00 in Paris.
    january = next_opening(santiago(), at(SANTIAGO, 2025, 1, 14, 18, 0))
    assert january is not None
    assert in_zone(january, "Europe/Paris").replace(tzinfo=None) == datetime(2025, 1, 15, 13, 0)


def test_a_santiago_site_closes_on_chilean_good_friday_and_takes_its_last_visitor_at_five() -> None:
    assert not is_open(santiago(), at(SANTIAGO, 2025, 4, 18, 10, 0))
    assert accepting(santiago(), at(SANTIAGO, 2025, 4, 17, 16, 59))
    assert not accepting(santiago(), at(SANTIAGO, 2025, 4, 17, 17, 0))


def test_a_santiago_evening_spans_the_midnight_spring_gap() -> None:
    # 7 September 2025: Santiago's clocks jump from 00:00 (-04) to 01:00 (-03).
    night = site(
        Schedule(week=Week(saturday=(Slot("20:00", "24:00"),), sunday=(Slot("00:00", "02:00"),))),
        timezone="America/Santiago",
        country="CL",
        closed_on_holidays=False,
    )
    opening = current_slot(night, at(SANTIAGO, 2025, 9, 6, 23, 0))
    assert opening is not None
    assert (opening.start, opening.end) == (utc(2025, 9, 7, 0, 0), utc(2025, 9, 7, 5, 0))
    assert length(opening) == timedelta(hours=5)
    assert day_openings(night, date(2025, 9, 7))[0].start == at(SANTIAGO, 2025, 9, 7, 1, 0)


def test_a_santiago_saturday_evening_lasts_an_hour_longer_when_the_clocks_go_back() -> None:
    # 6 April 2025: 00:00 (-03) becomes 23:00 (-04) on Saturday; 23:xx happens twice.
    night = site(
        one_day("saturday", Slot("22:00", "24:00")), timezone="America/Santiago", country="CL"
    )
    (opening,) = day_openings(night, date(2025, 4, 5))
    assert (opening.start, opening.end) == (utc(2025, 4, 6, 1, 0), utc(2025, 4, 6, 4, 0))
    repeated = at(SANTIAGO, 2025, 4, 5, 23, 30, fold=1)
    assert repeated.astimezone(UTC) == utc(2025, 4, 6, 3, 30)
    assert closes_at(night, repeated) == utc(2025, 4, 6, 4, 0)


# Presenting a time to the visitor.


def test_a_time_is_shown_in_the_visitors_zone_or_else_in_the_fallback() -> None:
    instant = utc(2025, 6, 9, 4, 30)
    assert in_zone(instant, "America/Santiago").replace(tzinfo=None) == datetime(2025, 6, 9, 0, 30)
    for bad in (None, "", "Nowhere/Land", "Europe", "../../etc/passwd", "localtime", "x" * 500):
        shown = in_zone(instant, bad, fallback="Indian/Mauritius")
        assert shown.replace(tzinfo=None) == datetime(2025, 6, 9, 8, 30)
    assert in_zone(instant, None).tzinfo == ZoneInfo("UTC")


def test_every_function_refuses_a_naive_datetime() -> None:
    naive = datetime(2025, 6, 3, 10, 0)
    for function in (is_open, accepting, closes_at, current_slot, next_opening, status):
        with pytest.raises(ValueError, match="aware"):
            function(site(), naive)
    with pytest.raises(ValueError, match="aware"):
        in_zone(naive, "Europe/Paris")


# The status the widget shows.


def test_the_status_of_an_open_site_lists_its_poles_and_closing_time() -> None:
    assert status(site(), at(PARIS, 2025, 6, 3, 10, 0)) == SiteStatus(
        site="paris",
        open=True,
        accepting=True,
        poles=POLES,
        closes_at=utc(2025, 6, 3, 10, 30),
        last_entry=utc(2025, 6, 3, 10, 15),
        next_opening=None,
    )


def test_the_status_after_the_last_entry_says_when_to_come_back() -> None:
    assert status(site(), at(PARIS, 2025, 6, 3, 17, 50)) == SiteStatus(
        site="paris",
        open=True,
        accepting=False,
        poles=POLES,
        closes_at=utc(2025, 6, 3, 16, 0),
        last_entry=utc(2025, 6, 3, 15, 45),
        next_opening=utc(2025, 6, 4, 7, 0),
    )


def test_the_status_of_a_closed_site_gives_the_next_opening() -> None:
    assert status(site(), at(PARIS, 2025, 6, 15, 11, 0)) == SiteStatus(
        site="paris", open=False, accepting=False, poles=POLES, next_opening=utc(2025, 6, 16, 7, 0)
    )


# A pole across sites: when it stops, and when to look again.


def evry() -> Site:
    """A centre associé offering only "emploi", open 08:00-20:00 on weekdays."""
    long_days = Week(**dict.fromkeys(WORKDAYS, (Slot("08:00", "20:00"),)))
    return site(Schedule(week=long_days), id="evry", kind=SiteKind.ASSOCIATED, poles=("emploi",))


def test_a_pole_closes_with_the_last_open_site_that_offers_it() -> None:
    sites = (site(), evry())
    morning = at(PARIS, 2025, 6, 3, 10, 0)
    assert pole_closes_at(sites, "emploi", morning) == at(PARIS, 2025, 6, 3, 20, 0)
    assert pole_closes_at(sites, "orientation", morning) == at(PARIS, 2025, 6, 3, 12, 30)
    assert pole_closes_at(tuple(reversed(sites)), "emploi", morning) == at(PARIS, 2025, 6, 3, 20, 0)


def test_a_pole_runs_while_any_site_offering_it_is_open() -> None:
    sites = (site(), evry())
    lunch = at(PARIS, 2025, 6, 3, 12, 45)
    assert pole_closes_at(sites, "emploi", lunch) == at(PARIS, 2025, 6, 3, 20, 0)
    assert pole_closes_at(sites, "orientation", lunch) is None


def test_a_pole_whose_sites_are_all_closed_has_no_closing_time() -> None:
    sites = (site(), evry())
    for closed in (at(PARIS, 2025, 6, 3, 21, 0), at(PARIS, 2025, 6, 15, 11, 0)):
        for pole in POLES:
            assert pole_closes_at(sites, pole, closed) is None


def test_a_pole_that_no_site_offers_has_no_closing_time() -> None:
    morning = at(PARIS, 2025, 6, 3, 10, 0)
    assert pole_closes_at((site(), evry()), "cuisine", morning) is None
    assert pole_closes_at((), "emploi", morning) is None


def test_a_site_not_offering_the_pole_does_not_keep_it_running() -> None:
    only_evry_open = at(PARIS, 2025, 6, 3, 19, 0)
    sites = (site(), evry())
    assert pole_closes_at(sites, "formation", only_evry_open) is None
    assert pole_closes_at(sites, "emploi", only_evry_open) == at(PARIS, 2025, 6, 3, 20, 0)


def test_the_next_change_of_an_open_site_is_its_last_entry() -> None:
    assert next_change([site()], at(PARIS, 2025, 6, 3, 10, 0)) == at(PARIS, 2025, 6, 3, 12, 15)


def test_after_the_last_entry_the_next_change_is_the_closing() -> None:
    assert next_change([site()], at(PARIS, 2025, 6, 3, 12, 15)) == at(PARIS, 2025, 6, 3, 12, 30)
    assert next_change([site()], at(PARIS, 2025, 6, 3, 12, 20)) == at(PARIS, 2025, 6, 3, 12, 30)


def test_a_closed_site_next_changes_when_it_opens() -> None:
    assert next_change([site()], at(PARIS, 2025, 6, 3, 12, 30)) == at(PARIS, 2025, 6, 3, 13, 30)
    assert next_change([site()], at(PARIS, 2025, 6, 14, 13, 0)) == at(PARIS, 2025, 6, 16, 9, 0)


def test_the_next_change_is_a_moment_strictly_after_now() -> None:
    opening = at(PARIS, 2025, 6, 3, 13, 30)
    assert next_change([site()], opening) == at(PARIS, 2025, 6, 3, 17, 45)
    without_last_entry = site(Schedule(week=PARIS_WEEK))
    assert next_change([without_last_entry], opening) == at(PARIS, 2025, 6, 3, 18, 0)


def test_the_next_change_is_the_earliest_among_all_sites() -> None:
    sites = [site(), evry()]
    assert next_change(sites, at(PARIS, 2025, 6, 3, 7, 0)) == at(PARIS, 2025, 6, 3, 8, 0)
    assert next_change(sites, at(PARIS, 2025, 6, 3, 10, 0)) == at(PARIS, 2025, 6, 3, 12, 15)
    assert next_change(sites, at(PARIS, 2025, 6, 3, 12, 45)) == at(PARIS, 2025, 6, 3, 13, 30)
    assert next_change(sites, at(PARIS, 2025, 6, 3, 18, 30)) == at(PARIS, 2025, 6, 3, 20, 0)
    assert next_change(sites, at(PARIS, 2025, 6, 3, 20, 0)) == at(PARIS, 2025, 6, 4, 8, 0)


def test_with_no_site_or_no_hours_ahead_nothing_changes() -> None:
    now = at(PARIS, 2025, 6, 3, 10, 0)
    assert next_change([], now) is None
    assert next_change([site(Schedule())], now) is None
    past = Schedule(special_days=(SpecialDay(date(2025, 5, 20), (Slot("10:00", "16:00"),)),))
    assert next_change([site(past)], now) is None
    assert next_change([site(past), site(id="lyon")], now) == at(PARIS, 2025, 6, 3, 12, 15)


def test_an_opening_beyond_the_horizon_is_no_change() -> None:
    now = at(PARIS, 2025, 6, 3, 10, 0)

    def special_in(days: int) -> Site:
        day = date(2025, 6, 3) + timedelta(days=days)
        return site(Schedule(special_days=(SpecialDay(day, (Slot("10:00", "16:00"),)),)))

    last_day = date(2025, 6, 3) + timedelta(days=HORIZON_DAYS - 1)
    assert next_change([special_in(HORIZON_DAYS - 1)], now) == at(
        PARIS, last_day.year, last_day.month, last_day.day, 10, 0
    )
    assert next_change([special_in(HORIZON_DAYS + 2)], now) is None


def test_pole_closes_at_and_next_change_refuse_a_naive_datetime() -> None:
    naive = datetime(2025, 6, 3, 10, 0)
    with pytest.raises(ValueError, match="aware"):
        pole_closes_at([site()], "emploi", naive)
    with pytest.raises(ValueError, match="aware"):
        next_change([site()], naive)


# Invalid configurations.


@pytest.mark.parametrize(
    "text", ["9:00", "09h00", "25:00", "12:60", "24:01", "", " 09:00", "09:00\n"]
)
def test_a_slot_time_must_be_hh_mm(text: str) -> None:
    with pytest.raises(ConfigError, match="bad slot time") as caught:
        Slot(text, "23:59")
    assert caught.value.code == "invalid_config"
    with pytest.raises(ConfigError, match="bad slot time"):
        Slot("00:00", text)


def test_a_slot_may_end_at_midnight_but_not_start_there() -> None:
    assert Slot("20:00", "24:00").end_minute == 1440
    assert Slot("00:00", "00:01").start_minute == 0
    with pytest.raises(ConfigError, match="cannot start at 24:00"):
        Slot("24:00", "24:00")


@pytest.mark.parametrize(
    ("start", "end"), [("18:00", "09:00"), ("09:00", "09:00"), ("22:00", "02:00")]
)
def test_an_inverted_or_empty_slot_is_refused(start: str, end: str) -> None:
    with pytest.raises(ConfigError, match="does not end after it starts"):
        Slot(start, end)


def test_overlapping_slots_on_a_weekday_are_refused_with_the_day_named() -> None:
    with pytest.raises(ConfigError, match=r"tuesday: slots 09:00-12:30 and 12:00-14:00 overlap"):
        Week(tuesday=(Slot("12:00", "14:00"), Slot("09:00", "12:30")))


def test_overlapping_slots_on_a_special_day_are_refused_with_the_date_named() -> None:
    with pytest.raises(ConfigError, match=r"2025-07-14: slots 10:00-18:00 and 14:00-15:00 overlap"):
        SpecialDay(date(2025, 7, 14), (Slot("10:00", "18:00"), Slot("14:00", "15:00")))


def test_two_special_days_on_one_date_are_refused() -> None:
    with pytest.raises(ConfigError, match="share a date"):
        Schedule(special_days=(SpecialDay(date(2025, 7, 14)), SpecialDay(date(2025, 7, 14))))


def test_a_closure_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ConfigError, match="ends before it starts"):
        Closure(date(2025, 8, 17), date(2025, 7, 28))
    assert Closure(date(2025, 8, 15), date(2025, 8, 15)).first == date(2025, 8, 15)


@pytest.mark.parametrize("minutes", [-1, 1440])
def test_the_last_entry_delay_must_be_within_a_day(minutes: int) -> None:
    with pytest.raises(ConfigError, match="last_entry_minutes"):
        Schedule(last_entry_minutes=minutes)


@pytest.mark.parametrize(
    "name",
    [
        "Europe/Pariss",
        "europe/paris",
        "",
        "localtime",
        "../../etc/passwd",
        "/etc/passwd",
        "Europe",
        "E" * 65,
        "CET ",
    ],
)
def test_an_unknown_time_zone_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown time zone"):
        site(timezone=name)
    with pytest.raises(ConfigError, match="unknown time zone"):
        zone(name)


def test_iana_zone_names_are_accepted() -> None:
    for name in ("Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+4", "UTC"):
        assert zone(name) == ZoneInfo(name)


@pytest.mark.parametrize("country", ["XX", "fr", "FRA", ""])
def test_an_unknown_country_is_refused(country: str) -> None:
    with pytest.raises(ConfigError, match="unknown country"):
        site(country=country)


def test_an_unknown_subdivision_is_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(ConfigError, match=r"unknown subdivision '67' for FR \(known: 57, 6AE"):
        site(subdivision="67")
    with pytest.raises(ConfigError, match=r"unknown subdivision 'X' for MU \(known: none\)"):
        check_region("MU", "X")


@pytest.mark.parametrize("bad", ["", "Paris", "paris centre", "a_b", "a" * 65])
def test_a_site_id_must_be_a_slug(bad: str) -> None:
    with pytest.raises(ConfigError, match="bad site id"):
        site(id=bad)


def test_a_site_needs_a_name_and_distinct_poles() -> None:
    with pytest.raises(ConfigError, match="needs a name"):
        Site(id="x", name="  ", kind=SiteKind.MAIN, timezone="UTC", country="FR", poles=POLES)
    with pytest.raises(ConfigError, match="offers no pole"):
        site(poles=())
    with pytest.raises(ConfigError, match="lists a pole twice"):
        site(poles=("emploi", "emploi"))


def test_a_main_site_and_a_centre_associe_with_some_poles_fit_the_cite() -> None:
    centre = site(id="evry", kind=SiteKind.ASSOCIATED, poles=("emploi",))
    relay = site(id="bondy", kind=SiteKind.RELAY, poles=("orientation",))
    check_sites(POLES, [site(), centre, relay])


@pytest.mark.parametrize(
    ("sites", "message"),
    [
        ([site(), site()], "unique"),
        ([site(kind=SiteKind.ASSOCIATED)], "exactly one main site"),
        ([site(), site(id="lyon")], "exactly one main site"),
        (
            [site(), site(id="evry", kind=SiteKind.RELAY, poles=("cuisine",))],
            "unknown poles: cuisine",
        ),
        ([site(poles=("emploi", "formation"))], r"every pole \(R4\); missing: orientation"),
    ],
)
def test_sites_that_do_not_fit_the_cite_are_refused(sites: list[Site], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_sites(POLES, sites)


# Storage.


def test_a_site_decodes_from_the_json_a_manager_writes() -> None:
    raw = b"""{
        "id": "saint-denis", "name": "Cite des metiers de La Reunion", "kind": "associated",
        "timezone": "Indian/Reunion", "country": "FR", "subdivision": "974",
        "poles": ["emploi"],
        "schedule": {
            "week": {"monday": [{"start": "08:00", "end": "12:00"}]},
            "special_days": [{"day": "2025-12-22", "slots": []}],
            "closures": [{"first": "2025-08-01", "last": "2025-08-15"}],
            "last_entry_minutes": 20
        }
    }"""
    decoded = msgspec.json.decode(raw, type=Site)
    assert decoded.kind is SiteKind.ASSOCIATED
    assert decoded.schedule.special_days == (SpecialDay(date(2025, 12, 22)),)
    assert day_openings(decoded, date(2025, 12, 22)) == ()  # a special closure
    assert day_openings(decoded, date(2025, 12, 15))[0].start == utc(2025, 12, 15, 4, 0)


def test_decoding_an_invalid_site_raises_the_config_error() -> None:
    raw = (
        b'{"id": "x", "name": "X", "kind": "main", "timezone": "Mars/Olympus",'
        b' "country": "FR", "poles": ["a"]}'
    )
    with pytest.raises(ConfigError, match="unknown time zone"):
        msgspec.json.decode(raw, type=Site)


@pytest.mark.parametrize(
    "value",
    [
        Slot("09:00", "24:00"),
        PARIS_WEEK,
        SpecialDay(date(2025, 7, 14), (Slot("14:00", "18:00"),)),
        Closure(date(2025, 7, 28), date(2025, 8, 17)),
        Schedule(
            week=PARIS_WEEK,
            special_days=(SpecialDay(date(2025, 6, 5)),),
            closures=(Closure(date(2025, 7, 28), date(2025, 8, 17)),),
            last_entry_minutes=15,
        ),
        site(),
        santiago(),
        Opening(utc(2025, 6, 3, 7, 0), utc(2025, 6, 3, 10, 30), utc(2025, 6, 3, 10, 15)),
        SiteStatus(
            site="paris",
            open=False,
            accepting=False,
            poles=POLES,
            next_opening=utc(2025, 6, 16, 7, 0),
        ),
    ],
)
def test_every_schedule_value_survives_the_msgpack_round_trip(value: object) -> None:
    assert roundtrip(value) == value


def test_a_status_survives_the_round_trip_with_its_instants_intact() -> None:
    shown = status(santiago(), at(SANTIAGO, 2025, 4, 4, 10, 0))
    back = roundtrip(shown)
    assert back == shown
    assert back.closes_at == utc(2025, 4, 4, 20, 30)


def test_a_site_keeps_how_to_reach_it() -> None:
    found = msgspec.structs.replace(site(), address="30 avenue Corentin-Cariou\n75019 Paris")
    found = msgspec.structs.replace(found, phone="+33 1 40 05 85 85")
    assert roundtrip(found) == found
    with pytest.raises(ConfigError):
        msgspec.structs.replace(site(), phone="appelez-nous")
    with pytest.raises(ConfigError):
        msgspec.structs.replace(site(), address="x" * 301)
    with pytest.raises(ConfigError):
        msgspec.structs.replace(site(), address=" trailing space ")
