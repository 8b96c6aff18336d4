"""Manager pages: each pole's resource cards (R7), in the order counsellors find them.

Create, edit, move up or down, retire and restore. A card belongs to one pole and
is reached under that pole's address only: a card asked for under another pole's
address is not found, and nothing changes. A card of a retired pole stays kept
with it, offered again when the pole comes back.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import RedirectResponse, Response

from server.core.errors import ConfigError
from server.core.poles import Cite, Pole
from server.core.resources import (
    PLACE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    URL_MAX,
    Card,
    CardKind,
    Library,
)

from .base import Errors, ManageBase, Visit

FIELDS = ("title", "text", "url", "kind", "day", "start", "place")
KINDS = [kind.value for kind in CardKind]
LIMITS = {"title": TITLE_MAX, "text": TEXT_MAX, "url": URL_MAX, "place": PLACE_MAX}
ACTIONS = ("up", "down", "retire", "restore")


class ResourcePages(ManageBase):
    async def index(self, visit: Visit) -> Response:
        """Every pole with its number of cards offered."""
        cite = await self.backend.get_cite()
        if cite is None:
            return RedirectResponse("/manage", status_code=303)
        library = await self.backend.get_library()
        counts = {
            pole.id: sum(not card.retired for card in library.of_pole(pole.id))
            for pole in cite.poles
        }
        replies = {pole.id: len(library.replies_of(pole.id)) for pole in cite.poles}
        return self.render(
            visit, "manage/resources.html", cite=cite, counts=counts, replies=replies
        )

    async def pole(self, visit: Visit) -> Response:
        """A pole's cards, and the form adding one (POST)."""
        cite = await self.backend.get_cite()
        pole = find_pole(cite, visit.param("pole"))
        if cite is None or pole is None:
            return self.not_found(visit)
        if not visit.is_post:
            return await self._pole(visit, pole, {"kind": "job_sheet"}, Errors())
        values = _values(visit)
        errors = Errors()
        card = _check(values, errors, secrets.token_hex(5), pole.id)
        if card is not None:
            try:
                await self.backend.update_library(lambda library: library.put(card))
            except ConfigError as error:  # the library is full
                errors.add("", "manage.error.config", str(error))
        if card is None or errors:
            return await self._pole(visit, pole, values, errors, status=400)
        await self.chat.library_changed()
        return self.done(f"/manage/resources/{pole.id}", "card_created")

    async def _pole(
        self, visit: Visit, pole: Pole, values: dict[str, Any], errors: Errors, status: int = 200
    ) -> Response:
        library = await self.backend.get_library()
        context: dict[str, Any] = {
            "pole": pole,
            "cards": library.of_pole(pole.id),
            "kinds": KINDS,
        }
        return self.render(
            visit, "manage/resources_pole.html", status, values=values, errors=errors, **context
        )

    async def edit(self, visit: Visit) -> Response:
        cite = await self.backend.get_cite()
        pole = find_pole(cite, visit.param("pole"))
        library = await self.backend.get_library()
        card = library.card(visit.param("card"))
        if pole is None or card is None or card.pole != pole.id:
            return self.not_found(visit)
        context: dict[str, Any] = {"pole": pole, "card": card, "kinds": KINDS}
        if not visit.is_post:
            shown = {name: getattr(card, name) or "" for name in FIELDS}
            shown["kind"] = card.kind.value
            return self.render(
                visit, "manage/resource.html", values=shown, errors=Errors(), **context
            )
        values = _values(visit)
        errors = Errors()
        edited = _check(values, errors, card.id, pole.id, retired=card.retired)
        if edited is None:
            return self.render(
                visit, "manage/resource.html", 400, values=values, errors=errors, **context
            )
        await self.backend.update_library(lambda library: library.put(edited))
        await self.chat.library_changed()
        return self.done(f"/manage/resources/{pole.id}", "card_saved")

    async def act(self, visit: Visit) -> Response:
        """Move up or down, retire or restore."""
        cite = await self.backend.get_cite()
        pole = find_pole(cite, visit.param("pole"))
        card_id, action = visit.param("card"), visit.param("action")
        library = await self.backend.get_library()
        card = library.card(card_id)
        if pole is None or card is None or card.pole != pole.id or action not in ACTIONS:
            return self.not_found(visit)

        def apply(library: Library) -> None:
            if action in ("up", "down"):
                library.move(card_id, -1 if action == "up" else 1)
            else:
                library.retire(card_id, retired=action == "retire")

        await self.backend.update_library(apply)
        await self.chat.library_changed()
        return self.done(f"/manage/resources/{pole.id}", f"card_{action}")


def find_pole(cite: Cite | None, pole_id: str) -> Pole | None:
    """Any pole the Cité keeps, retired ones included (their cards wait with them)."""
    return next((p for p in cite.poles if p.id == pole_id), None) if cite else None


def _values(visit: Visit) -> dict[str, Any]:
    values: dict[str, Any] = {name: visit.form.text(name) for name in FIELDS}
    # Browsers send a textarea's lines apart by CRLF.
    values["text"] = visit.form.area("text").replace("\r\n", "\n").strip()
    return values


def _check(
    values: dict[str, Any], errors: Errors, card_id: str, pole: str, retired: bool = False
) -> Card | None:
    """The card the form describes, or None with one message per faulty field."""
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors.add(name, f"manage.error.card_{name}")
    if values["kind"] not in KINDS:
        errors.add("kind", "manage.error.card_kind")
    event = values["kind"] == CardKind.EVENT.value
    if not event:
        # Only an event has a day, a time and a place: other kinds drop what they hide.
        values.update(day="", start="", place="")
    if errors:
        return None
    fields = {
        "title": values["title"],
        "text": values["text"],
        "url": values["url"],
        "day": values["day"] or None,
        "start": values["start"] or None,
        "place": values["place"],
    }
    kind = CardKind(values["kind"])

    def card(**only: Any) -> Card:
        return Card(card_id, pole, kind, **{"title": "-", **only})

    # Each field alone first, so that the message lands on the field at fault.
    errors.check("title", "manage.error.card_title", card, title=fields["title"])
    for name in ("text", "url", "day", "place"):
        if fields[name]:
            errors.check(name, f"manage.error.card_{name}", card, **{name: fields[name]})
    if fields["start"]:
        day = fields["day"] or "2000-01-01"
        errors.check("start", "manage.error.card_start", card, day=day, start=fields["start"])
        if not fields["day"]:
            errors.add("day", "manage.error.card_day")
    if errors:
        return None
    return errors.check("", "manage.error.config", lambda: card(retired=retired, **fields))
