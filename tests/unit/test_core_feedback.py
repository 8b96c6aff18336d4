from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from server.core.errors import ProtocolError
from server.core.feedback import (
    COMMENT_MAX,
    Abuse,
    Comment,
    abuse_cell,
    abuse_table,
    comment_text,
    month_of,
    satisfaction_cell,
    satisfaction_table,
)
from tests.unit.helpers import roundtrip


def test_the_month_is_the_sites() -> None:
    paris = ZoneInfo("Europe/Paris")
    # 23:30 UTC on 31 January is already February in Paris.
    assert month_of(datetime(2027, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC")).astimezone(paris)) == (
        "2027-02"
    )
    assert month_of(datetime(2027, 1, 31, 22, 30, tzinfo=paris)) == "2027-01"


def test_cells_name_what_they_count() -> None:
    assert satisfaction_cell("paris", "emploi", "2026-12", 4) == "paris|emploi|2026-12|4"
    assert abuse_cell("emploi", "2026-12", Abuse.REPORTED) == "emploi|2026-12|reported"
    for score in (0, 6, -1):
        with pytest.raises(ValueError):
            satisfaction_cell("paris", "emploi", "2026-12", score)


def test_a_comment_loses_what_looks_like_an_identity() -> None:
    text = "Merci ! Écrivez-moi à marie.dupont@example.org ou au 06 12 34 56 78."
    kept = comment_text(text)
    assert "marie" not in kept and "06 12" not in kept
    assert kept == "Merci ! Écrivez-moi à [email] ou au [phone]."
    assert len(comment_text("é" * 2000)) == COMMENT_MAX
    assert comment_text("  bien\x00 reçu  ") == "bien reçu"
    with pytest.raises(ProtocolError):
        comment_text("   ")
    comment = Comment("c1", "emploi", "2026-12", kept, until=1.5)
    assert roundtrip(comment) == comment


def test_the_satisfaction_table_sums_per_pole_and_month_newest_first() -> None:
    figures = {
        "paris|emploi|2026-12|5": 3,
        "paris|emploi|2026-12|2": 1,
        "lyon|emploi|2026-12|5": 2,
        "paris|formation|2026-12|4": 1,
        "paris|emploi|2026-11|3": 4,
        "not|a|cell": 9,
        "paris|emploi|december|5": 9,
        "paris|emploi|2026-12|9": 9,
    }
    rows = satisfaction_table(figures)
    assert [(r.month, r.pole) for r in rows] == [
        ("2026-12", "emploi"),
        ("2026-12", "formation"),
        ("2026-11", "emploi"),
    ]
    december = rows[0]
    assert december.counts == {"5": 5, "2": 1} and december.total == 6
    assert december.mean == pytest.approx(27 / 6)
    only_paris = satisfaction_table(figures, site="paris")
    assert only_paris[0].counts == {"5": 3, "2": 1}


def test_the_abuse_table_counts_blocks_and_reports() -> None:
    figures = {
        "emploi|2026-12|blocked": 1,
        "emploi|2026-12|reported": 2,
        "accueil|2027-01|reported": 1,
        "emploi|2026-12|other": 5,
        "emploi|12-2026|blocked": 5,
        "emploi|2026-12": 5,
    }
    rows = abuse_table(figures)
    assert [(r.month, r.pole, r.counts) for r in rows] == [
        ("2027-01", "accueil", {"reported": 1}),
        ("2026-12", "emploi", {"blocked": 1, "reported": 2}),
    ]
    assert rows[0].mean is None  # not a satisfaction row
