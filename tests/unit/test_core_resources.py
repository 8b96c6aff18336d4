from __future__ import annotations

from datetime import date

import msgspec
import pytest

from server.core.errors import ConfigError
from server.core.resources import (
    EVENTS_MAX,
    MAX_CARDS,
    RESULTS_MAX,
    TEXT_MAX,
    Card,
    CardKind,
    Library,
    check_url,
    fold,
)
from tests.unit.helpers import roundtrip


def card(card_id: str, pole: str = "emploi", **fields: object) -> Card:
    values: dict[str, object] = {"kind": CardKind.JOB_SHEET, "title": f"Fiche {card_id}"}
    values.update(fields)
    return Card(card_id, pole, **values)  # type: ignore[arg-type]


def event(card_id: str, day: str, pole: str = "emploi", **fields: object) -> Card:
    return card(card_id, pole, kind=CardKind.EVENT, day=day, **fields)


@pytest.mark.parametrize(
    "url",
    ["https://www.onisep.fr/metiers", "http://example.org", "https://a.fr:8443/x?y=1#z"],
)
def test_web_links_are_taken(url: str) -> None:
    check_url(url)
    assert card("a", url=url).url == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "//example.org/x",
        "/relative/path",
        "https://",
        "https://exa mple.org",
        "https://example.org/\nx",
        "https://user:secret@example.org",
        "https://[::1/x",
        "https://example.org:99999/",
        "https://example.org/" + "x" * 2000,
    ],
)
def test_other_links_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        check_url(url)
    with pytest.raises(ConfigError):
        card("a", url=url)


def test_a_card_checks_its_fields() -> None:
    with pytest.raises(ConfigError):
        card("Bad id")
    with pytest.raises(ConfigError):
        card("a", pole="Bad pole")
    with pytest.raises(ConfigError):
        card("a", title="")
    with pytest.raises(ConfigError):
        card("a", title="<b>bold</b>")
    with pytest.raises(ConfigError):
        card("a", text="x" * (TEXT_MAX + 1))
    with pytest.raises(ConfigError):
        card("a", text="a\x00b")
    with pytest.raises(ConfigError):
        card("a", place="Salle 2")  # only an event has a place
    with pytest.raises(ConfigError):
        card("a", day="2026-12-09")
    # Markup in a text is kept as text: pages escape it.
    assert card("a", text="<img src=x onerror=alert(1)>").text.startswith("<img")


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "9 déc.", "2026-1-5", ""])
def test_an_event_date_is_a_real_day(day: str) -> None:
    with pytest.raises(ConfigError):
        event("a", day)


@pytest.mark.parametrize("at", ["24:00", "9:00", "12:60", "midi"])
def test_an_event_time_is_a_wall_time(at: str) -> None:
    with pytest.raises(ConfigError):
        event("a", "2026-12-09", start=at)


def test_an_event_time_needs_a_date() -> None:
    with pytest.raises(ConfigError):
        card("a", kind=CardKind.EVENT, start="14:00")
    assert event("a", "2026-12-09", start="14:00", place="Salle 2").start == "14:00"


def test_cards_round_trip() -> None:
    library = Library([event("a", "2026-12-09", start="14:00", place="Salle 2"), card("b")])
    assert roundtrip(library) == library
    assert msgspec.json.decode(msgspec.json.encode(library.cards[1]), type=Card).title == "Fiche b"


def test_put_adds_last_of_its_pole_and_replaces_in_place() -> None:
    library = Library()
    library.put(card("a"))
    library.put(card("b", pole="formation"))
    library.put(card("c"))
    assert [c.id for c in library.of_pole("emploi")] == ["a", "c"]
    library.put(card("a", title="Nouveau titre"))
    assert [c.id for c in library.cards] == ["a", "b", "c"]
    assert library.cards[0].title == "Nouveau titre"
    library.put(card("a", pole="formation"))  # moved: last of its new pole
    assert [c.id for c in library.of_pole("formation")] == ["b", "a"]
    assert [c.id for c in library.of_pole("emploi")] == ["c"]


def test_a_library_is_bounded() -> None:
    library = Library([card(f"c{i}") for i in range(MAX_CARDS)])
    with pytest.raises(ConfigError):
        library.put(card("one-more"))
    library.put(card("c0", title="Still editable"))
    assert len(library.cards) == MAX_CARDS


def test_move_stays_within_the_pole() -> None:
    library = Library([card("a"), card("x", pole="formation"), card("b"), card("c")])
    library.move("c", -1)
    assert [c.id for c in library.cards] == ["a", "x", "c", "b"]
    library.move("a", -1)  # already first: nothing moves
    library.move("b", 1)  # already last
    assert [c.id for c in library.cards] == ["a", "x", "c", "b"]
    library.move("a", 1)
    assert [c.id for c in library.of_pole("emploi")] == ["c", "a", "b"]
    assert library.cards[1].id == "x"
    with pytest.raises(ConfigError):
        library.move("missing", 1)


def test_retire_and_restore_keep_the_place() -> None:
    library = Library([card("a"), card("b")])
    library.retire("a")
    assert library.cards[0].retired and library.cards[0].id == "a"
    assert library.search("", ["emploi"]) == [library.cards[1]]
    library.retire("a", retired=False)
    assert not library.cards[0].retired
    with pytest.raises(ConfigError):
        library.retire("missing")


def test_search_folds_case_and_accents_and_needs_every_word() -> None:
    library = Library(
        [
            card("a", title="Fiche métier : électricien", text="Le métier, les formations"),
            card("b", title="Salon de l'apprentissage"),
            card("c", title="Annuaire", text="Formations d'ÉLECTRICIEN en alternance"),
        ]
    )
    assert fold("ÉLECTRICIEN Métier") == "electricien metier"
    assert [c.id for c in library.search("electricien", ["emploi"])] == ["a", "c"]
    assert [c.id for c in library.search("METIER electricien", ["emploi"])] == ["a"]
    assert [c.id for c in library.search("alternance électricien", ["emploi"])] == ["c"]
    assert library.search("plombier", ["emploi"]) == []


def test_search_ranks_the_conversation_pole_then_title_matches() -> None:
    library = Library(
        [
            card("e1", text="CV et lettre"),
            card("e2", title="Atelier CV"),
            card("f1", pole="formation", title="Un CV pour la formation"),
            card("o1", pole="retired-pole", title="CV"),
        ]
    )
    poles = ["emploi", "formation"]
    assert [c.id for c in library.search("cv", poles)] == ["e2", "e1", "f1"]
    assert [c.id for c in library.search("cv", poles, first="formation")] == ["f1", "e2", "e1"]
    # A pole the caller does not list (retired, say) is not searched, even when first.
    assert [c.id for c in library.search("cv", poles, first="retired-pole")] == ["e2", "e1", "f1"]


def test_search_is_bounded() -> None:
    library = Library([card(f"c{i}", title="Atelier") for i in range(RESULTS_MAX + 5)])
    assert len(library.search("atelier", ["emploi"])) == RESULTS_MAX
    assert len(library.search("atelier " + "x" * 500, ["emploi"])) == 0


def test_upcoming_events_from_today_soonest_first() -> None:
    today = date(2026, 12, 7)
    library = Library(
        [
            event("late", "2026-12-20"),
            event("past", "2026-12-06"),
            event("today-pm", "2026-12-07", start="14:00"),
            event("today-am", "2026-12-07", start="09:30"),
            event("other", "2026-12-08", pole="formation"),
            card("job"),
            card("undated", kind=CardKind.EVENT),
        ]
    )
    library.put(event("gone", "2026-12-08"))
    library.retire("gone")
    ids = [c.id for c in library.upcoming(today, ["emploi"])]
    assert ids == ["today-am", "today-pm", "late"]
    assert [c.id for c in library.upcoming(today, ["emploi", "formation"])][:3] == [
        "today-am",
        "today-pm",
        "other",
    ]
    many = Library([event(f"e{i}", "2026-12-10") for i in range(EVENTS_MAX + 3)])
    assert len(many.upcoming(today, ["emploi"])) == EVENTS_MAX
