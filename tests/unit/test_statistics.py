"""Anonymous statistics (R11): cells to the hour, fixed buckets, periods, tables, and
the rules that keep small cells from describing a person."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.core import statistics as st
from server.core.errors import ParoleError
from server.core.statistics import Period, Shown, Span

PARIS = ZoneInfo("Europe/Paris")


def test_waits_and_lengths_fall_in_fixed_buckets() -> None:
    assert [st.wait_measure(s) for s in (0, 59.9, 60, 299, 3599, 3600, 86400)] == [
        "wait:0-1",
        "wait:0-1",
        "wait:1-5",
        "wait:1-5",
        "wait:30-60",
        "wait:60+",
        "wait:60+",
    ]
    assert st.buckets(st.LENGTH_BUCKETS) == ["0-5", "5-15", "15-30", "30-60", "60+"]
    assert st.length_measure(901) == "length:15-30"
    assert st.transfer_measure("formation") == "transferred:formation"
    assert st.score_measure(4) == "score:4"


def test_a_cell_holds_the_local_hour_and_nothing_finer() -> None:
    at = datetime(2026, 12, 7, 14, 59, 59, tzinfo=PARIS)
    assert st.cell("paris", "emploi", at, "joined") == "paris|emploi|2026-12-07T14|joined"
    assert st.figure_of(at) == "activity:2026-12"
    figures = {
        "paris|emploi|2026-12-07T14|joined": 3,
        "paris|emploi|2026-12-07T14": 1,
        "paris|emploi|yesterday|joined": 1,
        "paris|emploi|2026-13-07T14|joined": 1,
        "paris|emploi|2026-12-07T15|served": 0,
    }
    assert st.parse(figures) == [
        st.Count("paris", "emploi", datetime(2026, 12, 7, 14), "joined", 3)
    ]


@pytest.mark.parametrize(
    ("span", "day", "start", "end"),
    [
        (Span.DAY, date(2026, 12, 7), date(2026, 12, 7), date(2026, 12, 7)),
        (Span.WEEK, date(2026, 12, 9), date(2026, 12, 7), date(2026, 12, 13)),
        (Span.MONTH, date(2026, 12, 9), date(2026, 12, 1), date(2026, 12, 31)),
        (Span.MONTH, date(2028, 2, 10), date(2028, 2, 1), date(2028, 2, 29)),
        (Span.YEAR, date(2026, 6, 1), date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods(span: Span, day: date, start: date, end: date) -> None:
    assert Period.of(span, day) == Period(start, end)


def test_a_period_reads_the_months_it_covers() -> None:
    assert Period(date(2026, 11, 30), date(2027, 1, 2)).months() == [
        "activity:2026-11",
        "activity:2026-12",
        "activity:2027-01",
    ]
    assert len(Period.of(Span.YEAR, date(2026, 3, 3)).months()) == 12


def test_tables_sum_counts_by_what_is_asked() -> None:
    counts = [
        st.Count("paris", "emploi", datetime(2026, 12, 7, 9), "joined", 2),  # a Monday
        st.Count("paris", "emploi", datetime(2026, 12, 7, 9), "served", 1),
        st.Count("paris", "formation", datetime(2026, 12, 8, 14), "joined", 4),
        st.Count("evry", "emploi", datetime(2026, 12, 8, 14), "joined", 7),
        st.Count("paris", "emploi", datetime(2026, 11, 30, 9), "joined", 100),
    ]
    december = st.within(counts, Period.of(Span.MONTH, date(2026, 12, 1)), site="paris")
    assert len(december) == 3
    assert st.table(december, ["emploi", "formation"], ["joined", "served"], "pole", "measure") == [
        [2, 1],
        [4, 0],
    ]
    everywhere = st.within(counts, Period.of(Span.MONTH, date(2026, 12, 1)))
    hours = [str(h) for h in range(24)]
    by_hour = st.table(everywhere, ["joined"], hours, "measure", "hour")
    assert by_hour[0][9] == 2 and by_hour[0][14] == 11
    assert st.table(everywhere, ["0", "1"], ["9", "14"], "weekday", "hour") == [[3, 0], [0, 11]]
    assert st.table(everywhere, ["paris", "evry"], ["2026-12-08"], "site", "day") == [[4], [7]]
    assert st.table(everywhere, ["nowhere"], ["joined"], "site", "measure") == [[0]]


S = Shown(None, small=True)
H = Shown(None)


def shown(*values: int) -> list[Shown]:
    return [Shown(v) for v in values]


def test_a_small_cell_shows_as_under_five_and_a_total_that_gives_it_away_goes() -> None:
    grid = [[10, 3, 8], [12, 9, 6]]
    out = st.protect(grid)
    assert out.cells == [[Shown(10), S, Shown(8)], shown(12, 9, 6)]
    # The first row's total minus 10 and 8 would be 3: hidden. So is the second
    # column's (3 = 12 - 9); the grand total then gives the first row's total away.
    assert out.row_totals == [H, Shown(27)]
    assert out.column_totals == [Shown(22), H, Shown(14)]
    assert out.total == H
    assert S.small and not S.hidden and H.hidden


def test_two_unknown_cells_in_a_line_keep_its_total() -> None:
    out = st.protect([[10, 3, 2, 8]])
    assert out.cells[0][1:3] == [S, S]
    assert out.row_totals == [Shown(23)]  # 3 + 2 = 5: could be 1 + 4, 2 + 3...
    assert out.column_totals == [Shown(10), S, S, Shown(8)]
    assert out.total == Shown(23)


@pytest.mark.parametrize("row", [[10, 0, 0, 8], [10, 4, 4, 8]])
def test_unknown_cells_that_can_only_sum_one_way_hide_the_total(row: list[int]) -> None:
    # 0 + 0 and 4 + 4 each have one way to be made from cells under 5.
    assert st.protect([row]).row_totals == [H]


def test_small_totals_are_small_too() -> None:
    out = st.protect([[1, 2], [0, 1]])
    assert out.cells == [[S, S], [S, S]]
    assert out.row_totals == [S, S]
    assert out.column_totals == [S, S]
    assert out.total == S


def test_the_grand_total_is_kept_when_two_row_totals_are_unknown() -> None:
    out = st.protect([[10, 3, 7], [9, 2, 6], [20, 20, 20]])
    assert out.row_totals == [H, H, Shown(60)]
    # Each column total: 3 + 2 under two unknown cells, 39 and 33 fully shown.
    assert out.column_totals == [Shown(39), Shown(25), Shown(33)]
    assert out.total == Shown(97)


def test_an_empty_table() -> None:
    out = st.protect([])
    assert (out.cells, out.row_totals, out.column_totals, out.total) == ([], [], [], S)


def test_months_past_retention_are_ours_to_drop_and_nothing_else() -> None:
    at = datetime(2026, 12, 8, 10, tzinfo=PARIS)
    names = [
        "activity:2016-11",
        "activity:2016-12",
        "activity:2009-01",
        "activity:2026-12",
        "satisfaction",
        "abuse",
        "activity:old",
    ]
    assert st.expired(names, at, 10) == ["activity:2009-01", "activity:2016-11"]
    assert st.expired(names, at, 20) == []


TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-13-01", "bad_date"),
        ("07/12/2026", "bad_date"),
        ("20261207", "bad_date"),
        ("1992-12-31", "too_early"),
        ("2027-12-09", "too_late"),
    ],
)
def test_a_day_that_cannot_be_right_is_refused(text: str, code: str) -> None:
    with pytest.raises(ParoleError) as error:
        st.read_day(text, TODAY)
    assert error.value.code == code


def test_days_ranges_and_years_as_typed() -> None:
    assert st.read_day("1993-01-01", TODAY) == date(1993, 1, 1)
    assert st.read_day("2027-12-08", TODAY) == date(2027, 12, 8)  # a year ahead at most
    assert st.read_range("2026-01-01", "2026-12-07", TODAY) == Period(
        date(2026, 1, 1), date(2026, 12, 7)
    )
    with pytest.raises(ParoleError) as error:
        st.read_range("2026-12-07", "2026-01-01", TODAY)
    assert error.value.code == "reversed"
    assert st.read_year("2026", TODAY) == 2026 and st.read_year("2027", TODAY) == 2027
    for bad in ("1992", "2028", "26", "20266", "abcd"):
        with pytest.raises(ParoleError):
            st.read_year(bad, TODAY)


DAY_COUNTS = [
    st.Count("paris", "emploi", datetime(2026, 12, 7, 10), "joined", 7),
    st.Count("paris", "emploi", datetime(2026, 12, 7, 10), "served", 6),
    st.Count("paris", "emploi", datetime(2026, 12, 7, 10), "wait:1-5", 6),
    st.Count("paris", "emploi", datetime(2026, 12, 7, 11), "transferred:formation", 2),
    st.Count("paris", "emploi", datetime(2026, 12, 7, 11), "length:5-15", 5),
    st.Count("paris", "emploi", datetime(2026, 12, 7, 11), "score:5", 3),
    st.Count("evry", "formation", datetime(2026, 12, 8, 9), "joined", 9),
]


def test_the_dashboard_views_hold_protected_figures_only() -> None:
    found = {v.name: v for v in st.views(DAY_COUNTS, ["emploi", "formation"], ["paris", "evry"])}
    assert list(found) == ["activity", "waits", "lengths", "scores", "transfers", "hours", "sites"]
    activity = found["activity"]
    assert activity.columns[:2] == ["joined", "served"]
    assert activity.shown.cells[0][:2] == [Shown(7), Shown(6)]
    assert activity.largest == 9
    assert found["waits"].shown.cells[0][1] == Shown(6)  # the 1-5 min bucket
    assert found["transfers"].shown.cells[0][1] == S  # 2 sent on to formation
    assert found["hours"].shown.cells[0][10] == Shown(7)  # Monday 10:00
    assert found["sites"].shown.cells == [[Shown(7), S], [S, Shown(9)]]
    narrow = {
        v.name: v for v in st.views(DAY_COUNTS, ["emploi"], ["paris"], ["emploi", "formation"])
    }
    assert narrow["transfers"].columns == ["emploi", "formation"]
    assert st.views([], [], [])[0].largest == 0
    assert st.family("wait:1-5") == "wait" and st.detail("wait:1-5") == "1-5"
    assert st.detail("joined") == ""


def test_the_csv_rows_per_month_with_small_counts_as_such() -> None:
    rows = st.csv_rows(DAY_COUNTS, "Cité")
    assert ("Cité", "paris", "emploi", "2026-12", "joined", "", "7") in rows
    assert ("Cité", "paris", "emploi", "2026-12", "transferred", "formation", "<5") in rows
    assert rows == sorted(rows) and len(rows) == len(DAY_COUNTS)


def test_who_the_visitors_are_per_month_in_views_and_csv() -> None:
    from server.core.publics import Answered, Question

    answered = [
        Answered("paris", "emploi", "2026-12", Question.SITUATION, "jobseeker", 6),
        Answered("paris", "emploi", "2026-12", Question.AGE, "18_25", 2),
        Answered("evry", "emploi", "2026-12", Question.AGE, "18_25", 9),
        Answered("paris", "emploi", "2026-11", Question.AGE, "26_44", 9),
        Answered("paris", "retired-pole", "2026-12", Question.AGE, "26_44", 9),
    ]
    period = Period.of(Span.WEEK, date(2026, 12, 7))
    views = st.publics_views(answered, ["emploi"], period, "paris")
    assert [v.name for v in views] == ["publics.situation", "publics.age", "publics.origin"]
    assert views[0].shown.cells[0][2] == Shown(6)  # jobseeker
    assert views[1].shown.cells[0][1] == S  # 18-25 at paris only
    assert views[2].shown.total == S
    rows = st.publics_csv_rows(answered, "Cité", period)
    assert ("Cité", "evry", "emploi", "2026-12", "age", "18_25", "9") in rows
    assert all(r[3] == "2026-12" for r in rows) and len(rows) == 4


def test_the_events_held_in_a_year() -> None:
    from server.core.resources import Card, CardKind

    cards = [
        Card("b", "emploi", CardKind.EVENT, "Forum", day="2026-05-02", start="10:00"),
        Card("a", "emploi", CardKind.EVENT, "Atelier", day="2026-03-01", retired=True),
        Card("c", "emploi", CardKind.EVENT, "L'an prochain", day="2027-01-05"),
        Card("d", "emploi", CardKind.JOB_SHEET, "Fiche"),
    ]
    assert [c.id for c in st.held_in(cards, 2026)] == ["a", "b"]
