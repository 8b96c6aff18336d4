"""This process's leases: renewed while its sockets live; expired ones claimed and acted on.

Every ``reap_interval`` seconds the keeper renews the leases of the visitor and
console sockets this process holds (each lasts ``lease_ttl``, renewed three
times as often), then claims leases of any process that ran out: a closed tab
whose resume grace passed, a console gone quiet, or everything a dead process
held. Claims are atomic in the backend, so each is acted on once. A socket that
closes cleanly drops its lease and its owner takes the next step at once; a
dead process's lease running out leads to the same step, only later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from server.core.errors import ParoleError

from .background import stop_tasks
from .chat import CONSOLE, DESK, INVITATION, VISITOR, VISITOR_GONE, Chat
from .colleagues import Colleagues

log = logging.getLogger("parole.leases")
BATCH = 100


class Keeper:
    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.backend = chat.backend
        self.settings = chat.settings
        self._held: dict[str, set[str]] = {VISITOR: set(), CONSOLE: set()}
        self._task: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[str], Awaitable[None]]] = {
            VISITOR: chat.visitor_gone,
            VISITOR_GONE: chat.visitor_lease_over,
            CONSOLE: lambda member: chat.console_gone(member.rpartition(":")[0]),
            DESK: chat.desk_lease_over,
            INVITATION: Colleagues(chat).lapse,
        }

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await stop_tasks([self._task])

    async def hold(self, kind: str, member: str) -> None:
        """This process holds ``member`` now and renews it until :meth:`let_go`."""
        self._held[kind].add(member)
        await self.backend.renew_leases(kind, [member], self.settings.lease_ttl)

    def adopt(self, kind: str, member: str) -> None:
        """As :meth:`hold`, for a lease the backend has just renewed (a resume)."""
        self._held[kind].add(member)

    async def let_go(self, kind: str, member: str) -> None:
        """Stop renewing and drop the lease: its socket closed cleanly."""
        self._held[kind].discard(member)
        await self.backend.drop_lease(kind, member)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        ttl = self.settings.lease_ttl
        renew_at = loop.time() + ttl / 3
        reap_after = 0.0
        healthy = True
        while True:
            await asyncio.sleep(self.settings.reap_interval)
            try:
                if not healthy or loop.time() >= renew_at:
                    await self.renew()
                    renew_at = loop.time() + ttl / 3
                    if not healthy:
                        # Leases of live sockets may have run out while the shared state
                        # was unreachable: give every process half a TTL to renew its own
                        # before anything is claimed.
                        healthy, reap_after = True, loop.time() + ttl / 2
                if loop.time() >= reap_after:
                    await self.backend.sweep()
                    await self.reap()
            except ParoleError as exc:  # e.g. shared state unreachable: try again next round
                healthy = False
                log.warning("leases not kept this round: %s", exc.code, extra={"code": exc.code})
            except Exception:
                log.exception("leases not kept this round")

    async def renew(self) -> None:
        for kind, members in self._held.items():
            if members:
                await self.backend.renew_leases(kind, list(members), self.settings.lease_ttl)

    async def reap(self) -> None:
        for kind, handler in self._handlers.items():
            while True:
                members = await self.backend.claim_expired(kind, BATCH)
                for member in members:
                    try:
                        await handler(member)
                    except ParoleError as exc:
                        log.warning(
                            "expired %s lease not handled: %s",
                            kind,
                            exc.code,
                            extra={"code": exc.code},
                        )
                if len(members) < BATCH:
                    break
