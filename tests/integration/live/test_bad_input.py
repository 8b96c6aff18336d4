"""Bad input gets a typed error or close code, changes nothing else, crashes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import websockets

from tests.clients import Client, counsellor, login, visitor
from tests.servers import RunningServer

FIXTURES = json.loads((Path(__file__).parents[3] / "protocol/fixtures/frames.json").read_text())


async def test_every_refused_frame_gets_its_code_and_others_talk_on(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]

    attacker, _ = await visitor(server, "orientation")
    for case in FIXTURES["visitor"]["refuse"]:
        await attacker.send(case.get("raw") or json.dumps(case["frame"]))
        assert (await attacker.expect("error"))["code"] == case["code"], case
    for case in FIXTURES["console"]["refuse"]:
        await desk.send(case.get("raw") or json.dumps(case["frame"]))
        assert (await desk.expect("error"))["code"] == case["code"], case
    await attacker.ws.send(b"\x00\x01binary")
    assert (await attacker.expect("error"))["code"] == "malformed"

    # The conversation next door went on, untouched.
    await guest.send({"type": "send", "client_id": "ok", "text": "toujours là"})
    assert (await desk.expect("event", client_id="ok"))["seq"] == 2
    await guest.expect("event", seq=2)
    assert [e["seq"] for e in guest.events(conversation)] == [1, 2]
    assert not [f for f in guest.frames if f["type"] == "error"]


async def test_frames_before_hello_and_unknown_versions(server: RunningServer) -> None:
    client = await Client.open(server.ws("/ws/visitor"))
    await client.send({"type": "join", "pole": "emploi"})
    assert (await client.expect("error"))["code"] == "hello_first"
    await client.send({"type": "hello", "versions": [99]})
    assert (await client.expect("error"))["code"] == "unsupported_version"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.expect("never")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4002


async def test_a_frame_over_64_kib_closes_with_1009(server: RunningServer) -> None:
    client = await Client.open(server.ws("/ws/visitor"))
    await client.send({"type": "hello", "versions": [1]})
    await client.expect("welcome")
    await client.send({"type": "send", "client_id": "big", "text": "x" * (65 * 1024)})
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.expect("never")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert httpx.get(f"{server.url}/healthz").status_code == 200


async def test_actions_out_of_turn_are_refused(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    for frame in (
        {"type": "send", "client_id": "early", "text": "allô ?"},
        {"type": "typing", "active": True},
        {"type": "join", "pole": "emploi"},
        {"type": "hello", "versions": [1]},
    ):
        await guest.send(frame)
        assert (await guest.expect("error"))["code"] == "not_allowed", frame

    newcomer = await Client.open(server.ws("/ws/visitor"))
    await newcomer.send({"type": "hello", "versions": [1]})
    await newcomer.expect("welcome")
    await newcomer.send({"type": "join", "pole": "nulle-part"})
    assert (await newcomer.expect("error"))["code"] == "unknown_pole"
    await newcomer.send({"type": "leave"})
    assert (await newcomer.expect("error"))["code"] == "not_allowed"
    await newcomer.send({"type": "hello", "versions": [1], "resume": "x" * 40})
    assert (await newcomer.expect("error"))["code"] == "not_allowed"  # hello only once

    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "nulle-part"})
    assert (await desk.expect("error"))["code"] == "unknown_pole"
    await desk.send(
        {"type": "send", "conversation": "someone-else", "client_id": "x", "text": "hé"}
    )
    assert (await desk.expect("error"))["code"] == "unknown_conversation"
    await desk.send({"type": "end", "conversation": "someone-else"})
    assert (await desk.expect("error"))["code"] == "unknown_conversation"


async def test_an_unknown_resume_token_is_refused_and_the_visitor_can_start_over(
    server: RunningServer,
) -> None:
    client = await Client.open(server.ws("/ws/visitor"))
    await client.send({"type": "hello", "versions": [1], "resume": "y" * 43})
    await client.expect("welcome")
    assert (await client.expect("error"))["code"] == "resume_failed"
    await client.send({"type": "join", "pole": "emploi"})
    await client.expect("session", state="waiting")


async def test_hostile_text_is_relayed_as_text_and_control_characters_dropped(
    server: RunningServer,
) -> None:
    guest, _ = await visitor(server, "emploi", pseudonym="<script>x</script>\u202e")
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    info = (await desk.expect("conversation"))["info"]
    assert info["pseudonym"] == "<script>x</script>"
    hostile = "<img src=x onerror=alert(1)>\u0000\u200b<b>gras</b>"
    await guest.send({"type": "send", "client_id": "h", "text": hostile})
    event = await desk.expect("event", client_id="h")
    assert event["text"] == "<img src=x onerror=alert(1)><b>gras</b>"
    await guest.send({"type": "send", "client_id": "blank", "text": "\u0000 \u200b "})
    assert (await guest.expect("error"))["code"] == "invalid"


async def test_flooding_is_rate_limited(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    for i in range(60):
        await guest.send({"type": "typing", "active": i % 2 == 0})
    codes = {f["code"] for f in await guest.quiet(0.5) if f["type"] == "error"}
    assert "rate_limited" in codes


@pytest.mark.parametrize("path", ["/ws/visitor", "/ws/console"])
async def test_foreign_origins_are_refused_before_accept(server: RunningServer, path: str) -> None:
    cookie = login(server) if path == "/ws/console" else None
    with pytest.raises(websockets.InvalidStatus) as refused:
        await Client.open(server.ws(path), origin="https://evil.example", cookie=cookie)
    assert refused.value.response.status_code == 403


async def test_the_console_socket_refuses_a_handshake_without_origin(server: RunningServer) -> None:
    """Only a browser page has business with a cookie-opened socket, and browsers always
    send Origin: a valid staff cookie without one is still refused."""
    with pytest.raises(websockets.InvalidStatus) as refused:
        await Client.open(server.ws("/ws/console"), origin=None, cookie=login(server))
    assert refused.value.response.status_code == 403


async def test_the_visitor_socket_accepts_a_handshake_without_origin(server: RunningServer) -> None:
    """No cookie, nothing a page could borrow: a client that is not a browser may talk."""
    guest = await Client.open(server.ws("/ws/visitor"), origin=None)
    await guest.send({"type": "hello", "versions": [1]})
    assert (await guest.expect("welcome"))["v"] == 1
    await guest.send({"type": "join", "pole": "emploi"})
    assert (await guest.expect("session"))["state"] == "waiting"
    await guest.close()


async def test_the_console_socket_needs_a_signed_in_counsellor(server: RunningServer) -> None:
    for cookie in (None, "parole_staff=forged-session-id"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await Client.open(server.ws("/ws/console"), origin=server.url, cookie=cookie)
        assert refused.value.response.status_code == 403


async def test_the_server_survived_it_all(server: RunningServer) -> None:
    await test_every_refused_frame_gets_its_code_and_others_talk_on(server)
    await test_actions_out_of_turn_are_refused(server)
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert "Traceback" not in server.logs()


async def test_a_socket_that_never_says_hello_is_closed(server: RunningServer) -> None:
    silent = await Client.open(server.ws("/ws/visitor"))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await silent.expect("never", timeout=10)  # the test server allows 2 s
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
