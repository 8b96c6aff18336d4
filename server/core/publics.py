"""The "nature des publics" and their origin, without identity (R11).

With the satisfaction question, a visitor may answer three optional questions: their
situation, an age band and where they come from, each coarse. Each answer is counted
on its own, in a (site, pole, month, question, answer) cell of the ``publics`` figure:
never with the conversation, the satisfaction answer or the other answers, and with
no time finer than the month. Once per question per session.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

PUBLICS = "publics"
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


class Question(enum.StrEnum):
    SITUATION = "situation"
    AGE = "age"
    ORIGIN = "origin"


#: The answers each question offers, in the order shown (the label's categories).
ANSWERS: dict[Question, tuple[str, ...]] = {
    Question.SITUATION: ("student", "employed", "jobseeker", "training", "creating", "other"),
    Question.AGE: ("under_18", "18_25", "26_44", "45_54", "55_plus"),
    # The label's "enquête sur l'origine des publics": the Cité's own town, elsewhere in
    # its département, elsewhere in the region, elsewhere in the country, abroad.
    Question.ORIGIN: ("town", "departement", "region", "country", "abroad"),
}


def publics_cell(site: str, pole: str, month: str, question: Question, answer: str) -> str:
    if answer not in ANSWERS[question]:
        raise ValueError(f"{answer!r} answers no question {question.value!r}")
    return f"{site}|{pole}|{month}|{question.value}|{answer}"


@dataclass(frozen=True)
class Answered:
    site: str
    pole: str
    month: str
    question: Question
    answer: str
    n: int


def parse_publics(figures: dict[str, int]) -> list[Answered]:
    """The counts of the ``publics`` figure; cells not of the form above are skipped."""
    found = []
    for key, n in figures.items():
        parts = key.split("|")
        if len(parts) != 5 or not _MONTH.fullmatch(parts[2]) or n <= 0:
            continue
        site, pole, month, question, answer = parts
        if question not in ANSWERS or answer not in ANSWERS[Question(question)]:
            continue
        found.append(Answered(site, pole, month, Question(question), answer, n))
    return found
