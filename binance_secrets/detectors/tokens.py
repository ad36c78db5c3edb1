"""64-character Binance API keys and HMAC secret keys.

Python's `re` runs a bare `[A-Za-z0-9]{64}` at about 30 MB/s because it retries at every offset of
every shorter alphanumeric run. Instead the whole chunk is mapped once with `bytes.translate` to a
two-letter alphabet (alphanumeric -> `a`, anything else -> space) and `bytes.find` jumps straight to
the start of each run of 64 or more: both are C loops over the buffer, linear and an order of
magnitude faster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from binance_secrets.detectors.context import shannon_entropy

TOKEN_LENGTH = 64
_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# Quotes are marked apart (`q`) so that split literals can be found in the same map (`split_literals`).
_RUN_MARKS = bytes(ord("a") if byte in _ALNUM else ord("q") if byte in b"\"'" else ord(" ") for byte in range(256))
_RUN = b"a" * TOKEN_LENGTH
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_HEX_BYTES = b"0123456789abcdefABCDEF"
_DIGIT_BYTES = b"0123456789"
_PREVIOUS_BYTE = bytes((byte - 1) % 256 for byte in range(256))
_FOUR_ZEROS = b"\0\0\0\0"
_BASE64_NEIGHBOURS = frozenset(b"+/")
_IDENTIFIER_GLUE = frozenset(b"_-.")
_ALNUM_SET = frozenset(_ALNUM)
_BASE64_ALPHABET = _ALNUM + b"+/="
_BASE64_LINE_MIN = 60
_BASE64_LINE_MAX = 100
_INDENT_BYTES = 8

# A random key over 62 symbols has an empirical entropy of about 5.2 bits/char at this length (the
# documentation's keys measure 4.96-5.30); 4.5 is many standard deviations below that.
MIN_TOKEN_ENTROPY = 4.5

# Words that mark a placeholder somebody typed rather than a key Binance issued. A random 64-character
# key contains a given four-letter word about once in 4 million draws, so the short words reject a
# token only when its entropy is also below what almost every real key reaches (under 1% of keys are
# below 4.9): together they cost a real key about once in 100 million.
_PLACEHOLDER_WORDS = (
    "example",
    "placeholder",
    "sample",
    "dummy",
    "insert",
    "replace",
    "redacted",
    "changeme",
    "apikey",
    "secret",
)
_SHORT_PLACEHOLDER_WORDS = ("your", "xxxx", "fake", "test", "here")
_SHORT_WORD_ENTROPY = 4.9

# Keys printed in Binance's API documentation and copied into countless tutorials; stored as
# SHA-256 so that this file holds no key-like literal.
DOCUMENTATION_KEY_SHA256 = frozenset(
    {
        "5ba1ed8425baaa72d558afddb8aaacdfe29ad0dc1a44dae76640127e83626d29",
        "23e9efa3ced6e70c7f2dbe0d08295f18f94b0cbd5c6026677e3bc51897ee31f2",
        "0c1cc8ea05afd55a92ed4f3ca2269ee35cae1b8aa6ba13a1c88ac4214f41e69f",
        "88a07940499df805e429410fb07b23408a5375962ad3960210e7c2c7aac67779",
        "3b76d52c452446111712fa1a02da33ede27938e6e2ba943f514f3929b837f043",
    }
)


HEX_REASON = "hex digest or signature"


@dataclass(frozen=True)
class TokenSpan:
    start: int
    end: int


def run_marks(data: bytes) -> bytes:
    """`data` with alphanumerics as `a`, quotes as `q`, anything else as a space (shared with split literals)."""
    return data.translate(_RUN_MARKS)


def alphanumeric_runs(data: bytes, marks: bytes | None = None) -> Iterator[TokenSpan]:
    """Spans of key-length alphanumeric runs, with escape and percent-encoding prefixes peeled off.

    A run glued to an escape (`\\nKEY` inside a JSON string, `\\u0022KEY`) or a percent-encoded
    separator (`%3DKEY` in a URL) is one or a few characters too long; those are trimmed here so
    that the key inside is still seen.
    """
    if marks is None:
        marks = run_marks(data)
    position = marks.find(_RUN)
    while position != -1:
        end = marks.find(b" ", position + TOKEN_LENGTH)
        if end == -1:
            end = len(data)
        quote = marks.find(b"q", position + TOKEN_LENGTH, end)
        if quote != -1:
            end = quote
        start = _peel_prefix(data, position, end)
        if end - start == TOKEN_LENGTH:
            yield TokenSpan(start, end)
        position = marks.find(_RUN, end)


def _peel_prefix(data: bytes, start: int, end: int) -> int:
    extra = end - start - TOKEN_LENGTH
    if extra <= 0 or start == 0:
        return start
    before = data[start - 1]
    if before == ord("\\") and extra == 1 and data[start] in b"nrt":
        return start + 1
    if before == ord("\\") and extra == 5 and data[start] == ord("u"):
        return start + 5
    if before == ord("%") and extra == 2 and all(chr(c) in _HEX_CHARS for c in data[start : start + 2]):
        return start + 2
    return start


def rejection_reason(data: bytes, span: TokenSpan) -> str | None:
    """Why a 64-character run is not a Binance key, or None when it looks like one."""
    raw = data[span.start : span.end]
    # Byte-string operations, not character loops: this runs for every candidate of a huge file.
    if not raw.translate(None, _HEX_BYTES):
        return HEX_REASON  # the caller may still take a named hex value for a testnet key
    if raw.islower() or raw.isupper():
        return "single case"
    if len(raw.translate(None, _DIGIT_BYTES)) == len(raw):
        return "no digits"
    return value_rejection_reason(raw.decode("ascii")) or _neighbour_reason(data, span)


def value_rejection_reason(token: str, *, check_entropy: bool = True) -> str | None:
    """The checks that depend on the value alone, shared with the credential rule.

    The credential rule leaves out the entropy test: a hex or short secret is still a secret when it
    is assigned to `API_SECRET`.
    """
    lowered = token.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "placeholder"
    if _has_sequence(token):
        return "repeated or sequential run"
    entropy = shannon_entropy(token) if check_entropy else 0.0
    if check_entropy and entropy < MIN_TOKEN_ENTROPY:
        return "low entropy"
    if entropy < _SHORT_WORD_ENTROPY and any(word in lowered for word in _SHORT_PLACEHOLDER_WORDS):
        return "placeholder"
    if hashlib.sha256(token.encode()).hexdigest() in DOCUMENTATION_KEY_SHA256:
        return "Binance documentation example"
    return None


def neighbour_rejection_reason(data: bytes, span: TokenSpan) -> str | None:
    """The checks on what surrounds a run (base64, identifiers), for runs checked by another rule."""
    return _neighbour_reason(data, span)


def _neighbour_reason(data: bytes, span: TokenSpan) -> str | None:
    before = data[span.start - 1] if span.start > 0 else None
    after = data[span.end] if span.end < len(data) else None
    if before in _BASE64_NEIGHBOURS or after in _BASE64_NEIGHBOURS:
        return "part of a base64 blob"
    if after == ord("=") and (span.end + 1 >= len(data) or data[span.end + 1] in b"=\"'\r\n \t,;)]}"):
        # `<run>=` ending a string is base64 padding; `name=value` has the name on the left.
        return "base64 padding"
    if before in _IDENTIFIER_GLUE and span.start >= 2 and data[span.start - 2] in _ALNUM_SET:
        return "part of a longer identifier or labelled token"
    if after in _IDENTIFIER_GLUE and span.end + 1 < len(data) and data[span.end + 1] in _ALNUM_SET:
        return "part of a longer identifier or labelled token"
    if _alone_in_base64_block(data, span):
        return "line of a multi-line base64 block"
    return None


def _alone_in_base64_block(data: bytes, span: TokenSpan) -> bool:
    """A token that is a whole line between lines of base64 (PGP armour, certificates, blobs).

    Base64 wrapped at 64 columns yields all-alphanumeric lines about one time in eight; their
    neighbours give them away, because nearly every other line holds a `+` or a `/`. A key file of
    two keys on two lines has no such neighbour.
    """
    newline = data.rfind(b"\n", max(0, span.start - _INDENT_BYTES), span.start)
    if (newline == -1 and span.start > _INDENT_BYTES) or data[newline + 1 : span.start].strip(b" \t\"'"):
        return False
    line_start = newline + 1
    line_end = data.find(b"\n", span.end, span.end + _INDENT_BYTES)
    if line_end == -1:
        if len(data) - span.end > _INDENT_BYTES:
            return False
        line_end = len(data)
    if data[span.end : line_end].strip(b" \t\r\"',"):
        return False
    if line_start >= 1:
        previous_start = data.rfind(b"\n", max(0, line_start - 1 - _BASE64_LINE_MAX), line_start - 1) + 1
        if _is_base64_line(data[previous_start : line_start - 1]):
            return True
    if line_end < len(data):
        following_end = data.find(b"\n", line_end + 1, line_end + 2 + _BASE64_LINE_MAX)
        following = data[line_end + 1 : following_end if following_end != -1 else line_end + 1 + _BASE64_LINE_MAX]
        return _is_base64_line(following)
    return False


def _is_base64_line(line: bytes) -> bool:
    line = line.strip(b" \t\r\"',")
    return (
        _BASE64_LINE_MIN <= len(line) <= _BASE64_LINE_MAX
        and not line.translate(None, _BASE64_ALPHABET)
        and (b"+" in line or b"/" in line)
    )


def _has_sequence(token: str) -> bool:
    """Runs such as `aaaaa`, `abcde` or `12345` that a random 62-symbol key almost never contains.

    Five, not four: a random key holds some four-fold repeat about once in 4,000 draws, too often to
    drop real keys for; five happens about once in 250,000.
    """
    raw = token.encode("utf-8", "surrogateescape")
    if len(raw) < 5:
        return False
    # XOR of the string with itself shifted by one is a zero byte wherever two neighbours are equal
    # (or, shifted through `_PREVIOUS_BYTE`, wherever a byte is its predecessor plus one); four zero
    # bytes in a row are a run of five. Big-integer XOR keeps this in C.
    head = int.from_bytes(raw[:-1], "big")
    length = len(raw) - 1
    same = (head ^ int.from_bytes(raw[1:], "big")).to_bytes(length, "big")
    ascending = (head ^ int.from_bytes(raw[1:].translate(_PREVIOUS_BYTE), "big")).to_bytes(length, "big")
    return _FOUR_ZEROS in same or _FOUR_ZEROS in ascending
