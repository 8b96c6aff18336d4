from __future__ import annotations

from server.core.ratelimit import TokenBucket
from tests.unit.helpers import roundtrip


def drain(bucket: TokenBucket, now: float) -> int:
    """How many unit requests pass at ``now`` before the first refusal."""
    count = 0
    while bucket.allow(now):
        count += 1
    return count


def test_a_new_bucket_allows_a_full_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=1.0, burst=5.0)
    assert drain(bucket, now=1000.0) == 5
    assert not bucket.allow(1000.0)


def test_tokens_come_back_at_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=10.0)
    drain(bucket, now=0.0)
    assert not bucket.allow(0.4)  # 0.8 token
    assert bucket.allow(0.5)  # 1.0 token
    assert drain(bucket, now=2.0) == 3


def test_a_long_idle_saves_up_no_more_than_the_burst() -> None:
    bucket = TokenBucket(rate=5.0, burst=30.0)
    drain(bucket, now=0.0)
    assert drain(bucket, now=3600.0) == 30


def test_a_refused_request_costs_nothing() -> None:
    bucket = TokenBucket(rate=1.0, burst=1.0)
    assert bucket.allow(0.0)
    for _ in range(10):
        assert not bucket.allow(0.5)
    assert bucket.allow(1.0)


def test_a_request_may_cost_more_than_one_token() -> None:
    bucket = TokenBucket(rate=1.0, burst=10.0)
    assert bucket.allow(0.0, cost=7.0)
    assert not bucket.allow(0.0, cost=4.0)
    assert bucket.allow(0.0, cost=3.0)


def test_a_request_costing_more_than_the_burst_never_passes() -> None:
    bucket = TokenBucket(rate=1.0, burst=3.0)
    assert not bucket.allow(0.0, cost=4.0)
    assert not bucket.allow(1e9, cost=4.0)


def test_a_bucket_decoded_from_msgpack_carries_on_where_it_was() -> None:
    bucket = TokenBucket(rate=1.0, burst=5.0)
    drain(bucket, now=100.0)
    back = roundtrip(bucket)
    assert back == bucket
    assert not back.allow(100.5)
    assert back.allow(101.0)


def test_a_clock_going_backwards_does_not_refill_the_bucket() -> None:
    bucket = TokenBucket(rate=1.0, burst=5.0)
    drain(bucket, now=10.0)
    assert not bucket.allow(0.0)
    assert not bucket.allow(0.0)
