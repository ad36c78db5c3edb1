"""Credentials generated at run time, so that the repository itself never holds a key-like literal."""

from __future__ import annotations

import datetime
import secrets
import string
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from binance_secrets.detectors.tokens import has_sequence

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
    """Random lowercase hex; up to 128 digits (a key's length), without a run of five equal or ascending
    digits (`66666`, `34567`).

    The detectors take such a run for a look-alike (`tokens.has_sequence`, tuned for 62-symbol keys),
    and over 16 symbols about one random 64-digit value in 600 holds one: a known miss for futures-testnet
    hex keys (see the README's "What is detected"), left out here so that a test's draw does not fail on
    it one run in hundreds.
    """
    while True:
        value = secrets.token_hex((length + 1) // 2)[:length]
        if length > 128 or not has_sequence(value):
            return value


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


def key_and_self_signed_certificate(
    common_name: str, extensions: Sequence[tuple[x509.ExtensionType, bool]] = ()
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An EC P-256 key and a self-signed certificate for it, valid from five minutes ago for 30 days;
    each extension comes with whether it is critical."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return key, builder.sign(key, hashes.SHA256())
