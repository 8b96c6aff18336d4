"""Anonymous statistics (R11): cells to the hour, fixed buckets, periods, tables, and
the rules that keep small cells from describing a person."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.core import statistics as st
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
