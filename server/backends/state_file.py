"""The memory backend's durable values in a local file, so a restart keeps the Cité.

Only the configuration goes there: the Cité, its resource cards, the anonymous
figures and comments (until due), and the staff
accounts (password hashes and TOTP secrets included, hence mode 0600). Visitors,
conversations, desks and expiring keys never do. Every change rewrites the whole
file atomically (temporary file, fsync, rename, fsync of the folder): a crash
leaves the old file or the new one, never half of one.

While a backend uses the file it holds an exclusive ``flock`` on a sibling
``<file>.lock`` (not on the file itself, which each save replaces), so a second
server, or ``parole create-user``, cannot write beside it and lose changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from pathlib import Path

import msgspec

from server.core.attestation import Keyring
from server.core.errors import ParoleError
from server.core.feedback import Comment
from server.core.poles import Cite
from server.core.resources import Library
from server.core.staff import StaffAccount

FORMAT = "parole-state"
VERSION = 1


class State(msgspec.Struct, kw_only=True):
    """The file's content, human-readable JSON."""

    format: str = FORMAT
    version: int = VERSION
    cite: Cite | None = None
    staff: list[StaffAccount] = []
    #: The keys signing proofs of visit (their private halves: keep the file private).
    keyring: Keyring | None = None
    library: Library = msgspec.field(default_factory=Library)
    #: Anonymous counters (see server.core.feedback), and visitors' comments until due.
    figures: dict[str, dict[str, int]] = {}
    comments: list[Comment] = []


class StateFileError(ParoleError):
    """The state file cannot be read, written or locked."""

    code = "state_file"


class StateFile:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_fd: int | None = None

    def lock(self) -> None:
        """Take the file for this process; StateFileError if another one has it."""
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateFileError(f"cannot open {self.lock_path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise StateFileError(
                f"a Parole server is using {self.path}: stop it first, or use the manager console"
            ) from exc
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def load(self) -> State:
        """What the file holds; an empty state if there is no file yet."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return State()
        except OSError as exc:
            raise StateFileError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            state = msgspec.json.decode(raw, type=State)
        except (msgspec.DecodeError, ParoleError, ValueError, TypeError) as exc:
            raise StateFileError(
                f"{self.path} is not a valid Parole state file ({exc}); "
                "restore a backup or move it away"
            ) from exc
        if state.format != FORMAT or state.version != VERSION:
            raise StateFileError(f"{self.path}: unknown format {state.format!r} {state.version}")
        return state

    def save(self, state: State) -> None:
        folder = self.path.parent
        temporary = folder / f".{self.path.name}.{secrets.token_hex(6)}.tmp"
        data = msgspec.json.format(msgspec.json.encode(state)) + b"\n"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temporary.unlink()
            # The rename itself must reach the disk too.
            folder_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(folder_fd)
            finally:
                os.close(folder_fd)
        except OSError as exc:
            raise StateFileError(f"cannot write {self.path}: {exc.strerror}") from exc
