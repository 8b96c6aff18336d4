"""``parole create-user`` and the memory backend's state file, with real processes.

The first manager of a fresh install comes from the command line; with the default
memory backend the configuration survives a restart through the state file, which a
running server holds locked. With Redis, create-user writes there while servers run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.clients import counsellor, csrf, login
from tests.redis_server import RedisServer, start_redis
from tests.servers import ROOT, RunningServer, start_server

PASSWORD = "correct horse battery"


def clean_env() -> dict[str, str]:
    """This environment less any PAROLE_ setting, able to import Parole from anywhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAROLE_")}
    return {**env, "PYTHONPATH": str(ROOT)}


def create_user(
    cwd: Path, *args: str, password: str = PASSWORD
) -> subprocess.CompletedProcess[str]:
    """``parole create-user`` run in ``cwd`` (never the repository: its default state
    file would land there)."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "create-user", "--password-stdin", *args],
        input=password + "\n",
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )


def sign_in(server: RunningServer, login: str, password: str = PASSWORD) -> int:
    with httpx.Client(base_url=server.url) as http:
        form = http.get("/console/login")
        data = {"login": login, "password": password, "csrf": csrf(form.text)}
        return http.post("/console/login", data=data).status_code


def test_the_first_manager_of_a_fresh_install_signs_in(tmp_path: Path) -> None:
    state = str(tmp_path / "state.json")
    made = create_user(
        tmp_path, "--role", "manager", "--login", "Boss", "--alias", "Chef", "--state-file", state
    )
    assert made.returncode == 0, made.stderr
    assert "manager 'boss'" in made.stdout and PASSWORD not in made.stdout + made.stderr
    server = start_server(tmp_path, "--state-file", state, demo=False)
    try:
        assert sign_in(server, "boss") == 303
        assert sign_in(server, "boss", "wrong password!") == 401
    finally:
        server.stop()


def test_create_user_refuses_weak_passwords_known_logins_and_missing_fields(
    tmp_path: Path,
) -> None:
    state = str(tmp_path / "state.json")
    base = ("--login", "marie", "--state-file", state)
    weak = create_user(
        tmp_path, *base, "--role", "counsellor", "--alias", "Marie", password="short"
    )
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    assert not Path(state).exists()
    missing = create_user(tmp_path, *base)
    assert missing.returncode == 2 and "--alias and --role" in missing.stderr
    assert create_user(tmp_path, *base, "--role", "counsellor", "--alias", "Marie").returncode == 0
    again = create_user(tmp_path, *base, "--role", "counsellor", "--alias", "Marie")
    assert again.returncode == 2 and "--reset-password" in again.stderr
    nowhere = create_user(
        tmp_path, "--login", "x", "--role", "manager", "--alias", "X", "--state-file", ""
    )
    assert nowhere.returncode == 2 and "state file" in nowhere.stderr
    bad_login = create_user(tmp_path, "--login", "a b", "--role", "manager", "--alias", "X")
    assert bad_login.returncode == 2 and "login" in bad_login.stderr


def test_create_user_refuses_a_file_a_server_holds_and_the_server_keeps_it(
    tmp_path: Path,
) -> None:
    state = str(tmp_path / "state.json")
    server = start_server(tmp_path, "--state-file", state)
    try:
        refused = create_user(
            tmp_path,
            "--role",
            "manager",
            "--login",
            "boss",
            "--alias",
            "Chef",
            "--state-file",
            state,
        )
        assert refused.returncode == 2
        assert "a Parole server is using" in refused.stderr
        assert "stop it first, or use the manager console" in refused.stderr
        assert "boss" not in Path(state).read_text()
    finally:
        server.stop()
    made = create_user(
        tmp_path, "--role", "manager", "--login", "boss", "--alias", "Chef", "--state-file", state
    )
    assert made.returncode == 0, made.stderr


def test_the_configuration_survives_a_restart_with_the_memory_backend(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    server = start_server(tmp_path, "--state-file", str(state))
    new = "a password that lasts"
    try:
        with closing(httpx.Client(base_url=server.url)) as http:
            form = http.get("/console/login")
            fields = {"login": "camille", "password": "demo-parole", "csrf": csrf(form.text)}
            assert http.post("/console/login", data=fields).status_code == 303
            token = csrf(http.get("/console/account").text)
            changed = http.post(
                "/console/account/password",
                data={"csrf": token, "current": "demo-parole", "new": new, "repeat": new},
            )
            assert changed.status_code == 303
    finally:
        server.stop()
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    server = start_server(tmp_path, "--state-file", str(state))
    try:
        assert sign_in(server, "camille", new) == 303
        assert sign_in(server, "camille", "demo-parole") == 401  # --demo kept the change
    finally:
        server.stop()


def test_a_corrupt_state_file_stops_serve_with_one_clear_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": "parole-state", "version": 1, "staff": [{"login": ')
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", "0", "--state-file", str(state)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "state.json" in lines[0] and "not a valid" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_parole_serve_defaults_to_a_state_file_in_the_working_folder(tmp_path: Path) -> None:
    state = tmp_path / "parole-state.json"
    state.write_text("not json")
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", "0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=clean_env(),
    )  # fmt: skip
    assert result.returncode == 2 and "parole-state.json" in result.stderr


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = start_redis(tmp_path)
    yield server
    server.stop()


def test_with_redis_create_user_works_while_servers_run(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    server = start_server(tmp_path, "--backend", redis_server.url)
    try:
        made = create_user(
            tmp_path, "--role", "counsellor", "--login", "paul", "--alias", "Paul", "--poles",
            "emploi,formation", "--backend", redis_server.url,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert sign_in(server, "paul") == 303
        unknown = create_user(
            tmp_path, "--role", "counsellor", "--login", "luc", "--alias", "Luc",
            "--poles", "cuisine", "--backend", redis_server.url,
        )  # fmt: skip
        assert unknown.returncode == 2 and "cuisine" in unknown.stderr
        reset = create_user(
            tmp_path, "--login", "paul", "--reset-password", "--backend", redis_server.url,
            password="another long password",
        )  # fmt: skip
        assert reset.returncode == 0, reset.stderr
        assert sign_in(server, "paul") == 401
        assert sign_in(server, "paul", "another long password") == 303
    finally:
        server.stop()


async def test_a_fresh_install_goes_from_its_first_manager_to_a_published_cite(
    tmp_path: Path,
) -> None:
    state = str(tmp_path / "state.json")
    made = create_user(
        tmp_path, "--role", "manager", "--login", "boss", "--alias", "Chef", "--state-file", state
    )
    assert made.returncode == 0, made.stderr
    server = start_server(tmp_path, "--state-file", state, demo=False)
    try:
        with httpx.Client(base_url=server.url) as http:
            form = http.get("/console/login")
            data = {"login": "boss", "password": PASSWORD, "csrf": csrf(form.text)}
            signed_in = http.post("/console/login", data=data)
            # No Cité yet: the manager is sent where it is created, not to a console.
            assert signed_in.headers["location"] == "/manage"
            cookie = f"parole_staff={http.cookies['parole_staff']}"
            # The console still opens (nothing to staff yet), with no error.
            desk, state_frame = await counsellor(server, cookie)
            assert state_frame["poles"] == [] and state_frame["queues"] == {}
            await desk.close()
            assert httpx.get(f"{server.url}/api/cite").json()["poles"] == []

            setup = http.get("/manage")
            form_data = {
                "csrf": csrf(setup.text),
                "name": "Cité des métiers de Lyon",
                "pole_1": "Trouver un emploi",
                "pole_2": "Choisir son orientation",
                "pole_3": "Créer son activité",
                "site_name": "Lyon Part-Dieu",
                "country": "FR",
            }
            answer = http.post(
                "/manage/setup",
                data={**form_data, "timezone": "Europe/Lyon"},
            )
            assert answer.status_code == 400  # no such zone: said, nothing created
            assert "Europe/Lyon" in answer.text
            assert httpx.get(f"{server.url}/api/cite").json()["cite"] == ""
            answer = http.post(
                "/manage/setup",
                data={**form_data, "timezone": "Europe/Paris"},
            )
            assert answer.status_code == 303, answer.text
        status = httpx.get(f"{server.url}/api/cite", params={"site": "lyon-part-dieu"}).json()
        assert status["cite"] == "Cité des métiers de Lyon" and status["site"] == "lyon-part-dieu"
        # Hours are the default Monday-Friday 9-17 until the manager sets them: open or
        # not, the widget knows when it opens next or until when it is open.
        assert status["accepting"] == ("closes_at" in status and "next_opening" not in status)
    finally:
        server.stop()


async def test_an_open_console_keeps_its_session_alive_past_the_idle_timeout(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, env={"PAROLE_STAFF_IDLE": "1.5"})
    try:
        cookie = login(server)
        desk, _ = await counsellor(server, cookie)
        await asyncio.sleep(4)  # more than twice the idle time, the console open
        with httpx.Client(base_url=server.url, headers={"Cookie": cookie}) as http:
            assert http.get("/console").status_code == 200  # still signed in
        await desk.close()
        await asyncio.sleep(2.5)  # closed: now the idle time runs out
        with httpx.Client(base_url=server.url, headers={"Cookie": cookie}) as http:
            assert http.get("/console").status_code == 303
    finally:
        server.stop()
