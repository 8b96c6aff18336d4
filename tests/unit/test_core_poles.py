from __future__ import annotations

import msgspec
import pytest

from server.core.errors import ConfigError
from server.core.poles import MAX_POLES, MIN_POLES, Cite, Pole
from tests.unit.helpers import roundtrip

VERBS = (
    "Trouver un emploi",
    "Choisir son orientation",
    "Trouver une formation",
    "Changer sa vie professionnelle",
    "Créer son activité",
    "S'installer en France",
    "Valider ses acquis",
    "Partir à l'étranger",
)


def poles(count: int) -> tuple[Pole, ...]:
    return tuple(Pole(id=f"pole-{i}", name=VERBS[i]) for i in range(count))


@pytest.mark.parametrize("count", range(MIN_POLES, MAX_POLES + 1))
def test_a_cite_publishes_three_to_seven_poles(count: int) -> None:
    assert len(Cite(name="Cité des métiers", poles=poles(count)).poles) == count


@pytest.mark.parametrize("count", [0, MIN_POLES - 1, MAX_POLES + 1])
def test_fewer_than_three_or_more_than_seven_poles_is_refused(count: int) -> None:
    with pytest.raises(ConfigError, match="3 to 7") as caught:
        Cite(name="Cité", poles=poles(count))
    assert caught.value.code == "invalid_config"


def test_two_poles_with_the_same_id_are_refused() -> None:
    twins = (*poles(3), Pole(id="pole-0", name="Autre chose"))
    with pytest.raises(ConfigError, match="unique"):
        Cite(name="Cité", poles=twins)


@pytest.mark.parametrize("bad", ["", "Emploi", "trouver un emploi", "pôle", "a_b", "a" * 65])
def test_a_pole_id_must_be_a_lowercase_slug_of_at_most_64_chars(bad: str) -> None:
    with pytest.raises(ConfigError, match="bad pole id"):
        Cite(name="Cité", poles=(*poles(2), Pole(id=bad, name="Trouver")))


def test_a_pole_id_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ConfigError):
        Cite(name="Cité", poles=(*poles(2), Pole(id="emploi\n", name="Trouver un emploi")))


def test_a_pole_id_of_64_slug_chars_is_accepted() -> None:
    slug = "a-0" * 21 + "z"
    assert len(slug) == 64
    cite = Cite(name="Cité", poles=(*poles(2), Pole(id=slug, name="Trouver")))
    assert cite.pole(slug) is cite.poles[-1]


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_pole_needs_a_name_that_is_not_blank(name: str) -> None:
    with pytest.raises(ConfigError, match="needs a name"):
        Cite(name="Cité", poles=(*poles(2), Pole(id="vide", name=name)))


def test_a_pole_is_found_by_its_id_and_an_unknown_id_gives_none() -> None:
    cite = Cite(name="Cité", poles=poles(5))
    assert cite.pole("pole-3") == Pole(id="pole-3", name="Changer sa vie professionnelle")
    assert cite.pole("pole-9") is None
    assert cite.pole("") is None


def test_a_cite_survives_the_msgpack_round_trip() -> None:
    cite = Cite(
        name="Cité des métiers",
        poles=(
            Pole(id="emploi", name="Trouver un emploi", description="CV, entretiens"),
            *poles(3),
        ),
    )
    assert roundtrip(cite) == cite


def test_decoding_a_cite_that_breaks_the_rules_is_refused() -> None:
    raw = msgspec.msgpack.encode({"name": "Cité", "poles": [{"id": "a", "name": "A"}]})
    with pytest.raises(ConfigError):
        msgspec.msgpack.decode(raw, type=Cite)


def test_a_cite_and_its_poles_are_frozen() -> None:
    cite = Cite(name="Cité", poles=poles(3))
    with pytest.raises(AttributeError):
        cite.name = "Autre"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cite.poles[0].name = "Autre"  # type: ignore[misc]
