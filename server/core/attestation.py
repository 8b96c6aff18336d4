"""Proof of visit (R10): a statement the visitor asks for and carries, signed by the Cité.

It says where (Cité, site, pole), when (a date and a start time rounded down to the
quarter hour, in the site's time zone) and for about how long (a range), and nothing
that could single the conversation out: no pseudonym, no id, no exact time. A name
appears only as a commitment the visitor's browser made (SHA-256 of a random salt and
the name, the server never seeing either), which whoever holds the paper can check.

Signatures are Ed25519 (the ``cryptography`` package). A token is
``1.<payload>.<signature>``, both base64url without padding, the payload the JSON of a
:class:`Proof`; the leading ``1`` is the format's version. Keys live in a
:class:`Keyring` kept with the durable configuration: one active key signs, retired
keys still verify what they signed.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
import hashlib
import re
from zoneinfo import ZoneInfo

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import ConfigError

FORMAT = 1
COMMITMENT = re.compile(r"[0-9a-f]{64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
#: Well above any real token (about 400 characters): a bound for pasted input.
TOKEN_MAX = 2000


class Length(enum.StrEnum):
    """How long the conversation lasted, as a range (never the exact duration)."""

    UNDER_15 = "lt15"
    FROM_15_TO_30 = "15-30"
    FROM_30_TO_60 = "30-60"
    OVER_60 = "gt60"


def length(seconds: float) -> Length:
    minutes = seconds / 60
    if minutes < 15:
        return Length.UNDER_15
    if minutes < 30:
        return Length.FROM_15_TO_30
    if minutes < 60:
        return Length.FROM_30_TO_60
    return Length.OVER_60


class Proof(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """What an attestation states; the signed bytes are this struct's JSON."""

    v: int
    cite: str
    site: str
    pole: str
    date: str  # YYYY-MM-DD, in the site's time zone
    start: str  # HH:MM, rounded down to the quarter hour
    length: Length
    key: str  # the id of the signing key
    name: str | None = None  # a commitment: SHA-256 hex of "<salt>:<name>"


def statement(
    *,
    cite: str,
    site: str,
    pole: str,
    timezone: str,
    opened_at: float,
    ended_at: float,
    key: str,
    name: str | None = None,
) -> Proof:
    if name is not None and not COMMITMENT.fullmatch(name):
        raise ConfigError("a name commitment is 64 lowercase hex digits")
    local = datetime.datetime.fromtimestamp(opened_at, ZoneInfo(timezone))
    start = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    return Proof(
        v=FORMAT,
        cite=cite,
        site=site,
        pole=pole,
        date=start.date().isoformat(),
        start=start.strftime("%H:%M"),
        length=length(max(0.0, ended_at - opened_at)),
        key=key,
        name=name,
    )


def commitment(salt: str, name: str) -> str:
    """What the visitor's browser computes (widget/static/proof.js does the same)."""
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()


# --- keys -------------------------------------------------------------------------------


class SigningKey(msgspec.Struct, frozen=True):
    id: str
    private: bytes  # 32 raw bytes
    created: float
    retired: float | None = None

    @classmethod
    def from_private(cls, private: bytes, created: float) -> SigningKey:
        public = Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
        return cls(id=key_id(public), private=private, created=created)

    @classmethod
    def generate(cls, created: float) -> SigningKey:
        return cls.from_private(Ed25519PrivateKey.generate().private_bytes_raw(), created)

    @property
    def public(self) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.private).public_key().public_bytes_raw()


def key_id(public: bytes) -> str:
    """Sixteen hex digits of the public key's SHA-256: short enough to print."""
    return hashlib.sha256(public).hexdigest()[:16]


class Keyring(msgspec.Struct, frozen=True):
    """Every key the Cité signed with; the last one, never retired, is active."""

    keys: tuple[SigningKey, ...]

    def __post_init__(self) -> None:
        if not self.keys or self.keys[-1].retired is not None:
            raise ConfigError("a keyring ends with its active key")
        if any(key.retired is None for key in self.keys[:-1]):
            raise ConfigError("only the last key of a keyring is active")
        if len({key.id for key in self.keys}) != len(self.keys):
            raise ConfigError("two keys of a keyring share an id")

    @property
    def active(self) -> SigningKey:
        return self.keys[-1]

    def find(self, key: str) -> SigningKey | None:
        return next((k for k in self.keys if k.id == key), None)

    def rotated(self, new: SigningKey, now: float) -> Keyring:
        """``new`` signs from now on; the active key retires and keeps verifying."""
        old = msgspec.structs.replace(self.active, retired=now)
        return Keyring((*self.keys[:-1], old, new))


# --- tokens -----------------------------------------------------------------------------

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Proof)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(proof: Proof, key: SigningKey) -> str:
    if proof.key != key.id:
        raise ConfigError("a proof names the key that signs it")
    payload = _encoder.encode(proof)
    signature = Ed25519PrivateKey.from_private_bytes(key.private).sign(payload)
    return f"{FORMAT}.{_b64(payload)}.{_b64(signature)}"


class Verdict(enum.StrEnum):
    VALID = "valid"
    RETIRED = "retired"  # a true signature by a key the Cité has since replaced
    INVALID = "invalid"


def verify(token: str, keyring: Keyring | None) -> tuple[Verdict, Proof | None]:
    """The verdict on ``token``, and what it states when the signature holds."""
    parts = token.strip().split(".")
    if keyring is None or len(token) > TOKEN_MAX or len(parts) != 3 or parts[0] != str(FORMAT):
        return Verdict.INVALID, None
    if not all(_BASE64URL.fullmatch(part) for part in parts[1:]):
        return Verdict.INVALID, None
    try:
        payload, signature = _unb64(parts[1]), _unb64(parts[2])
        proof = _decoder.decode(payload)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return Verdict.INVALID, None
    key = keyring.find(proof.key)
    if key is None:
        return Verdict.INVALID, None
    try:
        Ed25519PublicKey.from_public_bytes(key.public).verify(signature, payload)
    except InvalidSignature:
        return Verdict.INVALID, None
    return (Verdict.VALID if key.retired is None else Verdict.RETIRED), proof
