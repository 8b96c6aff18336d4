"""Manager pages: the Cité's poles (R4), listed in the order visitors see them.

Create, rename and describe, move up or down, retire and restore. A Cité
publishes 3 to 7 poles: a change that would leave another number is refused
with that rule, before :class:`~server.core.poles.Cite` would refuse it anyway.
One pole may be marked as the Cité's accueil: it is not counted among them.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response

from server.core.hours_text import slug
from server.core.poles import DESCRIPTION_MAX, MAX_POLES, MIN_POLES, NAME_MAX, Cite, Pole
from server.core.text import check_label

from .base import Errors, ManageBase, Visit

FIELDS = ("id", "name", "description")


class PolePages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        return self._index(visit, cite, dict.fromkeys(FIELDS, ""), Errors())

    def _index(
        self, visit: Visit, cite: Cite, values: dict[str, str], errors: Errors, status: int = 200
    ) -> Response:
        return self.render(
            visit, "manage/poles.html", status, cite=cite, values=values, errors=errors
        )

    async def create(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        values: dict[str, Any] = {name: visit.form.text(name) for name in FIELDS}
        values["accueil"] = visit.form.flag("accueil")
        # The id is in no visitor's sight: made from the name unless the manager chose one.
        values["id"] = values["id"].lower() or slug(values["name"], [p.id for p in cite.poles])
        errors = _check(values)
        errors.check("id", "manage.error.pole_id", Pole, values["id"], "x")
        if any(p.id == values["id"] for p in cite.poles):
            errors.add("id", "manage.error.pole_id_taken")
        if values["accueil"] and cite.accueil is not None:
            errors.add("accueil", "manage.error.accueil_taken")
        elif not values["accueil"] and len(cite.thematic) >= MAX_POLES:
            errors.add("", "manage.error.pole_count")
        new = None
        if not errors:
            pole = Pole(
                values["id"], values["name"], values["description"], accueil=values["accueil"]
            )
            new = errors.check("", "manage.error.config", lambda: cite.add_pole(pole))
        if new is None:
            return self._index(visit, cite, values, errors, status=400)
        await self.save(new)
        return self.done("/manage/poles", "pole_created")

    async def edit(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        pole = _find(cite, visit.param("pole"))
        if cite is None or pole is None:
            return self.not_found(visit)
        if not visit.is_post:
            shown: dict[str, Any] = {
                "id": pole.id,
                "name": pole.name,
                "description": pole.description,
                "accueil": pole.accueil,
            }
            return self.render(visit, "manage/pole.html", pole=pole, values=shown, errors=Errors())
        values: dict[str, Any] = {"id": pole.id}
        values.update((name, visit.form.text(name)) for name in FIELDS[1:])
        values["accueil"] = visit.form.flag("accueil")
        errors = _check(values)
        other = cite.accueil
        if values["accueil"] and other is not None and other.id != pole.id:
            errors.add("accueil", "manage.error.accueil_taken")
        elif values["accueil"] != pole.accueil:
            # Marking a theme as the accueil takes it out of the 3 to 7, and back.
            count = len(cite.thematic) + (-1 if values["accueil"] else 1)
            if not MIN_POLES <= count <= MAX_POLES:
                errors.add("accueil", "manage.error.pole_count")
        new = None
        if not errors:
            change = lambda: cite.edit_pole(  # noqa: E731
                pole.id, values["name"], values["description"], values["accueil"]
            )
            new = errors.check("", "manage.error.config", change)
        if new is None:
            return self.render(
                visit, "manage/pole.html", 400, pole=pole, values=values, errors=errors
            )
        await self.save(new)
        return self.done("/manage/poles", "pole_saved")

    async def act(self, visit: Visit) -> Response:
        """Move up or down, retire or restore."""
        cite = await self.backend.get_cite()
        pole = _find(cite, visit.param("pole"))
        action = visit.param("action")
        if cite is None or pole is None or action not in ("up", "down", "retire", "restore"):
            return self.not_found(visit)
        errors = Errors()
        published = len(cite.thematic)
        if action == "retire" and not pole.retired and not pole.accueil and published <= MIN_POLES:
            errors.add("", "manage.error.pole_count")
        if action == "restore" and pole.retired and pole.accueil and cite.accueil is not None:
            errors.add("", "manage.error.accueil_taken")
        elif action == "restore" and pole.retired and not pole.accueil and published >= MAX_POLES:
            errors.add("", "manage.error.pole_count")
        new = None
        if not errors:
            new = errors.check("", "manage.error.config", lambda: _apply(cite, pole.id, action))
        if new is None:
            return self._index(visit, cite, dict.fromkeys(FIELDS, ""), errors, status=400)
        await self.save(new)
        return self.done("/manage/poles", f"pole_{action}")


def _find(cite: Cite | None, pole_id: str) -> Pole | None:
    return next((p for p in cite.poles if p.id == pole_id), None) if cite else None


def _apply(cite: Cite, pole_id: str, action: str) -> Cite:
    if action in ("up", "down"):
        return cite.move_pole(pole_id, -1 if action == "up" else 1)
    if action == "retire":
        return cite.retire_pole(pole_id)
    return cite.restore_pole(pole_id)


def _check(values: dict[str, Any]) -> Errors:
    """The name and description, each against its own field."""
    errors = Errors()
    errors.check(
        "name", "manage.error.pole_name", check_label, "a pole's name", values["name"], NAME_MAX
    )
    description = values["description"]
    if description:
        errors.check(
            "description",
            "manage.error.description",
            check_label,
            "a pole's description",
            description,
            DESCRIPTION_MAX,
        )
    return errors
