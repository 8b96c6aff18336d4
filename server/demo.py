"""The demo Cité that ``parole serve --demo`` (and ``make run``) installs."""

from __future__ import annotations

from server.backends import Backend
from server.core.poles import Cite, Pole
from server.core.schedules import Schedule, Site, SiteKind, Slot, Week
from server.core.staff import Role, StaffAccount

DEMO_LOGIN = "camille"
DEMO_MANAGER = "dominique"
DEMO_PASSWORD = "demo-parole"
DEMO_SITE = "paris"

# Open around the clock, so that the demo can be tried at any hour; a manager
# sets real hours in /manage.
_ALL_DAY = (Slot("00:00", "24:00"),)
DEMO_HOURS = Schedule(week=Week(*([_ALL_DAY] * 7)))

DEMO_CITE = Cite(
    name="Cité des métiers (démo)",
    poles=(
        Pole("orientation", "Choisir son orientation", "Études, métiers, premiers choix."),
        Pole("emploi", "Trouver un emploi", "Candidatures, entretiens, recherche d'emploi."),
        Pole("formation", "Trouver une formation", "Formations, financements, VAE."),
        Pole("reconversion", "Changer sa vie professionnelle", "Bilan, reconversion, mobilité."),
        Pole("creation", "Créer son activité", "Idée, statut, premiers pas d'entrepreneur."),
        Pole(
            "accueil",
            "Accueil",
            "Je ne sais pas quel pôle choisir, ou c'est une question rapide.",
            accueil=True,
        ),
    ),
    sites=(
        Site(
            id=DEMO_SITE,
            name="Paris – Cité des sciences",
            kind=SiteKind.MAIN,
            timezone="Europe/Paris",
            country="FR",
            poles=("orientation", "emploi", "formation", "reconversion", "creation", "accueil"),
            schedule=DEMO_HOURS,
            closed_on_holidays=False,
        ),
    ),
)


async def install_demo(backend: Backend, password_hash: str) -> None:
    """Publish the demo Cité, its counsellor (who staffs every pole, the accueil too) and
    its manager,
    unless they exist already: what a manager changed survives a restart."""
    if await backend.get_cite() is None:
        await backend.put_cite(DEMO_CITE)
    demo_staff = (
        (DEMO_LOGIN, "Camille", Role.COUNSELLOR),
        (DEMO_MANAGER, "Dominique", Role.MANAGER),
    )
    for login, alias, role in demo_staff:
        if await backend.get_staff(login) is None:
            await backend.put_staff(
                StaffAccount(
                    login=login,
                    alias=alias,
                    password_hash=password_hash,
                    role=role,
                    poles=[p.id for p in DEMO_CITE.poles],
                )
            )
