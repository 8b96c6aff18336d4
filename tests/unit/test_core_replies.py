from __future__ import annotations

import pytest

from server.core.errors import ConfigError
from server.core.replies import MAX_REPLIES, TEXT_MAX, Reply, filled, put_reply, remove_reply
from server.core.resources import Library
from server.core.staff import StaffAccount
from tests.unit.helpers import roundtrip


def reply(reply_id: str, pole: str | None = None, **fields: str) -> Reply:
    values = {"name": f"Réponse {reply_id}", "text": "Bonjour {pseudonym}, je suis {alias}."}
    values.update(fields)
    return Reply(reply_id, pole=pole, **values)


def test_placeholders_are_filled_and_only_those() -> None:
    text = "Bonjour {pseudonym}, ici {alias}. {pseudonym} ?"
    assert filled(text, "Lynx 12", "Camille") == "Bonjour Lynx 12, ici Camille. Lynx 12 ?"
    assert filled("Sans rien", "Lynx 12", "Camille") == "Sans rien"
    # A pseudonym that looks like a placeholder is not filled again.
    assert filled("{pseudonym} et {alias}", "{alias}", "Camille") == "{alias} et Camille"


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "x" * 41},
        {"name": "<b>"},
        {"text": "   "},
        {"text": "x" * (TEXT_MAX + 1)},
        {"text": "Bonjour {prenom}"},
        {"text": "Bonjour {}"},
        {"text": "a\x00b"},
    ],
)
def test_a_reply_checks_its_fields(fields: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        reply("a", **fields)


def test_a_reply_checks_its_ids() -> None:
    with pytest.raises(ConfigError):
        reply("Bad id")
    with pytest.raises(ConfigError):
        reply("a", pole="Bad pole")
    # Markup in a text stays text (pages and the console draw it as text).
    assert reply("a", text="<script>x</script>").text == "<script>x</script>"


def test_a_list_of_replies_is_bounded_and_edited_in_place() -> None:
    replies: list[Reply] = []
    for i in range(MAX_REPLIES):
        put_reply(replies, reply(f"r{i}"))
    with pytest.raises(ConfigError):
        put_reply(replies, reply("one-more"))
    put_reply(replies, reply("r3", name="Autre nom"))
    assert replies[3].name == "Autre nom" and len(replies) == MAX_REPLIES
    remove_reply(replies, "r3")
    assert "r3" not in [r.id for r in replies]
    with pytest.raises(ConfigError):
        remove_reply(replies, "r3")


def test_a_counsellors_replies_round_trip_with_the_account() -> None:
    account = StaffAccount("camille", "Camille", "hash", replies=[reply("a"), reply("b")])
    assert roundtrip(account) == account


def test_shared_replies_are_kept_per_pole() -> None:
    library = Library()
    library.put_reply(reply("a", "emploi"))
    library.put_reply(reply("b", "formation"))
    library.put_reply(reply("c", "emploi"))
    assert [r.id for r in library.replies_of("emploi")] == ["a", "c"]
    library.put_reply(reply("a", "emploi", name="Bienvenue"))
    assert library.replies_of("emploi")[0].name == "Bienvenue"
    with pytest.raises(ConfigError):
        library.put_reply(reply("a", "formation"))  # an id of another pole's
    with pytest.raises(ConfigError):
        library.put_reply(reply("d"))  # a shared one belongs to a pole
    for i in range(MAX_REPLIES - 1):
        library.put_reply(reply(f"f{i}", "formation"))
    with pytest.raises(ConfigError):
        library.put_reply(reply("full", "formation"))
    library.put_reply(reply("e", "emploi"))  # each pole its own bound
    library.remove_reply("emploi", "c")
    assert [r.id for r in library.replies_of("emploi")] == ["a", "e"]
    with pytest.raises(ConfigError):
        library.remove_reply("formation", "a")  # not that pole's
    assert roundtrip(library) == library
