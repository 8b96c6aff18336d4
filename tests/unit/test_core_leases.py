from __future__ import annotations

from server.core.leases import LeaseTable
from tests.unit.helpers import roundtrip


def test_nothing_is_claimed_before_its_time() -> None:
    table = LeaseTable()
    table.renew("a", 10.0)
    assert table.claim(9.9, 10) == []
    assert table.claim(10.0, 10) == ["a"]


def test_a_lease_is_claimed_once() -> None:
    table = LeaseTable()
    table.renew("a", 1.0)
    assert table.claim(5.0, 10) == ["a"]
    assert table.claim(5.0, 10) == []


def test_a_renewed_lease_runs_out_at_its_new_time_only() -> None:
    table = LeaseTable()
    table.renew("a", 1.0)
    table.renew("a", 8.0)
    assert table.claim(5.0, 10) == []  # the stale 1.0 entry is skipped
    assert table.claim(8.0, 10) == ["a"]


def test_a_renewal_can_also_shorten_a_lease() -> None:
    table = LeaseTable()
    table.renew("a", 30.0)
    table.renew("a", 2.0)
    assert table.claim(2.0, 10) == ["a"]
    assert table.claim(30.0, 10) == []


def test_a_dropped_lease_is_never_claimed() -> None:
    table = LeaseTable()
    table.renew("a", 1.0)
    table.drop("a")
    table.drop("never-held")
    assert table.claim(9.0, 10) == []


def test_claims_come_oldest_first_and_at_most_limit_at_a_time() -> None:
    table = LeaseTable()
    for member, until in (("c", 3.0), ("a", 1.0), ("b", 2.0)):
        table.renew(member, until)
    assert table.claim(9.0, 2) == ["a", "b"]
    assert table.claim(9.0, 2) == ["c"]


def test_a_table_survives_the_msgpack_round_trip() -> None:
    table = LeaseTable()
    table.renew("a", 1.5)
    copy = roundtrip(table)
    assert copy.claim(2.0, 10) == ["a"]
