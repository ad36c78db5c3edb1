"""Signing a request the way Binance checks it: HMAC-SHA256 (hex), Ed25519 and RSA (base64).

The signed payload is the percent-encoded query string exactly as it is sent, so the query is encoded
once, here, and never re-encoded by the HTTP client (Binance enforces this since 2026-01-15: a payload
signed before encoding fails with -1022).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


class KeyLoadError(Exception):
    """A private key that cannot be used. The message never contains key material."""


class Signer(Protocol):
    @property
    def kind(self) -> str:
        """ "hmac", "ed25519" or "rsa"."""
        ...

    def sign(self, payload: str) -> str:
        """The value of the `signature` parameter, before percent-encoding."""
        ...


@dataclass(frozen=True)
class HmacSigner:
    secret: str = field(repr=False)
    kind: str = "hmac"

    def sign(self, payload: str) -> str:
        return hmac.new(self.secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Ed25519Signer:
    key: Ed25519PrivateKey = field(repr=False)
    kind: str = "ed25519"

    def sign(self, payload: str) -> str:
        return base64.b64encode(self.key.sign(payload.encode("ascii"))).decode("ascii")


@dataclass(frozen=True)
class RsaSigner:
    key: RSAPrivateKey = field(repr=False)
    kind: str = "rsa"

    def sign(self, payload: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = self.key.sign(payload.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


def load_private_key(pem: str, passphrase: bytes | None = None) -> Ed25519Signer | RsaSigner:
    """A signer for a PKCS#8 PEM private key (Ed25519 or RSA), decrypting it with `passphrase` if needed."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    encrypted = "ENCRYPTED PRIVATE KEY" in pem
    if encrypted and not passphrase:
        raise KeyLoadError("the private key is encrypted and no passphrase was given")
    try:
        key = load_pem_private_key(pem.encode("ascii", "replace"), password=passphrase if encrypted else None)
    except (ValueError, TypeError):
        # cryptography's messages do not echo the key, but say nothing more specific than we do.
        reason = "wrong passphrase or damaged key" if encrypted else "not a valid PKCS#8 PEM private key"
        raise KeyLoadError(f"cannot load the private key: {reason}") from None
    except Exception:  # UnsupportedAlgorithm and friends
        raise KeyLoadError("cannot load the private key: unsupported key type") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return RsaSigner(key)
    raise KeyLoadError("cannot use the private key: Binance accepts only Ed25519 and RSA keys")


def encode_query(params: Mapping[str, str | int]) -> str:
    """Percent-encode every value (space as %20, not '+'), keeping the parameter order."""
    return urlencode({key: str(value) for key, value in params.items()}, quote_via=quote, safe="")


def signed_query(params: Mapping[str, str | int], signer: Signer) -> str:
    """`params` percent-encoded, then `&signature=` over exactly that string."""
    payload = encode_query(params)
    return f"{payload}&signature={quote(signer.sign(payload), safe='')}"
