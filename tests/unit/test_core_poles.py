from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.core.errors import ConfigError
from server.core.poles import (
    DESCRIPTION_MAX,
    MAX_KEPT_POLES,
    MAX_POLES,
    MAX_SITES,
    MIN_POLES,
    NAME_MAX,
    NOTICE_MAX,
    Cite,
    Pole,
)
from server.core.schedules import Site, SiteKind
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


# Poles: names and descriptions, retired ones.


def test_a_new_pole_is_published_and_may_have_no_description() -> None:
    pole = Pole(id="emploi", name="Trouver un emploi")
    assert (pole.retired, pole.description) == (False, "")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("T" * (NAME_MAX + 1), "longer than 80"),
        (" Trouver un emploi", "one line"),
        ("Trouver\nun emploi", "one line"),
        ("<b>Emploi</b>", "cannot contain < or >"),
    ],
)
def test_a_pole_name_is_one_line_of_at_most_80_chars_without_markup(
    name: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Pole(id="emploi", name=name)
    assert Pole(id="emploi", name="T" * NAME_MAX).name == "T" * NAME_MAX


@pytest.mark.parametrize(
    ("description", "message"),
    [("d" * (DESCRIPTION_MAX + 1), "longer than 300"), ("CV\x00", "one line"), ("a > b", "<")],
)
def test_a_pole_description_follows_the_label_rules(description: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"a pole's description.*{message}"):
        Pole(id="emploi", name="Trouver un emploi", description=description)


@pytest.mark.parametrize("name", ["", "  ", "C" * (NAME_MAX + 1), "Cité\n", "<Cité>"])
def test_the_cite_name_follows_the_label_rules(name: str) -> None:
    with pytest.raises(ConfigError, match="the Cité's name"):
        Cite(name=name, poles=poles(3))


# A Cité's poles: published ones, retired ones kept.


def retired(pole: Pole) -> Pole:
    return msgspec.structs.replace(pole, retired=True)


def test_retired_poles_are_kept_but_not_published_nor_found() -> None:
    first, second, third, fourth = poles(4)
    cite = Cite(name="Cité", poles=(first, retired(second), third, fourth))
    assert [p.id for p in cite.poles] == ["pole-0", "pole-1", "pole-2", "pole-3"]
    assert cite.published == (first, third, fourth)
    assert cite.pole("pole-1") is None
    assert cite.pole("pole-2") is third


def test_only_published_poles_count_towards_three_to_seven() -> None:
    seven = poles(7)
    Cite(name="Cité", poles=(*seven, retired(Pole(id="ancien", name="Partir"))))
    two_left = (*poles(2), *(retired(p) for p in poles(7)[2:]))
    with pytest.raises(ConfigError, match=r"3 to 7 poles .*this would make 2"):
        Cite(name="Cité", poles=two_left)


def many(count: int) -> tuple[Pole, ...]:
    """Three published poles, then retired ones up to ``count`` poles in all."""
    old = (Pole(id=f"old-{i}", name="Ancien pôle", retired=True) for i in range(count - 3))
    return (*poles(3), *old)


def test_a_cite_keeps_at_most_thirty_poles_retired_ones_included() -> None:
    assert MAX_KEPT_POLES == 30
    assert len(Cite(name="Cité", poles=many(MAX_KEPT_POLES)).poles) == MAX_KEPT_POLES
    with pytest.raises(ConfigError, match="at most 30 poles, retired ones included"):
        Cite(name="Cité", poles=many(MAX_KEPT_POLES + 1))


def test_a_retired_pole_keeps_its_id_to_itself() -> None:
    with pytest.raises(ConfigError, match="unique"):
        Cite(name="Cité", poles=(*poles(3), retired(Pole(id="pole-0", name="Ancien"))))


# A Cité's sites.

POLE_IDS = ("pole-0", "pole-1", "pole-2", "pole-3")


def site(
    id: str = "paris",
    kind: SiteKind = SiteKind.MAIN,
    poles: tuple[str, ...] = POLE_IDS,
) -> Site:
    return Site(
        id=id, name=id.title(), kind=kind, timezone="Europe/Paris", country="FR", poles=poles
    )


def centre(id: str = "evry", *offered: str) -> Site:
    return site(id, SiteKind.ASSOCIATED, offered or ("pole-1",))


def cite(*sites: Site) -> Cite:
    """Four published poles, and the sites given (the main one by default)."""
    return Cite(name="Cité des métiers", poles=poles(4), sites=sites or (site(),))


def test_a_cite_without_sites_is_valid_and_has_no_site() -> None:
    bare = Cite(name="Cité", poles=poles(4))
    assert bare.sites == ()
    assert bare.site(None) is None
    assert bare.site("paris") is None
    assert bare.sites_offering("pole-0") == ()


def test_a_site_is_found_by_its_id_and_else_the_main_site_is_given() -> None:
    main, evry = site(), centre("evry")
    both = cite(evry, main)
    assert both.site("evry") is evry
    assert both.site("paris") is main
    assert both.site(None) is main
    assert both.site("") is main
    assert both.site("lyon") is main


def test_the_sites_offering_a_pole_are_listed_in_order() -> None:
    main, evry, bondy = site(), centre("evry", "pole-1"), centre("bondy", "pole-1", "pole-2")
    sites = cite(main, evry, bondy)
    assert sites.sites_offering("pole-1") == (main, evry, bondy)
    assert sites.sites_offering("pole-2") == (main, bondy)
    assert sites.sites_offering("pole-0") == (main,)
    assert sites.sites_offering("cuisine") == ()


@pytest.mark.parametrize(
    ("sites", "message"),
    [
        ((centre(),), "exactly one main site"),
        ((site(), site("lyon")), "exactly one main site"),
        ((site(), site()), "site ids must be unique"),
        ((site(), centre("evry", "cuisine")), "unknown poles: cuisine"),
        ((site(poles=POLE_IDS[:3]),), "missing: pole-3"),
    ],
)
def test_the_sites_must_fit_the_published_poles(sites: tuple[Site, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cite(*sites)


def test_a_site_cannot_offer_a_retired_pole() -> None:
    kept = (*poles(3), retired(Pole(id="pole-3", name="Ancien")))
    Cite(name="Cité", poles=kept, sites=(site(poles=POLE_IDS[:3]),))
    with pytest.raises(ConfigError, match="unknown poles: pole-3"):
        Cite(name="Cité", poles=kept, sites=(site(),))


def test_a_cite_has_at_most_fifty_sites() -> None:
    assert MAX_SITES == 50
    centres = tuple(centre(f"centre-{i}") for i in range(MAX_SITES - 1))
    assert len(cite(site(), *centres).sites) == MAX_SITES
    with pytest.raises(ConfigError, match="at most 50 sites"):
        cite(site(), *centres, centre("one-too-many"))


# Editing: each edit returns a new, checked Cité and leaves the old one as it was.


def test_renaming_gives_a_new_cite_with_the_new_name() -> None:
    old = cite()
    new = old.renamed("Cité des métiers du Val")
    assert new.name == "Cité des métiers du Val"
    assert (new.poles, new.sites) == (old.poles, old.sites)
    assert old.name == "Cité des métiers"
    with pytest.raises(ConfigError, match="the Cité's name cannot be blank"):
        old.renamed(" ")


def test_a_new_pole_is_published_last_and_offered_at_the_main_site_only() -> None:
    old = cite(site(), centre())
    new = old.add_pole(Pole(id="partir", name="Partir à l'étranger"))
    assert [p.id for p in new.published] == [*POLE_IDS, "partir"]
    assert new.site("paris").poles == (*POLE_IDS, "partir")  # type: ignore[union-attr]
    assert new.site("evry").poles == ("pole-1",)  # type: ignore[union-attr]
    assert len(old.published) == 4
    assert Cite(name="Cité", poles=poles(3)).add_pole(Pole(id="x", name="X")).sites == ()


def test_a_new_pole_cannot_take_the_id_of_a_published_or_retired_pole() -> None:
    with_retired = cite().retire_pole("pole-3")
    for taken in ("pole-0", "pole-3"):
        with pytest.raises(ConfigError, match=f"a pole '{taken}' exists already"):
            with_retired.add_pole(Pole(id=taken, name="Autre chose"))


def test_a_new_pole_cannot_be_added_retired() -> None:
    with pytest.raises(ConfigError, match="a new pole is published"):
        cite().add_pole(Pole(id="partir", name="Partir", retired=True))


def test_an_eighth_published_pole_is_refused() -> None:
    full = Cite(name="Cité", poles=poles(MAX_POLES))
    with pytest.raises(ConfigError, match=r"3 to 7 poles .*this would make 8"):
        full.add_pole(Pole(id="huitieme", name="Un de trop"))


def test_editing_a_pole_changes_its_name_and_description_in_place() -> None:
    old = cite(site(), centre())
    new = old.edit_pole("pole-1", "Choisir sa voie", "Bilans, métiers")
    assert new.pole("pole-1") == Pole(
        id="pole-1", name="Choisir sa voie", description="Bilans, métiers"
    )
    assert [p.id for p in new.poles] == list(POLE_IDS)
    assert new.sites == old.sites
    assert old.pole("pole-1") == poles(2)[1]


def test_editing_a_retired_pole_keeps_it_retired() -> None:
    new = cite().retire_pole("pole-2").edit_pole("pole-2", "Se former", "")
    assert new.poles[2] == Pole(id="pole-2", name="Se former", retired=True)


def test_an_edit_that_breaks_the_label_rules_or_names_no_pole_is_refused() -> None:
    with pytest.raises(ConfigError, match="a pole's name"):
        cite().edit_pole("pole-1", "<b>Choisir</b>", "")
    with pytest.raises(ConfigError, match="a pole's description"):
        cite().edit_pole("pole-1", "Choisir", "d" * (DESCRIPTION_MAX + 1))
    with pytest.raises(ConfigError, match="no pole 'cuisine'"):
        cite().edit_pole("cuisine", "Cuisiner", "")


def order(c: Cite) -> list[str]:
    return [p.id for p in c.poles]


@pytest.mark.parametrize(
    ("pole_id", "offset", "expected"),
    [
        ("pole-2", -1, ["pole-0", "pole-2", "pole-1", "pole-3"]),
        ("pole-1", 1, ["pole-0", "pole-2", "pole-1", "pole-3"]),
        ("pole-3", -3, ["pole-3", "pole-0", "pole-1", "pole-2"]),
        ("pole-0", -1, ["pole-0", "pole-1", "pole-2", "pole-3"]),
        ("pole-3", 1, ["pole-0", "pole-1", "pole-2", "pole-3"]),
        ("pole-1", -10, ["pole-1", "pole-0", "pole-2", "pole-3"]),
        ("pole-1", 10, ["pole-0", "pole-2", "pole-3", "pole-1"]),
    ],
)
def test_a_pole_moves_up_or_down_and_stops_at_either_end(
    pole_id: str, offset: int, expected: list[str]
) -> None:
    moved = cite(site(), centre()).move_pole(pole_id, offset)
    assert order(moved) == expected
    assert moved.sites == cite(site(), centre()).sites


def test_moving_a_pole_keeps_retired_poles_in_their_order_after_the_published_ones() -> None:
    first, second, third, fourth, fifth = poles(5)
    kept = Cite(name="Cité", poles=(first, retired(fifth), second, third, retired(fourth)))
    moved = kept.move_pole("pole-2", -1)
    assert order(moved) == ["pole-0", "pole-2", "pole-1", "pole-4", "pole-3"]
    assert order(moved.move_pole("pole-0", 1)) == ["pole-2", "pole-0", "pole-1", "pole-4", "pole-3"]
    assert [p.retired for p in moved.poles] == [False, False, False, True, True]


def test_moving_an_unknown_pole_is_refused() -> None:
    with pytest.raises(ConfigError, match="no pole 'cuisine'"):
        cite().move_pole("cuisine", 1)


def test_moving_a_retired_pole_is_refused_as_a_config_error() -> None:
    # The manager's page lists retired poles; "up" on one must be a ConfigError, not a crash.
    with_retired = cite().retire_pole("pole-1")
    with pytest.raises(ConfigError):
        with_retired.move_pole("pole-1", -1)


def test_retiring_a_pole_unpublishes_it_and_every_site_stops_offering_it() -> None:
    old = cite(site(), centre("evry", "pole-1", "pole-2"))
    new = old.retire_pole("pole-1")
    assert new.pole("pole-1") is None
    assert new.poles[1] == retired(poles(2)[1])
    assert [p.id for p in new.published] == ["pole-0", "pole-2", "pole-3"]
    assert new.sites_offering("pole-1") == ()
    assert new.site("paris").poles == ("pole-0", "pole-2", "pole-3")  # type: ignore[union-attr]
    assert new.site("evry").poles == ("pole-2",)  # type: ignore[union-attr]
    assert old.pole("pole-1") is not None


def test_a_pole_that_is_a_sites_only_one_cannot_be_retired() -> None:
    old = cite(site(), centre("evry", "pole-1"))
    with pytest.raises(ConfigError, match="the site 'Evry' offers no other pole"):
        old.retire_pole("pole-1")
    assert old.site("evry").poles == ("pole-1",)  # type: ignore[union-attr]


def test_retiring_below_three_published_poles_is_refused() -> None:
    three = Cite(name="Cité", poles=poles(3), sites=(site(poles=POLE_IDS[:3]),))
    with pytest.raises(ConfigError, match=r"3 to 7 poles .*this would make 2"):
        three.retire_pole("pole-0")


def test_retiring_a_retired_pole_again_changes_nothing() -> None:
    once = cite().retire_pole("pole-3")
    assert once.retire_pole("pole-3") is once


def test_retiring_or_restoring_an_unknown_pole_is_refused() -> None:
    with pytest.raises(ConfigError, match="no pole 'cuisine'"):
        cite().retire_pole("cuisine")
    with pytest.raises(ConfigError, match="no pole 'cuisine'"):
        cite().restore_pole("cuisine")


def test_a_restored_pole_is_published_last_at_the_main_site_only() -> None:
    old = cite(site(), centre("evry", "pole-1", "pole-2")).retire_pole("pole-1")
    back = old.restore_pole("pole-1")
    assert back.pole("pole-1") == poles(2)[1]
    assert order(back) == ["pole-0", "pole-2", "pole-3", "pole-1"]
    assert back.site("paris").poles == ("pole-0", "pole-2", "pole-3", "pole-1")  # type: ignore[union-attr]
    assert back.site("evry").poles == ("pole-2",)  # type: ignore[union-attr]


def test_restoring_a_published_pole_changes_nothing() -> None:
    same = cite()
    assert same.restore_pole("pole-0") is same


def test_restoring_an_eighth_published_pole_is_refused() -> None:
    eight = (*poles(MAX_POLES), retired(Pole(id="ancien", name="Ancien pôle")))
    full = Cite(name="Cité", poles=eight)
    with pytest.raises(ConfigError, match=r"3 to 7 poles .*this would make 8"):
        full.restore_pole("ancien")


def test_putting_a_site_adds_it_or_replaces_the_one_with_its_id() -> None:
    evry = centre("evry", "pole-1")
    added = cite().put_site(evry)
    assert added.sites == (site(), evry)
    wider = centre("evry", "pole-1", "pole-3")
    replaced = added.put_site(site("bondy", SiteKind.RELAY, ("pole-0",))).put_site(wider)
    assert [s.id for s in replaced.sites] == ["paris", "evry", "bondy"]
    assert replaced.site("evry") is wider


def test_putting_a_site_that_breaks_the_rules_is_refused() -> None:
    with pytest.raises(ConfigError, match="exactly one main site"):
        cite().put_site(site("lyon"))
    with pytest.raises(ConfigError, match="exactly one main site"):
        cite().put_site(site(kind=SiteKind.ASSOCIATED))
    with pytest.raises(ConfigError, match="missing: pole-3"):
        cite().put_site(site(poles=POLE_IDS[:3]))


def test_removing_a_site_leaves_the_others() -> None:
    evry, bondy = centre("evry"), centre("bondy")
    assert cite(site(), evry, bondy).remove_site("evry").sites == (site(), bondy)


def test_removing_an_unknown_site_or_the_main_site_is_refused() -> None:
    with pytest.raises(ConfigError, match="no site 'lyon'"):
        cite(site(), centre()).remove_site("lyon")
    with pytest.raises(ConfigError, match="the main site cannot be removed"):
        cite(site(), centre()).remove_site("paris")


def test_a_new_main_site_offers_every_pole_and_the_old_one_becomes_associated() -> None:
    old = cite(site(), centre("evry", "pole-2"))
    new = old.make_main("evry")
    assert new.site("evry") == site("evry", SiteKind.MAIN, ("pole-2", "pole-0", "pole-1", "pole-3"))
    assert new.site("paris") == site("paris", SiteKind.ASSOCIATED, POLE_IDS)
    assert new.site(None) is new.site("evry")


def test_making_the_main_site_main_again_changes_nothing() -> None:
    same = cite(site(), centre())
    assert same.make_main("paris") == same


def test_making_an_unknown_site_main_is_refused() -> None:
    with pytest.raises(ConfigError, match="no site 'lyon'"):
        cite(site(), centre()).make_main("lyon")


def test_a_cite_with_sites_and_retired_poles_survives_the_msgpack_round_trip() -> None:
    full = cite(site(), centre("evry", "pole-1", "pole-2")).retire_pole("pole-2")
    assert roundtrip(full) == full


# Any sequence of edits keeps every rule, or is refused with a ConfigError.

EDITS = st.lists(
    st.tuples(
        st.sampled_from(["add", "retire", "restore", "up", "down", "main", "edit"]),
        st.sampled_from([*POLE_IDS, "pole-4", "pole-5", "pole-6", "pole-7", "evry"]),
    ),
    max_size=12,
)


def edit(c: Cite, action: str, target: str) -> Cite:
    if action == "add":
        return c.add_pole(Pole(id=target, name=f"Pôle {target}"))
    if action == "retire":
        return c.retire_pole(target)
    if action == "restore":
        return c.restore_pole(target)
    if action in ("up", "down"):
        return c.move_pole(target, -1 if action == "up" else 1)
    if action == "main":
        return c.make_main(target if target == "evry" else "paris")
    return c.edit_pole(target, f"Nouveau {target}", "")


@settings(deadline=None)
@given(EDITS)
def test_every_edit_gives_a_valid_cite_or_a_config_error(edits: list[tuple[str, str]]) -> None:
    c = cite(site(), centre("evry", "pole-1", "pole-2"))
    for action, target in edits:
        kept = set(order(c))
        try:
            c = edit(c, action, target)
        except ConfigError:
            continue
        assert kept <= set(order(c))  # a pole, once published, is never forgotten
        assert MIN_POLES <= len(c.published) <= MAX_POLES
        published = {p.id for p in c.published}
        main = c.site(None)
        assert main is not None and set(main.poles) == published
        assert all(set(s.poles) <= published for s in c.sites)
        assert roundtrip(c) == c


def test_a_cites_privacy_note_is_plain_text_kept_with_it() -> None:
    cite = Cite(name="Cité des métiers", poles=poles(3))
    assert cite.notice == ""
    note = "Contact : dpo@cite.example\n\nLe chat <b>n'est</b> pas enregistré."
    noted = cite.with_notice(note)
    assert noted.notice == note and roundtrip(noted) == noted
    assert cite.with_notice("x" * NOTICE_MAX).notice == "x" * NOTICE_MAX
    for bad in ("x" * (NOTICE_MAX + 1), " trimmed? ", "a\r\nb", "bell\a"):
        with pytest.raises(ConfigError):
            cite.with_notice(bad)


def test_partners_per_pole_for_the_yearly_report() -> None:
    from server.core.poles import MAX_PARTNERS, Partner

    base = cite()
    pole = base.poles[0].id
    with_one = base.add_partner(Partner("p1", "France Travail", pole))
    assert [p.name for p in with_one.partners] == ["France Travail"]
    assert roundtrip(with_one) == with_one
    assert with_one.remove_partner("p1").partners == ()
    with pytest.raises(ConfigError):
        with_one.remove_partner("p9")
    with pytest.raises(ConfigError):
        with_one.add_partner(Partner("p1", "Autre", pole))  # ids unique
    with pytest.raises(ConfigError):
        base.add_partner(Partner("p2", "Ailleurs", "no-such-pole"))
    with pytest.raises(ConfigError):
        Partner("p3", "", pole)
    many = base
    for i in range(MAX_PARTNERS):
        many = msgspec.structs.replace(many, partners=(*many.partners, Partner(f"p{i}", "X", pole)))
    with pytest.raises(ConfigError):
        many.add_partner(Partner("last", "Y", pole))
