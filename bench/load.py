"""Open-loop offered load, percentiles and CPU accounting shared by the scenarios."""

from __future__ import annotations

import asyncio
import gc
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from .peers import Ledger, Party
from .procs import TICKS, Proc

T = TypeVar("T")
#: Each socket stays under Parole's per-socket limit (5 frames/s, bursts of 30): the
#: bench opens more conversations rather than send faster on one (see ops/benchmark.md).
PER_SIDE_RATE = 4.0


def conversations_for(rate: float, per_side: float = PER_SIDE_RATE) -> int:
    """Conversations needed to offer ``rate`` messages/s, each side sending ``per_side``/s."""
    return max(1, math.ceil(rate / (2 * per_side)))


async def offer(parties: Sequence[Party], rate: float, seconds: float, tag: str) -> None:
    """Make ``parties`` send ``rate`` messages/s in all for ``seconds``, on the clock.

    Each party sends at a fixed interval from a random phase. A send is due at its
    scheduled time whatever the server did with the previous ones: the schedule
    never waits for an answer (open loop); each party's lag behind it is recorded.
    """
    if rate <= 0 or not parties:
        await asyncio.sleep(seconds)
        return
    interval = len(parties) / rate * 1e9
    phases = sorted(((random.random() * interval, p) for p in parties), key=lambda x: x[0])
    start = time.monotonic_ns()
    end = start + int(seconds * 1e9)
    round_, i = 0, 0
    while True:
        phase, party = phases[i]
        due = start + int(round_ * interval + phase)
        if due >= end:
            break
        now = time.monotonic_ns()
        if due > now + 200_000:  # not due within 0.2 ms: sleep until it is
            await asyncio.sleep((due - now) / 1e9)
            continue
        party.say(tag, due)
        i += 1
        if i == len(phases):
            i, round_ = 0, round_ + 1
    await asyncio.sleep(max(end - time.monotonic_ns(), 0) / 1e9)


async def drain(parties: Sequence[Party], tags: Iterable[str], timeout: float) -> int:
    """Wait until every message of ``tags`` reached its peer; returns those still missing."""
    tags = list(tags)
    deadline = time.monotonic() + timeout
    while True:
        missing = sum(p.missing(tag) for p in parties for tag in tags)
        if missing == 0 or time.monotonic() > deadline:
            return missing
        await asyncio.sleep(0.05)


def percentile(ordered: Sequence[int] | Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not ordered:
        return math.nan
    return float(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))])


def summary_ms(values_ns: Sequence[int]) -> dict[str, Any]:
    ordered = sorted(values_ns)
    ms = 1e6
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50) / ms, 3),
        "p99_ms": round(percentile(ordered, 0.99) / ms, 3),
        "p999_ms": round(percentile(ordered, 0.999) / ms, 3),
        "max_ms": round(ordered[-1] / ms, 3) if ordered else math.nan,
    }


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far, every core and process included."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICKS


async def quiet_machine(below: float = 15.0, longest: float = 120.0) -> dict[str, float]:
    """Wait until the machine (nothing of ours runs yet) is nearly idle, for fair figures.

    Returns the seconds waited and the busy % (of one core) last seen: on a shared
    machine, a run that could not find quiet says so in its results.
    """
    started = time.monotonic()
    sample = 2.0 if longest else 0.5
    while True:
        before = machine_busy()
        await asyncio.sleep(sample)
        busy = 100 * (machine_busy() - before) / sample
        waited = time.monotonic() - started
        if busy < below or waited > longest:
            return {"waited_s": round(waited, 1), "busy_percent": round(busy, 1)}


class CpuMeter:
    """CPU used by each process between ``start`` and ``stop``, in % of one core.

    ``others`` is what the rest of the machine used meanwhile: on a shared machine,
    a busy neighbour shows there rather than silently in the figures.
    """

    def __init__(self, procs: dict[str, Proc]) -> None:
        self.procs = procs
        self._t0 = 0.0
        self._c0: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        used = {name: proc.cpu() for name, proc in self.procs.items() if proc.alive()}
        used["generator"] = time.process_time()
        used["machine"] = machine_busy()
        return used

    def start(self) -> None:
        self._t0, self._c0 = time.monotonic(), self._now()

    def stop(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._t0
        now = self._now()
        used = {
            name: round(100 * (now[name] - self._c0[name]) / elapsed, 1)
            for name in now
            if name in self._c0
        }
        ours = sum(v for k, v in used.items() if k != "machine")
        used["others"] = round(max(used.pop("machine") - ours, 0.0), 1)
        return used


async def gather_limited(
    jobs: Iterable[Callable[[], Awaitable[T]]], limit: int, timeout: float = 120.0
) -> list[T]:
    """Run the jobs ``limit`` at a time (a connection storm of our own would bias set-up).

    The first failure cancels the rest and is raised alone.
    """
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    try:
        async with asyncio.timeout(timeout), asyncio.TaskGroup() as group:
            tasks = [group.create_task(run(job)) for job in jobs]
    except* Exception as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def run_step(
    parties: Sequence[Party],
    ledger: Ledger,
    rate: float,
    name: str,
    meter: CpuMeter,
    *,
    warmup: float,
    seconds: float,
    drain_timeout: float,
) -> dict[str, Any]:
    """One load step: warm up, measure, then wait for the stragglers; its figures."""
    before = Counter(ledger.counts)
    # The generator's own garbage collection would pause its loop for milliseconds,
    # showing up as server latency: none while a step runs.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        await offer(parties, rate, warmup, f"w{name}")
        meter.start()
        await offer(parties, rate, seconds, name)
        cpu = meter.stop()
        started = time.monotonic()
        missing = await drain(parties, [f"w{name}", name], drain_timeout)
    finally:
        gc.enable()
        gc.unfreeze()
    counts = Counter(ledger.counts)
    counts.subtract(before)
    sent = sum(len(p.sent.get(name, ())) for p in parties)
    lag = sorted(ledger.lag[name])
    return {
        "offered_msgs_per_s": rate,
        "conversations": len(parties) // 2,
        "sent": sent,
        "delivered": len(ledger.latency[name]),
        "latency": summary_ms(ledger.latency[name]),
        "ack": summary_ms(ledger.ack[name]),
        "generator_lag_p99_ms": round(percentile(lag, 0.99) / 1e6, 3),
        "lost": missing,
        "drain_s": round(time.monotonic() - started, 2),
        "duplicated": counts["duplicated"],
        "events": {k: v for k, v in sorted(counts.items()) if v and k != "duplicated"},
        "cpu_percent": cpu,
        # Server-side CPU (both processes and Redis) per message offered, in ms.
        "server_cpu_ms_per_msg": round(
            sum(cpu.get(k, 0.0) for k in ("a", "b", "redis")) * 10 / rate, 3
        ),
    }
