"""Canned replies: a counsellor's own on /console/account, shared ones per pole on
/manage/replies/<pole>; each change reaches the open consoles; bad input, another
pole's reply and a counsellor editing shared ones change nothing."""

from __future__ import annotations

import re
from typing import Any

from tests.clients import Browser, Client, counsellor
from tests.integration.manage.test_manage import HOSTILE, new_password
from tests.servers import RunningServer

GREETING = {"name": "bonjour", "text": "Bonjour {pseudonym}, je suis {alias}."}


def reply_ids(page: str, prefix: str) -> list[str]:
    return re.findall(rf'action="{re.escape(prefix)}/([0-9a-f]+)"', page)


async def replies_at_open(server: RunningServer, cookie: str) -> list[dict[str, Any]]:
    desk, state = await counsellor(server, cookie)
    await desk.close()
    listed: list[dict[str, Any]] = state.get("replies", [])
    return listed


async def next_state(desk: Client) -> dict[str, Any]:
    """The next ``console`` frame (call ``desk.quiet()`` before the change)."""
    state: dict[str, Any] = await desk.expect("console")
    return state


async def test_a_counsellors_own_replies_are_kept_and_reach_the_open_console(
    server: RunningServer,
) -> None:
    camille = Browser(server, "camille")
    desk, state = await counsellor(server, camille.cookie)
    assert state.get("replies", []) == []
    await desk.quiet(0.2)
    answer = camille.post("/console/account/replies", GREETING)
    assert answer.headers["location"] == "/console/account?done=reply_added"
    state = await next_state(desk)
    assert [(r["name"], r["text"]) for r in state["replies"]] == [
        (GREETING["name"], GREETING["text"])
    ]
    assert "pole" not in state["replies"][0]
    page = camille.get("/console/account").text
    (reply_id,) = reply_ids(page, "/console/account/replies")

    edited = {"name": "salut", "text": f"Salut {{pseudonym}} {HOSTILE}"}
    await desk.quiet(0.2)
    answer = camille.post(f"/console/account/replies/{reply_id}", edited)
    assert answer.headers["location"] == "/console/account?done=reply_saved"
    page = camille.get("/console/account").text
    assert HOSTILE not in page and "&lt;script&gt;" in page
    state = await next_state(desk)
    assert state["replies"][0]["text"] == edited["text"]  # as typed: the console draws text

    await desk.quiet(0.2)
    answer = camille.post(f"/console/account/replies/{reply_id}/remove")
    assert answer.headers["location"] == "/console/account?done=reply_removed"
    assert (await next_state(desk)).get("replies", []) == []
    await desk.close()
    camille.http.close()


def test_bad_replies_are_refused_and_change_nothing(server: RunningServer) -> None:
    camille = Browser(server, "camille")
    assert camille.post("/console/account/replies", GREETING).status_code == 303
    before = camille.get("/console/account").text.replace(camille.token, "")
    (reply_id,) = reply_ids(before, "/console/account/replies")
    for fields, text in [
        ({"name": ""}, "Donnez un nom"),
        ({"name": "<b>gras</b>"}, "Donnez un nom"),
        ({"name": "x" * 41}, "Donnez un nom"),
        ({"text": ""}, "Écrivez un texte"),
        ({"text": "x" * 10_000}, "Écrivez un texte"),
        ({"text": "Bonjour {prenom}"}, "unknown placeholder {prenom}"),
    ]:
        for path in ("/console/account/replies", f"/console/account/replies/{reply_id}"):
            answer = camille.post(path, {**GREETING, **fields})
            assert answer.status_code == 400, (path, fields)
            assert text in answer.text.replace("&#39;", "'"), (path, fields)
            assert 'aria-invalid="true"' in answer.text
    # Unknown ids, and a form without the session's token.
    assert camille.post("/console/account/replies/0123456789", GREETING).status_code == 404
    assert camille.post("/console/account/replies/0123456789/remove").status_code == 404
    assert camille.post("/console/account/replies", GREETING, token=False).status_code == 403
    assert camille.get("/console/account").text.replace(camille.token, "") == before
    camille.http.close()


def test_thirty_replies_at_most(server: RunningServer) -> None:
    camille = Browser(server, "camille")
    for i in range(30):
        assert (
            camille.post("/console/account/replies", {**GREETING, "name": f"r{i}"}).status_code
            == 303
        )
    answer = camille.post("/console/account/replies", {**GREETING, "name": "one-more"})
    assert answer.status_code == 400 and "Trente réponses au plus" in answer.text
    camille.http.close()


async def test_one_counsellors_replies_are_not_anothers(server: RunningServer) -> None:
    manager = Browser(server, "dominique")
    made = manager.post(
        "/manage/staff",
        {"login": "sami", "alias": "Sami", "role": "counsellor", "poles": ["formation"]},
    )
    sami = Browser(server, "sami", new_password(made.text))
    camille = Browser(server, "camille")
    assert camille.post("/console/account/replies", GREETING).status_code == 303
    (reply_id,) = reply_ids(camille.get("/console/account").text, "/console/account/replies")
    # Sami cannot reach Camille's reply, and does not get it.
    assert sami.post(f"/console/account/replies/{reply_id}", GREETING).status_code == 404
    assert sami.post(f"/console/account/replies/{reply_id}/remove").status_code == 404
    assert await replies_at_open(server, sami.cookie) == []
    assert len(await replies_at_open(server, camille.cookie)) == 1
    for browser in (manager, sami, camille):
        browser.http.close()


async def test_shared_replies_reach_the_poles_counsellors_only(server: RunningServer) -> None:
    manager = Browser(server, "dominique")
    made = manager.post(
        "/manage/staff",
        {"login": "sami", "alias": "Sami", "role": "counsellor", "poles": ["formation"]},
    )
    sami = Browser(server, "sami", new_password(made.text))
    camille = Browser(server, "camille")  # staffs every pole
    desk, _ = await counsellor(server, camille.cookie)
    shared = {"name": "atelier", "text": "L'atelier CV a lieu mercredi, {pseudonym}."}
    await desk.quiet(0.2)
    answer = manager.post("/manage/replies/emploi", shared)
    assert answer.headers["location"] == "/manage/replies/emploi?done=reply_created"
    state = await next_state(desk)
    assert [(r["name"], r.get("pole")) for r in state["replies"]] == [("atelier", "emploi")]
    assert await replies_at_open(server, sami.cookie) == []  # not a counsellor of emploi

    page = manager.get("/manage/replies/emploi").text
    (reply_id,) = reply_ids(page, "/manage/replies/emploi")
    # Under another pole's address: not found, nothing changed.
    for path in (
        f"/manage/replies/formation/{reply_id}",
        f"/manage/replies/formation/{reply_id}/remove",
    ):
        assert manager.post(path, {"name": "volée", "text": "x"}).status_code == 404
    assert manager.post("/manage/replies/nope", shared).status_code == 404
    # Bad input, field by field.
    answer = manager.post(f"/manage/replies/emploi/{reply_id}", {"name": "", "text": "{x}"})
    assert answer.status_code == 400
    assert (
        f'href="#f-{reply_id}-name"' in answer.text and f'href="#f-{reply_id}-text"' in answer.text
    )
    # A counsellor cannot edit shared replies.
    for path in ("/manage/replies/emploi", f"/manage/replies/emploi/{reply_id}/remove"):
        assert camille.post(path, shared).status_code == 403
    assert "atelier" in manager.get("/manage/replies/emploi").text

    await desk.quiet(0.2)
    answer = manager.post(f"/manage/replies/emploi/{reply_id}/remove")
    assert answer.headers["location"] == "/manage/replies/emploi?done=reply_removed"
    assert (await next_state(desk)).get("replies", []) == []
    await desk.close()
    for browser in (manager, sami, camille):
        browser.http.close()
