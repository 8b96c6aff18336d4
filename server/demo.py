"""The demo Cité that ``parole serve --demo`` (and ``make run``) installs."""

from __future__ import annotations

from datetime import date, timedelta

from server.backends import Backend
from server.core.poles import Cite, Pole
from server.core.resources import Card, CardKind
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
            address="Cité des sciences et de l'industrie\n30 avenue Corentin-Cariou\n75019 Paris",
            phone="01 99 00 12 34",  # a number set aside for fiction: call the real Cité
        ),
    ),
)


def demo_cards(today: date) -> list[Card]:
    """A few resource cards, and a workshop two days after ``today`` (the install day)."""
    workshop = (today + timedelta(days=2)).isoformat()
    return [
        Card(
            "atelier-cv",
            "emploi",
            CardKind.EVENT,
            "Atelier CV et lettre de motivation",
            "Deux heures pour reprendre son CV avec un conseiller. Entrée libre.",
            day=workshop,
            start="14:00",
            place="Cité des métiers, salle 2",
        ),
        Card(
            "offres-emploi",
            "emploi",
            CardKind.PARTNER,
            "France Travail : offres d'emploi",
            "Les offres d'emploi de toute la France, et l'inscription comme demandeur d'emploi.",
            url="https://www.francetravail.fr/",
        ),
        Card(
            "fiches-metiers",
            "orientation",
            CardKind.JOB_SHEET,
            "Onisep : les fiches métiers",
            "Ce que fait un professionnel, les études qui y mènent, les débouchés.",
            url="https://www.onisep.fr/metier",
        ),
        Card(
            "mon-compte-formation",
            "formation",
            CardKind.TRAINING,
            "Mon compte formation",
            "Consulter ses droits à la formation et trouver une formation certifiante.",
            url="https://www.moncompteformation.gouv.fr/",
        ),
    ]


async def install_demo(backend: Backend, password_hash: str) -> None:
    """Publish the demo Cité with a few resource cards, its counsellor (who staffs every
    pole, the accueil too) and its manager, unless they exist already: what a manager
    changed survives a restart."""
    if await backend.get_cite() is None:
        await backend.put_cite(DEMO_CITE)
        if not (await backend.get_library()).cards:
            cards = demo_cards(date.today())
            await backend.update_library(lambda library: library.cards.extend(cards))
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
