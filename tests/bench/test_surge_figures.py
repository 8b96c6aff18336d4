"""The surge's latency arithmetic (bench/scenarios.py ``surge_figures``), on plain values."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bench.scenarios import surge_figures


def visitor(name: str, first: int, positions: list[tuple[float, int]]) -> Any:
    return SimpleNamespace(pseudonym=name, first_position=first, positions=positions)


def test_latency_runs_from_the_take_or_one_interval_after_the_last_frame() -> None:
    # Takes 1 and 2 pop A and B at t=10 and t=10.5; C (third) hears of both.
    takers = [SimpleNamespace(takes=[(10.0, "A"), (10.5, "B")])]
    a, b = visitor("A", 1, [(0.0, 1)]), visitor("B", 2, [(0.0, 2), (10.02, 1)])
    c = visitor("C", 3, [(0.0, 3), (10.02, 2), (12.03, 1)])
    figures = surge_figures([a, b, c], takers, interval=2.0, ended=13.0)  # type: ignore[arg-type]

    # B and C at 10.02 report take 1 (due 10.0): 20 ms; C at 12.03 reports take 2,
    # due at max(10.5, 10.02 + 2) = 12.02: 10 ms.
    assert figures["updates"]["n"] == 3
    assert figures["updates"]["max_ms"] == 20.0
    assert figures["updates"]["p50_ms"] == 20.0
    assert figures["stale_visitors"] == 0


def test_only_visitors_still_waiting_can_be_stale() -> None:
    takers = [SimpleNamespace(takes=[(10.0, "A"), (10.5, "B")])]
    # B was taken before any frame told it of take 1: owed nothing, it left the queue.
    a, b = visitor("A", 1, [(0.0, 1)]), visitor("B", 2, [(0.0, 2)])
    # C was never told of either take, 20 s later: stale.
    c = visitor("C", 3, [(0.0, 3)])
    figures = surge_figures([a, b, c], takers, interval=2.0, ended=30.0)  # type: ignore[arg-type]

    assert figures["stale_visitors"] == 1
