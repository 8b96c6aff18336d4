"""A scripted day at the demo Cité gives exactly the expected statistics (R11), on every
backend: the chat's own steps, at times set by the test, counted as they happen."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from server.backends import Backend
from server.core.staff import Desk
from server.demo import install_demo
from server.web.live.chat import Chat
from server.web.live.feedback import Feedback
from server.web.settings import Settings

PARIS = ZoneInfo("Europe/Paris")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def at(self, hour: int, minute: int) -> None:
        self.now = datetime(2026, 12, 8, hour, minute, tzinfo=PARIS).timestamp()

    def __call__(self) -> float:
        return self.now


async def test_a_scripted_day_counts_exactly(backend: Backend) -> None:
    await install_demo(backend, "not-a-real-hash")
    clock = Clock()
    chat = Chat(backend, Settings.from_env({}), clock=clock)
    camille = await backend.get_staff("camille")
    assert camille is not None
    await backend.update_desk("camille", lambda d: Desk.open_console(d, 3))
    # Kept ten years (PAROLE_STATISTICS_YEARS): the first count of a month drops older ones.
    for old in ("activity:2016-11", "activity:2016-12"):
        await backend.count_figures(old, {"paris|emploi|2016-11-02T10|joined": 7})

    clock.at(10, 5)
    first, _, _ = await chat.join("emploi", None, "Un CV ?", None, "paris")
    second, _, _ = await chat.join("emploi", None, None, None, "paris")
    third, _, _ = await chat.join("emploi", None, None, None, None)  # the main site
    clock.at(10, 7)
    conversation = await chat.take(camille, "emploi")  # waited 2 minutes
    clock.at(10, 20)
    await chat.visitor_leave(second.id)  # left before being served
    clock.at(10, 40)
    await chat.transfer(camille, conversation.id, "formation", "Cherche une formation")
    clock.at(11, 12)
    again = await chat.take(camille, "formation")  # 32 minutes in the new queue
    assert again.id == conversation.id
    clock.at(11, 25)
    taken = await backend.get_visitor(first.id)
    assert taken is not None
    await chat.visitor_leave(first.id)  # ends it: 78 minutes after it opened
    ended = await backend.get_visitor(first.id)
    assert ended is not None
    await Feedback(chat).rate(ended, conversation.id, 4, "")
    clock.at(12, 0)
    assert await chat.close_queue("emploi") == 1  # the third one, never served

    assert await backend.figures("activity:2026-12") == {
        "paris|emploi|2026-12-08T10|joined": 3,
        "paris|emploi|2026-12-08T10|served": 1,
        "paris|emploi|2026-12-08T10|wait:1-5": 1,
        "paris|emploi|2026-12-08T10|left": 1,
        "paris|emploi|2026-12-08T10|transferred:formation": 1,
        "paris|formation|2026-12-08T11|served": 1,
        "paris|formation|2026-12-08T11|wait:30-60": 1,
        "paris|formation|2026-12-08T11|length:60+": 1,
        "paris|formation|2026-12-08T11|score:4": 1,
        "paris|emploi|2026-12-08T12|closed": 1,
    }
    assert third.site == "paris"
    assert "activity:2016-11" not in await backend.figure_names()
    assert await backend.figures("activity:2016-12") != {}  # ten years ago this month: kept
