"""Who the visitors are, without identity (R11): coarse answers, each counted alone."""

from __future__ import annotations

import pytest

from server.core.errors import IllegalTransition
from server.core.publics import ANSWERS, Answered, Question, parse_publics, publics_cell
from server.core.visitors import VisitorSession, VisitorState


def test_each_answer_has_its_cell_and_nothing_else() -> None:
    cell = publics_cell("paris", "emploi", "2026-12", Question.SITUATION, "jobseeker")
    assert cell == "paris|emploi|2026-12|situation|jobseeker"
    with pytest.raises(ValueError):
        publics_cell("paris", "emploi", "2026-12", Question.AGE, "jobseeker")
    assert parse_publics(
        {
            cell: 3,
            "paris|emploi|2026-12|age|18_25": 1,
            "paris|emploi|2026-12|age|42": 1,  # not an answer
            "paris|emploi|2026-12|name|lynx": 1,  # not a question
            "paris|emploi|december|age|18_25": 1,
            "paris|emploi|2026-12|origin|abroad": 0,
            "paris|emploi|2026-12|origin": 2,
        }
    ) == [
        Answered("paris", "emploi", "2026-12", Question.SITUATION, "jobseeker", 3),
        Answered("paris", "emploi", "2026-12", Question.AGE, "18_25", 1),
    ]
    assert set(ANSWERS) == set(Question)


def session(state: VisitorState, conversation: str | None = "c1") -> VisitorSession:
    return VisitorSession(
        id="v1",
        token_hash="h",
        pole="emploi",
        pseudonym="Lynx",
        ticket=1,
        arrived_at=0.0,
        state=state,
        conversation=conversation,
    )


def test_a_visitor_tells_once_per_question_after_a_conversation() -> None:
    ended = session(VisitorState.ENDED)
    ended.tell("situation")
    ended.tell("age")
    assert ended.told == ["situation", "age"]
    with pytest.raises(IllegalTransition):
        ended.tell("age")
    for early in (session(VisitorState.TALKING), session(VisitorState.ENDED, None)):
        with pytest.raises(IllegalTransition):
            early.tell("origin")


def test_the_wait_counts_from_the_current_queue() -> None:
    waiting = session(VisitorState.TALKING)
    waiting.arrived_at = 100.0
    assert waiting.waited(160.0) == 60.0
    waiting.transfer("formation", 400.0)
    assert waiting.waited(460.0) == 60.0
