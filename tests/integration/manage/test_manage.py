"""The manager console (/manage) against a real server: every form, good and bad input,
who may use it, and that each change reaches the widget's /api/cite, a fresh sign-in
and the consoles already open."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from tests.clients import Browser, counsellor, login
from tests.servers import ROOT, RunningServer, start_server

WEEK = {f"week_{day}": "" for day in ("monday", "tuesday", "wednesday", "thursday")}
WEEK |= {"week_friday": "", "week_saturday": "", "week_sunday": ""}
PARIS_FORM = {
    "name": "Paris – Cité des sciences",
    "timezone": "Europe/Paris",
    "country": "FR",
    "subdivision": "",
    "closed_on_holidays": "1",
    "last_entry": "15",
    **WEEK,
    "week_monday": "09:00-12:30, 13:30-18:00",
    "week_tuesday": "9h-17h",
    "special_days": "",
    "closures": "",
}
HOSTILE = '<script>alert("x")</script>'
DEMO_POLES = ["orientation", "emploi", "formation", "reconversion", "creation"]


@pytest.fixture
def manager(server: RunningServer) -> Iterator[Browser]:
    browser = Browser(server, "dominique")
    yield browser
    browser.http.close()


# Tests that change nothing (refusals, reading) share one server: starting one costs seconds.
@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("manage"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def boss(shared: RunningServer) -> Iterator[Browser]:
    browser = Browser(shared, "dominique")
    yield browser
    browser.http.close()


def cite(server: RunningServer, site: str = "") -> dict[str, Any]:
    """What a widget reads."""
    answer = httpx.get(f"{server.url}/api/cite", params={"site": site} if site else None)
    data: dict[str, Any] = answer.json()
    return data


def pole_ids(server: RunningServer, site: str = "") -> list[str]:
    """The poles a widget offers, in order, but the accueil (first, when offered)."""
    return [pole["id"] for pole in cite(server, site)["poles"] if not pole.get("accueil")]


def done(answer: httpx.Response, path: str, what: str) -> None:
    assert answer.status_code == 303, answer.text[:2000]
    assert answer.headers["location"] == f"{path}?done={what}"


def refused(answer: httpx.Response, *texts: str) -> str:
    """A 400 with the error summary (focused, linked) and each of ``texts``."""
    assert answer.status_code == 400, answer.text[:2000]
    page = answer.text
    assert 'id="error-summary"' in page and 'role="alert"' in page
    for text in texts:
        assert text in page, text
    return page


def field_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match[1]


# --- who may come in --------------------------------------------------------------------

PAGES = [
    "/manage",
    "/manage/poles",
    "/manage/poles/emploi",
    "/manage/resources",
    "/manage/resources/emploi",
    "/manage/resources/emploi/atelier-cv",
    "/manage/replies/emploi",
    "/manage/feedback",
    "/manage/sites",
    "/manage/sites/new",
    "/manage/sites/paris",
    "/manage/staff",
    "/manage/staff/camille",
]
FORMS: list[tuple[str, dict[str, Any]]] = [
    ("/manage", {"name": "Pirate"}),
    ("/manage/setup", {"name": "Pirate"}),
    ("/manage/poles", {"name": "Partir à l'étranger"}),
    ("/manage/poles/emploi", {"name": "Pirate"}),
    ("/manage/poles/emploi/up", {}),
    ("/manage/poles/orientation/down", {}),
    ("/manage/poles/emploi/retire", {}),
    ("/manage/poles/emploi/restore", {}),
    ("/manage/resources/emploi", {"kind": "other", "title": "Pirate"}),
    ("/manage/resources/emploi/atelier-cv", {"kind": "other", "title": "Pirate"}),
    ("/manage/resources/emploi/atelier-cv/down", {}),
    ("/manage/resources/emploi/atelier-cv/retire", {}),
    ("/manage/replies/emploi", {"name": "pirate", "text": "Pirate"}),
    ("/manage/sites/new", {**PARIS_FORM, "id": "lyon", "kind": "associated", "poles": "emploi"}),
    ("/manage/sites/paris", {**PARIS_FORM, "name": "Pirate"}),
    ("/manage/sites/paris/remove", {}),
    ("/manage/sites/paris/main", {}),
    ("/manage/staff", {"login": "pirate", "alias": "Pirate", "role": "manager"}),
    ("/manage/staff/camille", {"alias": "Pirate", "role": "manager"}),
    ("/manage/staff/camille/disable", {}),
    ("/manage/staff/camille/enable", {}),
    ("/manage/staff/camille/password", {}),
    ("/manage/staff/camille/totp", {}),
]


def snapshot(server: RunningServer) -> list[str]:
    """Everything a manager can see (but the dated preview), to show nothing changed."""
    with httpx.Client(base_url=server.url) as anyone:
        seen = [anyone.get("/api/cite?site=paris").json()["poles"]]
    viewer = Browser(server, "dominique")
    paths = ("/manage", "/manage/poles", "/manage/sites", "/manage/resources/emploi")
    pages = [viewer.get(path).text for path in paths]
    pages += [viewer.get("/manage/staff").text, viewer.get("/manage/staff/camille").text]
    token = viewer.token
    viewer.http.close()
    return [str(seen), *(page.replace(token, "") for page in pages)]


def test_without_a_session_every_manager_page_and_form_sends_to_sign_in(
    shared: RunningServer,
) -> None:
    before = snapshot(shared)
    with httpx.Client(base_url=shared.url) as anonymous:
        for path in PAGES:
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
        for path, data in FORMS:
            answer = anonymous.post(path, data=data)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/console/login"
    assert snapshot(shared) == before


def test_a_counsellor_gets_403_on_every_manager_page_and_form(shared: RunningServer) -> None:
    before = snapshot(shared)
    camille = Browser(shared, "camille")
    for path in PAGES:
        answer = camille.get(path)
        assert answer.status_code == 403, path
        assert "Accès réservé" in answer.text
    for path, data in FORMS:
        assert camille.post(path, data).status_code == 403, path
    assert snapshot(shared) == before
    # And the console shows a counsellor no way in.
    assert "/manage" not in camille.get("/console").text


def test_every_form_without_the_session_csrf_token_is_refused_and_changes_nothing(
    shared: RunningServer, boss: Browser
) -> None:
    before = snapshot(shared)
    for path, data in FORMS:
        answer = boss.post(path, data, token=False)
        assert answer.status_code == 403, path
        assert "Formulaire expiré" in answer.text
        forged = boss.post(path, {**data, "csrf": "x" * 43}, token=False)
        assert forged.status_code == 403, path
    assert snapshot(shared) == before


def test_a_manager_is_sent_to_manage_and_finds_it_from_the_console(
    shared: RunningServer, boss: Browser
) -> None:
    home = boss.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/manage"
    assert 'href="/manage"' in boss.get("/console").text
    for path in PAGES:
        page = boss.get(path)
        assert page.status_code == 200, path
        assert "no-store" in page.headers["cache-control"]
        assert "institution" not in page.text.lower()


def test_unknown_poles_sites_and_accounts_are_404(shared: RunningServer, boss: Browser) -> None:
    for path in ("/manage/poles/nope", "/manage/sites/nope", "/manage/staff/nope"):
        assert boss.get(path).status_code == 404, path
    for path in (
        "/manage/poles/nope",
        "/manage/poles/nope/retire",
        "/manage/poles/emploi/explode",
        "/manage/sites/nope",
        "/manage/sites/nope/remove",
        "/manage/sites/paris/explode",
        "/manage/staff/nope",
        "/manage/staff/nope/disable",
        "/manage/staff/camille/explode",
    ):
        assert boss.post(path, {"name": "x"}).status_code == 404, path


# --- the Cité ---------------------------------------------------------------------------


def test_the_overview_names_the_cite_and_renames_it(
    server: RunningServer, manager: Browser
) -> None:
    page = manager.get("/manage").text
    assert "Cité des métiers (démo)" in page and "pôles proposés" in page
    done(manager.post("/manage", {"name": "Cité des métiers de Lyon"}), "/manage", "renamed")
    assert cite(server)["cite"] == "Cité des métiers de Lyon"
    assert "Le nom de la Cité est enregistré." in manager.get("/manage?done=renamed").text


def test_the_overview_counts_in_words_that_agree_with_the_count(
    shared: RunningServer, boss: Browser
) -> None:
    page = boss.get("/manage").text  # the demo: five poles, one site, one of each role
    assert "<strong>5</strong> pôles proposés" in page and "<strong>1</strong> site<" in page
    assert "<strong>1</strong> conseiller actif<" in page
    assert "<strong>1</strong> responsable actif<" in page
    english = boss.get("/manage?lang=en").text
    assert "<strong>1</strong> active counsellor<" in english
    assert "<strong>5</strong> poles offered" in english


@pytest.mark.parametrize("name", ["", "  ", HOSTILE, "x" * 81, "deux\nlignes"])
def test_a_bad_cite_name_is_refused_and_kept_in_the_form(
    shared: RunningServer, boss: Browser, name: str
) -> None:
    page = refused(boss.post("/manage", {"name": name}), "Donnez à la Cité un nom")
    assert "<script>" not in page
    assert 'aria-describedby="f-name-hint f-name-error"' in page and 'aria-invalid="true"' in page
    assert '<a href="#f-name">' in page
    assert cite(shared)["cite"] == "Cité des métiers (démo)"
    if name == HOSTILE:
        assert field_value(page, "name") == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def test_setup_is_refused_once_a_cite_exists(shared: RunningServer, boss: Browser) -> None:
    form = {"name": "Autre", "pole_1": "A b", "pole_2": "C d", "pole_3": "E f"}
    answer = boss.post("/manage/setup", {**form, "site_name": "X", "timezone": "UTC"})
    assert answer.status_code == 303 and answer.headers["location"] == "/manage"
    assert cite(shared)["cite"] == "Cité des métiers (démo)"


def test_a_fresh_install_creates_its_cite_from_the_manager_console(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    subprocess.run(
        [
            *(sys.executable, "-m", "server.cli", "create-user", "--login", "boss"),
            *("--alias", "Alex", "--role", "manager", "--state-file", str(state)),
            "--password-stdin",
        ],
        input=b"a-long-first-password\n",
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    server = start_server(tmp_path, "--state-file", str(state), demo=False)
    try:
        boss = Browser(server, "boss", "a-long-first-password")
        page = boss.get("/manage").text
        assert "Créer votre Cité" in page and "verbe d&#39;action" in page
        setup = {
            "name": "Cité des métiers du Val-de-Marne",
            "pole_1": "Trouver un emploi",
            "pole_2": "Choisir son orientation",
            "site_name": "Choisy-le-Roi",
            "timezone": "Europe/Paris",
            "country": "fr",
        }
        page = refused(boss.post("/manage/setup", setup), "Une Cité propose de 3 à 7 pôles.")
        assert field_value(page, "pole_2") == "Choisir son orientation"
        bad = {**setup, "pole_3": "Créer son activité", "timezone": "Europe/Choisy"}
        refused(boss.post("/manage/setup", bad), "Fuseau horaire inconnu")
        answer = boss.post("/manage/setup", {**bad, "timezone": "Europe/Paris"})
        done(answer, "/manage/sites/choisy-le-roi", "created")
        widget = cite(server)
        assert widget["cite"] == "Cité des métiers du Val-de-Marne"
        assert widget["site"] == "choisy-le-roi"
        assert pole_ids(server) == [
            "trouver-un-emploi",
            "choisir-son-orientation",
            "creer-son-activite",
        ]
        site = boss.get("/manage/sites/choisy-le-roi").text
        assert field_value(site, "week_monday") == "09:00-17:00"
        assert field_value(site, "week_saturday") == ""
    finally:
        server.stop()


# --- poles ------------------------------------------------------------------------------


def test_the_pole_forms_remind_of_the_action_verb(shared: RunningServer, boss: Browser) -> None:
    for path in ("/manage/poles", "/manage/poles/emploi"):
        page = boss.get(path).text
        assert "« Trouver un emploi », pas « Service emploi »" in page
    english = boss.http.get("/manage/poles", headers={"accept-language": "en"}).text
    assert "not “Service emploi”" in english


def test_a_sixth_and_seventh_pole_are_published_but_an_eighth_is_refused(
    server: RunningServer, manager: Browser
) -> None:
    answer = manager.post(
        "/manage/poles", {"name": "Partir à l'étranger", "description": "Mobilité"}
    )
    done(answer, "/manage/poles", "pole_created")
    answer = manager.post("/manage/poles", {"name": "Valider ses acquis", "id": "vae"})
    done(answer, "/manage/poles", "pole_created")
    assert pole_ids(server) == [*DEMO_POLES, "partir-a-l-etranger", "vae"]
    eighth = {"name": "S'installer en France", "description": "Premiers pas"}
    page = refused(manager.post("/manage/poles", eighth), "Une Cité propose de 3 à 7 pôles.")
    assert field_value(page, "name") == "S&#39;installer en France"
    assert field_value(page, "description") == "Premiers pas"
    assert len(pole_ids(server)) == 7


def test_retiring_down_to_two_poles_is_refused(server: RunningServer, manager: Browser) -> None:
    for pole in ("creation", "reconversion"):
        done(manager.post(f"/manage/poles/{pole}/retire"), "/manage/poles", "pole_retire")
    assert pole_ids(server) == ["orientation", "emploi", "formation"]
    refused(manager.post("/manage/poles/emploi/retire"), "Une Cité propose de 3 à 7 pôles.")
    assert pole_ids(server) == ["orientation", "emploi", "formation"]
    page = manager.get("/manage/poles").text
    assert "Retiré" in page and "/manage/poles/creation/restore" in page
    done(manager.post("/manage/poles/creation/restore"), "/manage/poles", "pole_restore")
    assert pole_ids(server) == ["orientation", "emploi", "formation", "creation"]


def test_restoring_an_eighth_pole_is_refused(server: RunningServer, manager: Browser) -> None:
    manager.post("/manage/poles", {"name": "Partir à l'étranger"})
    manager.post("/manage/poles/partir-a-l-etranger/retire")
    manager.post("/manage/poles", {"name": "Valider ses acquis"})
    manager.post("/manage/poles", {"name": "Apprendre le français"})
    assert len(pole_ids(server)) == 7
    refused(manager.post("/manage/poles/partir-a-l-etranger/restore"), "de 3 à 7 pôles")


def test_poles_move_up_and_down_in_the_order_visitors_see(
    server: RunningServer, manager: Browser
) -> None:
    done(manager.post("/manage/poles/formation/up"), "/manage/poles", "pole_up")
    done(manager.post("/manage/poles/orientation/down"), "/manage/poles", "pole_down")
    assert pole_ids(server) == ["formation", "orientation", "emploi", "reconversion", "creation"]


def test_a_pole_is_renamed_and_described(server: RunningServer, manager: Browser) -> None:
    form = {"name": "Trouver un emploi & un stage", "description": 'Le "bon" CV'}
    done(manager.post("/manage/poles/emploi", form), "/manage/poles", "pole_saved")
    emploi = next(p for p in cite(server)["poles"] if p["id"] == "emploi")
    assert emploi["name"] == "Trouver un emploi & un stage"
    assert emploi["description"] == 'Le "bon" CV'
    page = manager.get("/manage/poles").text
    assert "Trouver un emploi &amp; un stage" in page and "Le &#34;bon&#34; CV" in page


def test_bad_pole_input_is_refused_field_by_field(shared: RunningServer, boss: Browser) -> None:
    page = refused(
        boss.post("/manage/poles/emploi", {"name": HOSTILE, "description": "x" * 301}),
        "Nommez le pôle",
        "La description tient",
    )
    assert "<script>" not in page and 'href="#f-description"' in page
    refused(
        boss.post("/manage/poles", {"name": "Trouver un emploi", "id": "emploi"}),
        "Un pôle porte déjà",
    )
    refused(
        boss.post("/manage/poles", {"name": "Ok ok", "id": "Pas Un Id!"}),
        "identifiant s&#39;écrit avec a-z",
    )
    refused(boss.post("/manage/poles", {"name": ""}), "Nommez le pôle")
    assert pole_ids(shared) == DEMO_POLES
    emploi = next(p for p in cite(shared)["poles"] if p["id"] == "emploi")
    assert emploi["name"] == "Trouver un emploi"


# --- sites ------------------------------------------------------------------------------


def lyon(**changes: Any) -> dict[str, Any]:
    return {
        **PARIS_FORM,
        "id": "lyon",
        "name": "Lyon – centre associé",
        "kind": "associated",
        "poles": ["emploi", "formation"],
        **changes,
    }


def test_a_centre_associe_is_added_with_its_poles_and_hours(
    server: RunningServer, manager: Browser
) -> None:
    done(manager.post("/manage/sites/new", lyon()), "/manage/sites/lyon", "site_saved")
    assert cite(server, "lyon")["site_name"] == "Lyon – centre associé"
    assert pole_ids(server, "lyon") == ["emploi", "formation"]
    page = manager.get("/manage/sites/lyon").text
    assert field_value(page, "week_monday") == "09:00-12:30, 13:30-18:00"
    assert field_value(page, "week_tuesday") == "09:00-17:00"
    assert field_value(page, "last_entry") == "15"
    assert 'value="associated" selected' in page
    # The preview: seven days in the site's zone, and the next public holidays of France.
    assert page.count('<li><span class="day">') == 7
    assert "Prochains jours fériés (FR)" in page and "Noël" in page
    assert "Lyon – centre associé" in manager.get("/manage/sites").text


def test_a_site_gets_special_days_closures_and_a_region(
    server: RunningServer, manager: Browser
) -> None:
    form = lyon(
        subdivision="57",
        special_days="2030-12-24 09:00-12:00\n2030-12-26 fermé",
        closures="2030-08-01 2030-08-15\n2030-11-02",
    )
    done(manager.post("/manage/sites/new", form), "/manage/sites/lyon", "site_saved")
    page = manager.get("/manage/sites/lyon").text
    assert "2030-12-24 09:00-12:00\n2030-12-26 fermé</textarea>" in page
    assert "2030-08-01 2030-08-15\n2030-11-02</textarea>" in page
    assert field_value(page, "subdivision") == "57"
    assert "Prochains jours fériés (FR 57)" in page
    english = manager.http.get("/manage/sites/lyon", headers={"accept-language": "en"}).text
    assert "2030-12-26 closed</textarea>" in english


def test_the_main_site_hours_reach_the_widget(server: RunningServer, manager: Browser) -> None:
    assert cite(server, "paris")["open"] is True  # the demo opens around the clock
    closed = {**PARIS_FORM, **WEEK, "special_days": "", "closures": ""}
    done(manager.post("/manage/sites/paris", closed), "/manage/sites/paris", "site_saved")
    widget = cite(server, "paris")
    assert widget["open"] is False and widget["accepting"] is False
    assert widget.get("next_opening") is None
    page = manager.get("/manage/sites/paris").text
    assert page.count("fermé</span></li>") == 7  # the preview says so, day by day
    # The main site offers every pole whatever the form says.
    assert pole_ids(server, "paris") == DEMO_POLES


def test_a_sites_address_and_phone_reach_the_widget(
    server: RunningServer, manager: Browser
) -> None:
    form = {
        **PARIS_FORM,
        "address": f"30 avenue Corentin-Cariou\r\n  75019 Paris {HOSTILE}  \r\n",
        "phone": "+33 (0)1 99 00 12 34",
    }
    done(manager.post("/manage/sites/paris", form), "/manage/sites/paris", "site_saved")
    widget = cite(server, "paris")
    assert widget["site_address"] == f"30 avenue Corentin-Cariou\n75019 Paris {HOSTILE}"
    assert widget["site_phone"] == "+33 (0)1 99 00 12 34"
    page = manager.get("/manage/sites/paris").text
    assert HOSTILE not in page and "75019 Paris &lt;script&gt;" in page
    # Both may be left empty: the widget then shows neither.
    done(
        manager.post("/manage/sites/paris", {**PARIS_FORM, "address": "", "phone": ""}),
        "/manage/sites/paris",
        "site_saved",
    )
    emptied = cite(server, "paris")
    assert "site_address" not in emptied and "site_phone" not in emptied  # omitted when empty


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"week_monday": "09:00-12:00, 11:30-14:00"}, "week_monday", "se chevauchent"),
        ({"week_friday": "9 heures"}, "week_friday", "Horaires illisibles"),
        ({"week_sunday": "18:00-09:00"}, "week_sunday", "does not end after it starts"),
        ({"timezone": "Europe/Lyon"}, "timezone", "Fuseau horaire inconnu"),
        ({"timezone": "../../etc/passwd"}, "timezone", "Fuseau horaire inconnu"),
        ({"country": "XX"}, "country", "Pays inconnu"),
        ({"subdivision": "99"}, "subdivision", "Région inconnue"),
        ({"special_days": "2030-12-24 ouvert"}, "special_days", "line 1"),
        ({"special_days": "24/12/2030 fermé"}, "special_days", "Jour particulier illisible"),
        ({"closures": "2030-08-15 2030-08-01"}, "closures", "comes before"),
        ({"closures": "août"}, "closures", "Fermeture illisible"),
        ({"last_entry": "-5"}, "last_entry", "entre 0 et 1439"),
        ({"poles": []}, "poles", "au moins un pôle"),
        ({"poles": ["emploi", "nope"]}, "poles", "n&#39;existe pas"),
        ({"kind": "main"}, "kind", "Un seul site principal"),
        ({"kind": "castle"}, "kind", "Choisissez le type"),
        ({"id": "Lyon Centre"}, "id", "L&#39;identifiant"),
        ({"id": "paris"}, "id", "Un site porte déjà"),
        ({"name": HOSTILE}, "name", "Nommez le site"),
        ({"phone": "appelez-nous"}, "phone", "Écrivez le numéro"),
        ({"phone": "01 40 05 85 85 <b>"}, "phone", "Écrivez le numéro"),
        ({"address": "x" * 301}, "address", "300 caractères"),
    ],
)
def test_bad_site_input_is_refused_with_the_field_named(
    shared: RunningServer, boss: Browser, changes: dict[str, Any], field: str, message: str
) -> None:
    form = lyon(**changes)
    page = refused(boss.post("/manage/sites/new", form), message)
    assert f'href="#f-{field}"' in page and f'id="f-{field}-error"' in page
    assert "<script>" not in page
    # What was typed is still there.
    assert field_value(page, "week_monday") == form["week_monday"].replace("'", "&#39;")
    assert "lyon" not in str(cite(shared, "lyon")["site"])


def test_editing_a_site_refuses_overlaps_and_keeps_the_stored_hours(
    server: RunningServer, manager: Browser
) -> None:
    manager.post("/manage/sites/new", lyon())
    overlapping = lyon(week_monday="09:00-12:30, 12:00-18:00", week_tuesday="10:00-11:00")
    page = refused(
        manager.post("/manage/sites/lyon", overlapping), "09:00-12:30 and 12:00-18:00 overlap"
    )
    assert field_value(page, "week_tuesday") == "10:00-11:00"
    stored = manager.get("/manage/sites/lyon").text
    assert field_value(stored, "week_tuesday") == "09:00-17:00"


def test_a_site_becomes_main_and_the_old_main_is_removed(
    server: RunningServer, manager: Browser
) -> None:
    manager.post("/manage/sites/new", lyon())
    refused(
        manager.post("/manage/sites/paris/remove"), "Le site principal ne peut pas être supprimé"
    )
    done(manager.post("/manage/sites/lyon/main"), "/manage/sites", "site_main")
    assert cite(server)["site"] == "lyon"  # a widget without data-site
    assert pole_ids(server, "lyon") == DEMO_POLES  # the main site offers every pole
    done(manager.post("/manage/sites/paris/remove"), "/manage/sites", "site_remove")
    assert cite(server, "paris")["site"] == "lyon"  # a removed site's widget shows the main one
    assert "/manage/sites/paris" not in manager.get("/manage/sites").text


def test_a_retired_pole_leaves_the_sites_but_not_a_site_with_no_other(
    server: RunningServer, manager: Browser
) -> None:
    manager.post("/manage/sites/new", lyon(poles=["emploi"]))
    page = refused(manager.post("/manage/poles/emploi/retire"), "offers no other pole")
    assert "Cette modification enfreint une règle" in page
    assert "emploi" in pole_ids(server)


# --- staff ------------------------------------------------------------------------------


def new_password(page: str) -> str:
    match = re.search(r'<code class="password">([^<]+)</code>', page)
    assert match, page[:2000]
    return match[1]


def test_the_staff_list_shows_alias_role_poles_state_and_totp_never_an_institution(
    shared: RunningServer, boss: Browser
) -> None:
    page = boss.get("/manage/staff").text
    for text in ("Camille", "Dominique", "camille", "Conseiller·e", "Responsable", "Actif"):
        assert text in page
    assert "Double authentification" in page and "institution" not in page.lower()


def test_an_account_is_created_with_a_password_shown_once(
    server: RunningServer, manager: Browser
) -> None:
    form = {"login": "Sami", "alias": "Sami", "role": "counsellor", "poles": ["emploi", "creation"]}
    answer = manager.post("/manage/staff", form)
    assert answer.status_code == 200 and "n'est montré qu'une fois" in answer.text.replace(
        "&#39;", "'"
    )
    password = new_password(answer.text)
    assert len(password) >= 16
    assert password not in manager.get("/manage/staff/sami").text
    # The new counsellor signs in and staffs exactly those poles.
    sami = Browser(server, "sami", password)
    state = asyncio.run(_console(server, sami.cookie))
    assert state["alias"] == "Sami" and [p["id"] for p in state["poles"]] == ["emploi", "creation"]
    refused(manager.post("/manage/staff", form), "Cet identifiant est déjà pris.")


async def _console(server: RunningServer, cookie: str) -> dict[str, Any]:
    desk, state = await counsellor(server, cookie)
    await desk.close()
    return state


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"login": "a b", "alias": "A", "role": "counsellor"}, "L&#39;identifiant s&#39;écrit"),
        ({"login": "", "alias": "A", "role": "counsellor"}, "L&#39;identifiant s&#39;écrit"),
        ({"login": "ok", "alias": HOSTILE, "role": "counsellor"}, "Le pseudonyme tient"),
        ({"login": "ok", "alias": "", "role": "counsellor"}, "Le pseudonyme tient"),
        ({"login": "ok", "alias": "A", "role": "director"}, "Choisissez un rôle."),
        ({"login": "ok", "alias": "A", "role": "counsellor", "poles": "nope"}, "n&#39;existe pas"),
    ],
)
def test_bad_account_input_is_refused(
    shared: RunningServer, boss: Browser, form: dict[str, Any], message: str
) -> None:
    page = refused(boss.post("/manage/staff", form), message)
    assert "<script>" not in page
    assert "/manage/staff/ok" not in boss.get("/manage/staff").text


def test_editing_an_account_reaches_its_open_console_and_a_fresh_sign_in(
    server: RunningServer, manager: Browser
) -> None:
    async def scenario() -> None:
        desk, state = await counsellor(server, login(server))
        assert len(state["poles"]) == 6  # the five poles and the accueil
        form = {"alias": "Camille B.", "role": "counsellor", "poles": ["formation", "orientation"]}
        answer = await asyncio.to_thread(manager.post, "/manage/staff/camille", form)
        done(answer, "/manage/staff/camille", "staff_saved")
        fresh = await desk.expect("console")
        assert fresh["alias"] == "Camille B."
        assert [p["id"] for p in fresh["poles"]] == ["orientation", "formation"]
        assert set(fresh["queues"]) == {"orientation", "formation"}
        await desk.close()
        _, again = await counsellor(server, login(server))
        assert again["alias"] == "Camille B." and len(again["poles"]) == 2

    asyncio.run(scenario())
    refused(manager.post("/manage/staff/camille", {"alias": HOSTILE, "role": "x"}), "Le pseudonyme")


def test_a_retired_pole_leaves_the_open_consoles(server: RunningServer, manager: Browser) -> None:
    async def scenario() -> None:
        desk, _ = await counsellor(server, login(server))
        await asyncio.to_thread(manager.post, "/manage/poles/creation/retire")
        fresh = await desk.expect("console")
        assert [p["id"] for p in fresh["poles"]] == ["accueil", *DEMO_POLES[:4]]
        await desk.send({"type": "take", "pole": "creation"})
        assert (await desk.expect("error"))["code"] in ("unknown_pole", "not_your_pole")
        await desk.close()

    asyncio.run(scenario())


def test_a_disabled_account_loses_its_open_console_and_cannot_sign_in(
    server: RunningServer, manager: Browser
) -> None:
    async def scenario() -> None:
        desk, _ = await counsellor(server, login(server))
        answer = await asyncio.to_thread(manager.post, "/manage/staff/camille/disable")
        done(answer, "/manage/staff/camille", "staff_disable")
        await asyncio.wait_for(desk.ws.wait_closed(), 10)
        assert desk.ws.close_code == 1008

    asyncio.run(scenario())
    with pytest.raises(AssertionError):
        login(server)
    assert "Désactivé" in manager.get("/manage/staff").text
    done(manager.post("/manage/staff/camille/enable"), "/manage/staff/camille", "staff_enable")
    assert login(server).startswith("parole_staff=")


def test_a_password_reset_ends_every_open_session_of_that_account(
    server: RunningServer, manager: Browser
) -> None:
    camille = Browser(server, "camille")
    assert camille.get("/console").status_code == 200

    async def scenario() -> str:
        desk, _ = await counsellor(server, camille.cookie)
        answer = await asyncio.to_thread(manager.post, "/manage/staff/camille/password")
        assert answer.status_code == 200
        await asyncio.wait_for(desk.ws.wait_closed(), 10)
        assert desk.ws.close_code == 1008
        return new_password(answer.text)

    password = asyncio.run(scenario())
    assert camille.get("/console").status_code == 303  # that browser is signed out
    with pytest.raises(AssertionError):
        login(server, "camille", "demo-parole")
    assert login(server, "camille", password).startswith("parole_staff=")
    assert manager.get("/manage").status_code == 200  # the manager's own session goes on


def test_a_console_closes_when_its_session_reaches_the_absolute_expiry(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"PAROLE_STAFF_MAX_AGE": "3"})
    try:
        cookie = login(server)

        async def scenario() -> None:
            desk, _ = await counsellor(server, cookie)
            await asyncio.wait_for(desk.ws.wait_closed(), 10)
            assert desk.ws.close_code == 1008

        asyncio.run(scenario())
        name, _, value = cookie.partition("=")
        assert httpx.get(f"{server.url}/console", cookies={name: value}).status_code == 303
    finally:
        server.stop()


def test_a_manager_removes_a_counsellors_second_factor(
    server: RunningServer, manager: Browser
) -> None:
    camille = Browser(server, "camille")
    camille.post("/console/account/totp/start")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', camille.get("/console/account").text)
    assert secret
    camille.post("/console/account/totp/confirm", {"code": pyotp.TOTP(secret[1]).now()})
    assert "Activée" in manager.get("/manage/staff/camille").text
    done(manager.post("/manage/staff/camille/totp"), "/manage/staff/camille", "staff_totp")
    page = manager.get("/manage/staff/camille").text
    assert "Activée" not in page and "/manage/staff/camille/totp" not in page
    assert login(server).startswith("parole_staff=")  # the password alone again


def test_a_manager_cannot_lock_the_cite_out(server: RunningServer, manager: Browser) -> None:
    refused(manager.post("/manage/staff/dominique/disable"), "votre propre compte")
    refused(manager.post("/manage/staff/dominique/password"), "depuis votre compte")
    demote = {"alias": "Dominique", "role": "counsellor", "poles": DEMO_POLES}
    refused(manager.post("/manage/staff/dominique", demote), "dernier responsable actif")
    assert manager.get("/manage").status_code == 200
    # With a second manager, the first may step down.
    answer = manager.post(
        "/manage/staff", {"login": "claude", "alias": "Claude", "role": "manager"}
    )
    claude = Browser(server, "claude", new_password(answer.text))
    stepped_down = manager.post("/manage/staff/dominique", demote)
    assert stepped_down.status_code == 303 and stepped_down.headers["location"] == "/console"
    assert manager.get("/manage").status_code == 403
    refused(
        claude.post("/manage/staff/claude", {**demote, "alias": "Claude"}), "dernier responsable"
    )


def test_the_accueil_is_one_and_apart_from_the_three_to_seven(
    server: RunningServer, manager: Browser
) -> None:
    assert cite(server)["poles"][0]["id"] == "accueil"
    page = refused(
        manager.post("/manage/poles", {"name": "Accueil bis", "accueil": "1"}),
        "La Cité a déjà un accueil",
    )
    assert 'aria-invalid="true"' in page
    # Two more poles make seven themes: the accueil does not count among them.
    manager.post("/manage/poles", {"name": "Partir à l'étranger"})
    done(
        manager.post("/manage/poles", {"name": "Valider ses acquis"}),
        "/manage/poles",
        "pole_created",
    )
    assert len(pole_ids(server)) == 7
    # The accueil becomes a theme: that would make eight.
    form = {"name": "Accueil", "description": ""}
    refused(manager.post("/manage/poles/accueil", form), "de 3 à 7 pôles")
    done(manager.post("/manage/poles/valider-ses-acquis/retire"), "/manage/poles", "pole_retire")
    done(manager.post("/manage/poles/accueil", form), "/manage/poles", "pole_saved")
    assert "accueil" in pole_ids(server)  # a pole like the others now
    # And a theme marked as the accueil goes first.
    answer = manager.post("/manage/poles/orientation", {"name": "Accueil", "accueil": "1"})
    done(answer, "/manage/poles", "pole_saved")
    assert cite(server)["poles"][0] == {"id": "orientation", "name": "Accueil", "accueil": True}


def test_a_manager_sets_an_accounts_capacity_and_its_console_follows(
    server: RunningServer, manager: Browser
) -> None:
    async def scenario() -> None:
        desk, state = await counsellor(server, login(server))
        assert state["capacity"] == 3
        form = {"alias": "Camille", "role": "counsellor", "poles": ["emploi"], "capacity": "5"}
        answer = await asyncio.to_thread(manager.post, "/manage/staff/camille", form)
        done(answer, "/manage/staff/camille", "staff_saved")
        assert (await desk.expect("console"))["capacity"] == 5
        await desk.close()
        _, again = await counsellor(server, login(server))
        assert again["capacity"] == 5

    asyncio.run(scenario())
    for bad in ("0", "11", "trois", "-1"):
        form = {"alias": "Camille", "role": "counsellor", "capacity": bad}
        refused(manager.post("/manage/staff/camille", form), "de 1 à 10")
    page = manager.get("/manage/staff/camille").text
    assert field_value(page, "capacity") == "5"
    form = {"alias": "Camille", "role": "counsellor", "poles": ["emploi"], "capacity": ""}
    done(manager.post("/manage/staff/camille", form), "/manage/staff/camille", "staff_saved")
    assert field_value(manager.get("/manage/staff/camille").text, "capacity") == ""
