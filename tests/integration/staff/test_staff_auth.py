"""Staff sign-in on a real server: the optional second factor, throttling and lockout
that never tell whether an account exists, the account page, session ending.

Codes are computed with pyotp, as an authenticator app would. A login may use each
30-second step once, so a test uses the current step's code and then the next one's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pyotp
import pytest

from tests.clients import csrf
from tests.servers import RunningServer, start_server

PASSWORD = "demo-parole"
#: Small limits, so that the tests reach them and wait them out.
THROTTLE = {
    "PAROLE_LOGIN_FAILURES": "4",
    "PAROLE_LOGIN_WINDOW": "60",
    "PAROLE_LOGIN_LOCKOUT": "3",
    "PAROLE_LOGIN_ADDRESS_FAILURES": "9",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path, env=THROTTLE)
    yield running
    running.stop()


def post_sign_in(
    http: httpx.Client, login: str = "camille", password: str = PASSWORD, code: str = ""
) -> httpx.Response:
    form = http.get("/console/login")
    data = {"login": login, "password": password, "code": code, "csrf": csrf(form.text)}
    return http.post("/console/login", data=data)


def sign_in(
    server: RunningServer, login: str = "camille", password: str = PASSWORD, code: str = ""
) -> httpx.Response:
    """The answer to the sign-in form, posted from a fresh browser."""
    with httpx.Client(base_url=server.url) as http:
        return post_sign_in(http, login, password, code)


def signed_in(server: RunningServer, login: str = "camille", code: str = "") -> httpx.Client:
    """A browser signed in as ``login``; the caller closes it."""
    http = httpx.Client(base_url=server.url)
    answer = post_sign_in(http, login, code=code)
    assert answer.status_code == 303, answer.text
    return http


def page_token(http: httpx.Client) -> str:
    return csrf(http.get("/console/account").text)


def enrol(http: httpx.Client, at: float) -> pyotp.TOTP:
    """Turn the second factor on through the account page; uses the step of ``at``."""
    http.post("/console/account/totp/start", data={"csrf": page_token(http)})
    page = http.get("/console/account").text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert secret, page
    totp = pyotp.TOTP(secret[1])
    confirmed = http.post(
        "/console/account/totp/confirm", data={"csrf": csrf(page), "code": totp.at(at)}
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/console/account?done=totp_on"
    return totp


def without_tokens(answer: httpx.Response) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers, less what differs on every answer (tokens, date)."""
    body = answer.text.replace(csrf(answer.text), "")
    headers = {
        k: v for k, v in answer.headers.items() if k not in ("set-cookie", "date", "content-length")
    }
    return answer.status_code, body, headers


# --- the second factor ----------------------------------------------------------------------


def test_the_form_always_offers_a_code_field(server: RunningServer) -> None:
    page = httpx.get(f"{server.url}/console/login").text
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page


def test_enrolment_shows_a_secret_and_an_otpauth_link_with_the_alias_only(
    server: RunningServer,
) -> None:
    with closing(signed_in(server)) as http:
        assert "totp/start" in http.get("/console/account").text
        http.post("/console/account/totp/start", data={"csrf": page_token(http)})
        page = http.get("/console/account").text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
        link = re.search(r'href="(otpauth://[^"]+)"', page)
        assert secret and link
        uri = urlparse(link[1].replace("&amp;", "&"))
        assert uri.netloc == "totp" and unquote(uri.path) == "/Parole:Camille"
        assert parse_qs(uri.query) == {"secret": [secret[1]], "issuer": ["Parole"]}
        # Not on the account yet: signing in still needs no code.
        assert sign_in(server).status_code == 303


def test_with_totp_a_sign_in_needs_the_current_code_once(server: RunningServer) -> None:
    at = time.time()
    with closing(signed_in(server)) as http:
        totp = enrol(http, at)
    assert sign_in(server).status_code == 401  # the password alone
    assert (
        sign_in(server, code="000000" if totp.at(at) != "000000" else "111111").status_code == 401
    )
    assert sign_in(server, code=totp.at(at)).status_code == 401  # used to confirm
    later = totp.at(at, counter_offset=1)
    with closing(signed_in(server, code=later)) as http:
        assert http.get("/console").status_code == 200
    assert sign_in(server, code=later).status_code == 401  # replayed
    assert later not in server.logs() and totp.secret not in server.logs()


def test_an_account_with_totp_fails_like_any_other_without_its_code(
    server: RunningServer,
) -> None:
    with closing(signed_in(server)) as http:
        enrol(http, time.time())
    with_totp = sign_in(server, "camille", PASSWORD)
    wrong_password = sign_in(server, "dominique", "not the password")
    assert without_tokens(with_totp) == without_tokens(wrong_password)


def test_a_wrong_code_does_not_confirm_the_enrolment(server: RunningServer) -> None:
    with closing(signed_in(server)) as http:
        http.post("/console/account/totp/start", data={"csrf": page_token(http)})
        page = http.get("/console/account").text
        refused = http.post(
            "/console/account/totp/confirm", data={"csrf": csrf(page), "code": "12345"}
        )
        assert refused.status_code == 400 and "totp-error" in refused.text
    assert sign_in(server).status_code == 303  # still no second factor


def test_the_second_factor_is_turned_off_with_a_current_code(server: RunningServer) -> None:
    at = time.time()
    with closing(signed_in(server)) as http:
        totp = enrol(http, at)
        token = page_token(http)
        wrong = http.post("/console/account/totp/disable", data={"csrf": token, "code": "x"})
        assert wrong.status_code == 400
        off = http.post(
            "/console/account/totp/disable",
            data={"csrf": token, "code": totp.at(at, counter_offset=1)},
        )
        assert off.headers["location"] == "/console/account?done=totp_off"
    assert sign_in(server).status_code == 303


def test_a_cancelled_enrolment_leaves_nothing_to_confirm(server: RunningServer) -> None:
    with closing(signed_in(server)) as http:
        http.post("/console/account/totp/start", data={"csrf": page_token(http)})
        page = http.get("/console/account").text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
        assert secret
        http.post("/console/account/totp/cancel", data={"csrf": csrf(page)})
        assert "totp-secret" not in http.get("/console/account").text
        late = http.post(
            "/console/account/totp/confirm",
            data={"csrf": csrf(page), "code": pyotp.TOTP(secret[1]).now()},
        )
        assert late.status_code == 400
    assert sign_in(server).status_code == 303


def test_account_forms_need_the_session_csrf_token(server: RunningServer) -> None:
    assert httpx.get(f"{server.url}/console/account").headers["location"] == "/console/login"
    with closing(signed_in(server)) as http:
        for action in ("totp/start", "totp/confirm", "totp/disable", "totp/cancel", "password"):
            data = {"csrf": "guess", "code": "123456", "current": PASSWORD}
            refused = http.post(f"/console/account/{action}", data=data)
            assert refused.status_code == 403, action
        assert "totp-secret" not in http.get("/console/account").text


# --- throttling -----------------------------------------------------------------------------


def test_lockout_after_n_failures_looks_the_same_for_known_and_unknown_logins(
    server: RunningServer,
) -> None:
    answers: dict[str, list[httpx.Response]] = {"camille": [], "nobody": []}
    for _ in range(5):
        for login, got in answers.items():
            got.append(sign_in(server, login, "wrong password"))
    for got in answers.values():
        assert [a.status_code for a in got] == [401, 401, 401, 401, 429]
    for known, unknown in zip(answers["camille"], answers["nobody"], strict=True):
        assert without_tokens(known) == without_tokens(unknown)
    assert answers["camille"][4].headers["retry-after"] == "3"
    # Locked: even the right password is not looked at.
    assert sign_in(server).status_code == 429
    time.sleep(3.2)  # PAROLE_LOGIN_LOCKOUT
    assert sign_in(server).status_code == 303


def test_a_success_clears_the_failures_of_its_login(server: RunningServer) -> None:
    for _ in range(2):
        for _ in range(2):
            assert sign_in(server, password="wrong password").status_code == 401
        assert sign_in(server).status_code == 303


def test_one_address_has_a_ceiling_over_every_login(server: RunningServer) -> None:
    for i in range(9):  # PAROLE_LOGIN_ADDRESS_FAILURES, a new name each time
        assert sign_in(server, f"someone-{i}", "wrong password").status_code == 401
    assert sign_in(server).status_code == 429
    assert sign_in(server, "dominique").status_code == 429


def test_the_backend_and_logs_never_see_the_typed_name_or_address(
    server: RunningServer,
) -> None:
    sign_in(server, "a-typed-secret-name", "wrong password")
    assert "a-typed-secret-name" not in server.logs()
    assert set(re.findall(r"127\.0\.0\.1:(\d+)", server.logs())) <= {str(server.port)}


# --- the password ---------------------------------------------------------------------------


def test_changing_the_password_ends_every_other_session(server: RunningServer) -> None:
    other = signed_in(server)
    with closing(signed_in(server)) as http:
        token = page_token(http)
        new = "a brand new password"
        for fields, status in (
            ({"current": "wrong password", "new": new, "repeat": new}, 400),
            ({"current": PASSWORD, "new": new, "repeat": new + "!"}, 400),
            ({"current": PASSWORD, "new": "too short", "repeat": "too short"}, 400),
        ):
            assert (
                http.post("/console/account/password", data={**fields, "csrf": token}).status_code
                == status
            )
        assert other.get("/console").status_code == 200
        changed = http.post(
            "/console/account/password",
            data={"csrf": token, "current": PASSWORD, "new": new, "repeat": new},
        )
        assert changed.headers["location"] == "/console/account?done=password"
        assert http.get("/console").status_code == 200  # this browser, in a new session
        assert "done" in http.get("/console/account?done=password").text
    assert other.get("/console").status_code == 303
    other.close()
    assert sign_in(server).status_code == 401
    assert sign_in(server, password=new).status_code == 303
    assert new not in server.logs()


def test_a_login_is_case_insensitive_and_so_is_its_lockout(server: RunningServer) -> None:
    assert sign_in(server, " Camille ").status_code == 303
    for name in ("CAMILLE", "Camille", "camille", "cAmille"):
        assert sign_in(server, name, "wrong password").status_code == 401
    assert sign_in(server).status_code == 429
