"""The demo Cité that ``parole serve --demo`` (and ``make run``) installs."""

from __future__ import annotations

from server.backends import Backend
from server.core.poles import Cite, Pole
from server.core.staff import Role, StaffAccount

DEMO_LOGIN = "camille"
DEMO_PASSWORD = "demo-parole"
DEMO_SITE = "paris"

DEMO_CITE = Cite(
    name="Cité des métiers (démo)",
    poles=(
        Pole("orientation", "Choisir son orientation", "Études, métiers, premiers choix."),
        Pole("emploi", "Trouver un emploi", "Candidatures, entretiens, recherche d'emploi."),
        Pole("formation", "Trouver une formation", "Formations, financements, VAE."),
        Pole("reconversion", "Changer sa vie professionnelle", "Bilan, reconversion, mobilité."),
        Pole("creation", "Créer son activité", "Idée, statut, premiers pas d'entrepreneur."),
    ),
)


async def install_demo(backend: Backend, password_hash: str) -> None:
    """Publish the demo Cité and its counsellor, who staffs every pole."""
    await backend.put_cite(DEMO_CITE)
    await backend.put_staff(
        StaffAccount(
            login=DEMO_LOGIN,
            alias="Camille",
            password_hash=password_hash,
            role=Role.COUNSELLOR,
            poles=[p.id for p in DEMO_CITE.poles],
        )
    )
