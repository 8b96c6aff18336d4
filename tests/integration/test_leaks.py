"""Nothing a visitor wrote or was given outlives the conversation, on either backend.

A scripted conversation with a known pseudonym, known texts, an email address and a
phone number typed by the visitor (and refused frames carrying them), then: every log
line (stderr and the log file, at debug level) and everything the backend keeps (the
memory backend's state file; every Redis key, by SCAN and DUMP, once the visitor's
keys have expired) is searched for them, for the visitor's token and the staff
cookie, and for the client's address. None is found. While the conversation lives,
the same search over Redis does find them: it is looking in the right place.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clients import Client, counsellor, csrf, login, visitor
from tests.redis_server import RedisServer, start_redis
from tests.servers import RunningServer, start_server

PSEUDONYM = "Zéphyrin Quokka"
QUESTION = "Question-Kx7Qp : une formation de soudeur ?"
VISITOR_TEXT = "Texte-Wn8Rt, écrivez-moi à zephyrin.quokka@exemple.fr ou au 06 98 76 54 32"
REPLY = "Réponse-Vb3Lm : voici les pistes."
EMAIL = "zephyrin.quokka@exemple.fr"
PHONE = "06 98 76 54 32"
WRITTEN = [PSEUDONYM, QUESTION, "Kx7Qp", "Wn8Rt", "Vb3Lm", EMAIL, "zephyrin.quokka", PHONE]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer | None]:
    if request.param == "memory":
        yield None
        return
    redis = start_redis(tmp_path)
    yield redis
    redis.stop()


def kept_by(redis: RedisServer) -> bytes:
    """Every key's name and DUMP (stored as written: the test server does not compress)."""
    client = redis.client()
    kept = b""
    for key in client.scan_iter(count=1000):
        kept += key + b"\n" + (client.dump(key) or b"") + b"\n"
    return kept


def found_in(kept: bytes, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s.encode() in kept or json.dumps(s).encode() in kept]


async def converse(server: RunningServer, cookie: str) -> tuple[list[str], list[Client]]:
    """The scripted conversation; returns the tokens and addresses it produced."""
    guest, session = await visitor(server, "emploi", question=QUESTION)
    await guest.send({"type": "rename", "pseudonym": PSEUDONYM})
    await guest.expect("session", pseudonym=PSEUDONYM)
    desk, _ = await counsellor(server, cookie=cookie)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await guest.expect("session", state="talking")
    await desk.send(
        {"type": "send", "conversation": conversation, "client_id": "c1", "text": REPLY}
    )
    await guest.expect("event", text=REPLY)
    await guest.send({"type": "send", "client_id": "v1", "text": VISITOR_TEXT})
    await desk.expect("event", client_id="v1")
    # Refused frames that carry the same things: their errors must not echo them to a log.
    await guest.send('{"type": "send", "client_id": "v2", "text": "' + EMAIL)
    await guest.expect("error", code="malformed")
    await guest.send({"type": "shout", "text": VISITOR_TEXT, "pseudonym": PSEUDONYM})
    await guest.expect("error")
    await guest.send({"type": "send", "client_id": "v3", "text": PHONE * 400})
    await guest.expect("error")
    # The client's address as the server saw it: host and port of each socket.
    addresses = []
    for client in (guest, desk):
        host, port = client.ws.local_address[:2]
        addresses += [f"{host}:{port}", f"'{host}', {port}"]
    return [session["token"], *addresses], [guest, desk]


async def test_nothing_personal_is_kept_in_logs_or_backend(
    backend: RedisServer | None, tmp_path: Path
) -> None:
    log_file = tmp_path / "parole.log"
    state_file = tmp_path / "state.json"
    store = ["--backend", backend.url] if backend else ["--state-file", str(state_file)]
    server = start_server(
        tmp_path,
        *store,
        "--resume-grace", "2", "--end-grace", "2",
        "--log-level", "debug", "--log-file", str(log_file),
    )  # fmt: skip
    try:
        cookie = login(server)
        made, clients = await converse(server, cookie)
        secrets = [*WRITTEN, *made, cookie.split("=", 1)[1]]
        if backend:
            # Needed while the conversation lives: the search does see what is there.
            assert found_in(kept_by(backend), [PSEUDONYM, REPLY]) == [PSEUDONYM, REPLY]

        guest = clients[0]
        await guest.send({"type": "leave"})
        await guest.expect("session", state="ended")
        for client in clients:
            await client.close()
        with httpx.Client(base_url=server.url, headers={"Cookie": cookie}) as http:
            page = http.get("/console")
            http.post("/console/logout", data={"csrf": csrf(page.text)})

        if backend:
            # The visitor's keys expire with the resume and end graces (2 s each here).
            deadline = time.monotonic() + 20
            while found_in(kept_by(backend), secrets) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            kept = kept_by(backend)
            assert b"Trouver un emploi" in kept, "the search reads the Cité's keys"
            assert found_in(kept, secrets) == []
            assert found_in(kept, ["127.0.0.1"]) == []
    finally:
        server.stop()

    if not backend:
        kept = state_file.read_bytes()
        assert b"camille" in kept, "the state file holds the staff accounts"
        assert found_in(kept, [*secrets, "127.0.0.1"]) == []
    logs = server.logs() + log_file.read_text()
    assert '"level": "debug"' in logs, "the logs were written, at debug level"
    assert found_in(logs.encode(), secrets) == []
