"""Several server processes on one Redis: nothing lost, nothing duplicated, in order."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from server.backends.redis import RedisBackend
from server.core.staff import StaffAccount
from server.web.staff.auth import hash_password
from tests.clients import TIMEOUT, Client, counsellor, login, visitor
from tests.cluster import Cluster, running_cluster
from tests.servers import RunningServer

VISITORS = 500
COUNSELLORS = 50
PASSWORD = "conseil-parole"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(tmp_path, "--resume-grace", "5", "--end-grace", "5") as running:
        yield running


async def test_a_visitor_and_a_counsellor_on_two_processes_talk_from_queue_to_end(
    cluster: Cluster,
) -> None:
    guest, session = await visitor(cluster.a, "orientation", question="Quel métier choisir ?")
    assert (await guest.expect("position"))["position"] == 1
    desk, state = await counsellor(cluster.b)  # the counsellor is on the other process
    assert state["queues"]["orientation"] == 1

    await desk.send({"type": "take", "pole": "orientation"})
    info = (await desk.expect("conversation"))["info"]
    conversation = info["id"]
    assert info["pseudonym"] == session["pseudonym"]
    assert (await guest.expect("session", state="talking"))["conversation"] == conversation

    await desk.send({"type": "typing", "conversation": conversation, "active": True})
    assert (await guest.expect("typing"))["author"] == "counsellor"
    await desk.send(
        {"type": "send", "conversation": conversation, "client_id": "c1", "text": "Bonjour !"}
    )
    await guest.send({"type": "typing", "active": True})
    assert (await desk.expect("typing"))["author"] == "visitor"
    await guest.expect("event", client_id="c1")  # the visitor answers after reading it
    await guest.send({"type": "send", "client_id": "v1", "text": "J'aime dessiner."})
    await desk.expect("event", client_id="v1")
    await desk.send(
        {"type": "send", "conversation": conversation, "client_id": "c2", "text": "Le design ?"}
    )
    await guest.expect("event", client_id="c2")
    await guest.send({"type": "send", "client_id": "v2", "text": "Oui, merci."})
    await desk.expect("event", client_id="v2")
    await desk.send({"type": "end", "conversation": conversation})
    for side in (guest, desk):
        ended = await side.expect("event", kind="ended")
        assert ended["author"] == "counsellor"
    await guest.expect("session", state="ended")
    await guest.quiet()
    await desk.quiet()

    expected = [
        (1, "opened", "system", None, ""),
        (2, "message", "visitor", "question", "Quel métier choisir ?"),
        (3, "message", "counsellor", "c1", "Bonjour !"),
        (4, "message", "visitor", "v1", "J'aime dessiner."),
        (5, "message", "counsellor", "c2", "Le design ?"),
        (6, "message", "visitor", "v2", "Oui, merci."),
        (7, "ended", "counsellor", None, ""),
    ]
    for side in (guest, desk):
        shown = [
            (e["seq"], e["kind"], e["author"], e.get("client_id"), e.get("text", ""))
            for e in side.events(conversation)
        ]
        assert shown == expected  # every seq once, in order, on both processes
    assert not [f for f in guest.frames + desk.frames if f["type"] == "error"]
    assert cluster.tracebacks() == []


async def _seed_counsellors(url: str) -> list[str]:
    backend = RedisBackend(url)
    await backend.start()
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once
    logins = [f"conseil{n:02d}" for n in range(COUNSELLORS)]
    try:
        for name in logins:
            alias = f"Conseil {name[-2:]}"
            account = StaffAccount(name, alias, password_hash, poles=["emploi"])
            await backend.put_staff(account)
    finally:
        await backend.close()
    return logins


async def _join_and_go(server: RunningServer, pseudonym: str) -> None:
    """Join the emploi queue, then drop the socket: the place is kept for the resume grace."""
    async with websockets.connect(server.ws("/ws/visitor"), open_timeout=TIMEOUT) as ws:
        await ws.send(json.dumps({"type": "hello", "versions": [1]}))
        await ws.send(json.dumps({"type": "join", "pole": "emploi", "pseudonym": pseudonym}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert frame["type"] != "error", frame
            if frame["type"] == "session":
                assert frame["state"] == "waiting" and frame["pseudonym"] == pseudonym
                return


async def _serve_until_empty(console: Client) -> tuple[list[str], list[dict[str, Any]]]:
    """take -> conversation -> end -> ended, until the queue is empty; then close.

    The console reads every frame until it closes: a websockets client that stops reading
    pauses its socket once 16 frames wait, and its close handshake then hangs 10 s.
    """
    try:
        return await _serve(console)
    finally:
        await console.close()


async def _serve(console: Client) -> tuple[list[str], list[dict[str, Any]]]:
    taken: list[str] = []
    errors: list[dict[str, Any]] = []

    async def reply(*types: str) -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(console.ws.recv(), 60))
            if frame["type"] in types:
                return frame

    while True:
        await console.send({"type": "take", "pole": "emploi"})
        frame = await reply("conversation", "error")
        if frame["type"] == "error":
            if frame["code"] != "queue_empty":
                errors.append(frame)
            return taken, errors
        conversation = frame["info"]["id"]
        taken.append(frame["info"]["pseudonym"])
        await console.send({"type": "end", "conversation": conversation})
        while True:
            frame = await reply("event", "error")
            if frame["type"] == "error":
                errors.append(frame)
                return taken, errors
            if frame["conversation"] == conversation and frame["kind"] == "ended":
                break


@pytest.fixture
def busy_cluster(tmp_path: Path) -> Iterator[Cluster]:
    # A long resume grace: visitors who dropped their socket keep their place in the queue.
    with running_cluster(tmp_path, "--resume-grace", "300", "--end-grace", "5") as running:
        yield running


async def test_fifty_counsellors_on_two_processes_serve_five_hundred_visitors_once_in_order(
    busy_cluster: Cluster,
) -> None:
    cluster = busy_cluster
    logins = await _seed_counsellors(cluster.redis.url)
    names = [f"V{n:03d}" for n in range(VISITORS)]
    arrival = {name: n for n, name in enumerate(names)}
    for n, name in enumerate(names):  # one after the other, so the arrival order is known
        await _join_and_go(cluster.servers[n % 2], name)

    # Half the consoles on each process; logging in runs argon2, one login per thread.
    cookies = await asyncio.gather(
        *(
            asyncio.to_thread(login, cluster.servers[n % 2], name, PASSWORD)
            for n, name in enumerate(logins)
        )
    )
    consoles = []
    for n, cookie in enumerate(cookies):
        console, state = await counsellor(cluster.servers[n % 2], cookie)
        assert state["queues"] == {"emploi": VISITORS}
        consoles.append(console)

    results = await asyncio.gather(*(_serve_until_empty(console) for console in consoles))

    taken = [name for names_taken, _ in results for name in names_taken]
    assert Counter(taken) == Counter(names)  # every visitor served, each exactly once
    for names_taken, errors in results:
        assert errors == []  # no error but the final queue_empty
        order = [arrival[name] for name in names_taken]
        assert order == sorted(order) and len(set(order)) == len(order)  # arrival order
    busy = [len(names_taken) for names_taken, _ in results]
    assert sum(busy[0::2]) > 0 and sum(busy[1::2]) > 0  # both processes served
    assert cluster.tracebacks() == []


async def test_an_invitation_accepted_on_two_processes_at_once_counts_once(
    cluster: Cluster,
) -> None:
    guest, _ = await visitor(cluster.a, "accueil")
    camille, _ = await counsellor(cluster.a)
    await camille.send({"type": "take", "pole": "accueil"})
    conversation = (await camille.expect("conversation"))["info"]["id"]
    await guest.expect("session", state="talking")
    cookie = await asyncio.to_thread(login, cluster.a, "dominique")
    tabs = [(await counsellor(server, cookie))[0] for server in (cluster.a, cluster.b)]
    await camille.send({"type": "colleagues"})
    (other,) = (await camille.expect("colleagues"))["colleagues"]
    await camille.send({"type": "invite", "conversation": conversation, "colleague": other["id"]})
    for tab in tabs:
        await tab.expect("invitation")
    reply = json.dumps({"type": "invite_reply", "conversation": conversation, "accept": True})
    await asyncio.gather(*(tab.ws.send(reply) for tab in tabs))
    for tab in tabs:
        assert (await tab.expect("conversation"))["info"]["id"] == conversation
    await guest.expect("event", kind="joined")
    await guest.quiet(1.0)
    assert [e["kind"] for e in guest.events(conversation)] == ["opened", "joined"]
    backend = RedisBackend(cluster.redis.url)
    await backend.start()
    try:
        desk = await backend.update_desk("dominique", lambda d: d.snapshot())
        conversation_now = await backend.get_conversation(conversation)
    finally:
        await backend.close()
    assert desk.conversations == [conversation] and desk.invited == []
    assert conversation_now is not None
    assert conversation_now.counsellors == ["camille", "dominique"]
    for client in (guest, camille, *tabs):
        await client.close()
    assert cluster.tracebacks() == []


async def test_satisfaction_and_abuse_figures_are_exact_across_two_processes(
    cluster: Cluster,
) -> None:
    """Visitors on both processes answer at once; every answer counts once, and what
    Redis keeps names no visitor, conversation or address."""
    scores = [1, 2, 3, 4, 5, 5, 4, 4, 5, 3, 2, 5]
    guests: list[tuple[Client, str]] = []
    desk, _ = await counsellor(cluster.b)
    for i, _score in enumerate(scores):
        server = cluster.a if i % 2 else cluster.b
        guest, _ = await visitor(server, "emploi")
        await desk.send({"type": "take", "pole": "emploi"})
        conversation = (await guest.expect("session", state="talking"))["conversation"]
        await desk.send({"type": "end", "conversation": conversation})
        await guest.expect("session", state="ended")
        guests.append((guest, conversation))
    frames = [
        guest.send({"type": "rate", "conversation": c, "score": s, "comment": f"Avis {s}"})
        for (guest, c), s in zip(guests, scores, strict=True)
    ]
    await asyncio.gather(*frames)
    for guest, conversation in guests:
        await guest.expect("rated", conversation=conversation)
    # A report on one process, a block on the other.
    reporter, _ = await visitor(cluster.a, "emploi")
    await desk.send({"type": "take", "pole": "emploi"})
    await reporter.expect("session", state="talking")
    await reporter.send({"type": "leave", "report": True})
    await reporter.expect("session", state="ended")

    backend = RedisBackend(cluster.redis.url)
    await backend.start()
    try:
        figures = await backend.figures("satisfaction")
        # The report is counted just after the ``session`` that ends it goes out.
        for _ in range(50):
            if abuse := await backend.figures("abuse"):
                break
            await asyncio.sleep(0.1)
        comments = await backend.comments(0.0)
    finally:
        await backend.close()
    counted = Counter({int(cell.rsplit("|", 1)[1]): n for cell, n in figures.items()})
    assert counted == Counter(scores)
    assert all(cell.startswith("paris|emploi|") for cell in figures)
    assert list(abuse.values()) == [1] and next(iter(abuse)).endswith("|reported")
    assert sorted(c.text for c in comments) == sorted(f"Avis {s}" for s in scores)
    for _, conversation in guests:  # the conversations' own keys, and nothing else
        kept = cluster.holding(conversation.encode())
        assert not [k for k in kept if k.startswith((b"parole:figures", b"parole:comments"))]
    assert cluster.holding(b"127.0.0.1") == [], "a raw address was stored"
    for guest, _ in guests:
        await guest.close()
    await reporter.close()


async def test_statistics_are_exact_across_two_processes(cluster: Cluster) -> None:
    """Visitors join on both processes at once and counsellors take them from either:
    every event counts once in its hour's cell, and no cell names a visitor."""
    joins = [visitor(cluster.a if i % 2 else cluster.b, "emploi") for i in range(16)]
    guests = [guest for guest, _ in await asyncio.gather(*joins)]
    desk_a, _ = await counsellor(cluster.a)
    desk_b, _ = await counsellor(cluster.b)
    for desk in (desk_a, desk_b, desk_a):
        await desk.send({"type": "take", "pole": "emploi"})
        await desk.expect("conversation")
    # Six of those still waiting leave (the joins raced: who was taken is not known ahead).
    await asyncio.gather(*(guest.quiet(0.3) for guest in guests))
    waiting = [g for g in guests if not any(f.get("state") == "talking" for f in g.frames)]
    assert len(waiting) == 13
    await asyncio.gather(*(guest.send({"type": "leave"}) for guest in waiting[:6]))
    for guest in waiting[:6]:
        await guest.expect("session", state="ended")

    backend = RedisBackend(cluster.redis.url)
    await backend.start()
    try:
        months = [
            key.decode().removeprefix("parole:figures:")
            async for key in backend.redis.scan_iter("parole:figures:activity:*")
        ]
        assert months  # this month's (and the next one's, run across a month's end)
        figures: dict[str, int] = {}
        for month in months:
            figures |= await backend.figures(month)
    finally:
        await backend.close()
    totals: Counter[str] = Counter()
    for cell, n in figures.items():
        site, pole, hour, measure = cell.split("|")
        assert (site, pole) == ("paris", "emploi") and len(hour) == 13
        totals[measure.split(":")[0]] += n
    assert totals == Counter({"joined": 16, "served": 3, "wait": 3, "left": 6})
