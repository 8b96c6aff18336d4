"""A counsellor's usual hours on duty: set on /console/account, in the console state,
shared into a conversation as a ``duty`` event; bad input changes nothing."""

from __future__ import annotations

from tests.clients import Browser, counsellor, visitor
from tests.integration.live.test_transfer import take
from tests.servers import RunningServer

TUESDAY_THURSDAY = {
    "pole_0": "emploi",
    "days_0": ["tuesday", "thursday"],
    "start_0": "14:00",
    "end_0": "18:00",
}


async def test_hours_on_duty_are_kept_and_shared_as_an_event(server: RunningServer) -> None:
    camille = Browser(server, "camille")
    guest, _ = await visitor(server, "emploi")
    desk, state = await counsellor(server, camille.cookie)
    assert state.get("duty", []) == []
    conversation = str((await take(desk, "emploi"))["id"])
    await guest.expect("session", state="talking")
    # Nothing set yet: nothing to share.
    await desk.send({"type": "share_duty", "conversation": conversation, "client_id": "d1"})
    assert (await desk.expect("error"))["code"] == "not_allowed"

    await desk.quiet(0.2)
    answer = camille.post("/console/account/duty", TUESDAY_THURSDAY)
    assert answer.headers["location"] == "/console/account?done=duty"
    state = await desk.expect("console")
    line = {"pole": "emploi", "days": ["tuesday", "thursday"], "start": "14:00", "end": "18:00"}
    assert state["duty"] == [line]
    page = camille.get("/console/account").text
    assert 'value="tuesday" checked' in page and 'value="14:00"' in page

    await desk.send({"type": "share_duty", "conversation": conversation, "client_id": "d2"})
    seen = await guest.expect("event", kind="duty")
    assert (seen["alias"], seen["duty"]) == ("Camille", [line])
    await desk.send({"type": "share_duty", "conversation": conversation, "client_id": "d2"})
    await desk.send({"type": "send", "conversation": conversation, "client_id": "m", "text": "ok"})
    assert (await guest.expect("event", kind="message"))["seq"] == seen["seq"] + 1  # once

    # Clearing every line clears the hours; an ended conversation takes no more.
    await desk.quiet(0.2)
    assert camille.post("/console/account/duty", {}).status_code == 303
    assert (await desk.expect("console")).get("duty", []) == []
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("event", kind="ended")
    assert camille.post("/console/account/duty", TUESDAY_THURSDAY).status_code == 303
    await desk.send({"type": "share_duty", "conversation": conversation, "client_id": "d3"})
    assert (await desk.expect("error"))["code"] == "not_allowed"
    await guest.send({"type": "share_duty", "conversation": conversation, "client_id": "d4"})
    assert (await guest.expect("error"))["code"] == "unknown_type"
    camille.http.close()


def test_bad_hours_on_duty_are_refused_and_change_nothing(server: RunningServer) -> None:
    camille = Browser(server, "camille")
    assert camille.post("/console/account/duty", TUESDAY_THURSDAY).status_code == 303
    before = camille.get("/console/account").text.replace(camille.token, "")
    for change in [
        {"end_0": "13:00"},
        {"days_0": []},
        {"start_0": "25:00"},
        {"pole_0": "nope"},
        {"days_0": ["someday"]},
        {"pole_1": "emploi", "days_1": ["monday"], "start_1": "09:00", "end_1": ""},
    ]:
        answer = camille.post("/console/account/duty", {**TUESDAY_THURSDAY, **change})
        assert answer.status_code == 400, change
        assert "Les permanences ne sont pas enregistrées" in answer.text, change
    assert camille.post("/console/account/duty", TUESDAY_THURSDAY, token=False).status_code == 403
    assert camille.get("/console/account").text.replace(camille.token, "") == before
    camille.http.close()
