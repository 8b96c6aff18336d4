"""The memory backend's state file, in-process: what it keeps, how it writes, its lock."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from server.backends.memory import MemoryBackend
from server.backends.state_file import StateFile, StateFileError
from server.core.attestation import Keyring, SigningKey
from server.core.conversations import Conversation
from server.core.poles import Cite, Pole
from server.core.staff import Desk, Role, StaffAccount
from server.core.visitors import VisitorSession

CITE = Cite(
    name="Cité des métiers de Paris",
    poles=(
        Pole("emploi", "Trouver un emploi"),
        Pole("orientation", "Choisir son orientation"),
        Pole("formation", "Trouver une formation"),
    ),
)
ACCOUNT = StaffAccount(
    login="marie",
    alias="Marie",
    password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    role=Role.MANAGER,
    totp_secret="JBSWY3DPEHPK3PXP",
    sessions_after=1234.5,
)


KEYRING = Keyring((SigningKey.from_private(bytes(32), created=1.0),))


async def test_the_cite_and_accounts_survive_a_restart_and_nothing_else_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    first = MemoryBackend(state_file=str(path))
    await first.start()
    await first.put_cite(CITE)
    await first.put_staff(ACCOUNT)
    await first.put_keyring(KEYRING)
    await first.add_visitor(
        VisitorSession(
            id="v1", token_hash="needle-token", pole="emploi", pseudonym="Loutre", ticket=1,
            arrived_at=1.0,
        ),
        60,
    )  # fmt: skip
    await first.add_conversation(
        Conversation(
            id="c1", pole="emploi", visitor="v1", counsellor="marie", alias="Marie",
            pseudonym="Loutre", opened_at=1.0,
        ),
        60,
    )  # fmt: skip
    await first.update_desk("marie", lambda desk: desk.open_console(3))
    await first.put_expiring("session:abc", b"needle-secret", 60)
    await first.close()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = json.loads(path.read_text())
    assert set(content) == {
        "format",
        "version",
        "cite",
        "staff",
        "keyring",
        "library",
        "figures",
        "comments",
    }
    for needle in ("needle-token", "needle-secret", "Loutre", "c1"):
        assert needle not in path.read_text()

    second = MemoryBackend(state_file=str(path))
    await second.start()
    assert await second.get_cite() == CITE
    assert await second.get_staff("marie") == ACCOUNT
    assert await second.staff_logins() == ["marie"]
    assert await second.get_keyring() == KEYRING
    assert await second.update_desk("marie", lambda desk: desk) == Desk(login="marie")
    await second.close()


async def test_no_file_means_an_empty_start_and_no_file_until_a_change(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = MemoryBackend(state_file=str(path))
    await backend.start()
    assert await backend.get_cite() is None and not path.exists()
    await backend.put_staff(ACCOUNT)
    assert path.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    await backend.close()


async def test_without_a_state_file_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    backend = MemoryBackend()
    await backend.start()
    await backend.put_cite(CITE)
    await backend.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        b"{broken",
        b"[]",
        b'{"format": "something-else", "version": 1}',
        b'{"format": "parole-state", "version": 99}',
        b'{"format": "parole-state", "version": 1, "staff": [{"login": "x"}]}',
        # Two poles: a Cité the charter does not allow.
        b'{"format": "parole-state", "version": 1, "cite": {"name": "C", "poles": '
        b'[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]}}',
    ],
)
async def test_a_corrupt_file_is_refused_with_its_name_and_released(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    backend = MemoryBackend(state_file=str(path))
    with pytest.raises(StateFileError, match=r"state\.json"):
        await backend.start()
    assert path.read_bytes() == content  # left as it was, for the operator to look at
    again = StateFile(path)
    again.lock()  # the failed start did not keep the lock
    again.unlock()


async def test_a_second_user_of_the_file_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    first = MemoryBackend(state_file=str(path))
    await first.start()
    second = MemoryBackend(state_file=str(path))
    with pytest.raises(StateFileError, match="a Parole server is using"):
        await second.start()
    await first.close()
    await second.start()
    await second.close()
