"""A short run of the benchmark at toy sizes, so ``make bench`` cannot rot.

It is not a performance test (design.md: speed is measured by the benchmark,
not by timed tests): it checks that every scenario runs against real servers
and that the results file carries every figure, with sane values.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

FIGURES = [
    "p99_ms_at_2k",
    "knee_msgs_per_s",
    "baseline_knee_msgs_per_s",
    "knee_ratio",
    "idle_kib_per_visitor",
    "surge_update_p99_ms",
    "lost",
    "duplicated",
    "recovery_s_5k",
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("bench")
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert (out / "report.md").read_text().startswith("# Parole benchmark")
    assert (out / "latency.svg").read_text().startswith("<svg")
    found: dict[str, object] = json.loads((out / "latest.json").read_text())
    return found


def test_every_figure_is_there(results: dict[str, object]) -> None:
    assert results["smoke"] is True
    missing = [key for key in FIGURES if results.get(key) is None]
    assert not missing, f"figures not measured: {missing}"
    for key in FIGURES:
        value = results[key]
        assert isinstance(value, (int, float)) and math.isfinite(value), (key, value)


def test_nothing_lost_or_duplicated(results: dict[str, object]) -> None:
    assert results["lost"] == 0
    assert results["duplicated"] == 0


def test_latencies_and_sizes_are_positive(results: dict[str, object]) -> None:
    for key in ("p99_ms_at_2k", "surge_update_p99_ms", "recovery_s_5k", "idle_kib_per_visitor"):
        assert results[key] > 0, key  # type: ignore[operator]
    through = results["throughput"]
    assert isinstance(through, dict)
    for step in through["steps"] + through["baseline_steps"]:
        assert step["delivered"] == step["sent"] > 0
        assert 0 < step["latency"]["p50_ms"] <= step["latency"]["p99_ms"]
        # Each step measured twice here (three times in a full run): the lower p99 stands.
        assert step["latency"]["p99_ms"] == min(step["repeats_p99_ms"])
        assert len(step["repeats_p99_ms"]) == 2


def test_the_committed_results_are_not_touched(results: dict[str, object]) -> None:
    committed = Path(ROOT, "bench", "results", "latest.json")
    if committed.exists():
        assert json.loads(committed.read_text())["smoke"] is False
