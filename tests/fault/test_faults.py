"""Faults: a server process killed, Redis stopped and restarted, Redis missing at start.

Each test starts its own Redis and two server processes (``tests/cluster.py``), breaks
something, and counts what was lost, shown twice or left behind. The clients that must
survive are ``tests/resilient.py``'s: they reconnect, resume and re-send what is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import httpx
import msgspec

from server.backends.fanout import Outage, Resync
from server.backends.redis import RedisBackend
from tests.clients import Client, counsellor, login, visitor
from tests.cluster import Cluster, eventually, running_cluster
from tests.redis_server import start_redis
from tests.resilient import Resilient, ResilientConsole, ResilientVisitor
from tests.servers import ROOT, RunningServer, free_port

OUTAGE, RESYNC = msgspec.json.encode(Outage()), msgspec.json.encode(Resync())
MESSAGES = 16  # per side
INTERVAL = 0.25  # seconds between two messages of one side: under the 5 frames/s rate limit


@contextlib.asynccontextmanager
async def talking(
    guest_servers: list[RunningServer], desk_servers: list[RunningServer]
) -> AsyncIterator[tuple[ResilientVisitor, ResilientConsole]]:
    """A visitor and a counsellor in a conversation, each on the first of their servers."""
    guest = ResilientVisitor(guest_servers, "emploi", "Loutre-Témoin")
    desk = ResilientConsole(desk_servers, await asyncio.to_thread(login, desk_servers[0]))
    try:
        await guest.start()
        await desk.start()
        await desk.send({"type": "take", "pole": "emploi"})
        await eventually(lambda: guest.state == "talking" and len(desk.shown) == 1)
        await eventually(lambda: len(guest.shown) == 1, what="the visitor sees the opening")
        yield guest, desk
    finally:
        await guest.close()
        await desk.close()


async def _chatter(side: Resilient, count: int, label: str) -> None:
    for n in range(count):
        await side.say(f"{label} n°{n}")
        await asyncio.sleep(INTERVAL)


def _settled(*sides: Resilient) -> bool:
    """Nothing pending anywhere, and every side shows the same last seq."""
    return not any(side.pending for side in sides) and len({s.last_seq for s in sides}) == 1


def _assert_nothing_lost_nothing_twice(guest: ResilientVisitor, desk: ResilientConsole) -> None:
    for side in (guest, desk):
        assert side.repeated == [], f"{side.author} was sent events again"
        assert side.gaps == [], f"{side.author} was sent events out of order"
        seqs = [event["seq"] for event in side.shown]
        assert seqs == list(range(1, len(seqs) + 1))
        ids = Counter((e["author"], e["client_id"]) for e in side.shown if e.get("client_id"))
        assert [key for key, n in ids.items() if n > 1] == []  # no message shown twice
    assert guest.view() == desk.view()  # the same conversation, in the same order
    shown = {(e["author"], e.get("client_id")) for e in desk.shown}
    for side in (guest, desk):
        lost = [cid for cid in side.sent if (side.author, cid) not in shown]
        assert lost == [], f"{side.author} messages lost"


# --- a server process dies -----------------------------------------------------------------


async def test_kill_9_mid_conversation_loses_nothing_and_shows_nothing_twice(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path, "--resume-grace", "30") as cluster:
        async with talking(cluster.servers, cluster.servers) as (guest, desk):  # both on A
            chatter = [
                asyncio.create_task(_chatter(guest, MESSAGES, "visiteur")),
                asyncio.create_task(_chatter(desk, MESSAGES, "conseil")),
            ]
            await eventually(lambda: len(guest.sent) >= MESSAGES // 3, what="a few messages")
            # A hangs, then dies: what both sides sent meanwhile is surely unacknowledged.
            os.kill(cluster.a.process.pid, signal.SIGSTOP)
            await eventually(lambda: len(guest.pending) >= 2 and len(desk.pending) >= 2)
            in_flight = [*guest.pending, *desk.pending]
            await asyncio.to_thread(cluster.a.kill)  # SIGKILL
            await asyncio.gather(*chatter)
            await eventually(lambda: _settled(guest, desk), timeout=30, what="everything delivered")
            await desk.send({"type": "end", "conversation": desk.conversation})
            await eventually(
                lambda: guest.state == "ended" and _settled(guest, desk),
                what="the end, on both sides",
            )

            for side in (guest, desk):
                assert side.connections == 2 and side.servers_used[-1] == cluster.b.port
                assert side.errors() == []
            resent = [
                cid for side in (guest, desk) for cid in side.sent if side.transmissions[cid] > 1
            ]
            assert set(in_flight) <= set(resent)  # re-sent with the same client id...
            assert len(desk.shown) == 1 + 2 * MESSAGES + 1  # ...and shown once: opened, 32, ended
            assert desk.shown[-1]["kind"] == "ended"
            _assert_nothing_lost_nothing_twice(guest, desk)
            assert cluster.healthy(cluster.b)
            assert cluster.tracebacks() == []


async def test_a_console_that_comes_back_is_sent_what_it_missed_even_the_end(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path, "--resume-grace", "30") as cluster:
        guest, _ = await visitor(cluster.b, "emploi")
        cookie = await asyncio.to_thread(login, cluster.a)
        desk, _ = await counsellor(cluster.a, cookie)
        await desk.send({"type": "take", "pole": "emploi"})
        conversation = (await desk.expect("conversation"))["info"]["id"]
        await desk.expect("event", seq=1)
        await guest.expect("session", state="talking")

        await asyncio.to_thread(cluster.a.kill)  # the console's process dies...
        await guest.send({"type": "send", "client_id": "bye", "text": "Merci, au revoir."})
        await guest.expect("event", client_id="bye")
        await guest.send({"type": "leave"})  # ...and the visitor says goodbye and leaves
        await guest.expect("session", state="ended")

        back = await Client.open(cluster.b.ws("/ws/console"), origin=cluster.b.url, cookie=cookie)
        await back.send({"type": "hello", "versions": [1], "last_seq": {conversation: 1}})
        await back.expect("console")
        farewell = await back.expect("event", timeout=5, conversation=conversation, seq=2)
        assert farewell["text"] == "Merci, au revoir."
        ended = await back.expect("event", timeout=5, conversation=conversation, seq=3)
        assert ended["kind"] == "ended" and ended["author"] == "visitor"


GHOSTS = {"PAROLE_LEASE_TTL": "3"}


async def test_no_ghost_in_the_queue_when_its_process_dies(tmp_path: Path) -> None:
    with running_cluster(tmp_path, "--resume-grace", "2", env=GHOSTS) as cluster:
        await visitor(cluster.a, "formation")
        desk, state = await counsellor(cluster.b)
        assert state["queues"]["formation"] == 1
        await asyncio.to_thread(cluster.a.kill)
        await desk.expect("queues", timeout=15, counts={"formation": 0})
        await desk.send({"type": "take", "pole": "formation"})
        assert (await desk.expect("error"))["code"] == "queue_empty"
        assert cluster.tracebacks() == []


async def test_a_waiting_visitor_whose_process_dies_keeps_the_place_for_the_grace(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path, "--resume-grace", "60", env=GHOSTS) as cluster:
        _, first = await visitor(cluster.a, "orientation", pseudonym="Premier")
        await visitor(cluster.b, "orientation", pseudonym="Second")
        await asyncio.to_thread(cluster.a.kill)
        await asyncio.sleep(6)  # twice the lease TTL, well within the 60 s resume grace
        back = await Client.open(cluster.b.ws("/ws/visitor"))
        await back.send({"type": "hello", "versions": [1], "resume": first["token"]})
        session = await back.expect("session")
        assert session["state"] == "waiting" and session["pseudonym"] == "Premier"
        assert (await back.expect("position"))["position"] == 1  # still first in line


async def test_a_transferred_visitor_whose_process_dies_keeps_the_turn_and_the_history(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path, "--resume-grace", "60", env=GHOSTS) as cluster:
        guest, first = await visitor(cluster.a, "accueil", question="Une formation ?")
        later, _ = await visitor(cluster.b, "formation")
        camille, _ = await counsellor(cluster.b)
        await camille.send({"type": "take", "pole": "accueil"})
        conversation = (await camille.expect("conversation"))["info"]["id"]
        await guest.expect("session", state="talking")
        await camille.send(
            {"type": "transfer", "conversation": conversation, "pole": "formation", "note": "CAP"}
        )
        await guest.expect("position", pole="formation", position=1)
        await asyncio.to_thread(cluster.a.kill)  # SIGKILL of the visitor's process
        await asyncio.sleep(6)  # twice the lease TTL, well within the resume grace

        back = await Client.open(cluster.b.ws("/ws/visitor"))
        await back.send({"type": "hello", "versions": [1], "resume": first["token"]})
        session = await back.expect("session")
        assert (session["state"], session["pole"]) == ("waiting", "formation")
        assert (await back.expect("position"))["position"] == 1  # still ahead of `later`
        dominique, _ = await counsellor(cluster.b, login(cluster.b, "dominique"))
        await dominique.send({"type": "take", "pole": "formation"})
        info = (await dominique.expect("conversation"))["info"]
        assert info["id"] == conversation and [n["text"] for n in info["notes"]] == ["CAP"]
        await back.expect("session", state="talking")
        await back.expect("event", seq=4)  # the new opening, after the transfer
        await dominique.expect("event", seq=4)
        for side in (back, dominique):
            seqs = [e["seq"] for e in side.events(conversation)]
            assert seqs == sorted(set(seqs)) and seqs[-1] == 4  # nothing lost, nothing twice
        assert (await later.expect("position", position=1))["waiting"] == 1
        assert cluster.tracebacks() == []


async def test_a_colleague_whose_process_dies_leaves_and_the_conversation_goes_on(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path, "--resume-grace", "2", env=GHOSTS) as cluster:
        guest, _ = await visitor(cluster.a, "emploi")
        camille, _ = await counsellor(cluster.a)
        dominique, _ = await counsellor(cluster.b, login(cluster.b, "dominique"))
        await camille.send({"type": "take", "pole": "emploi"})
        conversation = (await camille.expect("conversation"))["info"]["id"]
        await guest.expect("session", state="talking")
        await camille.send({"type": "colleagues"})
        (other,) = (await camille.expect("colleagues"))["colleagues"]
        await camille.send(
            {"type": "invite", "conversation": conversation, "colleague": other["id"]}
        )
        await dominique.expect("invitation")
        await dominique.send({"type": "invite_reply", "conversation": conversation, "accept": True})
        await guest.expect("event", kind="joined")
        await asyncio.to_thread(cluster.b.kill)  # SIGKILL of Dominique's process
        left = await guest.expect("event", timeout=20, kind="left")
        assert left["alias"] == "Dominique"
        # Camille and the visitor go on: nothing ended, nothing lost or shown twice.
        await camille.send(
            {"type": "send", "conversation": conversation, "client_id": "c1", "text": "Je reste"}
        )
        await guest.expect("event", text="Je reste")
        await camille.expect("event", text="Je reste")  # her echo, after what came before
        for side in (guest, camille):
            kinds = [e["kind"] for e in side.events(conversation)]
            assert kinds == ["opened", "joined", "left", "message"]
            seqs = [e["seq"] for e in side.events(conversation)]
            assert seqs == [1, 2, 3, 4]
        assert cluster.tracebacks() == []


async def test_no_ghost_counsellor_when_the_console_process_dies(tmp_path: Path) -> None:
    with running_cluster(tmp_path, "--resume-grace", "2", env=GHOSTS) as cluster:
        guest, _ = await visitor(cluster.b, "creation")
        desk, _ = await counsellor(cluster.a)
        await desk.send({"type": "take", "pole": "creation"})
        conversation = (await desk.expect("conversation"))["info"]["id"]
        await guest.expect("session", state="talking")
        await asyncio.to_thread(cluster.a.kill)
        ended = await guest.expect("event", timeout=20, kind="ended")
        assert ended["author"] == "system" and ended["conversation"] == conversation
        assert (await guest.expect("session", timeout=20))["state"] == "ended"
        assert cluster.tracebacks() == []


# --- Redis stops, then comes back ----------------------------------------------------------


async def _busy_pools(cluster: Cluster) -> None:
    """Concurrent requests, so each server's Redis pool holds several connections."""
    async with httpx.AsyncClient() as http:
        for server in cluster.servers:
            answers = await asyncio.gather(*(http.get(f"{server.url}/api/cite") for _ in range(16)))
            assert {answer.status_code for answer in answers} == {200}


def _refused(side: Resilient, client_id: str) -> bool:
    return any(e.get("ref") == client_id and e["code"] == "unavailable" for e in side.errors())


def _back(side: Resilient) -> bool:
    """Told, on the same socket, that the service is available again."""
    return side.service()[-2:] == [False, True]


async def test_redis_restart_mid_conversation_is_an_outage_not_a_loss(tmp_path: Path) -> None:
    with running_cluster(tmp_path, "--resume-grace", "30", persistent=True) as cluster:
        async with talking([cluster.a], [cluster.b]) as (guest, desk):
            await guest.say("avant la panne")
            await eventually(lambda: desk.last_seq == 2)
            await desk.say("bien reçu")
            await eventually(lambda: _settled(guest, desk) and guest.last_seq == 3)
            await _busy_pools(cluster)  # pooled connections that will be dead after the restart

            cluster.redis.stop()
            await eventually(lambda: False in guest.service() and False in desk.service())
            refused = [await guest.say("pendant la panne"), await desk.say("moi aussi")]
            for side, client_id in zip((guest, desk), refused, strict=True):
                await eventually(partial(_refused, side, client_id), what="refused as unavailable")
            assert cluster.healthy(cluster.a) and cluster.healthy(cluster.b)

            cluster.redis.start()  # same port, same folder: the append-only file is read back
            for side in (guest, desk):
                await eventually(partial(_back, side), what="service available again")
            await eventually(lambda: _settled(guest, desk), what="refused messages re-sent")
            await guest.say("après la panne")
            await eventually(
                lambda: _settled(guest, desk) and desk.shown[-1]["text"] == "après la panne"
            )

            texts = [e["text"] for e in desk.shown[1:]]
            assert texts[:2] == ["avant la panne", "bien reçu"] and texts[-1] == "après la panne"
            assert sorted(texts[2:-1]) == ["moi aussi", "pendant la panne"]  # each once
            assert {e["code"] for side in (guest, desk) for e in side.errors()} == {"unavailable"}
            _assert_nothing_lost_nothing_twice(guest, desk)
            for side in (guest, desk):  # the sockets lived through it
                assert side.service() == [False, True] and side.connections == 1
            assert cluster.healthy(cluster.a) and cluster.healthy(cluster.b)
            assert cluster.tracebacks() == []


async def test_sockets_stay_open_across_a_redis_restart(tmp_path: Path) -> None:
    with running_cluster(tmp_path, "--resume-grace", "30", persistent=True) as cluster:
        guest, _ = await visitor(cluster.a, "emploi")
        desk, _ = await counsellor(cluster.b)
        await desk.send({"type": "take", "pole": "emploi"})
        await desk.expect("conversation")
        await guest.expect("session", state="talking")
        await _busy_pools(cluster)
        cluster.redis.stop()
        for side in (guest, desk):
            assert (await side.expect("service"))["available"] is False
        cluster.redis.start()
        for side in (guest, desk):  # not closed (1013) for want of a fresh Redis connection
            assert (await side.expect("service", timeout=15))["available"] is True
        await guest.send({"type": "send", "client_id": "v1", "text": "Vous êtes là ?"})
        assert (await desk.expect("event", client_id="v1"))["text"] == "Vous êtes là ?"
        assert cluster.tracebacks() == []


def _took(desk: ResilientConsole, pseudonym: str) -> bool:
    return any(
        f["type"] == "conversation" and f["info"]["pseudonym"] == pseudonym for f in desk.frames
    )


async def test_a_redis_outage_longer_than_the_leases_ends_no_conversation(
    tmp_path: Path,
) -> None:
    with running_cluster(tmp_path, "--resume-grace", "2", env=GHOSTS, persistent=True) as cluster:
        async with talking([cluster.a], [cluster.b]) as (guest, desk):
            cluster.redis.stop()
            await eventually(lambda: False in guest.service() and False in desk.service())
            await asyncio.sleep(4.5)  # past the 3 s lease TTL, as a failover or a slow restart
            cluster.redis.start()
            for side in (guest, desk):
                await eventually(partial(_back, side), what="service available again")
            await asyncio.sleep(5)  # a lease TTL and the resume grace: ghosts would be gone
            await guest.say("toujours là ?")
            await eventually(lambda: _settled(guest, desk))
            await desk.say("oui")
            await eventually(lambda: _settled(guest, desk) and desk.last_seq == 3)
            assert [e["kind"] for e in guest.shown] == ["opened", "message", "message"]
            assert guest.view() == desk.view()
            # The console still counts as open: it can take the next visitor.
            await visitor(cluster.a, "emploi", pseudonym="Suivant")
            await desk.send({"type": "take", "pole": "emploi"})
            await eventually(partial(_took, desk, "Suivant"), what="the next visitor taken")
            assert desk.errors() == []
            assert guest.connections == desk.connections == 1
            assert cluster.tracebacks() == []


# --- nothing kept ----------------------------------------------------------------------------


async def test_nothing_of_a_conversation_is_kept_after_its_grace(tmp_path: Path) -> None:
    with running_cluster(tmp_path, "--resume-grace", "1", "--end-grace", "1") as cluster:
        pseudonym = "Mésange-Discrète-4821"
        question = "Puis-je changer de métier à cinquante ans ?"
        guest, session = await visitor(cluster.a, "reconversion", question, pseudonym=pseudonym)
        desk, _ = await counsellor(cluster.b)
        await desk.send({"type": "take", "pole": "reconversion"})
        conversation = (await desk.expect("conversation"))["info"]["id"]
        await guest.expect("session", state="talking")
        answer = "Bien sûr : parlons de vos compétences transférables."
        await desk.send(
            {"type": "send", "conversation": conversation, "client_id": "c1", "text": answer}
        )
        await guest.expect("event", client_id="c1")
        reply = "Je suis comptable depuis vingt-deux ans."
        await guest.send({"type": "send", "client_id": "v1", "text": reply})
        await desk.expect("event", client_id="v1")

        token = session["token"]
        needles = {
            "pseudonym": pseudonym.encode(),
            "question": question.encode(),
            "answer": answer.encode(),
            "reply": reply.encode(),
            "token hash": hashlib.sha256(token.encode()).hexdigest().encode(),
            "conversation id": conversation.encode(),
        }
        # Live, everything is there: the check below can fail.
        for name, needle in needles.items():
            assert cluster.holding(needle), f"{name} not found while live: the scan is blind"
        assert cluster.holding(token.encode()) == []  # only the token's hash is ever stored

        await desk.send({"type": "end", "conversation": conversation})
        await guest.expect("session", state="ended")
        await guest.close()
        await desk.close()

        def gone() -> bool:
            return not any(cluster.holding(needle) for needle in needles.values())

        await eventually(gone, timeout=15, what="the conversation to be deleted")
        left = {name: cluster.holding(needle) for name, needle in needles.items()}
        assert left == {name: [] for name in needles}
        assert cluster.tracebacks() == []


# --- Redis missing at start ------------------------------------------------------------------


def test_unreachable_redis_at_start_is_one_clear_line(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(free_port()),
         "--backend", f"redis://127.0.0.1:{closed}/0"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "redis" in lines[0].lower() and str(closed) in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


async def test_a_silent_redis_is_an_outage_and_its_return_a_resync(tmp_path: Path) -> None:
    """A stopped Redis closes no connection: the pub/sub heartbeat is what notices."""
    redis = start_redis(tmp_path)
    assert redis.process is not None
    backend = RedisBackend(redis.url)
    backend.heartbeat = 0.3  # 10 s in service
    heard: list[bytes] = []
    await backend.start()
    try:
        inbox = backend.subscriber(lambda channel, payload: heard.append(payload))
        await inbox.add("conversation:c1")
        await backend.publish("conversation:c1", b"avant")
        await eventually(lambda: heard == [b"avant"], what="a payload before the stop")
        await asyncio.sleep(1.5)  # quiet, answered heartbeats: no outage
        assert heard == [b"avant"]

        os.kill(redis.process.pid, signal.SIGSTOP)
        try:
            await eventually(lambda: len(heard) > 1, timeout=5, what="the outage noticed")
            assert heard[1:] == [OUTAGE]
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)
        await eventually(lambda: RESYNC in heard, timeout=20, what="the resync")
        assert heard[1:] == [OUTAGE, RESYNC]
        await backend.publish("conversation:c1", b"apres")
        await eventually(lambda: heard[-1] == b"apres", what="a payload after the return")
    finally:
        await backend.close()
        redis.stop()
