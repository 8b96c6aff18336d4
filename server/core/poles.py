"""A Cité: its poles (R4) and sites (R5), and the edits its managers make.

A Cité keeps every pole it ever published, retired ones included, so a retired
pole can come back under the same id; it *publishes* the others, 3 to 7 of them,
in the order visitors see. One of them may be the Cité's *accueil*: the general
reception for visitors who do not know which pole fits (R6), shown first and not
counted among the 3 to 7. Each edit returns a new, checked Cité: a change that
would break a rule raises :class:`ConfigError` and leaves the stored one as it was.
"""

from __future__ import annotations

import re

import msgspec

from .errors import ConfigError
from .schedules import Site, SiteKind, check_sites
from .text import check_label, check_paragraphs

MIN_POLES = 3
MAX_POLES = 7
#: Published and retired poles together: a bound for the stored config, not a rule.
MAX_KEPT_POLES = 30
MAX_SITES = 50
NAME_MAX = 80
DESCRIPTION_MAX = 300
#: The manager's own words on the privacy page (/privacy): a few short paragraphs.
NOTICE_MAX = 1500
_SLUG = re.compile(r"[a-z0-9-]{1,64}")


class Pole(msgspec.Struct, frozen=True):
    """A thematic entry, named by an action verb from the visitor's side (R4)."""

    id: str
    name: str
    description: str = ""
    retired: bool = False
    #: The general reception ("accueillir et orienter"): not a theme, so not one of the
    #: 3 to 7 poles; at most one is published, and it is shown first.
    accueil: bool = False

    def __post_init__(self) -> None:
        if not _SLUG.fullmatch(self.id):
            raise ConfigError(f"bad pole id {self.id!r}: use a-z, 0-9 and -, at most 64")
        if not self.name.strip():
            raise ConfigError("a pole needs a name")
        check_label("a pole's name", self.name, NAME_MAX)
        check_label("a pole's description", self.description, DESCRIPTION_MAX, required=False)


MAX_PARTNERS = 100


class Partner(msgspec.Struct, frozen=True):
    """An organisation that works in a pole with the Cité, for the yearly report only: a
    name and a pole. Never tied to a staff account (R2) and never shown to visitors or in
    the console, where counsellors appear by alias and pole only."""

    id: str
    name: str
    pole: str

    def __post_init__(self) -> None:
        check_label("a partner's name", self.name, NAME_MAX)


class Cite(msgspec.Struct, frozen=True):
    """What a Cité publishes: its name, poles and sites, nothing about who staffs
    them (R2). ``sites`` may be empty only before hours are set: such a Cité takes
    no visitor (see :mod:`server.core.schedules`)."""

    name: str
    poles: tuple[Pole, ...]
    sites: tuple[Site, ...] = ()
    #: What the Cité adds to the privacy page: plain text, paragraphs apart by a blank line.
    notice: str = ""
    #: Partners per pole, for the yearly report (managers only).
    partners: tuple[Partner, ...] = ()

    def __post_init__(self) -> None:
        check_label("the Cité's name", self.name, NAME_MAX)
        check_paragraphs("the privacy page's note", self.notice, NOTICE_MAX)
        published = len(self.thematic)
        if not MIN_POLES <= published <= MAX_POLES:
            raise ConfigError(
                f"a Cité publishes {MIN_POLES} to {MAX_POLES} poles (R4); this would make "
                f"{published}"
            )
        if len(self.poles) > MAX_KEPT_POLES:
            raise ConfigError(f"at most {MAX_KEPT_POLES} poles, retired ones included")
        ids = [p.id for p in self.poles]
        if len(set(ids)) != len(ids):
            raise ConfigError("pole ids must be unique")
        if len(self.published) - published > 1:
            raise ConfigError("a Cité publishes one accueil at most")
        if len(self.sites) > MAX_SITES:
            raise ConfigError(f"at most {MAX_SITES} sites")
        if self.sites:
            check_sites([p.id for p in self.published], self.sites)
        if len(self.partners) > MAX_PARTNERS:
            raise ConfigError(f"at most {MAX_PARTNERS} partners")
        if any(partner.pole not in ids for partner in self.partners):
            raise ConfigError("a partner works in one of the Cité's poles")
        if len({partner.id for partner in self.partners}) != len(self.partners):
            raise ConfigError("partner ids must be unique")

    # --- reading -----------------------------------------------------------------------
    @property
    def published(self) -> tuple[Pole, ...]:
        """The poles visitors may choose from, in order: the accueil first, if any."""
        live = [pole for pole in self.poles if not pole.retired]
        return tuple(sorted(live, key=lambda pole: not pole.accueil))

    @property
    def thematic(self) -> tuple[Pole, ...]:
        """The published poles but the accueil: the 3 to 7 of R4."""
        return tuple(pole for pole in self.published if not pole.accueil)

    @property
    def accueil(self) -> Pole | None:
        return next((pole for pole in self.published if pole.accueil), None)

    def pole(self, pole_id: str) -> Pole | None:
        """A published pole, or None (unknown or retired)."""
        for pole in self.poles:
            if pole.id == pole_id and not pole.retired:
                return pole
        return None

    def site(self, site_id: str | None) -> Site | None:
        """The site named ``site_id``, else the main site (a widget without
        ``data-site``, or naming a removed site); None while no site is set."""
        main = None
        for site in self.sites:
            if site.id == site_id:
                return site
            if site.kind is SiteKind.MAIN:
                main = site
        return main

    def sites_offering(self, pole_id: str) -> tuple[Site, ...]:
        return tuple(site for site in self.sites if pole_id in site.poles)

    # --- editing -----------------------------------------------------------------------
    def renamed(self, name: str) -> Cite:
        return self._with(name=name)

    def with_notice(self, notice: str) -> Cite:
        return self._with(notice=notice)

    def add_pole(self, pole: Pole) -> Cite:
        """Publish a new pole, last, at the main site (which offers every pole, R4)."""
        if any(p.id == pole.id for p in self.poles):
            raise ConfigError(f"a pole {pole.id!r} exists already (retired poles keep their id)")
        if pole.retired:
            raise ConfigError("a new pole is published")
        return self._with(poles=(*self.poles, pole), sites=self._offer_at_main(pole.id))

    def edit_pole(
        self, pole_id: str, name: str, description: str, accueil: bool | None = None
    ) -> Cite:
        old = self._find(pole_id)
        new = msgspec.structs.replace(
            old,
            name=name,
            description=description,
            accueil=old.accueil if accueil is None else accueil,
        )
        return self._with(poles=tuple(new if p is old else p for p in self.poles))

    def move_pole(self, pole_id: str, offset: int) -> Cite:
        """Move a pole ``offset`` places among the published ones (-1: up, 1: down)."""
        if self._find(pole_id).retired:
            raise ConfigError("a retired pole is not shown: restore it before moving it")
        order = [p.id for p in self.published]
        index = order.index(pole_id)
        target = min(max(index + offset, 0), len(order) - 1)
        order.insert(target, order.pop(index))
        rank = {pole_id: i for i, pole_id in enumerate(order)}
        poles = sorted(self.poles, key=lambda p: rank.get(p.id, len(rank)))
        return self._with(poles=tuple(poles))

    def retire_pole(self, pole_id: str) -> Cite:
        """Stop publishing a pole; the sites stop offering it."""
        old = self._find(pole_id)
        if old.retired:
            return self
        sites = []
        for site in self.sites:
            left = tuple(p for p in site.poles if p != pole_id)
            if not left:
                raise ConfigError(
                    f"the site {site.name!r} offers no other pole: give it another one, "
                    "or remove the site, first"
                )
            sites.append(msgspec.structs.replace(site, poles=left))
        retired = msgspec.structs.replace(old, retired=True)
        return self._with(
            poles=tuple(retired if p is old else p for p in self.poles), sites=tuple(sites)
        )

    def restore_pole(self, pole_id: str) -> Cite:
        """Publish a retired pole again, last, at the main site."""
        old = self._find(pole_id)
        if not old.retired:
            return self
        poles = (
            *(p for p in self.poles if p is not old),
            msgspec.structs.replace(old, retired=False),
        )
        return self._with(poles=poles, sites=self._offer_at_main(pole_id))

    def put_site(self, site: Site) -> Cite:
        """Add a site, or replace the one with its id."""
        if any(s.id == site.id for s in self.sites):
            sites = tuple(site if s.id == site.id else s for s in self.sites)
        else:
            sites = (*self.sites, site)
        return self._with(sites=sites)

    def remove_site(self, site_id: str) -> Cite:
        site = next((s for s in self.sites if s.id == site_id), None)
        if site is None:
            raise ConfigError(f"no site {site_id!r}")
        if site.kind is SiteKind.MAIN:
            raise ConfigError("the main site cannot be removed; make another site main first")
        return self._with(sites=tuple(s for s in self.sites if s.id != site_id))

    def make_main(self, site_id: str) -> Cite:
        """Make a site the main one: it then offers every pole; the old main site
        becomes a centre associé with its poles and hours."""
        if not any(s.id == site_id for s in self.sites):
            raise ConfigError(f"no site {site_id!r}")
        every = tuple(p.id for p in self.published)
        sites = []
        for site in self.sites:
            if site.id == site_id:
                extra = tuple(p for p in every if p not in site.poles)
                site = msgspec.structs.replace(
                    site, kind=SiteKind.MAIN, poles=(*site.poles, *extra)
                )
            elif site.kind is SiteKind.MAIN:
                site = msgspec.structs.replace(site, kind=SiteKind.ASSOCIATED)
            sites.append(site)
        return self._with(sites=tuple(sites))

    def add_partner(self, partner: Partner) -> Cite:
        return self._with(partners=(*self.partners, partner))

    def remove_partner(self, partner_id: str) -> Cite:
        if all(partner.id != partner_id for partner in self.partners):
            raise ConfigError(f"no partner {partner_id!r}")
        return self._with(partners=tuple(p for p in self.partners if p.id != partner_id))

    def _find(self, pole_id: str) -> Pole:
        for pole in self.poles:
            if pole.id == pole_id:
                return pole
        raise ConfigError(f"no pole {pole_id!r}")

    def _offer_at_main(self, pole_id: str) -> tuple[Site, ...]:
        return tuple(
            msgspec.structs.replace(site, poles=(*site.poles, pole_id))
            if site.kind is SiteKind.MAIN
            else site
            for site in self.sites
        )

    def _with(self, **changes: object) -> Cite:
        return msgspec.structs.replace(self, **changes)  # runs __post_init__: every rule
