"""Pages, staff sign-in, security headers, and what the server never keeps or sets."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.clients import Client, counsellor, csrf, login, visitor
from tests.servers import RunningServer, start_server


def test_visitor_facing_responses_set_no_cookie(server: RunningServer) -> None:
    for path in ("/demo", "/widget.js", "/chat?site=paris", "/api/cite", "/healthz"):
        response = httpx.get(server.url + path)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers, path


def test_the_cite_lists_its_accueil_first_then_the_five_demo_poles(
    server: RunningServer,
) -> None:
    cite = httpx.get(f"{server.url}/api/cite").json()
    assert cite["poles"][0]["accueil"] is True
    assert [p["name"] for p in cite["poles"]] == [
        "Accueil",
        "Choisir son orientation",
        "Trouver un emploi",
        "Trouver une formation",
        "Changer sa vie professionnelle",
        "Créer son activité",
    ]
    assert "institution" not in str(cite).lower()


def test_the_console_forbids_framing_and_the_chat_allows_only_its_hosts(
    server: RunningServer,
) -> None:
    console = httpx.get(f"{server.url}/console/login").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in console and "script-src 'self'" in console
    chat = httpx.get(f"{server.url}/chat").headers["content-security-policy"]
    assert "frame-ancestors 'self'" in chat and "*" not in chat


def test_the_demo_page_embeds_the_widget_with_one_script_tag(server: RunningServer) -> None:
    page = httpx.get(f"{server.url}/demo").text
    assert page.count("<script") == 1 and f'src="{server.url}/widget.js"' in page
    assert 'data-site="paris"' in page


def test_the_console_needs_a_signed_in_counsellor(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/console")
    assert response.status_code == 303 and response.headers["location"] == "/console/login"


def test_signing_in_sets_a_strict_http_only_cookie_with_a_new_id_each_time(
    server: RunningServer,
) -> None:
    with httpx.Client(base_url=server.url) as http:
        form = http.get("/console/login")
        fields = {"login": "camille", "password": "demo-parole", "csrf": csrf(form.text)}
        signed_in = http.post("/console/login", data=fields)
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        first = http.cookies["parole_staff"]
        assert http.get("/console").status_code == 200

        form = http.get("/console/login")
        http.post("/console/login", data={**fields, "csrf": csrf(form.text)})
        assert http.cookies["parole_staff"] != first
    # The replaced session no longer opens the console.
    stale = httpx.get(f"{server.url}/console", cookies={"parole_staff": first})
    assert stale.status_code == 303


def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(server: RunningServer) -> None:
    answers = []
    for user, password in (("camille", "wrong"), ("nobody", "demo-parole")):
        with httpx.Client(base_url=server.url) as http:
            form = http.get("/console/login")
            answer = http.post(
                "/console/login",
                data={"login": user, "password": password, "csrf": csrf(form.text)},
            )
            assert answer.status_code == 401 and "parole_staff" not in http.cookies
            answers.append(answer.text.replace(csrf(answer.text), ""))
    assert answers[0] == answers[1]


def test_sign_in_without_the_csrf_token_is_refused(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        http.get("/console/login")
        refused = http.post("/console/login", data={"login": "camille", "password": "demo-parole"})
        assert refused.status_code == 403 and "parole_staff" not in http.cookies
    # A token from another browser's form does not match this browser's cookie.
    with httpx.Client(base_url=server.url) as other:
        token = csrf(other.get("/console/login").text)
    with httpx.Client(base_url=server.url) as http:
        http.get("/console/login")
        forged = {"login": "camille", "password": "demo-parole", "csrf": token}
        assert http.post("/console/login", data=forged).status_code == 403


def test_sign_out_needs_the_session_csrf_token(server: RunningServer) -> None:
    cookie = login(server)
    session = dict([cookie.split("=", 1)])
    with httpx.Client(base_url=server.url, cookies=session) as http:
        assert http.post("/console/logout", data={"csrf": "guess"}).status_code == 403
        assert http.get("/console").status_code == 200
        token = csrf(http.get("/console").text)
        assert http.post("/console/logout", data={"csrf": token}).status_code == 303
        assert httpx.get(f"{server.url}/console", cookies=session).status_code == 303


async def test_logs_hold_no_text_no_pseudonym_no_token_no_address(server: RunningServer) -> None:
    guest, session = await visitor(
        server, "emploi", pseudonym="Pseudo Secret", question="Q-secrète"
    )
    desk, _ = await counsellor(server)
    await desk.send({"type": "take", "pole": "emploi"})
    conversation = (await desk.expect("conversation"))["info"]["id"]
    await guest.send({"type": "send", "client_id": "s", "text": "texte-confidentiel"})
    await desk.expect("event", client_id="s")
    await guest.send("{broken")
    await guest.expect("error")
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("session", state="ended")
    await guest.close()
    await desk.close()
    with pytest.raises(InvalidStatus):  # a refused handshake is logged, with its address
        await Client.open(server.ws("/ws/visitor"), origin="https://elsewhere.example")
    logs = server.logs()
    # Only the refusal: a line for every accepted socket would say nothing, at a cost.
    events = [json.loads(line)["event"] for line in logs.splitlines() if line.startswith("{")]
    assert any(e.endswith('"WebSocket /ws/visitor" 403') for e in events)
    assert not any("[accepted]" in e for e in events)
    assert "connection open" not in logs and "connection closed" not in logs
    for secret in ("Pseudo Secret", "Q-secrète", "texte-confidentiel", session["token"]):
        assert secret not in logs, secret
    # The only address in the logs is the server's own; no client's.
    assert set(re.findall(r"127\.0\.0\.1:(\d+)", logs)) == {str(server.port)}


def test_the_demo_says_where_each_public_goes_and_with_which_login(server: RunningServer) -> None:
    """A newcomer starting ``serve --demo`` reads the addresses and logins in the terminal,
    and each printed login opens the page printed beside it."""
    printed = dict(
        re.findall(
            r"^(Parole demo on|Counsellor console:|Manager pages:) (.+)$", server.logs(), re.M
        )
    )
    assert printed["Parole demo on"] == f"http://127.0.0.1:{server.port}/demo"
    for label, page in (("Counsellor console:", "/console"), ("Manager pages:", "/manage")):
        found = re.fullmatch(r"(http://\S+) \((\S+) / (\S+)\)", printed[label])
        assert found, printed[label]
        assert found[1] == f"http://127.0.0.1:{server.port}{page}"
        cookie = login(server, found[2], found[3])
        with httpx.Client(headers={"Cookie": cookie}) as http:
            opened = http.get(found[1])
        assert opened.status_code == 200, (label, opened.status_code)
        assert "login" not in str(opened.url), label


def test_log_lines_are_json_objects_and_the_log_file_keeps_a_week(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    old, recent = folder / "parole.log.2026-11-01", folder / "parole.log.2026-12-01"
    for rotated, age in ((old, 8), (recent, 2)):
        rotated.write_text("{}\n")
        stamp = time.time() - age * 86400
        os.utime(rotated, (stamp, stamp))
    running = start_server(tmp_path, "--log-file", str(folder / "parole.log"))
    try:
        with pytest.raises(InvalidStatus):  # something worth a line
            asyncio.run(Client.open(running.ws("/ws/visitor"), origin="https://elsewhere.example"))
    finally:
        running.stop()
    # Rotated files past PAROLE_LOG_RETENTION_DAYS (7) are gone at start; others stay.
    assert not old.exists() and recent.exists()
    written = (folder / "parole.log").read_text().splitlines()
    printed = [line for line in running.logs().splitlines() if line.startswith("{")]
    assert written and written == printed[: len(written)]
    lines = [json.loads(line) for line in written]
    assert all(line.keys() >= {"time", "level", "logger", "event", "process"} for line in lines)
    assert {line["process"] for line in lines} == {running.process.pid}
    assert any(line["event"].endswith('"WebSocket /ws/visitor" 403') for line in lines)
    # Every other line the server wrote is one of the demo's printed addresses.
    for line in running.logs().splitlines():
        assert line.startswith("{") or re.match(r"(Parole demo on|Counsellor|Manager) ", line)


def test_a_log_file_without_its_folder_stops_the_server_with_one_line(tmp_path: Path) -> None:
    answer = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--log-file", str(tmp_path / "no/p.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 2
    assert answer.stderr.strip() == f"parole: no folder for the log file {tmp_path}/no/p.log"
