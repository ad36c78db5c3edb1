"""PEM private keys: the secret half of a self-generated (Ed25519 or RSA) Binance API key.

Binance asks for PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, or `ENCRYPTED PRIVATE KEY` with a
passphrase). The key is found wherever it sits: a .pem file, a Python triple-quoted string, a YAML
block, or a JSON string with `\\n` escapes. The secret recorded is the canonical PEM, so the same key
hashes alike in every one of those forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Any armoured block (private key, certificate, public key, PGP): its body is wrapped base64, whose
# lines are no API keys. The literal `-----BEGIN ` prefix lets the engine skip ahead with a fast
# literal search, and the label is a bounded run of one character class: nothing to backtrack over.
_BEGIN = re.compile(
    rb"""
    -----BEGIN[ ](?P<label>[A-Z0-9 ]{1,40})-----
    """,
    re.VERBOSE,
)
_END = b"-----END "
_PRIVATE_LABELS = frozenset(
    {
        b"PRIVATE KEY",
        b"ENCRYPTED PRIVATE KEY",
        b"RSA PRIVATE KEY",
        b"EC PRIVATE KEY",
        b"DSA PRIVATE KEY",
        b"OPENSSH PRIVATE KEY",
    }
)
_MAX_PEM_BYTES = 16_384
_MAX_ARMOUR_BYTES = 65_536
# Escaped newlines of JSON/notebook strings, string concatenation and quoting inside the body.
_BODY_NOISE = re.compile(rb"\\[nrt]|[^A-Za-z0-9+/=]")
# Object identifiers in the DER body (tag 06, length, value).
_ED25519_OID = bytes.fromhex("06032b6570")
_RSA_OID = bytes.fromhex("06092a864886f70d010101")

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    Algorithm = Literal["ed25519", "rsa", "encrypted", "other"]


@dataclass(frozen=True)
class PemMatch:
    start: int  # offset of `-----BEGIN`
    end: int  # offset after the END marker
    label: str
    algorithm: Algorithm
    canonical: str


@dataclass(frozen=True)
class ArmouredBlock:
    start: int  # offset of `-----BEGIN`
    body_start: int
    body_end: int  # offset of `-----END`
    end: int  # offset after the END marker
    label: bytes


def armoured_blocks(data: bytes) -> Iterator[ArmouredBlock]:
    """`-----BEGIN X-----` … `-----END X-----` blocks, each paired with the nearest END after it.

    Linear whatever the input: the next END is found once and reused until a BEGIN passes it, and a
    BEGIN followed by another BEGIN before any END is skipped, so no stretch is searched twice.
    """
    if b"-----BEGIN " not in data:
        return
    next_end = -1
    begins = _BEGIN.finditer(data)
    begin = next(begins, None)
    while begin is not None:
        following = next(begins, None)
        if next_end < begin.end():
            next_end = data.find(_END, begin.end())
        if next_end == -1:
            return
        label = begin.group("label")
        end_marker = _END + label + b"-----"
        closes_here = following is None or following.start() > next_end
        if closes_here and next_end - begin.end() <= _MAX_ARMOUR_BYTES and data.startswith(end_marker, next_end):
            yield ArmouredBlock(begin.start(), begin.end(), next_end, next_end + len(end_marker), label)
        begin = following


def private_keys(data: bytes, blocks: Iterable[ArmouredBlock] | None = None) -> Iterator[PemMatch]:
    """The private keys among `blocks` (by default, all armoured blocks of `data`)."""
    if b"PRIVATE KEY-----" not in data:
        return
    for block in armoured_blocks(data) if blocks is None else blocks:
        label = block.label
        if label not in _PRIVATE_LABELS or block.body_end - block.body_start > _MAX_PEM_BYTES:
            continue
        body = _clean_body(data[block.body_start : block.body_end])
        der = _decode(body)
        if der is None or len(der) < 40:
            continue
        label_text = label.decode("ascii")
        yield PemMatch(
            start=block.start,
            end=block.end,
            label=label_text,
            algorithm=_algorithm(label_text, der),
            canonical=_canonical_pem(label_text, body),
        )


def _clean_body(raw: bytes) -> bytes:
    # Legacy encrypted PEM carries `Proc-Type:`/`DEK-Info:` header lines before the base64.
    lines = [line for line in re.split(rb"\\n|\n", raw) if b":" not in line]
    return _BODY_NOISE.sub(b"", b"\n".join(lines))


def _decode(body: bytes) -> bytes | None:
    import base64  # these two here, not at the top: a pre-commit run with no private key never loads them
    import binascii

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
