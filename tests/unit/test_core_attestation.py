"""Proofs of visit: what they state, and which tokens verify, over plain values."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest

from server.core.attestation import (
    Keyring,
    Length,
    Proof,
    SigningKey,
    Verdict,
    commitment,
    length,
    sign,
    statement,
    verify,
)
from server.core.errors import ConfigError

# 2026-12-08 14:22:41 in Paris (UTC+1).
OPENED = 1796736161.0
KEY = SigningKey.from_private(bytes(range(32)), created=1.0)
OTHER = SigningKey.from_private(bytes(range(1, 33)), created=2.0)


def proof(**changes: object) -> Proof:
    values: dict[str, object] = {
        "cite": "Cité des métiers",
        "site": "Paris",
        "pole": "Trouver un emploi",
        "timezone": "Europe/Paris",
        "opened_at": OPENED,
        "ended_at": OPENED + 20 * 60,
        "key": KEY.id,
    }
    values.update(changes)
    return statement(**values)  # type: ignore[arg-type]


def test_a_statement_rounds_the_start_down_to_the_quarter_and_gives_a_range() -> None:
    stated = proof()
    assert (stated.date, stated.start, stated.length) == (
        "2026-12-08",
        "14:15",
        Length.FROM_15_TO_30,
    )
    assert msgspec.structs.asdict(stated).keys() == {
        "v", "cite", "site", "pole", "date", "start", "length", "key", "name"
    }  # fmt: skip
    # In another zone, the same moment is another local time and maybe another date.
    assert proof(timezone="Pacific/Kiritimati").date == "2026-12-09"


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, Length.UNDER_15), (14.9, Length.UNDER_15), (15, Length.FROM_15_TO_30),
     (30, Length.FROM_30_TO_60), (59.9, Length.FROM_30_TO_60), (60, Length.OVER_60),
     (300, Length.OVER_60)],
)  # fmt: skip
def test_lengths_are_ranges(minutes: float, expected: Length) -> None:
    assert length(minutes * 60) is expected


def test_a_clock_running_backwards_gives_the_shortest_range() -> None:
    assert proof(ended_at=OPENED - 5).length is Length.UNDER_15


def test_a_signed_proof_verifies_and_states_what_was_signed() -> None:
    stated = proof(name=commitment("ab" * 16, "Marie Curie"))
    token = sign(stated, KEY)
    assert token.startswith("1.")
    assert verify(token, Keyring((KEY,))) == (Verdict.VALID, stated)
    assert verify(f"  {token}\n", Keyring((KEY,))) == (Verdict.VALID, stated)


def test_a_name_is_only_ever_a_commitment() -> None:
    with pytest.raises(ConfigError):
        proof(name="Marie Curie")
    with pytest.raises(ConfigError):
        proof(name="AB" * 32)
    salt = "0f" * 16
    assert commitment(salt, "Marie Curie") != commitment(salt, "Marie Curie ")
    assert commitment(salt, "Marie Curie") != commitment("1f" * 16, "Marie Curie")
    assert len(commitment(salt, "Marie Curie")) == 64


def tampered(token: str, field: str, value: object) -> str:
    version, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data[field] = value
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{version}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


@pytest.mark.parametrize(
    ("field", "value"),
    [("v", 2), ("cite", "Autre Cité"), ("site", "Lyon"), ("pole", "Créer son activité"),
     ("date", "2026-12-09"), ("start", "14:30"), ("length", "gt60"), ("name", "0" * 64)],
)  # fmt: skip
def test_every_field_tampered_with_fails(field: str, value: object) -> None:
    token = sign(proof(name=commitment("ab" * 16, "Marie")), KEY)
    assert verify(tampered(token, field, value), Keyring((KEY,))) == (Verdict.INVALID, None)


def test_a_wrong_key_an_unknown_key_or_no_keyring_fails() -> None:
    token = sign(proof(), KEY)
    forged = sign(proof(key=OTHER.id), OTHER)
    assert verify(forged, Keyring((KEY,))) == (Verdict.INVALID, None)  # unknown key id
    # The right id, another key's signature.
    _, payload, _ = token.split(".")
    _, _, wrong = sign(proof(key=OTHER.id), OTHER).split(".")
    assert verify(f"1.{payload}.{wrong}", Keyring((KEY,))) == (Verdict.INVALID, None)
    assert verify(token, None) == (Verdict.INVALID, None)
    with pytest.raises(ConfigError):
        sign(proof(key=OTHER.id), KEY)


@pytest.mark.parametrize(
    "garbage",
    ["", "1", "1..", "2.a.b", "1.a.b.c", "1.!!!.abc", "1.abc.a", "1.e30.AAAA", "1." + "A" * 2000,
     "1.bm90IGpzb24.AAAA"],
)  # fmt: skip
def test_malformed_tokens_are_invalid_not_errors(garbage: str) -> None:
    assert verify(garbage, Keyring((KEY,))) == (Verdict.INVALID, None)


def test_a_retired_key_still_verifies_what_it_signed() -> None:
    token = sign(proof(), KEY)
    ring = Keyring((KEY,)).rotated(OTHER, now=10.0)
    assert ring.active == OTHER and ring.find(KEY.id).retired == 10.0  # type: ignore[union-attr]
    assert verify(token, ring) == (Verdict.RETIRED, proof())
    assert verify(sign(proof(key=OTHER.id), OTHER), ring)[0] is Verdict.VALID
    assert ring.find("0" * 16) is None


def test_a_keyring_ends_with_its_one_active_key() -> None:
    retired = msgspec.structs.replace(KEY, retired=5.0)
    for keys in ((), (retired,), (KEY, OTHER), (KEY, msgspec.structs.replace(KEY, retired=None))):
        with pytest.raises(ConfigError):
            Keyring(keys)
    with pytest.raises(ConfigError):
        Keyring((retired, msgspec.structs.replace(retired, retired=None)))


def test_keys_are_generated_fresh_and_round_trip() -> None:
    one, two = SigningKey.generate(1.0), SigningKey.generate(1.0)
    assert one.id != two.id and len(one.private) == 32 and len(one.id) == 16
    ring = Keyring((one,))
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(ring), type=Keyring) == ring
    assert SigningKey.from_private(one.private, 1.0) == one
