"""PEM private keys: the secret half of a self-generated (Ed25519 or RSA) Binance API key.

Binance asks for PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, or `ENCRYPTED PRIVATE KEY` with a
passphrase). The key is found wherever it sits: a .pem file, a Python triple-quoted string, a YAML
block, or a JSON string with `\\n` escapes. The secret recorded is the canonical PEM, so the same key
hashes alike in every one of those forms.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

# The literal `-----BEGIN ` prefix lets the engine skip ahead with a fast literal search; the label
# alternatives are fixed strings, so there is nothing to backtrack over.
_BEGIN = re.compile(rb"-----BEGIN (?P<label>(?:ENCRYPTED |RSA |EC |DSA |OPENSSH )?PRIVATE KEY)-----")
_MAX_PEM_BYTES = 16_384
# Escaped newlines of JSON/notebook strings, string concatenation and quoting inside the body.
_BODY_NOISE = re.compile(rb"\\[nrt]|[^A-Za-z0-9+/=]")
# Object identifiers in the DER body (tag 06, length, value).
_ED25519_OID = bytes.fromhex("06032b6570")
_RSA_OID = bytes.fromhex("06092a864886f70d010101")

Algorithm = Literal["ed25519", "rsa", "encrypted", "other"]


@dataclass(frozen=True)
class PemMatch:
    start: int  # offset of `-----BEGIN`
    end: int  # offset after the END marker
    label: str
    algorithm: Algorithm
    canonical: str


def private_keys(data: bytes) -> Iterator[PemMatch]:
    if b"PRIVATE KEY-----" not in data:
        return
    for begin in _BEGIN.finditer(data):
        label = begin.group("label")
        end_marker = b"-----END " + label + b"-----"
        end = data.find(end_marker, begin.end(), begin.end() + _MAX_PEM_BYTES)
        if end == -1:
            continue
        body = _clean_body(data[begin.end() : end])
        der = _decode(body)
        if der is None or len(der) < 40:
            continue
        label_text = label.decode("ascii")
        yield PemMatch(
            start=begin.start(),
            end=end + len(end_marker),
            label=label_text,
            algorithm=_algorithm(label_text, der),
            canonical=_canonical_pem(label_text, body),
        )


def _clean_body(raw: bytes) -> bytes:
    # Legacy encrypted PEM carries `Proc-Type:`/`DEK-Info:` header lines before the base64.
    lines = [line for line in re.split(rb"\\n|\n", raw) if b":" not in line]
    return _BODY_NOISE.sub(b"", b"\n".join(lines))


def _decode(body: bytes) -> bytes | None:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def _algorithm(label: str, der: bytes) -> Algorithm:
    if label == "ENCRYPTED PRIVATE KEY":
        return "encrypted"
    if label == "RSA PRIVATE KEY" or _RSA_OID in der[:32]:
        return "rsa"
    if _ED25519_OID in der[:16]:
        return "ed25519"
    return "other"


def _canonical_pem(label: str, body: bytes) -> str:
    text = body.decode("ascii")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
