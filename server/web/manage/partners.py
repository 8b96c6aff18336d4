"""Manager page: the Cité's partners per pole, for the yearly report (/manage/partners).

A name and a pole, nothing more: no partner is tied to a staff account, and none is shown
to visitors or in the console (counsellors appear by alias and pole, R2).
"""

from __future__ import annotations

import secrets

from starlette.responses import RedirectResponse, Response

from server.core.errors import ProtocolError
from server.core.poles import Cite, Partner
from server.core.text import clean_text

from .base import Errors, ManageBase, Visit


class PartnerPages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        return self._page(visit, cite, {}, Errors())

    async def create(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        values = {"name": visit.form.text("name"), "pole": visit.form.text("pole")}
        errors = Errors()
        if cite.pole(values["pole"]) is None:
            errors.add("pole", "manage.partners.error.pole")
        try:
            name = clean_text(values["name"])
        except ProtocolError:  # nothing visible in it
            name = ""
        if not name:
            errors.add("name", "manage.partners.error.name")
        new = None
        if not errors:
            partner = (secrets.token_hex(4), name, values["pole"])
            new = errors.check(
                "name", "manage.partners.error.name", lambda: cite.add_partner(Partner(*partner))
            )
        if new is None:
            return self._page(visit, cite, values, errors, status=400)
        await self.save(new)
        return self.done("/manage/partners", "partner_added")

    async def remove(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None or all(p.id != visit.param("partner") for p in cite.partners):
            return self.not_found(visit)
        await self.save(cite.remove_partner(visit.param("partner")))
        return self.done("/manage/partners", "partner_removed")

    def _page(
        self, visit: Visit, cite: Cite, values: dict[str, str], errors: Errors, status: int = 200
    ) -> Response:
        names = {pole.id: pole.name for pole in cite.poles}
        return self.render(
            visit,
            "manage/partners.html",
            status,
            cite=cite,
            names=names,
            values=values,
            errors=errors,
        )
