from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.estimates import MIN_TAKES, WINDOW, WaitRange, pace, range_at, wait_range
from tests.unit.helpers import roundtrip

NOW = 1_750_000_000.0
#: Three takes a minute apart, the last one just now.
EVERY_MINUTE = (NOW - 120, NOW - 60, NOW)


def test_the_next_visitor_with_takes_every_minute_waits_zero_to_about_two_minutes() -> None:
    assert wait_range(1, EVERY_MINUTE, NOW) == WaitRange(low=0, high=138)


def test_the_fourth_visitor_with_takes_every_minute_waits_about_one_to_seven_minutes() -> None:
    assert wait_range(4, EVERY_MINUTE, NOW) == WaitRange(low=84, high=396)


def test_the_order_of_the_takes_does_not_matter() -> None:
    assert wait_range(4, (NOW, NOW - 120, NOW - 60), NOW) == wait_range(4, EVERY_MINUTE, NOW)


def test_fewer_than_the_minimum_of_takes_says_nothing() -> None:
    assert MIN_TAKES == 3
    assert wait_range(1, (), NOW) is None
    assert wait_range(1, (NOW - 60, NOW), NOW) is None
    assert wait_range(1, (NOW - 120, NOW - 60, NOW), NOW) is not None


def test_takes_older_than_the_window_are_ignored() -> None:
    old = (NOW - WINDOW - 1, NOW - 60, NOW)
    assert wait_range(1, old, NOW) is None
    assert wait_range(1, (NOW - WINDOW, NOW - 60, NOW), NOW) is not None
    recent = (NOW - 7200, NOW - 5000, *EVERY_MINUTE)
    assert wait_range(4, recent, NOW) == wait_range(4, EVERY_MINUTE, NOW)


def test_takes_in_the_future_are_ignored() -> None:
    assert wait_range(1, (NOW - 60, NOW, NOW + 1), NOW) is None
    ahead = (*EVERY_MINUTE, NOW + 30, NOW + 3600)
    assert wait_range(4, ahead, NOW) == wait_range(4, EVERY_MINUTE, NOW)


@pytest.mark.parametrize("position", [0, -1, -100])
def test_a_position_below_one_has_no_estimate(position: int) -> None:
    assert wait_range(position, EVERY_MINUTE, NOW) is None


def test_the_range_widens_with_the_position() -> None:
    ranges = [wait_range(position, EVERY_MINUTE, NOW) for position in range(1, 21)]
    widths = [r.high - r.low for r in ranges if r is not None]
    assert len(widths) == 20
    assert widths == sorted(set(widths))


def test_the_range_grows_while_no_take_happens() -> None:
    now = wait_range(4, EVERY_MINUTE, NOW)
    later = wait_range(4, EVERY_MINUTE, NOW + 60)  # a minute without a take
    much_later = wait_range(4, EVERY_MINUTE, NOW + 1800)
    assert now == WaitRange(low=84, high=396)
    assert later == WaitRange(low=125, high=594)  # three gaps in three minutes: 90 s each
    assert much_later is not None and much_later.low > later.low
    assert much_later.high > later.high


def test_takes_all_at_the_same_instant_still_give_a_range_of_at_least_a_second() -> None:
    assert wait_range(1, (NOW, NOW, NOW), NOW) == WaitRange(low=0, high=1)
    assert wait_range(5, (NOW, NOW, NOW), NOW) == WaitRange(low=0, high=1)


def test_a_pole_s_pace_worked_out_once_gives_each_place_its_range() -> None:
    assert pace(EVERY_MINUTE, NOW) == 60.0
    assert pace(EVERY_MINUTE[1:], NOW) is None
    gap = pace(EVERY_MINUTE, NOW)
    for position in (-1, 0, 1, 4, 50):
        assert range_at(position, gap) == wait_range(position, EVERY_MINUTE, NOW)
    assert range_at(4, None) is None


def test_a_wait_range_survives_the_msgpack_round_trip() -> None:
    assert roundtrip(WaitRange(low=84, high=396)) == WaitRange(low=84, high=396)


OFFSETS = st.lists(st.floats(min_value=-2 * WINDOW, max_value=2 * WINDOW), max_size=25)


@given(st.integers(min_value=-3, max_value=500), OFFSETS)
def test_a_range_is_given_exactly_with_enough_recent_takes_and_is_well_ordered(
    position: int, offsets: list[float]
) -> None:
    takes = [NOW - offset for offset in offsets]
    recent = [at for at in takes if NOW - WINDOW <= at <= NOW]
    found = wait_range(position, takes, NOW)
    if position < 1 or len(recent) < MIN_TAKES:
        assert found is None
        return
    assert found is not None
    assert 0 <= found.low <= found.high
    assert found.high >= 1


@given(
    st.integers(min_value=1, max_value=200),
    st.lists(st.floats(min_value=0, max_value=WINDOW / 2), min_size=MIN_TAKES, max_size=20),
    st.floats(min_value=0, max_value=WINDOW / 2),
)
def test_a_later_place_or_a_longer_pause_never_shortens_the_range(
    position: int, ages: list[float], pause: float
) -> None:
    takes = [NOW - age for age in ages]
    here = wait_range(position, takes, NOW)
    behind = wait_range(position + 1, takes, NOW)
    later = wait_range(position, takes, NOW + pause)  # no take dropped out of the window
    assert here is not None and behind is not None and later is not None
    assert behind.low >= here.low and behind.high >= here.high
    assert later.low >= here.low and later.high >= here.high
