"""The manager pages under /manage: the Cité's name and figures, and its first setup.

A fresh install has a manager (``parole create-user --role manager``) but no
Cité: /manage then offers to create one from a name, 3 to 7 poles and a main
site, with default hours the manager edits next. Poles, resources, sites and staff have
their own modules; :func:`manage_routes` lists every route.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.core.hours_text import slug
from server.core.poles import MAX_POLES, MIN_POLES, NAME_MAX, Cite, Pole
from server.core.schedules import Schedule, Site, SiteKind, Slot, Week, check_region, zone
from server.core.staff import Role
from server.core.text import check_label

from ..live.chat import Chat
from ..proofs.keys import Keys
from ..staff.auth import Auth
from ..templates import Templates
from .base import Errors, ManageBase, Visit
from .feedback import FeedbackPages
from .keys import KeyPages
from .partners import PartnerPages
from .poles import PolePages
from .replies import ReplyPages
from .resources import ResourcePages
from .sites import SitePages
from .staff import StaffPages
from .statistics import StatisticsPages

#: The first Cité opens on weekdays, 9:00 to 17:00, until the manager sets real hours.
_DAY = (Slot("09:00", "17:00"),)
DEFAULT_HOURS = Schedule(week=Week(_DAY, _DAY, _DAY, _DAY, _DAY))
SETUP_FIELDS = ("name", "site_name", "timezone", "country")


class CitePages(ManageBase):
    async def overview(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            values = {"timezone": "Europe/Paris", "country": "FR"}
            return self.render(visit, "manage/setup.html", values=values, errors=Errors())
        return await self._overview(visit, cite, self._values(cite), Errors())

    @staticmethod
    def _values(cite: Cite) -> dict[str, str]:
        return {"name": cite.name, "notice": cite.notice}

    async def rename(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        name = visit.form.text("name")
        errors = Errors()
        renamed = errors.check("name", "manage.error.cite_name", lambda: cite.renamed(name))
        if renamed is None:
            values = {**self._values(cite), "name": name}
            return await self._overview(visit, cite, values, errors, status=400)
        await self.save(renamed)
        return self.done("/manage", "renamed")

    async def note(self, visit: Visit) -> Response:
        """What the Cité adds to the privacy page (/privacy)."""
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        # Browsers send a textarea's lines apart by CRLF.
        notice = visit.form.area("notice").replace("\r\n", "\n").strip()
        errors = Errors()
        noted = errors.check("notice", "manage.error.notice", lambda: cite.with_notice(notice))
        if noted is None:
            values = {**self._values(cite), "notice": notice}
            return await self._overview(visit, cite, values, errors, status=400)
        await self.save(noted)
        return self.done("/manage", "noticed")

    async def _overview(
        self, visit: Visit, cite: Cite, values: dict[str, str], errors: Errors, status: int = 200
    ) -> Response:
        accounts = await self.accounts()
        active = [a for a in accounts if not a.disabled]
        counts = {
            "published": len(cite.thematic),  # the 3 to 7; the accueil apart
            "retired": len(cite.poles) - len(cite.published),
            "sites": len(cite.sites),
            "counsellors": sum(a.role is Role.COUNSELLOR for a in active),
            "managers": sum(a.role is Role.MANAGER for a in active),
            "disabled": len(accounts) - len(active),
        }
        context = {"cite": cite, "counts": counts, "values": values, "errors": errors}
        return self.render(visit, "manage/overview.html", status, **context)

    async def setup(self, visit: Visit) -> Response:
        """Create the Cité, once: an existing one is never replaced from here."""
        if await self.backend.get_cite() is not None:
            return RedirectResponse("/manage", status_code=303)
        form = visit.form
        values = {name: form.text(name) for name in SETUP_FIELDS}
        values["country"] = values["country"].upper()
        names = [form.text(f"pole_{i}") for i in range(1, MAX_POLES + 1)]
        values.update({f"pole_{i}": name for i, name in enumerate(names, 1)})
        errors = Errors()
        errors.check(
            "name",
            "manage.error.cite_name",
            check_label,
            "the Cité's name",
            values["name"],
            NAME_MAX,
        )
        poles: list[Pole] = []
        for i, name in enumerate(names, 1):
            if name:
                pole_id = slug(name, [p.id for p in poles])
                pole = errors.check(f"pole_{i}", "manage.error.pole_name", Pole, pole_id, name)
                poles += [pole] if pole else []
        if not MIN_POLES <= sum(map(bool, names)) <= MAX_POLES:
            errors.add("pole_1", "manage.error.pole_count")
        site_name = values["site_name"]
        errors.check(
            "site_name", "manage.error.site_name", check_label, "a site's name", site_name, 80
        )
        errors.check("timezone", "manage.error.timezone", zone, values["timezone"])
        errors.check("country", "manage.error.country", check_region, values["country"], None)
        if not errors:
            site = Site(
                id=slug(values["site_name"]),
                name=values["site_name"],
                kind=SiteKind.MAIN,
                timezone=values["timezone"],
                country=values["country"],
                poles=tuple(p.id for p in poles),
                schedule=DEFAULT_HOURS,
            )
            cite = errors.check(
                "", "manage.error.config", lambda: Cite(values["name"], tuple(poles), (site,))
            )
            if cite is not None:
                await self.save(cite)
                return self.done(f"/manage/sites/{site.id}", "created")
        return self.render(visit, "manage/setup.html", 400, values=values, errors=errors)


def manage_routes(chat: Chat, auth: Auth, templates: Templates, keys: Keys) -> list[Route]:
    """Every /manage route; each handler is wrapped by :meth:`ManageBase.page`."""
    cite = CitePages(chat, auth, templates)
    poles = PolePages(chat, auth, templates)
    sites = SitePages(chat, auth, templates)
    resources = ResourcePages(chat, auth, templates)
    replies = ReplyPages(chat, auth, templates)
    feedback = FeedbackPages(chat, auth, templates)
    stats = StatisticsPages(chat, auth, templates)
    partners = PartnerPages(chat, auth, templates)
    staff = StaffPages(chat, auth, templates)
    signing = KeyPages(chat, auth, templates, keys)
    get, post = ["GET"], ["POST"]
    table = [
        ("/manage", cite.overview, get),
        ("/manage", cite.rename, post),
        ("/manage/notice", cite.note, post),
        ("/manage/setup", cite.setup, post),
        ("/manage/poles", poles.index, get),
        ("/manage/poles", poles.create, post),
        ("/manage/poles/{pole}", poles.edit, [*get, *post]),
        ("/manage/poles/{pole}/{action:str}", poles.act, post),
        ("/manage/resources", resources.index, get),
        ("/manage/resources/{pole}", resources.pole, [*get, *post]),
        ("/manage/resources/{pole}/{card}", resources.edit, [*get, *post]),
        ("/manage/resources/{pole}/{card}/{action:str}", resources.act, post),
        ("/manage/replies/{pole}", replies.index, [*get, *post]),
        ("/manage/replies/{pole}/{reply}", replies.edit, post),
        ("/manage/replies/{pole}/{reply}/remove", replies.remove, post),
        ("/manage/sites", sites.index, get),
        ("/manage/sites/new", sites.edit, [*get, *post]),
        ("/manage/sites/{site}", sites.edit, [*get, *post]),
        ("/manage/sites/{site}/{action:str}", sites.act, post),
        ("/manage/staff", staff.index, get),
        ("/manage/staff", staff.create, post),
        ("/manage/staff/{login}", staff.edit, [*get, *post]),
        ("/manage/staff/{login}/{action:str}", staff.act, post),
        ("/manage/feedback", feedback.index, get),
        ("/manage/statistics", stats.index, get),
        ("/manage/statistics.csv", stats.export, get),
        ("/manage/statistics/report", stats.report, get),
        ("/manage/partners", partners.index, get),
        ("/manage/partners", partners.create, post),
        ("/manage/partners/{partner}/remove", partners.remove, post),
        ("/manage/keys", signing.index, get),
        ("/manage/keys", signing.rotate, post),
    ]
    return [
        Route(path, cite.page(handler), methods=methods, name=f"{handler.__name__}:{i}")
        for i, (path, handler, methods) in enumerate(table)
    ]
