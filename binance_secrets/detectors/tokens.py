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
_RUN_MARKS = bytes(ord("a") if byte in _ALNUM else ord(" ") for byte in range(256))
_RUN = b"a" * TOKEN_LENGTH
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_BASE64_NEIGHBOURS = frozenset(b"+/")
_IDENTIFIER_GLUE = frozenset(b"_-.")
_ALNUM_SET = frozenset(_ALNUM)

# A random key over 62 symbols has an empirical entropy of about 5.2 bits/char at this length (the
# documentation's keys measure 4.96-5.30); 4.5 is many standard deviations below that.
MIN_TOKEN_ENTROPY = 4.5

# Words that mark a placeholder somebody typed rather than a key Binance issued.
_PLACEHOLDER_WORDS = (
    "your",
    "example",
    "placeholder",
    "sample",
    "dummy",
    "fake",
    "insert",
    "replace",
    "redacted",
    "changeme",
    "apikey",
    "secret",
    "xxxx",
)

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


@dataclass(frozen=True)
class TokenSpan:
    start: int
    end: int


def alphanumeric_runs(data: bytes) -> Iterator[TokenSpan]:
    """Spans of key-length alphanumeric runs, with escape and percent-encoding prefixes peeled off.

    A run glued to an escape (`\\nKEY` inside a JSON string, `\\u0022KEY`) or a percent-encoded
    separator (`%3DKEY` in a URL) is one or a few characters too long; those are trimmed here so
    that the key inside is still seen.
    """
    marks = data.translate(_RUN_MARKS)
    position = marks.find(_RUN)
    while position != -1:
        end = marks.find(b" ", position + TOKEN_LENGTH)
        if end == -1:
            end = len(data)
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
    token = data[span.start : span.end].decode("ascii")
    if all(char in _HEX_CHARS for char in token):
        return "hex digest or signature"
    if not (any(c.isupper() for c in token) and any(c.islower() for c in token)):
        return "single case"
    if not any(c.isdigit() for c in token):
        return "no digits"
    lowered = token.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "placeholder"
    if _has_sequence(token):
        return "repeated or sequential run"
    if shannon_entropy(token) < MIN_TOKEN_ENTROPY:
        return "low entropy"
    if hashlib.sha256(token.encode()).hexdigest() in DOCUMENTATION_KEY_SHA256:
        return "Binance documentation example"
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
    return None


def _has_sequence(token: str) -> bool:
    """Runs such as `aaaa`, `abcde` or `12345` that a random 62-symbol key almost never contains."""
    repeat = 1
    ascending = 1
    for previous, current in zip(token, token[1:]):
        repeat = repeat + 1 if current == previous else 1
        ascending = ascending + 1 if ord(current) == ord(previous) + 1 else 1
        if repeat >= 4 or ascending >= 5:
            return True
    return False
