"""The Cité's signing keys, kept with the durable configuration (the backend)."""

from __future__ import annotations

from collections.abc import Callable

from server.backends import Backend
from server.core.attestation import Keyring, SigningKey


class Keys:
    def __init__(self, backend: Backend, clock: Callable[[], float]) -> None:
        self.backend = backend
        self.clock = clock

    async def ring(self) -> Keyring:
        """The keyring, made at first need (every process starts by asking for it):
        of processes starting together, the first to store a key wins for all."""
        found = await self.backend.get_keyring()
        if found is not None:
            return found
        return await self.backend.init_keyring(Keyring((SigningKey.generate(self.clock()),)))

    async def rotate(self) -> Keyring:
        """A new active key; the old one retires and goes on verifying."""
        now = self.clock()
        rotated = (await self.ring()).rotated(SigningKey.generate(now), now)
        await self.backend.put_keyring(rotated)
        return rotated
