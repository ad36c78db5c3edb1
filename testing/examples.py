"""Fill the detectors' example templates (`binance_secrets.detectors.examples`) with generated values.

Nothing key-like is committed: keys, digests and PEMs are made here at run time. Binance's own
documentation keys, which must never be flagged, are kept as 16-character pieces and joined here
(the repository's self-scan would otherwise rightly stop at them).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from binance_secrets.detectors.examples import PLACEHOLDERS
from testing.keys import ed25519_pem, key_and_self_signed_certificate, random_hex, random_token, rsa_pem

# Binance API documentation examples (rest-api.md HMAC/RSA/Ed25519 keys, faqs/api_key_types.md),
# split so that no 64-character run is written down.
_DOCUMENTATION_KEY_PIECES = (
    ("vmPUZE6mv9SD5VNH", "k4HlWFsOr6aKE2zv", "sw0MuIgwCIPy6utI", "co14y7Ju91duEh8A"),
    ("NhqPtmdSJYdKjVHj", "A7PZj4Mge3R5YNiP", "1e3UZjInClVN65XA", "bvqqM6A7H5fATj0j"),
    ("4yNzx3yWC5bS6YTw", "EkSRaC0nRmSQIISt", "AUOh1b6kqaBrTLIh", "jCpI5lJH8q8R8WNO"),
    ("CAvIjXy3F44yW6Po", "u5k8Dy1swsYDWJZL", "eoK2r8G4cFDnE9no", "sRppc2eKc1T8TRTQ"),
    ("Fhs4lGae2qAi6VNj", "bJjebUAwXrIChb7m", "lf372UOICMwdKaNd", "NBGKtfdeUff2TTTT"),
)
DOCUMENTATION_KEYS = tuple("".join(pieces) for pieces in _DOCUMENTATION_KEY_PIECES)

_BASE64 = string.ascii_letters + string.digits + "+/"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def random_base64(length: int) -> str:
    return "".join(secrets.choice(_BASE64) for _ in range(length))


def _base64_line() -> str:
    line = random_base64(63)
    return line[:30] + "+" + line[30:]


def _pem_of(key: object, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, fmt, serialization.NoEncryption()
    ).decode()


def example_values() -> dict[str, str]:
    """One value for every placeholder in `PLACEHOLDERS`, freshly generated."""
    pem = ed25519_pem()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    token = random_token()
    values = {
        "key": random_token(),
        "secret": random_token(),
        "key2": random_token(),
        "secret2": random_token(),
        "token": token,
        "token63": random_token(63),
        "cred": random_token(40),
        "hex64": random_hex(64),
        "x64": "x" * 64,
        "HEX64": random_hex(64).upper(),
        "sha1": random_hex(40),
        "uuid": str(uuid.uuid4()),
        "jwt": "eyJhbGciOiJIUzI1NiJ9." + random_token() + "." + random_base64(43).replace("+", "-"),
        "b64blob": random_base64(30) + "+" + random_token() + "/" + random_base64(30),
        "b64img": random_token() + "/" + random_base64(200) + "==",
        "sri": random_token() + "+" + random_base64(21) + "==",
        "b64line": _base64_line(),
        "b64pad": random_token() + "=",
        "lower64": "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(64)),
        "upper60": "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(60)),
        "seq64": ((string.ascii_uppercase + string.ascii_lowercase + string.digits) * 2)[:64],
        "repeat64": ("aB3" * 22)[:64],
        "pem": pem,
        "rsa_pem": rsa_pem(),
        "enc_pem": ed25519_pem(passphrase=b"correct horse"),
        "pkcs1_pem": _pem_of(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL),
        "ec_pem": _pem_of(ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.PKCS8),
        "openssh_pem": _pem_of(ed_key, serialization.PrivateFormat.OpenSSH),
        "pub_pem": ed_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "ssh_pub": rsa_key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
        + " trader@host",
        "pem_json": json.dumps(pem)[1:-1],
        "pem_yaml": "".join("    " + line + "\n" for line in pem.splitlines()),
        "pem_crlf": pem.replace("\n", "\r\n"),
        "pem_nbody": pem.rstrip("\n"),
        "pem_pragma": pem.replace("-----\n", "----- # pragma: allowlist secret\n", 1),
    }
    values.update({f"doc{index}": key for index, key in enumerate(DOCUMENTATION_KEYS)})
    values.update(_encoded_values(values))
    missing = set(PLACEHOLDERS) - set(values)
    assert not missing, f"no generated value for {sorted(missing)}"
    return values


def _encoded_values(values: dict[str, str]) -> dict[str, str]:
    """Base64 placeholders (issue #10, item 4), encoded from the values they name."""
    placeholders = "BINANCE_API_KEY=your_api_key_here\nBINANCE_API_SECRET=your_api_secret_here\n"
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + secrets.token_bytes(600)
    return {
        "hex64_b64": _b64(values["hex64"].encode()),
        "doc0_b64": _b64(values["doc0"].encode()),
        "placeholder_env_b64": _b64(placeholders.encode()),
        "cert_b64": _b64(certificate_pem().encode()),
        "png_b64": _b64(png),
        "bytes_b64": _b64(secrets.token_bytes(300)),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def certificate_pem() -> str:
    """A self-signed certificate (EC P-256), PEM: what a TLS `Secret` or a CA bundle holds."""
    _, certificate = key_and_self_signed_certificate("proxy.example.invalid")
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def fill(template: str, values: dict[str, str]) -> str:
    """Replace `{name}` for the known placeholder names only; other braces are code."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
