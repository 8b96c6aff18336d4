"""One benchmark run: the scenarios in order, then the results file and the report."""

from __future__ import annotations

import datetime
import functools
import json
import logging
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from . import scenarios
from .load import quiet_machine
from .procs import ROOT
from .report import chart, headline, markdown, verdicts
from .scenarios import Options

log = logging.getLogger("bench")
CHART = "latency.svg"

SCENARIOS: dict[str, Callable[[Options], Awaitable[dict[str, Any]]]] = {
    "throughput": scenarios.throughput,
    "idle": scenarios.idle_memory,
    "idle_plain": functools.partial(scenarios.idle_memory, deflate=False),
    "surge": scenarios.surge,
    "storm": scenarios.storm,
}


#: The same code as another scenario with one flag changed: not worth the smoke run's time.
SMOKE_SKIPS = {"idle_plain"}


def smoke_options(folder: Path) -> Options:
    return Options(
        folder=folder,
        rates=[40, 80],
        target_rate=80,
        warmup=0.2,
        seconds=0.5,
        repeats=2,
        drain=10.0,
        idle_visitors=200,
        surge_visitors=200,
        surge_counsellors=3,
        surge_seconds=1.5,
        position_interval=1.0,
        fanout_pause=0.5,
        storm_sessions=100,
        storm_rate=24.0,
        storm_before=1.0,
        storm_after=1.5,
        storm_drain=20.0,
        settle_max=1.0,
        quiet_max=0.0,
    )


def _git(*args: str) -> str:
    found = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return found.stdout.strip()


def describe_run(started: float) -> dict[str, Any]:
    with open("/proc/cpuinfo") as f:
        models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    return {
        "started": datetime.datetime.fromtimestamp(started, datetime.UTC).isoformat(
            timespec="seconds"
        ),
        "machine": f"{os.cpu_count()} × {models[0] if models else 'CPU'}",
        "commit": _git("rev-parse", "--short", "HEAD"),
        # The servers run from this working tree: say whether it held uncommitted server code.
        "dirty": bool(_git("status", "--porcelain", "--", "server", "protocol")),
        "duration_s": 0.0,
    }


async def run(out: Path, tmp: Path, smoke: bool, only: list[str] | None) -> dict[str, Any]:
    options = smoke_options(tmp) if smoke else Options(folder=tmp)
    started = time.time()
    results: dict[str, Any] = {"smoke": smoke, "run": describe_run(started)}
    for name, scenario in SCENARIOS.items():
        if only and name not in only:
            continue
        if smoke and name in SMOKE_SKIPS:
            continue
        machine = await quiet_machine(longest=options.quiet_max)
        began = time.monotonic()
        options.folder = tmp / name
        results[name] = await scenario(options)
        results[name]["machine_before"] = machine
        results[name]["duration_s"] = round(time.monotonic() - began, 1)
        log.info("%s done in %.0f s", name, time.monotonic() - began)
    results["run"]["duration_s"] = round(time.time() - started, 1)
    figures = headline(results, options.target_rate)
    results = {**figures, "targets": verdicts(figures), **results}
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / CHART).write_text(chart(results))
    (out / "report.md").write_text(markdown(results, CHART))
    return results
