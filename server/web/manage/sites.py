"""Manager pages: sites and their opening hours (R5).

One form per site: its time zone and region (the public holidays it closes on),
the poles it offers, weekly hours as one text field per weekday, special days,
closures and the last-entry margin (parsed by :mod:`server.core.hours_text`).
A site's id is what the widget's ``data-site`` names, so it is chosen once.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

import holidays
from starlette.responses import RedirectResponse, Response

from server.core import hours_text
from server.core.poles import Cite
from server.core.schedules import (
    ADDRESS_MAX,
    WEEKDAYS,
    Schedule,
    Site,
    SiteKind,
    Week,
    check_region,
    day_openings,
    zone,
)
from server.core.text import check_label, check_paragraphs, check_phone

from .base import Errors, ManageBase, Visit

PREVIEW_DAYS = 7
HOLIDAYS_SHOWN = 6
_CLOSED_WORD = {"fr": "fermé", "en": "closed"}
_SLUG = re.compile(r"[a-z0-9-]{1,64}")  # as server.core.schedules checks a site id


@functools.cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


@functools.cache
def countries() -> list[str]:
    return sorted(holidays.list_supported_countries())


class SitePages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        return self.render(visit, "manage/sites.html", cite=cite, errors=Errors())

    async def edit(self, visit: Visit) -> Response:
        """/manage/sites/new, or an existing site; GET shows, POST saves."""
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        site_id = visit.param("site")
        site = next((s for s in cite.sites if s.id == site_id), None)
        if site_id and site is None:
            return self.not_found(visit)
        lang = self.lang(visit)
        if not visit.is_post:
            values = _values(site, cite, lang)
            return self._form(visit, cite, site, values, Errors())
        values = _read(visit, site, cite)
        errors = Errors()
        new_site = _build(values, site, cite, errors)
        new = None
        if new_site is not None:
            new = errors.check("", "manage.error.config", lambda: cite.put_site(new_site))
        if new is None:
            return self._form(visit, cite, site, values, errors, status=400)
        await self.save(new)
        return self.done(f"/manage/sites/{values['id']}", "site_saved")

    def _form(
        self,
        visit: Visit,
        cite: Cite,
        site: Site | None,
        values: dict[str, Any],
        errors: Errors,
        status: int = 200,
    ) -> Response:
        lang = self.lang(visit)
        return self.render(
            visit,
            "manage/site.html",
            status,
            cite=cite,
            site=site,
            values=values,
            errors=errors,
            weekdays=WEEKDAYS,
            time_zones=time_zones(),
            countries=countries(),
            preview=preview(site, datetime.now(UTC)) if site else [],
            holidays=upcoming_holidays(site, datetime.now(UTC), lang) if site else [],
        )

    async def act(self, visit: Visit) -> Response:
        """Remove a site (never the main one), or make it the main site."""
        cite = await self.backend.get_cite()
        site_id, action = visit.param("site"), visit.param("action")
        site = next((s for s in cite.sites if s.id == site_id), None) if cite else None
        if cite is None or site is None or action not in ("remove", "main"):
            return self.not_found(visit)
        errors = Errors()
        if action == "remove" and site.kind is SiteKind.MAIN:
            errors.add("", "manage.error.remove_main")
        new = None
        if not errors:
            change = cite.remove_site if action == "remove" else cite.make_main
            new = errors.check("", "manage.error.config", lambda: change(site_id))
        if new is None:
            return self.render(visit, "manage/sites.html", 400, cite=cite, errors=errors)
        await self.save(new)
        return self.done("/manage/sites", f"site_{action}")


# --- form values <-> a Site ---------------------------------------------------------------


def _values(site: Site | None, cite: Cite, lang: str) -> dict[str, Any]:
    """What the form shows for a site, or for a new one."""
    if site is None:
        main = cite.site(None)
        return {
            "id": "",
            "name": "",
            "kind": SiteKind.ASSOCIATED.value if main else SiteKind.MAIN.value,
            "timezone": main.timezone if main else "Europe/Paris",
            "country": main.country if main else "FR",
            "subdivision": (main.subdivision or "") if main else "",
            "closed_on_holidays": True,
            "poles": [],
            "last_entry": "0",
            **{f"week_{day}": "" for day in WEEKDAYS},
            "special_days": "",
            "closures": "",
            "address": "",
            "phone": "",
        }
    schedule = site.schedule
    return {
        "id": site.id,
        "name": site.name,
        "kind": site.kind.value,
        "timezone": site.timezone,
        "country": site.country,
        "subdivision": site.subdivision or "",
        "closed_on_holidays": site.closed_on_holidays,
        "poles": list(site.poles),
        "last_entry": str(schedule.last_entry_minutes),
        **{
            f"week_{day}": hours_text.format_slots(schedule.week.slots(i))
            for i, day in enumerate(WEEKDAYS)
        },
        "special_days": hours_text.format_special_days(
            schedule.special_days, _CLOSED_WORD.get(lang, "closed")
        ),
        "closures": hours_text.format_closures(schedule.closures),
        "address": site.address,
        "phone": site.phone,
    }


def _read(visit: Visit, site: Site | None, cite: Cite) -> dict[str, Any]:
    form = visit.form
    kind = site.kind.value if site and site.kind is SiteKind.MAIN else form.text("kind")
    return {
        "id": site.id if site else form.text("id").lower(),
        "name": form.text("name"),
        "kind": kind if cite.sites else SiteKind.MAIN.value,
        "timezone": form.text("timezone"),
        "country": form.text("country").upper(),
        "subdivision": form.text("subdivision"),
        "closed_on_holidays": form.flag("closed_on_holidays"),
        "poles": form.choices("poles"),
        "last_entry": form.text("last_entry") or "0",
        **{f"week_{day}": form.text(f"week_{day}") for day in WEEKDAYS},
        "special_days": form.area("special_days"),
        "closures": form.area("closures"),
        # Browsers send a textarea's lines apart by CRLF.
        "address": "\n".join(line.strip() for line in form.area("address").splitlines()).strip(),
        "phone": form.text("phone"),
    }


def _build(values: dict[str, Any], site: Site | None, cite: Cite, errors: Errors) -> Site | None:
    """The site the form describes, or None with every field's error noted."""
    if site is None:
        if not _SLUG.fullmatch(values["id"]):
            errors.add("id", "manage.error.site_id")
        if values["id"] == "new" or any(s.id == values["id"] for s in cite.sites):
            errors.add("id", "manage.error.site_id_taken")
    errors.check("name", "manage.error.site_name", check_label, "a site's name", values["name"], 80)
    try:
        kind = SiteKind(values["kind"])
    except ValueError:
        kind = SiteKind.ASSOCIATED
        errors.add("kind", "manage.error.kind")
    if kind is SiteKind.MAIN and (site is None or site.kind is not SiteKind.MAIN) and cite.sites:
        errors.add("kind", "manage.error.kind_main")
    errors.check("timezone", "manage.error.timezone", zone, values["timezone"])
    subdivision = values["subdivision"] or None
    errors.check("country", "manage.error.country", check_region, values["country"], None)
    if subdivision and "country" not in errors.fields:
        region = (values["country"], subdivision)
        errors.check("subdivision", "manage.error.subdivision", check_region, *region)
    published = [p.id for p in cite.published]
    if kind is SiteKind.MAIN:
        values["poles"] = published  # the main site offers every pole (R4)
    elif not values["poles"]:
        errors.add("poles", "manage.error.site_poles")
    elif any(p not in published for p in values["poles"]):
        errors.add("poles", "manage.error.unknown_pole")
    last_entry = values["last_entry"]
    if not (last_entry.isdigit() and int(last_entry) < 24 * 60):
        errors.add("last_entry", "manage.error.last_entry")
    week: dict[str, Any] = {}
    for day in WEEKDAYS:
        text = values[f"week_{day}"]
        week[day] = errors.check(f"week_{day}", "manage.error.slots", hours_text.parse_slots, text)
        week[day] = week[day] or ()
    special = errors.check(
        "special_days",
        "manage.error.special_days",
        hours_text.parse_special_days,
        values["special_days"],
    )
    closures = errors.check(
        "closures", "manage.error.closures", hours_text.parse_closures, values["closures"]
    )
    errors.check(
        "address",
        "manage.error.address",
        check_paragraphs,
        "a site's address",
        values["address"],
        ADDRESS_MAX,
    )
    errors.check("phone", "manage.error.phone", check_phone, values["phone"])
    if errors:
        return None
    return errors.check(
        "",
        "manage.error.config",
        lambda: Site(
            id=values["id"],
            name=values["name"],
            kind=kind,
            timezone=values["timezone"],
            country=values["country"],
            subdivision=subdivision,
            closed_on_holidays=values["closed_on_holidays"],
            poles=tuple(values["poles"]),
            address=values["address"],
            phone=values["phone"],
            schedule=Schedule(
                week=Week(**week),
                special_days=special or (),
                closures=closures or (),
                last_entry_minutes=int(last_entry),
            ),
        ),
    )


# --- the preview ----------------------------------------------------------------------


def preview(site: Site, now: datetime) -> list[dict[str, Any]]:
    """The openings of the next days, as wall times of the site's zone."""
    tz = site.tz
    today = now.astimezone(tz).date()
    days = []
    for offset in range(PREVIEW_DAYS):
        day = today + timedelta(days=offset)
        spans = []
        for opening in day_openings(site, day):
            start, end = opening.start.astimezone(tz), opening.end.astimezone(tz)
            spans.append(
                {
                    "start": start.strftime("%H:%M"),
                    "end": "24:00" if end.date() > day else end.strftime("%H:%M"),
                    "last_entry": opening.last_entry.astimezone(tz).strftime("%H:%M")
                    if opening.last_entry < opening.end
                    else "",
                }
            )
        days.append({"date": day.isoformat(), "weekday": WEEKDAYS[day.weekday()], "spans": spans})
    return days


def upcoming_holidays(site: Site, now: datetime, lang: str) -> list[tuple[str, str]]:
    """The next public holidays of the site's region: (ISO date, name in ``lang`` if
    the ``holidays`` library has it)."""
    today = now.astimezone(site.tz).date()
    found = holidays.country_holidays(
        site.country,
        subdiv=site.subdivision,
        years=[today.year, today.year + 1],
        language=_holiday_language(site.country, lang),
    )
    ahead = sorted((day, name) for day, name in found.items() if day >= today)
    return [(day.isoformat(), name) for day, name in ahead[:HOLIDAYS_SHOWN]]


def _holiday_language(country: str, lang: str) -> str | None:
    supported = holidays.country_holidays(country).supported_languages
    return next((code for code in supported if code.split("_")[0] == lang), None)
