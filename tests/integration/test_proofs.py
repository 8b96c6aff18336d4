"""Proofs of visit over HTTP: who may get one, what it states, and how it verifies."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx

from server.core.attestation import commitment
from tests.clients import counsellor, csrf, login, visitor
from tests.servers import RunningServer, start_server


def ask(server: RunningServer, body: object, **headers: str) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.url}/api/attestation", content=raw, headers=headers)


def check(server: RunningServer, attestation: str) -> dict[str, Any]:
    answer = httpx.post(f"{server.url}/api/verify", json={"attestation": attestation})
    assert answer.status_code == 200
    return answer.json()


def payload(attestation: str) -> dict[str, Any]:
    part = attestation.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def talking(server: RunningServer) -> tuple[Any, dict[str, Any], Any, str]:
    guest, session = await visitor(server, "emploi", pseudonym="Pseudo Secret")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await guest.expect("session", state="talking")
    return guest, session, desk, conversation


async def test_a_visitor_a_counsellor_took_gets_one_proof_that_verifies(
    server: RunningServer,
) -> None:
    guest, session, desk, conversation = await talking(server)
    salt = "0123456789abcdef" * 2
    name = commitment(salt, "Marie Curie")
    issued = ask(server, {"token": session["token"], "name": name})
    assert issued.status_code == 200, issued.text
    body = issued.json()
    proof = payload(body["attestation"])
    assert proof == body["proof"]
    assert proof["cite"] == "Cité des métiers (démo)" and proof["pole"] == "Trouver un emploi"
    assert proof["length"] == "lt15" and proof["name"] == name and proof["v"] == 1
    assert re.fullmatch(r"\d\d:(00|15|30|45)", proof["start"])
    # Nothing that singles the conversation out.
    for secret in ("Pseudo Secret", session["token"], conversation):
        assert secret not in json.dumps(body)
    assert body["verify"] == f"{server.url}/verify"
    assert len(body["qr"]) >= 21 and set("".join(body["qr"])) == {"0", "1"}

    assert check(server, body["attestation"]) == {"verdict": "valid", "proof": proof}
    again = ask(server, {"token": session["token"]})
    assert again.status_code == 409 and again.json() == {"error": "already_issued"}
    await guest.close()
    await desk.close()


async def test_within_the_end_grace_the_proof_is_still_offered(server: RunningServer) -> None:
    guest, session, desk, conversation = await talking(server)
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("session", state="ended")
    issued = ask(server, {"token": session["token"]})
    assert issued.status_code == 200 and "name" not in issued.json()["proof"]
    await guest.close()
    await desk.close()


async def test_no_proof_for_a_visitor_never_taken_or_a_bad_request(server: RunningServer) -> None:
    guest, session = await visitor(server, "emploi")
    token = session["token"]
    assert ask(server, {"token": token}).json() == {"error": "not_served"}
    assert ask(server, {"token": "x" * 40}).status_code == 403
    for bad in (b"{broken", b'{"token": 5}', b'{"token": "a", "extra": 1}', b"[]"):
        assert ask(server, bad).status_code == 400, bad
    assert ask(server, b" " * 5000).status_code == 413
    assert ask(server, {"token": token, "name": "Marie Curie"}).status_code == 409  # not served
    foreign = ask(server, {"token": token}, Origin="https://elsewhere.example")
    assert foreign.status_code == 403 and foreign.json() == {"error": "forbidden_origin"}
    await guest.close()


async def test_a_bad_commitment_is_refused_and_spends_nothing(server: RunningServer) -> None:
    guest, session, desk, _ = await talking(server)
    refused = ask(server, {"token": session["token"], "name": "Marie Curie"})
    assert refused.status_code == 400 and refused.json() == {"error": "bad_request"}
    assert ask(server, {"token": session["token"]}).status_code == 200
    await guest.close()
    await desk.close()


def test_garbage_and_tampering_never_verify(server: RunningServer) -> None:
    for garbage in ("", "1.a.b", "x" * 3000, "1." + "A" * 50 + "." + "B" * 86):
        assert check(server, garbage) == {"verdict": "invalid"}
    assert httpx.post(f"{server.url}/api/verify", content=b"{").status_code == 400


async def test_a_rotated_key_still_verifies_and_keys_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    running = start_server(tmp_path, "--state-file", str(state))
    try:
        guest, session, desk, _ = await talking(running)
        old = ask(running, {"token": session["token"]}).json()["attestation"]
        await guest.close()
        await desk.close()
        cookie = login(running, "dominique")
        with httpx.Client(base_url=running.url, headers={"Cookie": cookie}) as http:
            page = http.get("/manage/keys")
            assert page.status_code == 200 and payload(old)["key"] in page.text
            rotated = http.post("/manage/keys", data={"csrf": csrf(page.text)})
            assert rotated.headers["location"] == "/manage/keys?done=rotated"
            assert http.post("/manage/keys", data={}).status_code == 403  # no CSRF token
        verdict = check(running, old)
        assert verdict["verdict"] == "retired" and verdict["proof"] == payload(old)
        staff = login(running, "camille")
        refused = httpx.post(
            f"{running.url}/manage/keys", headers={"Cookie": staff}, data={"csrf": "x"}
        )
        assert refused.status_code == 403
    finally:
        running.stop()
    again = start_server(tmp_path, "--state-file", str(state))
    try:
        assert check(again, old)["verdict"] == "retired"
    finally:
        again.stop()
