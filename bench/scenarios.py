"""The five measurements of a run; each starts its own Redis and servers and stops them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.demo import DEMO_CITE

from .load import (
    CpuMeter,
    conversations_for,
    drain,
    gather_limited,
    offer,
    percentile,
    quiet_machine,
    run_step,
    summary_ms,
)
from .peers import (
    Console,
    Conversations,
    Ledger,
    Party,
    RelayCounsellor,
    RelayVisitor,
    ReturningRelayVisitor,
    Server,
    Taker,
    Visitor,
    behind_one_proxy,
)
from .procs import (
    Proc,
    open_files_limit,
    redis_url,
    redis_used_memory,
    start_parole,
    start_redis,
    start_relay,
)
from .staff import Throttled, create_accounts, enqueue, sign_in

log = logging.getLogger("bench")
POLES = [pole.id for pole in DEMO_CITE.poles]
KNEE_P99_MS = 10.0
SATURATED_P50_MS = 100.0
NOISY_OTHERS = 15.0  # % of a core used by the rest of the machine that voids a step
WARM = 100  # visitors connected before a memory baseline is taken


@dataclass
class Options:
    folder: Path
    rates: list[float] = field(
        default_factory=lambda: [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000]
    )
    warmup: float = 1.5
    seconds: float = 6.0
    repeats: int = 3  # measurements of each throughput step; the median p99 stands
    drain: float = 15.0
    idle_visitors: int = 5000
    surge_visitors: int = 10000
    surge_counsellors: int = 50
    surge_seconds: float = 20.0
    take_interval: float = 2.0  # seconds between two takes of one surge counsellor
    position_interval: float = 2.0  # PAROLE_POSITION_INTERVAL in the surge
    fanout_pause: float = 2.0  # seconds each of the relay's fan-out rounds is given
    storm_sessions: int = 5000
    storm_rate: float = 1000.0
    storm_before: float = 5.0
    storm_after: float = 15.0
    storm_drain: float = 30.0
    #: Messages/s of each side in the storm: low enough that what piles up during the
    #: outage passes the rate limit's burst (30) when re-sent, as a person's would.
    storm_per_side: float = 2.0
    storm_recovery_max: float = 180.0  # longest wait for every session to be back
    target_rate: float = 2000.0  # the rate of the p99 target; always measured
    settle_max: float = 60.0  # longest wait for servers to go quiet before measuring
    quiet_max: float = 120.0  # longest wait for the machine to go quiet before a scenario


# --- infrastructure ------------------------------------------------------------------------
@contextlib.contextmanager
def cluster(
    folder: Path, kind: str, count: int, env: dict[str, str] | None = None
) -> Iterator[tuple[Proc, list[Proc]]]:
    """A fresh redis-server and ``count`` Parole (``kind="parole"``) or relay processes."""
    folder.mkdir(parents=True, exist_ok=True)
    redis = start_redis(folder)
    servers: list[Proc] = []
    try:
        for name in "ab"[:count]:
            if kind == "parole":
                servers.append(start_parole(folder, name, redis_url(redis), env or {}))
            else:
                servers.append(start_relay(folder, name, redis_url(redis)))
        yield redis, servers
    finally:
        for proc in servers:
            proc.stop()
        redis.stop()


@contextlib.contextmanager
def parole_servers(
    folder: Path, redis: Proc, count: int, env: dict[str, str] | None = None
) -> Iterator[list[Proc]]:
    """``count`` Parole processes on ``redis``, started once the scenario prepared its state."""
    servers: list[Proc] = []
    try:
        for name in "ab"[:count]:
            servers.append(start_parole(folder, name, redis_url(redis), env or {}))
        yield servers
    finally:
        for proc in servers:
            proc.stop()


def meter(redis: Proc, servers: list[Proc]) -> CpuMeter:
    return CpuMeter({"redis": redis, **{s.name: s for s in servers}})


async def sign_in_all(server: Server, logins: list[str], info: dict[str, Any]) -> list[str]:
    """Cookies for ``logins`` through the real form, a few at a time (argon2 is slow).

    If the server starts refusing sign-ins as too many, the accounts already signed in
    are shared instead (one cookie opens many consoles), and the run says so.
    """
    cookies: list[str] = []
    durations: list[float] = []
    throttled = 0

    async def one(login: str) -> None:
        nonlocal throttled
        try:
            cookie, seconds = await sign_in(server.url, login)
        except Throttled:
            throttled += 1
            return
        cookies.append(cookie)
        durations.append(seconds)

    started = time.monotonic()
    await gather_limited([functools.partial(one, login) for login in logins], 4, 600)
    if not cookies:
        raise RuntimeError("every sign-in was refused")
    info["sign_ins"] = info.get("sign_ins", 0) + len(cookies)
    info["sign_in_s"] = round(info.get("sign_in_s", 0.0) + time.monotonic() - started, 1)
    info["sign_in_p50_s"] = round(percentile(sorted(durations), 0.5), 3)
    if throttled:
        info["sign_ins_throttled"] = info.get("sign_ins_throttled", 0) + throttled
        cookies = [cookies[i % len(cookies)] for i in range(len(logins))]
    return cookies


async def connect_all(peers: list[Any], limit: int = 64) -> None:
    await gather_limited([p.connect for p in peers], limit, 600)


async def wait_all(events: list[asyncio.Event], timeout: float, what: str) -> None:
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), timeout)
    except TimeoutError:
        done = sum(e.is_set() for e in events)
        raise RuntimeError(f"{what}: only {done} of {len(events)} within {timeout} s") from None


def stop_all(peers: list[Any]) -> None:
    for peer in peers:
        peer.stop()


# --- 1 and 2: latency and throughput, Parole vs the bare relay -----------------------------
class ParoleTalk:
    """Conversations with the visitor on process A and the counsellor on process B."""

    def __init__(self, a: Proc, b: Proc, logins: list[str], ledger: Ledger) -> None:
        self.a, self.b = a, b
        self.logins = logins
        self.ledger = ledger
        self.registry = Conversations()
        self.peers: list[Any] = []
        self.info: dict[str, Any] = {}

    async def ensure(self, count: int) -> list[Party]:
        have = len(self.registry.paired)
        if count > have:
            started = time.monotonic()
            cookies = await sign_in_all(self.b, self.logins[have:count], self.info)
            visitors = [
                Visitor(
                    [self.a],
                    self.ledger,
                    POLES[i % len(POLES)],
                    f"visiteur-{i}",
                    conversations=self.registry,
                )
                for i in range(have, count)
            ]
            await connect_all(visitors)
            await wait_all([v.joined for v in visitors], 120, "visitors joined")
            consoles = [
                Console([self.b], self.ledger, c, conversations=self.registry) for c in cookies
            ]
            await connect_all(consoles)
            await wait_all([c.opened for c in consoles], 120, "consoles opened")
            self.registry.expected = count
            self.registry.complete.clear()
            for visitor, console in zip(visitors, consoles, strict=True):
                console.send({"type": "take", "pole": visitor.pole})
            await asyncio.wait_for(self.registry.complete.wait(), 120)
            self.peers += visitors + consoles
            self.info["setup_s"] = round(
                self.info.get("setup_s", 0.0) + time.monotonic() - started, 1
            )
        return [side for pair in self.registry.paired[:count] for side in pair]


class RelayTalk:
    def __init__(self, a: Proc, b: Proc, ledger: Ledger) -> None:
        self.a, self.b = a, b
        self.ledger = ledger
        self.pairs: list[tuple[Party, Party]] = []

    async def ensure(self, count: int) -> list[Party]:
        new: list[Any] = []
        for i in range(len(self.pairs), count):
            visitor = RelayVisitor([self.a], self.ledger, f"c{i}")
            counsellor = RelayCounsellor([self.b], self.ledger, f"c{i}")
            visitor.peer, counsellor.peer = counsellor, visitor
            self.pairs.append((visitor, counsellor))
            new += [visitor, counsellor]
        await connect_all(new)
        return [side for pair in self.pairs[:count] for side in pair]

    @property
    def peers(self) -> list[Party]:
        return [side for pair in self.pairs for side in pair]


def knee(steps: list[dict[str, Any]]) -> float:
    """The highest offered rate with p99 within ``KNEE_P99_MS`` and nothing lost."""
    good = [
        s["offered_msgs_per_s"]
        for s in steps
        if s["latency"]["p99_ms"] <= KNEE_P99_MS and s["lost"] == 0
    ]
    return max(good, default=0.0)


def saturated(step: dict[str, Any]) -> bool:
    """Past capacity: a backlog builds (half the messages wait over 100 ms) or some are lost."""
    return bool(step["lost"]) or step["latency"]["p50_ms"] > SATURATED_P50_MS


async def step_through(
    talk: ParoleTalk | RelayTalk,
    ledger: Ledger,
    cpu: CpuMeter,
    options: Options,
    label: str,
) -> list[dict[str, Any]]:
    """Raise the offered rate step by step, past the target rate, until saturated.

    Each step is measured ``options.repeats`` times and the measurement with the median
    p99 stands for it (the others' p99 are kept): on a shared 2-core machine one stall
    of a few ms in six seconds moves a single p99 across the 10 ms line. A measurement
    during which other processes used the machine is taken again (twice at most). A
    step's ``lost`` and ``duplicated`` count every measurement of it.
    """
    steps: list[dict[str, Any]] = []
    for rate in options.rates:
        parties = await talk.ensure(conversations_for(rate))
        measured: list[dict[str, Any]] = []
        disturbed: list[dict[str, Any]] = []
        while len(measured) < options.repeats:
            await quiet_machine(longest=options.quiet_max / 2)
            tag = f"{label}{int(rate)}{len(measured) + len(disturbed)}"
            step = await run_step(
                parties,
                ledger,
                rate,
                tag,
                cpu,
                warmup=options.warmup,
                seconds=options.seconds,
                drain_timeout=options.drain,
            )
            quiet = step["cpu_percent"]["others"] <= NOISY_OTHERS
            if quiet or len(disturbed) == 2 or not options.quiet_max:  # smoke: never waits
                measured.append(step)
                if saturated(step):
                    break  # a backlog: repeating would only grow it
                continue
            log.info(
                "%s %d msg/s: others used %s%% of a core, again",
                label,
                rate,
                step["cpu_percent"]["others"],
            )
            disturbed.append(step)
        measured.sort(key=lambda m: m["latency"]["p99_ms"])
        step = measured[(len(measured) - 1) // 2]
        step["repeats_p99_ms"] = [m["latency"]["p99_ms"] for m in measured]
        step["disturbed_attempts"] = disturbed
        # Nothing lost or shown twice means in any measurement, not just the median one.
        for key in ("lost", "duplicated"):
            step[key] = sum(m[key] for m in measured + disturbed)
        log.info(
            "%s %5d msg/s: p50 %.2f p99 %.2f p99.9 %.2f ms (p99 of each: %s), lost %d, dup %d, "
            "cpu %s",
            label,
            rate,
            step["latency"]["p50_ms"],
            step["latency"]["p99_ms"],
            step["latency"]["p999_ms"],
            step["repeats_p99_ms"],
            step["lost"],
            step["duplicated"],
            step["cpu_percent"],
        )
        steps.append(step)
        if saturated(step) and rate >= options.target_rate:
            break  # higher steps would only measure a growing backlog
    return steps


async def throughput(options: Options) -> dict[str, Any]:
    """Scenarios 1 and 2 in one go: the relay first, then Parole, on the same steps."""
    ledger = Ledger()
    result: dict[str, Any] = {}
    with cluster(options.folder / "relay", "relay", 2) as (redis, (a, b)):
        relay = RelayTalk(a, b, ledger)
        try:
            result["baseline_steps"] = await step_through(
                relay, ledger, meter(redis, [a, b]), options, "relay"
            )
        finally:
            stop_all(relay.peers)
    accounts = conversations_for(max(options.rates))
    with cluster(options.folder / "parole", "parole", 0) as (redis, _):
        logins = await create_accounts(redis_url(redis), accounts)
        with parole_servers(options.folder / "parole", redis, 2) as (a, b):
            talk = ParoleTalk(a, b, logins, ledger)
            try:
                result["steps"] = await step_through(
                    talk, ledger, meter(redis, [a, b]), options, "parole"
                )
            finally:
                stop_all(talk.peers)
            result["setup"] = talk.info
            result["server_open_files_limit"] = open_files_limit(a.pid)
            result["tracebacks"] = {"a": a.tracebacks(), "b": b.tracebacks()}
    return result


# --- 3: memory per idle waiting visitor ----------------------------------------------------
async def settle(procs: list[Proc], longest: float, quiet: float = 0.02) -> float:
    """Wait until ``procs`` use under ``quiet`` of a core over half a second; seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < longest:
        before = sum(p.cpu() for p in procs)
        await asyncio.sleep(0.5)
        if (sum(p.cpu() for p in procs) - before) / 0.5 < quiet * len(procs):
            break
    return round(time.monotonic() - started, 1)


async def idle_memory(options: Options, deflate: bool = True) -> dict[str, Any]:
    """RSS of one process before and after ``idle_visitors`` more visitors wait in queues.

    The visitors were enqueued beforehand (see ``staff.enqueue``); each socket
    attaches by resuming, which leaves the server in the same state as a join.
    The same number of idle sockets on the bare relay gives the floor that the
    stack (uvicorn, websockets, Starlette, a pub/sub subscription) costs alone.
    """
    ledger = Ledger()
    folder = options.folder / ("deflate" if deflate else "plain")
    with cluster(folder, "parole", 0) as (redis, _):
        queued = await enqueue(redis_url(redis), POLES, options.idle_visitors + WARM)
        made = [
            Visitor([], ledger, pole, pseudonym, deflate=deflate, token=token)
            for pole, pseudonym, token in queued
        ]
        # The first connections pay for lazy imports and caches, not per visitor.
        warm, visitors = made[:WARM], made[WARM:]
        with parole_servers(folder, redis, 1) as (a,):
            for visitor in made:
                visitor.servers = [a]
            try:
                await connect_all(warm)
                await wait_all([v.joined for v in warm], 60, "warm-up visitors back")
                await settle([a], options.settle_max)
                rss0, redis0, cpu0 = a.rss_kib(), redis_used_memory(redis), a.cpu()
                started = time.monotonic()
                await connect_all(visitors)
                await wait_all([v.joined for v in visitors], 600, "visitors back")
                attach_s = time.monotonic() - started
                settled_s = await settle([a], options.settle_max)
                rss1, redis1, cpu1 = a.rss_kib(), redis_used_memory(redis), a.cpu()
            finally:
                stop_all(made)
            tracebacks = a.tracebacks()
        relay = await idle_relay(folder, redis, len(visitors), deflate, options.settle_max)
    n = len(visitors)
    return {
        "visitors": n,
        "deflate": deflate,
        "rss_before_kib": rss0,
        "rss_after_kib": rss1,
        "kib_per_visitor": round((rss1 - rss0) / n, 2),
        "redis_bytes_per_visitor": round((redis1 - redis0) / n),
        "attach_s": round(attach_s, 1),
        "attach_cpu_ms_per_visitor": round(1000 * (cpu1 - cpu0) / n, 2),
        "settle_s": settled_s,
        "relay": relay,
        "tracebacks": tracebacks,
        "events": {k: v for k, v in sorted(ledger.counts.items()) if v},
    }


async def idle_relay(
    folder: Path, redis: Proc, count: int, deflate: bool, settle_max: float
) -> dict[str, Any]:
    """RSS and CPU per idle socket of the bare relay (one conversation each)."""
    ledger = Ledger()
    proc = start_relay(folder, "relay", redis_url(redis))
    sockets = [RelayVisitor([proc], ledger, f"idle{i}", deflate) for i in range(count + WARM)]
    try:
        await connect_all(sockets[:WARM])
        await settle([proc], settle_max)
        rss0, cpu0 = proc.rss_kib(), proc.cpu()
        await connect_all(sockets[WARM:])
        await settle([proc], settle_max)
        rss1, cpu1 = proc.rss_kib(), proc.cpu()
    finally:
        stop_all(sockets)
        proc.stop()
    return {
        "sockets": count,
        "kib_per_socket": round((rss1 - rss0) / count, 2),
        "attach_cpu_ms_per_socket": round(1000 * (cpu1 - cpu0) / count, 2),
    }


# --- 4: queue surge ------------------------------------------------------------------------
async def takes_on_schedule(takers: list[Taker], interval: float, seconds: float) -> None:
    """Each counsellor asks for the next visitor every ``interval`` s, whatever happened."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for taker in takers:
        phase = random.random() * interval
        for k in range(math.ceil(seconds / interval) + 1):
            if phase + k * interval < seconds:
                loop.call_at(start + phase + k * interval, taker.take)
    await asyncio.sleep(seconds)


async def surge(options: Options) -> dict[str, Any]:
    """``surge_visitors`` wait in one pole, half on A and half on B, while counsellors take.

    See :func:`surge_figures` for how an update's latency is measured.
    """
    pole = POLES[1]
    ledger = Ledger()
    env = {"PAROLE_POSITION_INTERVAL": str(options.position_interval)}
    with cluster(options.folder, "parole", 0) as (redis, _):
        logins = await create_accounts(redis_url(redis), options.surge_counsellors)
        queued = await enqueue(redis_url(redis), [pole], options.surge_visitors)
        with parole_servers(options.folder, redis, 2, env) as (a, b):
            visitors = [
                Visitor([(a, b)[i % 2]], ledger, p, name, token=token)
                for i, (p, name, token) in enumerate(queued)
            ]
            takers: list[Taker] = []
            try:
                started = time.monotonic()
                await connect_all(visitors)
                await wait_all([v.joined for v in visitors], 600, "waiting visitors back")
                attach_s = time.monotonic() - started
                cookies = await sign_in_all(b, logins, {})
                takers = [
                    Taker([(a, b)[i % 2]], ledger, cookie, pole) for i, cookie in enumerate(cookies)
                ]
                await connect_all(takers)
                await wait_all([t.opened for t in takers], 60, "counsellors' consoles")
                await settle([a, b], options.settle_max)
                for visitor in visitors:
                    visitor.record_positions = True
                cpu = meter(redis, [a, b])
                cpu.start()
                await takes_on_schedule(takers, options.take_interval, options.surge_seconds)
                used = cpu.stop()
                ended = time.time()
                await asyncio.sleep(options.position_interval + 1)  # the last updates
            finally:
                stop_all(visitors + takers)
            tracebacks = {"a": a.tracebacks(), "b": b.tracebacks()}
        floor = await fanout_floor(options, redis, len(visitors))
    return surge_figures(visitors, takers, options.position_interval, ended) | {
        "relay_fanout_floor": floor,
        "visitors": len(visitors),
        "counsellors": len(takers),
        "surge_s": options.surge_seconds,
        "attach_s": round(attach_s, 1),
        "cpu_percent": used,
        "tracebacks": tracebacks,
        "events": {k: v for k, v in sorted(ledger.counts.items()) if v},
    }


async def fanout_floor(options: Options, redis: Proc, count: int) -> dict[str, Any]:
    """How long the bare relay takes to push one message to ``count`` sockets (half on each
    of two processes): the least any server on this stack and machine can do for a change
    that every waiting visitor must hear of at once (this generator's reading included)."""
    ledger = Ledger()
    relays = [start_relay(options.folder, name, redis_url(redis)) for name in ("fa", "fb")]
    sockets = [RelayVisitor([relays[i % 2]], ledger, "pole") for i in range(count)]
    sender = RelayCounsellor([relays[0]], ledger, "pole")
    try:
        await connect_all([*sockets, sender])
        await settle(relays, min(options.settle_max, 30))
        rounds = []
        for k in range(3):
            cpu0 = sum(r.cpu() for r in relays)
            sender.say(f"f{k}", time.monotonic_ns())
            await asyncio.sleep(options.fanout_pause)
            cpu = sum(r.cpu() for r in relays) - cpu0
            rounds.append(summary_ms(ledger.latency[f"f{k}"]) | {"server_cpu_s": round(cpu, 2)})
    finally:
        stop_all([*sockets, sender])
        for relay in relays:
            relay.stop()
    return {"sockets": count, "rounds": rounds}


def surge_figures(
    visitors: list[Visitor], takers: list[Taker], interval: float, ended: float
) -> dict[str, Any]:
    """Latency of position updates, allowing the coalescing the server is asked for.

    One queue, first come first served: a visitor first told r0, then p, has seen
    the (r0 - p)-th take, and the k-th take popped whoever was first told k. So
    each frame reports a known set of takes, each time-stamped by the server
    (its ``opened`` event, made after the pop and before the queue is announced).
    A frame reporting new takes was due at the first of them, or one ``interval``
    after the previous frame if that is later (at most one update per interval);
    its latency runs from then to reception. A visitor still waiting at the end
    with a take over a second older than ``interval`` unreported counts as ``stale``.
    """
    first = {v.pseudonym: v.first_position for v in visitors}
    taken_at: dict[int, float] = {}  # k-th take of the pole -> server time of it
    taken: set[str] = set()
    for taker in takers:
        for at, pseudonym in taker.takes:
            taken.add(pseudonym)
            rank = first.get(pseudonym)
            if rank is not None:
                taken_at[rank] = at
    latencies: list[int] = []
    frames = unmatched = stale = 0
    gaps: list[float] = []
    for visitor in visitors:
        r0 = visitor.first_position or 0
        frames += len(visitor.positions)
        reported, previous = 0, -math.inf
        for t, position in visitor.positions:
            gaps.append(t - previous)
            k = r0 - position
            if k > reported:  # else an estimate refresh: nothing moved
                due = taken_at.get(reported + 1)
                if due is None:
                    unmatched += 1
                else:
                    latencies.append(int((t - max(due, previous + interval)) * 1e9))
                reported = k
            previous = t
        if visitor.pseudonym in taken:
            continue  # no longer waiting: the takes just before theirs are owed nothing
        owed = [at for k, at in taken_at.items() if reported < k < r0]
        if owed and min(owed) < ended - interval - 1:
            stale += 1
    gaps = sorted(g for g in gaps if g != math.inf)
    return {
        "takes": len(taken_at),
        "updates": summary_ms(latencies),
        "position_frames": frames,
        "unmatched_frames": unmatched,
        "stale_visitors": stale,
        "frames_per_visitor_per_s": round(
            frames / len(visitors) / max(ended - min(taken_at.values(), default=ended), 1), 3
        ),
        "min_gap_between_frames_s": round(gaps[0], 3) if gaps else None,
        "position_interval_s": interval,
    }


# --- 5: reconnection storm -----------------------------------------------------------------
async def until_back(sessions: list[Any], cpu: CpuMeter, deadline: float) -> dict[str, float]:
    """CPU used from now until every one of ``sessions`` is back (or ``deadline``)."""
    cpu.start()
    while any(s.back_at is None for s in sessions) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return cpu.stop()


async def storm(options: Options) -> dict[str, Any]:
    """Kill -9 process B while conversations run at ``storm_rate``; every session comes back.

    B holds every visitor (a few talking, the rest waiting) and half the consoles;
    the other half are on A. Clients fall over to A as a proxy would send them,
    after the widget's reconnect delay; the proxy stops sending anyone to B once
    it refused a connection (:class:`~bench.peers.Upstreams`).
    """
    ledger = Ledger()
    conversations = conversations_for(options.storm_rate, options.storm_per_side)
    talking_pole, waiting_poles = POLES[0], POLES[1:]
    with cluster(options.folder, "parole", 0) as (redis, _):
        logins = await create_accounts(redis_url(redis), conversations)
        queued = await enqueue(
            redis_url(redis), waiting_poles, options.storm_sessions - conversations
        )
        with parole_servers(options.folder, redis, 2) as (a, b):
            registry = Conversations()
            registry.expected = conversations
            talkers = [
                Visitor([b, a], ledger, talking_pole, f"parle-{i}", conversations=registry)
                for i in range(conversations)
            ]
            waiters = [
                Visitor([b, a], ledger, pole, name, token=token) for pole, name, token in queued
            ]
            consoles: list[Console] = []
            try:
                await connect_all(talkers)
                await wait_all([v.joined for v in talkers], 120, "talking visitors joined")
                cookies = await sign_in_all(a, logins, {})
                consoles = [
                    Console([[a, b], [b, a]][i % 2], ledger, c, conversations=registry)
                    for i, c in enumerate(cookies)
                ]
                behind_one_proxy([*talkers, *waiters, *consoles])
                await connect_all(consoles)
                await wait_all([c.opened for c in consoles], 120, "consoles opened")
                for console in consoles:
                    console.send({"type": "take", "pole": talking_pole})
                await asyncio.wait_for(registry.complete.wait(), 120)
                await connect_all(waiters)
                await wait_all([v.joined for v in waiters], 600, "waiting visitors back")
                parties = [side for pair in registry.paired for side in pair]
                await settle([a, b], options.settle_max)
                cpu = meter(redis, [a, b])
                cpu.start()
                on_b = [*talkers, *waiters, *(c for c in consoles if c.servers[0] is b)]
                await offer(parties, options.storm_rate, options.storm_before, "before")
                killed = time.monotonic()
                b.kill()
                # What each process used from the kill until every session was back: says
                # which of A, Redis or this generator bounded the recovery.
                recovering = asyncio.create_task(
                    until_back(on_b, meter(redis, [a]), killed + options.storm_recovery_max)
                )
                await offer(parties, options.storm_rate, options.storm_after, "after")
                used = cpu.stop()
                # Lost means never delivered: first let every session come back.
                recovery_cpu = await recovering
                missing = await drain(parties, ["before", "after"], options.storm_drain)
            finally:
                stop_all(talkers + waiters + consoles)
            tracebacks = a.tracebacks()
        floor = await storm_floor(options.folder, redis, len(on_b))
    back = sorted(s.back_at - killed for s in on_b if s.back_at is not None)
    visitors_back = sorted(v.back_at - killed for v in talkers + waiters if v.back_at is not None)
    return {
        "sessions_on_b": len(on_b),
        "visitors_on_b": len(talkers) + len(waiters),
        "consoles_on_b": len(on_b) - len(talkers) - len(waiters),
        "offered_msgs_per_s": options.storm_rate,
        "conversations": conversations,
        "back": len(back),
        "not_back": len(on_b) - len(back),
        "recovery_s": round(back[-1], 2) if len(back) == len(on_b) else None,
        "visitors_recovery_s": round(visitors_back[-1], 2) if visitors_back else None,
        "recovery_p50_s": round(percentile(back, 0.5), 2),
        "recovery_p99_s": round(percentile(back, 0.99), 2),
        "sent": sum(len(p.sent.get(t, ())) for p in parties for t in ("before", "after")),
        "lost": missing,
        "duplicated": ledger.counts["duplicated"],
        "latency_before": summary_ms(ledger.latency["before"]),
        "latency_after": summary_ms(ledger.latency["after"]),
        "cpu_percent": used,
        "cpu_percent_recovering": recovery_cpu,
        "relay_floor": floor,
        "tracebacks": tracebacks,
        "events": {k: v for k, v in sorted(ledger.counts.items()) if v},
    }


async def storm_floor(folder: Path, redis: Proc, count: int) -> dict[str, Any]:
    """How long ``count`` idle sockets on a bare relay take to be open again on the other
    relay process after a kill -9, reconnecting as the storm's clients do: the least this
    stack, machine and generator allow, with no message load and nothing to resume."""
    ledger = Ledger()
    relays = [start_relay(folder, name, redis_url(redis)) for name in ("sa", "sb")]
    sockets = [ReturningRelayVisitor([relays[1], relays[0]], ledger, f"s{i}") for i in range(count)]
    behind_one_proxy(sockets)
    try:
        await connect_all(sockets)
        await settle(relays, 30)
        cpu = CpuMeter({"relay": relays[0]})
        killed = time.monotonic()
        relays[1].kill()
        used = await until_back(sockets, cpu, killed + 180.0)
    finally:
        stop_all(sockets)
        for relay in relays:  # the killed one too: stop() reaps it
            relay.stop()
    back = sorted(s.back_at - killed for s in sockets if s.back_at is not None)
    return {
        "sockets": count,
        "back": len(back),
        "recovery_s": round(back[-1], 2) if len(back) == count else None,
        "recovery_p50_s": round(percentile(back, 0.5), 2),
        "cpu_percent_recovering": used,
    }
