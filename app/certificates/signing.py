"""The site's Ed25519 key and the certificates' signed statements.

The key is derived from SECRET_KEY with HKDF-SHA256 (info "lianxin certificate key v1"), so
every node of one site signs with the same key without sharing a file. Changing SECRET_KEY
changes this key: certificates signed before then verify only while the old public key is listed
in CERTIFICATE_PREVIOUS_KEYS (base64url raw keys, comma-separated).

A token is base64url (no padding) of the statement's UTF-8 bytes followed by the 64-byte
signature of exactly those bytes. The statement is short so the QR stays easy to scan:
"LX1|number|YYYYMMDD|village|household number|masked head|score|balance|stars|rank|households".
"""
import base64
import binascii
from dataclasses import dataclass
from datetime import date
from typing import Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "LX1"
SIGNATURE_BYTES = 64
MAX_TOKEN = 400  # characters; anything longer is not one of ours


@dataclass(frozen=True)
class Statement:
    """What a certificate states, as signed."""

    number: int
    day: date
    village: str
    household_number: str
    head: str  # masked
    score: int
    balance: int
    stars: int
    rank: int
    households: int

    def encode(self) -> bytes:
        """The exact bytes that are signed."""
        fields = [PREFIX, str(self.number), self.day.strftime("%Y%m%d"), _clean(self.village),
                  _clean(self.household_number), _clean(self.head), str(self.score),
                  str(self.balance), str(self.stars), str(self.rank), str(self.households)]
        return "|".join(fields).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> "Statement":
        """The statement of these bytes; ValueError when they are not one."""
        parts = data.decode("utf-8").split("|")
        if len(parts) != 11 or parts[0] != PREFIX:
            raise ValueError("not a statement")
        day = date(int(parts[2][:4]), int(parts[2][4:6]), int(parts[2][6:8]))
        numbers = [int(p) for p in parts[6:]]
        return cls(int(parts[1]), day, parts[3], parts[4], parts[5], *numbers)


def _clean(value: str) -> str:
    return (value or "").replace("|", "/").strip()


def mask(name: str) -> str:
    """A name partly hidden: 张*明, 张*, 张; Latin names keep their first and last letters."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) <= 4 else name[0] + "**" + name[-1]


def private_key(secret_key: str) -> Ed25519PrivateKey:
    """The site's signing key, derived from SECRET_KEY."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"lianxin certificate key v1").derive(secret_key.encode("utf-8"))
    return Ed25519PrivateKey.from_private_bytes(seed)


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32 bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> str:
    """A public key as PEM (SubjectPublicKeyInfo), as OpenSSL reads it."""
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """The bytes of base64url text with or without padding; ValueError when it is not."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


def public_from_text(text: str) -> Ed25519PublicKey:
    """A public key from base64url raw bytes or PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(unb64url(text))


def sign(statement: Statement, key: Ed25519PrivateKey) -> str:
    """The token for a statement: base64url(statement bytes + signature)."""
    data = statement.encode()
    return b64url(data + key.sign(data))


def verify(token: str, keys: list[Ed25519PublicKey]) -> Optional[Statement]:
    """The statement a token carries when one of the keys signed it unchanged; None otherwise
    (altered, signed by another key, or not a token at all)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        raw = unb64url(token)
    except ValueError:
        return None
    if b64url(raw) != token.rstrip("="):  # one canonical spelling only
        return None
    data, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    if len(raw) <= SIGNATURE_BYTES:
        return None
    for key in keys:
        try:
            key.verify(signature, data)
        except InvalidSignature:
            continue
        try:
            return Statement.decode(data)
        except (ValueError, UnicodeDecodeError):
            return None
    return None
