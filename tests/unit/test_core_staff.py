from __future__ import annotations

import pytest

from server.core.errors import CapacityReached, IllegalTransition
from server.core.staff import Desk, Presence, Role, StaffAccount
from tests.unit.helpers import roundtrip


def account(**changes: object) -> StaffAccount:
    fields: dict[str, object] = {
        "login": "marie",
        "alias": "Marie",
        "password_hash": "$argon2id$...",
        "poles": ["emploi", "formation"],
    }
    fields.update(changes)
    return StaffAccount(**fields)  # type: ignore[arg-type]


def test_a_counsellor_staffs_only_their_own_poles() -> None:
    marie = account()
    assert marie.role is Role.COUNSELLOR
    assert marie.can_staff("emploi")
    assert marie.can_staff("formation")
    assert not marie.can_staff("orientation")


def test_a_disabled_account_staffs_no_pole() -> None:
    assert not account(disabled=True).can_staff("emploi")


def test_an_account_survives_the_msgpack_round_trip() -> None:
    manager = account(role=Role.MANAGER, disabled=True)
    back = roundtrip(manager)
    assert back == manager
    assert back.role is Role.MANAGER


def test_a_desk_is_offline_until_a_console_opens_and_after_the_last_closes() -> None:
    desk = Desk(login="marie")
    seen = [desk.presence]
    desk.open_console(3)
    desk.open_console(3)
    desk.close_console()
    seen.append(desk.presence)
    desk.close_console()
    seen.append(desk.presence)
    assert seen == [Presence.OFFLINE, Presence.AVAILABLE, Presence.OFFLINE]


def test_closing_more_consoles_than_were_opened_stays_at_zero() -> None:
    desk = Desk(login="marie")
    desk.close_console()
    assert desk.consoles == 0
    desk.open_console(3)
    assert desk.presence is Presence.AVAILABLE


def test_opening_a_console_applies_the_current_capacity_and_returns_a_copy() -> None:
    desk = Desk(login="marie")
    snapshot = desk.open_console(5)
    assert desk.capacity == 5
    assert snapshot == desk
    assert snapshot is not desk
    desk.open_console(2)
    assert (snapshot.consoles, snapshot.capacity) == (1, 5)


def test_an_offline_counsellor_cannot_take_a_visitor() -> None:
    desk = Desk(login="marie")
    with pytest.raises(IllegalTransition, match="offline") as caught:
        desk.hold("c1")
    assert caught.value.code == "not_allowed"
    assert desk.conversations == []


def test_a_counsellor_takes_visitors_up_to_capacity_and_no_more() -> None:
    desk = Desk(login="marie")
    desk.open_console(2)
    desk.hold("c1")
    desk.hold("c2")
    with pytest.raises(CapacityReached, match="already 2") as caught:
        desk.hold("c3")
    assert caught.value.code == "capacity_reached"
    assert desk.conversations == ["c1", "c2"]


def test_lowering_capacity_below_what_is_held_refuses_new_visitors_but_keeps_the_others() -> None:
    desk = Desk(login="marie")
    desk.open_console(3)
    for c in ("c1", "c2", "c3"):
        desk.hold(c)
    desk.open_console(1)
    assert desk.conversations == ["c1", "c2", "c3"]
    with pytest.raises(CapacityReached):
        desk.check_can_take()


def test_releasing_a_conversation_frees_a_place() -> None:
    desk = Desk(login="marie")
    desk.open_console(1)
    desk.hold("c1")
    desk.release("c1")
    assert desk.conversations == []
    desk.check_can_take()
    desk.hold("c2")
    assert desk.conversations == ["c2"]


def test_releasing_an_unknown_or_already_released_conversation_changes_nothing() -> None:
    desk = Desk(login="marie")
    desk.open_console(3)
    desk.hold("c1")
    desk.release("c9")
    desk.release("c1")
    desk.release("c1")
    assert desk.conversations == []


def test_two_desks_never_share_their_conversations() -> None:
    one, other = Desk(login="marie"), Desk(login="paul")
    one.open_console(3)
    one.hold("c1")
    assert other.conversations == []


def test_a_desk_survives_the_msgpack_round_trip() -> None:
    desk = Desk(login="marie")
    desk.open_console(4)
    desk.hold("c1")
    back = roundtrip(desk)
    assert back == desk
    assert back.presence is Presence.AVAILABLE


def test_holding_the_same_conversation_twice_takes_one_place() -> None:
    desk = Desk(login="camille", capacity=2)
    desk.open_console(2)
    desk.hold("c1")
    desk.hold("c1")
    assert desk.conversations == ["c1"]
    desk.release("c1")
    assert desk.conversations == []
