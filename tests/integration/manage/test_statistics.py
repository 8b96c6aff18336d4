"""The statistics dashboard and its CSV through the real server (R11): what visitors
and counsellors did is counted as it happens, shown with small cells protected, the
same in the CSV; managers only; bad dates get a clear 400."""

from __future__ import annotations

import csv
import html
import io
import re

from server.core.statistics import CSV_COLUMNS
from tests.clients import Browser, Client, counsellor, visitor
from tests.servers import RunningServer

from ..live.test_transfer import take


def activity_rows(page: str) -> dict[str, list[str]]:
    """The "By pole" table: pole name -> its cells (joined, served, …, total)."""
    table = page.split('id="v-activity"')[1].split("</table>")[0]
    rows = {}
    for name, cells in re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', table, re.S):
        rows[name] = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r'<td class="num[^"]*">(.*?)</td>', cells, re.S)
        ]
    return rows


async def test_the_dashboard_and_the_csv_agree_and_protect_small_cells(
    server: RunningServer,
) -> None:
    guests: list[Client] = []
    for _ in range(6):
        guest, _ = await visitor(server, "emploi")
        guests.append(guest)
    for _ in range(2):
        guest, _ = await visitor(server, "formation")
        guests.append(guest)
    desk, _ = await counsellor(server)
    conversation = str((await take(desk, "emploi"))["id"])
    await guests[0].expect("session", state="talking")
    await desk.send({"type": "end", "conversation": conversation})
    await guests[0].expect("session", state="ended")

    manager = Browser(server, "dominique")
    answer = manager.get("/manage/statistics")
    assert answer.status_code == 200
    page = answer.text
    rows = activity_rows(page)
    # Columns: came, served, left, closed, sent on, invited, cards, reports, blocks, total.
    assert rows["Trouver un emploi"][:2] == ["6", "< 5"]
    assert rows["Trouver une formation"][:2] == ["< 5", "< 5"]
    # The emploi row has 6 shown and every other cell under 5 (1 served, zeros): its
    # total could not be worked out cell by cell, but 6 + (1 + 0 + …) can only be
    # read one way if the rest were all 0 or all 4 — here it is 7, shown.
    assert rows["Trouver un emploi"][-1] == "7"
    assert '<svg class="chart"' in page and 'role="img"' in page

    period = re.search(r"Du (\d{4}-\d{2}-\d{2}) au (\d{4}-\d{2}-\d{2})", page)
    assert period is not None
    export = manager.get(f"/manage/statistics.csv?from={period[1]}&to={period[2]}")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(export.text)))
    assert tuple(table[0]) == CSV_COLUMNS
    found = {(r[2], r[4], r[5]): r[6] for r in table[1:]}
    assert found[("emploi", "joined", "")] == "6"
    assert found[("formation", "joined", "")] == "<5"
    assert found[("emploi", "served", "")] == "<5"
    assert found[("emploi", "wait", "0-1")] == "<5"
    assert found[("emploi", "length", "0-5")] == "<5"
    assert all(r[0] == "Cité des métiers (démo)" and r[1] == "paris" for r in table[1:])
    # Every figure the dashboard shows for a pole is the CSV's for the month (the period).
    names = {"Trouver un emploi": "emploi", "Trouver une formation": "formation"}
    measures = ["joined", "served", "left", "closed", "transferred", "invited", "cards"]
    summed: dict[tuple[str, str], int] = {}
    for r in table[1:]:
        if r[6] != "<5":
            summed[(r[2], r[4])] = summed.get((r[2], r[4]), 0) + int(r[6])
    for name, pole in names.items():
        for measure, shown in zip(measures, rows[name], strict=False):
            if shown.isdigit():
                assert summed[(pole, measure)] == int(shown), (pole, measure)
            else:
                assert shown == "< 5" and (pole, measure) not in summed, (pole, measure)
    # One pole: its row only, its CSV rows only.
    one = activity_rows(manager.get("/manage/statistics?pole=emploi").text)
    assert list(one) == ["Trouver un emploi", "Total"] and one["Trouver un emploi"][:2] == [
        "6",
        "< 5",
    ]
    only = list(csv.reader(io.StringIO(manager.get("/manage/statistics.csv?pole=formation").text)))
    assert only[1:] and {r[2] for r in only[1:]} == {"formation"}
    # Nothing of a visitor or a conversation in either.
    for text in (page, export.text):
        assert conversation not in text
    manager.http.close()


def test_a_counsellor_sees_neither_the_dashboard_nor_the_export(server: RunningServer) -> None:
    camille = Browser(server, "camille")
    for path in ("/manage/statistics", "/manage/statistics.csv"):
        answer = camille.get(path)
        assert answer.status_code == 403, path
        assert "text/csv" not in answer.headers.get("content-type", "")
    camille.http.close()


def test_dates_that_cannot_be_right_get_a_clear_400(server: RunningServer) -> None:
    manager = Browser(server, "dominique")
    for query, message in [
        ("day=2026-13-01", "AAAA-MM-JJ"),
        ("day=07/12/2026", "AAAA-MM-JJ"),
        ("day=20261207", "AAAA-MM-JJ"),
        ("day=1990-05-01", "avant la première Cité"),
        ("day=2099-01-01", "plus d'un an"),
        ("span=decade", "une semaine, un mois"),
        ("site=atlantide", "Ce site n'existe pas"),
        ("pole=astrologie", "Ce pôle n'existe pas"),
    ]:
        answer = manager.get(f"/manage/statistics?{query}")
        assert answer.status_code == 400, query
        assert message in html.unescape(answer.text), query
        assert 'id="v-activity"' not in answer.text, "no chart presented as true"
    for query, message in [
        ("from=2026-12-31&to=2026-01-01", "avant son début"),
        ("from=2026-02-30&to=2026-03-01", "AAAA-MM-JJ"),
        ("from=1980-01-01&to=2026-01-01", "avant la première Cité"),
        ("site=atlantide", "Ce site n'existe pas"),
        ("pole=astrologie", "Ce pôle n'existe pas"),
    ]:
        answer = manager.get(f"/manage/statistics.csv?{query}")
        assert answer.status_code == 400, query
        assert message in answer.text and "text/plain" in answer.headers["content-type"], query
    manager.http.close()


async def test_who_the_visitors_are_is_told_once_each_and_counted_alone(
    server: RunningServer,
) -> None:
    guest, _ = await visitor(server, "emploi")
    await guest.send({"type": "tell", "question": "age", "answer": "18_25"})
    assert (await guest.expect("error"))["code"] == "not_allowed"  # not before a conversation
    desk, _ = await counsellor(server)
    conversation = str((await take(desk, "emploi"))["id"])
    await guest.expect("session", state="talking")
    await guest.send({"type": "tell", "question": "age", "answer": "18_25"})
    assert (await guest.expect("error"))["code"] == "not_allowed"  # nor during it
    await desk.send({"type": "end", "conversation": conversation})
    await guest.expect("session", state="ended")
    await guest.send({"type": "rate", "conversation": conversation, "score": 5})
    await guest.expect("rated")
    for question, answer in [("situation", "jobseeker"), ("age", "18_25"), ("origin", "abroad")]:
        await guest.send({"type": "tell", "question": question, "answer": answer})
        assert (await guest.expect("told")) == {"type": "told", "question": question}
    for frame, code in [
        ({"type": "tell", "question": "age", "answer": "26_44"}, "not_allowed"),  # once
        ({"type": "tell", "question": "situation", "answer": "18_25"}, "invalid"),
        ({"type": "tell", "question": "name", "answer": "lynx"}, "invalid"),
    ]:
        await guest.send(frame)
        assert (await guest.expect("error"))["code"] == code, frame

    manager = Browser(server, "dominique")
    page = html.unescape(manager.get("/manage/statistics").text)
    section = page.split('id="v-publics-situation"')[1].split("</table>")[0]
    assert "En recherche d'emploi" in section and "< 5" in section
    table = list(csv.reader(io.StringIO(manager.get("/manage/statistics.csv").text)))
    told = {(r[4], r[5]): r[6] for r in table[1:] if r[4] in ("situation", "age", "origin")}
    assert told == {
        ("situation", "jobseeker"): "<5",
        ("age", "18_25"): "<5",
        ("origin", "abroad"): "<5",
    }
    manager.http.close()


def test_partners_are_kept_per_pole_for_the_report_and_shown_nowhere_else(
    server: RunningServer,
) -> None:
    manager = Browser(server, "dominique")
    hostile = '<img src=x onerror="alert(1)"> Mission locale'
    refused = manager.post("/manage/partners", {"name": hostile, "pole": "emploi"})
    assert refused.status_code == 400  # markup is refused in names, as everywhere
    assert "<img src=x" not in refused.text
    answer = manager.post("/manage/partners", {"name": "Mission locale", "pole": "emploi"})
    assert answer.status_code == 303
    page = manager.get("/manage/partners").text
    for data in (
        {"name": "", "pole": "emploi"},
        {"name": "\u200b", "pole": "emploi"},
        {"name": "x" * 81, "pole": "emploi"},
        {"name": "Ailleurs", "pole": "no-such-pole"},
    ):
        refused = manager.post("/manage/partners", data)
        assert refused.status_code == 400, data
    assert manager.get("/manage/partners").text.count('<th scope="row">Mission locale') == 1
    # No CSRF token: refused, nothing added.
    bare = manager.http.post(f"{server.url}/manage/partners", data={"name": "X", "pole": "emploi"})
    assert bare.status_code == 403

    report = html.unescape(manager.get("/manage/statistics/report").text)
    assert "Fiche de synthèse" in report and "Mission locale" in report
    assert "Atelier CV et lettre de motivation" in report  # the demo's event, this year
    # Not in the widget's page nor in its status, not on the console.
    for path in ("/chat", "/api/cite", "/privacy"):
        assert "Mission locale" not in manager.get(path).text, path
    camille = Browser(server, "camille")
    assert "Mission locale" not in camille.get("/console").text
    assert camille.post("/manage/partners", {"name": "Y", "pole": "emploi"}).status_code == 403
    camille.http.close()

    partner = re.search(r"/manage/partners/([0-9a-f]+)/remove", page)
    assert partner is not None
    assert manager.post(f"/manage/partners/{partner[1]}/remove").status_code == 303
    assert manager.post(f"/manage/partners/{partner[1]}/remove").status_code == 404
    assert "Mission locale" not in manager.get("/manage/partners").text
    for year in ("1990", "20266", "abcd", "2099"):
        bad = manager.get(f"/manage/statistics/report?year={year}")
        assert bad.status_code == 400, year
        assert "de 1993 à l" in html.unescape(bad.text)
    manager.http.close()
