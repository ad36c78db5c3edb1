"""Credentials generated at run time, so that the repository itself never holds a key-like literal."""

from __future__ import annotations

import secrets
import string

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

ALPHANUMERIC = string.ascii_letters + string.digits


def random_token(length: int = 64) -> str:
    """A Binance-shaped key: mixed case and digits, as every issued key has."""
    while True:
        token = "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))
        if (
            any(c.isupper() for c in token)
            and any(c.islower() for c in token)
            and any(c.isdigit() for c in token)
        ):
            return token


def api_key() -> str:
    return random_token()


def secret_key() -> str:
    return random_token()


def random_hex(length: int = 64) -> str:
    return secrets.token_hex(length // 2)[:length]


def ed25519_pem(passphrase: bytes | None = None) -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return _pem(key, passphrase)


def rsa_pem(bits: int = 2048, passphrase: bytes | None = None) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _pem(key, passphrase)


def _pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey, passphrase: bytes | None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()
