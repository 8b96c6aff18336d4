from __future__ import annotations

import pytest

from server.core.duty import MAX_SLOTS, DutySlot, check_duty
from server.core.errors import ConfigError
from server.core.staff import StaffAccount
from tests.unit.helpers import roundtrip


def test_a_line_of_duty_round_trips_with_the_account() -> None:
    slot = DutySlot("emploi", ("tuesday", "thursday"), "14:00", "18:00")
    account = StaffAccount("camille", "Camille", "hash", poles=["emploi"], duty=[slot])
    assert roundtrip(account) == account
    check_duty(account.duty, account.poles)
    assert DutySlot("emploi", ("sunday",), "20:00", "24:00").end == "24:00"


@pytest.mark.parametrize(
    ("pole", "days", "start", "end"),
    [
        ("Emploi", ("monday",), "09:00", "12:00"),
        ("emploi", (), "09:00", "12:00"),
        ("emploi", ("lundi",), "09:00", "12:00"),
        ("emploi", ("monday", "monday"), "09:00", "12:00"),
        ("emploi", ("friday", "monday"), "09:00", "12:00"),
        ("emploi", ("monday",), "9:00", "12:00"),
        ("emploi", ("monday",), "09:00", "24:01"),
        ("emploi", ("monday",), "12:00", "12:00"),
        ("emploi", ("monday",), "14:00", "12:00"),
    ],
)
def test_a_line_of_duty_checks_its_fields(
    pole: str, days: tuple[str, ...], start: str, end: str
) -> None:
    with pytest.raises(ConfigError):
        DutySlot(pole, days, start, end)


def test_duty_is_bounded_and_at_the_accounts_poles() -> None:
    slot = DutySlot("emploi", ("monday",), "09:00", "12:00")
    with pytest.raises(ConfigError):
        check_duty([slot] * (MAX_SLOTS + 1), ["emploi"])
    with pytest.raises(ConfigError):
        check_duty([slot], ["formation"])
    check_duty([slot] * MAX_SLOTS, ["emploi"])
