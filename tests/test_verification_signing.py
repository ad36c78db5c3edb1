"""Signing exactly as Binance checks it, proven on Binance's own worked example and on generated keys."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from binance_secrets.verification.signing import (
    HmacSigner,
    KeyLoadError,
    encode_query,
    load_private_key,
    signed_query,
)
from testing import keys

# Binance's public documentation example (rest-api.md, "SIGNED Endpoint Examples for POST
# /api/v3/order - HMAC Keys"). Stored in 16-character pieces so that no key-shaped literal sits in the
# repository; it is not a credential of anyone's.
_DOC_SECRET_PIECES = ("NhqPtmdSJYdKjVHj", "A7PZj4Mge3R5YNiP", "1e3UZjInClVN65XA", "bvqqM6A7H5fATj0j")
_DOC_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)
_DOC_SIGNATURE_PIECES = ("c8db56825ae71d6d", "79447849e617115f", "4a920fa2acdcab2b", "053c4b2838bd6b71")


def test_hmac_signature_matches_binance_documentation_example() -> None:
    signer = HmacSigner("".join(_DOC_SECRET_PIECES))
    assert signer.sign(_DOC_PAYLOAD) == "".join(_DOC_SIGNATURE_PIECES)


def test_signed_query_signs_the_percent_encoded_string_that_is_sent() -> None:
    params = {
        "symbol": "LTCBTC",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": 1,
        "price": "0.1",
        "recvWindow": 5000,
        "timestamp": 1499827319559,
    }
    query = signed_query(params, HmacSigner("".join(_DOC_SECRET_PIECES)))
    assert query == _DOC_PAYLOAD + "&signature=" + "".join(_DOC_SIGNATURE_PIECES)


def test_query_values_are_percent_encoded_before_signing() -> None:
    assert encode_query({"symbol": "LTC BTC", "note": "a+b/c=d&e", "n": 1}) == (
        "symbol=LTC%20BTC&note=a%2Bb%2Fc%3Dd%26e&n=1"
    )
    secret = keys.secret_key()
    query = signed_query({"note": "a b", "timestamp": 1}, HmacSigner(secret))
    payload, signature = query.split("&signature=")
    assert payload == "note=a%20b&timestamp=1"
    assert signature == HmacSigner(secret).sign(payload)


def test_ed25519_signature_is_base64_and_verifies_with_the_public_key() -> None:
    pem = keys.ed25519_pem()
    signer = load_private_key(pem)
    assert signer.kind == "ed25519"
    payload = "recvWindow=5000&timestamp=1499827319559"
    signature = base64.b64decode(signer.sign(payload))
    public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    assert isinstance(public, ed25519.Ed25519PublicKey)
    public.verify(signature, payload.encode())


def test_rsa_signature_is_pkcs1v15_sha256_and_percent_encoded_in_the_query() -> None:
    pem = keys.rsa_pem()
    signer = load_private_key(pem)
    assert signer.kind == "rsa"
    query = signed_query({"timestamp": 1499827319559}, signer)
    payload, encoded = query.split("&signature=")
    assert "+" not in encoded and "/" not in encoded and "=" not in encoded  # base64 is percent-encoded
    from urllib.parse import unquote

    public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(base64.b64decode(unquote(encoded)), payload.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_encrypted_pem_loads_with_its_passphrase() -> None:
    signer = load_private_key(keys.ed25519_pem(passphrase=b"correct horse"), b"correct horse")
    assert signer.kind == "ed25519"


@pytest.mark.parametrize(
    ("pem", "passphrase", "message"),
    [
        (keys.ed25519_pem(passphrase=b"pw"), None, "encrypted and no passphrase"),
        (keys.ed25519_pem(passphrase=b"pw"), b"wrong", "wrong passphrase"),
        ("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", None, "not a valid"),
    ],
)
def test_unusable_private_key_errors_never_contain_key_material(
    pem: str, passphrase: bytes | None, message: str
) -> None:
    with pytest.raises(KeyLoadError) as raised:
        load_private_key(pem, passphrase)
    assert message in str(raised.value)
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    assert not any(line in str(raised.value) for line in body)


def test_signer_repr_does_not_show_the_secret() -> None:
    secret = keys.secret_key()
    assert secret not in repr(HmacSigner(secret))
