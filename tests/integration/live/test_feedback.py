"""Satisfaction, reports and blocks through real websockets, read back on
/manage/feedback: anonymous figures only, each counted once, bad input refused."""

from __future__ import annotations

import html
import re
from pathlib import Path

import websockets

from tests.clients import Browser, Client, counsellor, visitor
from tests.servers import RunningServer, start_server

from .test_transfer import take


async def talking(server: RunningServer, pole: str = "emploi") -> tuple[Client, Client, str]:
    guest, _ = await visitor(server, pole, question="Bonjour")
    desk, _ = await counsellor(server)
    conversation = str((await take(desk, pole))["id"])
    await guest.expect("session", state="talking")
    return guest, desk, conversation


def feedback_page(server: RunningServer) -> str:
    manager = Browser(server, "dominique")
    page = manager.get("/manage/feedback").text
    manager.http.close()
    return page


def table_row(page: str, heading: str, pole: str) -> list[str]:
    """The cells of the row of ``pole`` (its name), this month, in the table under
    ``heading`` (its id), as shown: "< 5" and "masqué" for protected ones (R11)."""
    table = page.split(f'id="{heading}"')[1].split("</table>")[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        if f'<th scope="row">{pole}</th>' in row:
            cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
            return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
    return []


def satisfaction_row(page: str, pole: str) -> list[str]:
    return table_row(page, "satisfaction-heading", pole)


async def test_one_answer_per_conversation_counted_and_its_comment_kept_apart(
    server: RunningServer,
) -> None:
    guest, desk, conversation = await talking(server)
    rate = {"type": "rate", "conversation": conversation, "score": 5}
    # Not before the end.
    await guest.send(rate)
    assert (await guest.expect("error"))["code"] == "not_allowed"
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("session", state="ended")

    for frame in [
        {**rate, "score": 0},
        {**rate, "score": 6},
        {**rate, "comment": "x" * 501},
        {"type": "rate", "score": 5},
    ]:
        await guest.send(frame)
        assert (await guest.expect("error"))["code"] == "invalid", frame
    await guest.send({**rate, "conversation": "another-one"})
    assert (await guest.expect("error"))["code"] == "unknown_conversation"
    comment = "Très clair, merci ! Écrivez-moi : lynx@example.org ou 06 12 34 56 78 <b>x</b>"
    await guest.send({**rate, "comment": comment})
    assert await guest.expect("rated") == {"type": "rated", "conversation": conversation}
    await guest.send({**rate, "score": 1})  # twice: refused, not counted
    assert (await guest.expect("error"))["code"] == "not_allowed"

    page = feedback_page(server)
    # Counted (one answer), and shown protected: every cell under 5, the mean hidden
    # (with the answers' number it would give the score away). Exact counts: see
    # test_processes.py, which reads the figures themselves.
    assert satisfaction_row(page, "Trouver un emploi") == ["< 5"] * 6 + ["masqué"]
    assert "Très clair, merci ! Écrivez-moi : [email] ou [phone] &lt;b&gt;x&lt;/b&gt;" in page
    assert "lynx@example.org" not in page and "06 12 34" not in page
    # Nothing names the conversation beside it.
    assert conversation not in page


async def test_a_comment_of_control_characters_is_no_comment(server: RunningServer) -> None:
    guest, desk, conversation = await talking(server)
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("session", state="ended")
    await guest.send(
        {"type": "rate", "conversation": conversation, "score": 2, "comment": "\u200b\x00"}
    )
    await guest.expect("rated")
    page = feedback_page(server)
    assert satisfaction_row(page, "Trouver un emploi")[-2:] == ["< 5", "masqué"]
    assert "Aucun commentaire." in page


async def test_a_visitor_never_taken_has_nothing_to_rate(server: RunningServer) -> None:
    guest, _ = await visitor(server, "emploi")
    await guest.send({"type": "leave"})
    await guest.expect("session", state="ended")
    await guest.send({"type": "rate", "conversation": "whatever", "score": 3})
    assert (await guest.expect("error"))["code"] == "unknown_conversation"
    assert satisfaction_row(feedback_page(server), "Trouver un emploi") == []


async def test_a_visitor_ends_and_reports_the_conversation(server: RunningServer) -> None:
    guest, desk, _ = await talking(server, "formation")
    await guest.send({"type": "leave", "report": True})
    await guest.expect("session", state="ended")
    assert (await desk.expect("event", kind="ended"))["author"] == "visitor"
    # Waiting, there is nothing to report yet.
    other, _ = await visitor(server, "emploi")
    await other.send({"type": "leave", "report": True})
    assert (await other.expect("error"))["code"] == "not_allowed"
    page = feedback_page(server)
    assert table_row(page, "abuse-heading", "Trouver une formation") == ["< 5", "< 5"]
    await other.close()


async def test_a_blocked_session_is_told_calmly_refused_and_its_source_cannot_join(
    server: RunningServer,
) -> None:
    guest, desk, conversation = await talking(server)
    await desk.send({"type": "block", "conversation": conversation})
    ended = await guest.expect("session", state="ended")
    assert ended["blocked"] is True
    assert (await guest.expect("event", kind="ended"))["author"] == "counsellor"
    # The session is gone: its token is refused.
    first = next(f for f in guest.frames if f["type"] == "session" and f.get("token"))
    again = await Client.open(server.ws("/ws/visitor"))
    await again.send({"type": "hello", "versions": [1], "resume": first["token"]})
    assert (await again.expect("error"))["code"] == "resume_failed"
    # The same source (this test's address) cannot join for the cooldown.
    await again.send({"type": "join", "pole": "emploi"})
    refused = await again.expect("error")
    assert refused["code"] == "blocked" and "plus tard" in refused["message"]
    # Blocking again, or a conversation one does not hold, is refused.
    await desk.send({"type": "block", "conversation": conversation})
    assert (await desk.expect("error"))["code"] in ("not_allowed", "unknown_conversation")
    await desk.send({"type": "block", "conversation": "nope"})
    assert (await desk.expect("error"))["code"] == "unknown_conversation"
    page = feedback_page(server)
    assert table_row(page, "abuse-heading", "Trouver un emploi") == ["< 5", "< 5"]
    await again.close()


async def joined_from(server: RunningServer, address: str) -> dict[str, object]:
    """A visitor whose proxy says they come from ``address``; their first answer to join."""
    ws = await websockets.connect(
        server.ws("/ws/visitor"), additional_headers={"X-Forwarded-For": address}
    )
    guest = Client(ws)
    await guest.send({"type": "hello", "versions": [1]})
    await guest.expect("welcome")
    await guest.send({"type": "join", "pole": "emploi"})
    try:
        return await guest.first_of("session", "error")
    finally:
        await guest.close()


async def test_behind_a_trusted_proxy_a_block_refuses_that_visitor_only(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"PAROLE_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        ws = await websockets.connect(
            server.ws("/ws/visitor"), additional_headers={"X-Forwarded-For": "203.0.113.7"}
        )
        abusive = Client(ws)
        await abusive.send({"type": "hello", "versions": [1]})
        await abusive.send({"type": "join", "pole": "emploi"})
        await abusive.expect("session", state="waiting")
        desk, _ = await counsellor(server)
        conversation = str((await take(desk, "emploi"))["id"])
        await abusive.expect("session", state="talking")
        await desk.send({"type": "block", "conversation": conversation})
        await abusive.expect("session", state="ended")
        assert (await joined_from(server, "203.0.113.7"))["code"] == "blocked"
        assert (await joined_from(server, "203.0.113.8"))["state"] == "waiting"
    finally:
        server.stop()


async def test_without_a_trusted_proxy_its_header_is_not_believed(server: RunningServer) -> None:
    guest, desk, conversation = await talking(server)
    await desk.send({"type": "block", "conversation": conversation})
    await guest.expect("session", state="ended")
    # Claiming another address changes nothing: the block holds.
    assert (await joined_from(server, "198.51.100.1"))["code"] == "blocked"
