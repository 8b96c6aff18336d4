"""The widget tells the truth about opening hours, across processes (R3, R5).

Two real server processes share a real Redis. The Cité is changed as a manager's
save does it (store, then announce on the ``config`` channel), through the
project's own Redis backend, and the sockets of both processes must follow.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest

from protocol.messages import encoder
from server.backends.redis import RedisBackend
from server.core.poles import Cite
from server.core.schedules import Schedule, Site, SiteKind, Slot, SpecialDay, Week
from server.demo import DEMO_CITE
from server.web.live.chat import CONFIG_CHANNEL, ConfigChanged
from tests.clients import Client, counsellor, visitor
from tests.cluster import Cluster, running_cluster

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp: Path = tmp_path_factory.mktemp("hours")
    with running_cluster(tmp, "--end-grace", "30") as running:
        yield running


@pytest.fixture
async def backend(cluster: Cluster) -> AsyncIterator[RedisBackend]:
    """The cluster's Redis through our own backend; the demo Cité back after each test."""
    backend = RedisBackend(cluster.redis.url)
    await backend.start()
    try:
        yield backend
    finally:
        await save(backend, DEMO_CITE)
        await backend.close()


async def save(backend: RedisBackend, cite: Cite) -> None:
    """What ``Chat.save_cite`` does when a manager saves."""
    await backend.put_cite(cite)
    await backend.publish(CONFIG_CHANNEL, encoder.encode(ConfigChanged()))


def main_site(cite: Cite) -> Site:
    site = cite.site(None)
    assert site is not None
    return site


def closed_today(cite: Cite) -> Cite:
    """The main site closed today (an exceptional closure), open again tomorrow 9:00-17:00."""
    site = main_site(cite)
    today = datetime.now(PARIS).date()
    days = (
        SpecialDay(today),
        SpecialDay(today + timedelta(days=1), (Slot("09:00", "17:00"),)),
    )
    hours = Schedule(week=Week(), special_days=days)
    return cite.put_site(msgspec.structs.replace(site, schedule=hours))


async def hello(client: Client, **fields: Any) -> dict[str, Any]:
    await client.send({"type": "hello", "versions": [1], **fields})
    await client.expect("welcome")
    return await client.expect("status")


async def test_the_widget_gets_its_sites_status_right_after_welcome(cluster: Cluster) -> None:
    guest = await Client.open(cluster.a.ws("/ws/visitor"))
    status = await hello(guest, site="paris")
    assert status["site"] == "paris" and status["accepting"] and status["open"]
    assert [p["id"] for p in status["poles"]] == [p.id for p in DEMO_CITE.published]
    assert "next_opening" not in status  # taking visitors now
    # The same, over HTTP, for the first paint; an unknown site means the main site.
    answer = httpx.get(f"{cluster.b.url}/api/cite", params={"site": "nowhere"}).json()
    assert answer == status
    await guest.close()


async def test_closing_the_site_updates_open_widgets_on_every_process_and_refuses_joins(
    cluster: Cluster, backend: RedisBackend
) -> None:
    on_a = await Client.open(cluster.a.ws("/ws/visitor"))
    on_b = await Client.open(cluster.b.ws("/ws/visitor"))
    await hello(on_a)
    await hello(on_b, site="paris")

    await save(backend, closed_today(DEMO_CITE))
    for client in (on_a, on_b):
        status = await client.expect("status", accepting=False)
        assert status["open"] is False
        tomorrow_9 = datetime.combine(
            datetime.now(PARIS).date() + timedelta(days=1), datetime.min.time(), PARIS
        ).replace(hour=9)
        assert status["next_opening"] == int(tomorrow_9.timestamp() * 1000)

    await on_a.send({"type": "join", "pole": "emploi"})
    refused = await on_a.expect("error")
    assert refused["code"] == "closed"
    assert not [f for f in on_a.frames if f["type"] == "session"]

    await save(backend, DEMO_CITE)  # open again: the widgets follow, joining works
    await on_b.expect("status", accepting=True)
    await on_b.send({"type": "join", "pole": "emploi"})
    await on_b.expect("session", state="waiting")
    await on_b.send({"type": "leave"})
    for client in (on_a, on_b):
        await client.close()


async def test_visitors_waiting_when_their_pole_closes_are_told_and_the_queue_empties(
    cluster: Cluster, backend: RedisBackend
) -> None:
    first, _ = await visitor(cluster.a, "formation")
    second, session = await visitor(cluster.b, "formation")
    other, _ = await visitor(cluster.a, "emploi")

    await save(backend, closed_today(DEMO_CITE))
    for client in (first, second, other):
        ended = await client.expect("session", state="ended")
        assert ended["closed"] is True
    assert await backend.queue_lengths(["formation", "emploi"]) == {"formation": 0, "emploi": 0}

    # Coming back (a reload) says the same, not "waiting".
    again = await Client.open(cluster.b.ws("/ws/visitor"))
    await hello(again, resume=session["token"])
    back = await again.expect("session")
    assert back["state"] == "ended" and back["closed"] is True
    for client in (first, second, other, again):
        await client.close()


async def test_retiring_a_pole_ends_its_queue_and_drops_it_from_every_widget(
    cluster: Cluster, backend: RedisBackend
) -> None:
    waiting, _ = await visitor(cluster.a, "creation")
    watching = await Client.open(cluster.b.ws("/ws/visitor"))
    await hello(watching)

    await save(backend, DEMO_CITE.retire_pole("creation"))
    assert (await waiting.expect("session", state="ended"))["closed"] is True
    status = await watching.expect("status")
    assert "creation" not in [p["id"] for p in status["poles"]]
    await watching.send({"type": "join", "pole": "creation"})
    assert (await watching.expect("error"))["code"] == "unknown_pole"
    await waiting.close()
    await watching.close()


async def test_a_centre_associe_offers_only_its_poles(
    cluster: Cluster, backend: RedisBackend
) -> None:
    centre = Site(
        id="evry",
        name="Évry",
        kind=SiteKind.ASSOCIATED,
        timezone="Europe/Paris",
        country="FR",
        poles=("emploi",),
        schedule=main_site(DEMO_CITE).schedule,
        closed_on_holidays=False,
    )
    await save(backend, DEMO_CITE.put_site(centre))
    guest = await Client.open(cluster.a.ws("/ws/visitor"))
    status = await hello(guest, site="evry")
    if status["site"] != "evry":  # this process had not reloaded yet: the push follows
        status = await guest.expect("status", site="evry")
    assert [p["id"] for p in status["poles"]] == ["emploi"]
    await guest.send({"type": "join", "pole": "orientation"})
    assert (await guest.expect("error"))["code"] == "closed"
    await guest.send({"type": "join", "pole": "emploi"})
    await guest.expect("session", state="waiting")
    await guest.send({"type": "leave"})
    await guest.close()


async def test_the_position_comes_with_a_wait_range_once_the_pole_has_served_people(
    cluster: Cluster,
) -> None:
    served = [await visitor(cluster.a, "reconversion") for _ in range(3)]
    late, _ = await visitor(cluster.b, "reconversion")
    first = await late.expect("position")
    assert first["position"] == 4 and "estimate" not in first  # nothing honest to say yet
    assert first["closes_at"] > time.time() * 1000

    desk, _ = await counsellor(cluster.b)
    for _ in range(3):
        await desk.send({"type": "take", "pole": "reconversion"})
        conversation = (await desk.expect("conversation"))["info"]["id"]
        await asyncio.sleep(0.4)
        await desk.send({"type": "end", "conversation": conversation})

    def estimated(frame: dict[str, Any]) -> bool:
        return frame["type"] == "position" and "estimate" in frame

    deadline = asyncio.get_running_loop().time() + 20
    found: dict[str, Any] | None = None
    while found is None and asyncio.get_running_loop().time() < deadline:
        found = next((f for f in await late.quiet(0.5) if estimated(f)), None)
    assert found is not None, late.frames
    assert found["position"] == 1
    estimate = found["estimate"]
    assert 0 <= estimate["low"] <= estimate["high"] and estimate["high"] >= 1
    for client, _ in served:
        await client.close()
    await late.close()
    await desk.close()


def test_the_status_instants_are_utc_epoch_milliseconds(cluster: Cluster) -> None:
    status = httpx.get(f"{cluster.a.url}/api/cite").json()
    closes = datetime.fromtimestamp(status["closes_at"] / 1000, UTC)
    assert closes > datetime.now(UTC)  # the demo site is open around the clock
