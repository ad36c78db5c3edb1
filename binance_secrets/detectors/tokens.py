"""64-character Binance API keys and HMAC secret keys.

Python's `re` runs a bare `[A-Za-z0-9]{64}` at about 30 MB/s because it retries at every offset of
every shorter alphanumeric run. Instead the whole chunk is mapped once with `bytes.translate` to a
two-letter alphabet (alphanumeric -> `a`, anything else -> space) and `bytes.find` jumps straight to
the start of each run of 64 or more: both are C loops over the buffer, linear and an order of
magnitude faster.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from binance_secrets.detectors.doc_shapes import listen_key_reason
from binance_secrets.detectors.documentation import is_documentation_example
from binance_secrets.detectors.entropy import shannon_entropy
from binance_secrets.triggers import TOKEN_LENGTH

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

# Periodic placeholders (`abc123abc123…`, `A1b2C3d4A1b2C3d4…`): a value that repeats itself after at
# most this many characters at three positions in four. A random key matches itself at a given shift
# about once in 62 positions; three in four over eight or more positions never happens by chance.
_MAX_PERIOD = 16
_MIN_PERIOD_COMPARISONS = 8
_PERIODIC_SHARE = 0.75
# Percent-encoded base64 characters (`+`, `/`, `=`) around a run: a piece of a URL-encoded signature
# (`signature=…%2F<64 chars>%2B…%3D`), not a key.
_ENCODED_BASE64_BEFORE = (b"%2B", b"%2F")
_ENCODED_BASE64_AFTER = (b"%2B", b"%2F", b"%3D")


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


def runs_as_tokens(data: bytes, runs: list[tuple[int, int]]) -> Iterator[TokenSpan]:
    """`alphanumeric_runs` from runs already located (each whole run of `TOKEN_LENGTH` alphanumerics
    or more, as `start, end`, in order: what `alphanumeric_runs` finds in the map): the same spans."""
    for position, end in runs:
        start = _peel_prefix(data, position, end)
        if end - start == TOKEN_LENGTH:
            yield TokenSpan(start, end)


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


def rejection_reason(data: bytes, span: TokenSpan, *, documentation: bool = True) -> str | None:
    """Why a 64-character run is not a Binance key, or None when it looks like one.

    `documentation=False` leaves out what is known of Binance's documentation (its example values
    and listenKey shapes): `benchmarks/collect_doc_examples.py` uses it to find those examples.
    """
    raw = data[span.start : span.end]
    # Byte-string operations, not character loops: this runs for every candidate of a huge file.
    if not raw.translate(None, _HEX_BYTES):
        return HEX_REASON  # the caller may still take a named hex value for a testnet key
    if raw.islower() or raw.isupper():
        return "single case"
    if len(raw.translate(None, _DIGIT_BYTES)) == len(raw):
        return "no digits"
    reason = value_rejection_reason(raw.decode("ascii"), documentation=documentation) or _neighbour_reason(data, span)
    if reason is None and documentation:
        reason = listen_key_reason(data, span.start, span.end)
    return reason


# Remembered per value: a history holds the same digests in every version of a lock file or a
# checksum list, and these checks depend on the value alone.
@functools.lru_cache(maxsize=4096)
def value_rejection_reason(token: str, *, check_entropy: bool = True, documentation: bool = True) -> str | None:
    """The checks that depend on the value alone, shared with the credential rule.

    The credential rule leaves out the entropy test: a hex or short secret is still a secret when it
    is assigned to `API_SECRET`.
    """
    lowered = token.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "placeholder"
    if has_sequence(token):
        return "repeated or sequential run"
    entropy = shannon_entropy(token) if check_entropy else 0.0
    if check_entropy and entropy < MIN_TOKEN_ENTROPY:
        return "low entropy"
    # A periodic value has few distinct characters, so its entropy is bounded: a random key's is far
    # above the bound and skips the test.
    if (not check_entropy or entropy <= _periodic_entropy_bound(len(token))) and is_periodic(token):
        return "periodic placeholder"
    if entropy < _SHORT_WORD_ENTROPY and any(word in lowered for word in _SHORT_PLACEHOLDER_WORDS):
        return "placeholder"
    if documentation and is_documentation_example(token):
        return "Binance documentation example"
    return None


def hex_rejection_reason(data: bytes, span: TokenSpan) -> str | None:
    """Why a 64-digit hex run is not even a candidate testnet key: the value checks without the entropy
    test (hex tops out at 4 bits a digit), Binance's documentation examples (the futures docs' keys are
    hex), listenKey shapes and base64 neighbours. Whether it is named as a key is decided later."""
    raw = data[span.start : span.end]
    return (
        value_rejection_reason(raw.decode("ascii"), check_entropy=False)
        or _neighbour_reason(data, span)
        or listen_key_reason(data, span.start, span.end)
    )


def neighbour_rejection_reason(data: bytes, span: TokenSpan) -> str | None:
    """The checks on what surrounds a run (base64, identifiers), for runs checked by another rule."""
    return _neighbour_reason(data, span)


def _neighbour_reason(data: bytes, span: TokenSpan) -> str | None:
    before = data[span.start - 1] if span.start > 0 else None
    after = data[span.end] if span.end < len(data) else None
    if (before in _BASE64_NEIGHBOURS and not _after_comment_mark(data, span.start)) or after in _BASE64_NEIGHBOURS:
        return "part of a base64 blob"
    if _url_encoded_base64_piece(data, span):
        return "part of a URL-encoded signature"
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


def _after_comment_mark(data: bytes, start: int) -> bool:
    """`//<token>` opening a line (after indentation): a commented-out value, not base64 after a `/`.
    Base64 wrapped in lines never starts a line with `//` and one 64-character run."""
    if start < 2 or data[start - 2 : start] != b"//":
        return False
    line_start = data.rfind(b"\n", max(0, start - 2 - _INDENT_BYTES), start - 2) + 1
    if line_start == 0 and start - 2 > _INDENT_BYTES:
        return False
    return not data[line_start : start - 2].strip(b" \t")


def _url_encoded_base64_piece(data: bytes, span: TokenSpan) -> bool:
    """A run between percent-encoded `+`, `/` or `=`: a slice of a URL-encoded base64 signature.

    A run right after a bare `%` starts with the escape's two hex digits, so it is a slice of an
    encoded string too. A key after an encoded `=` (`apiKey%3D<key>`) is still a key.
    """
    before = data[max(0, span.start - 3) : span.start]
    if b"%" in before and (before.endswith(b"%") or before.upper() in _ENCODED_BASE64_BEFORE):
        return True
    after = data[span.end : span.end + 3]
    return after.startswith(b"%") and after.upper() in _ENCODED_BASE64_AFTER


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


def has_sequence(token: str) -> bool:
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


def is_periodic(value: str) -> bool:
    """Whether `value` repeats itself with a short period: `abc123abc123…`, `A1b2C3d4A1b2…`.

    For each shift up to `_MAX_PERIOD` the value is compared with itself shifted (a big-integer XOR,
    so the loop over positions runs in C) and the equal positions are counted: at most 16 passes
    over the value, linear in its length.
    """
    raw = value.encode("utf-8", "surrogateescape")
    length = len(raw)
    if len(set(raw)) > _periodic_distinct_bound(length):
        return False  # a random key has far more distinct characters (about 40 of 64): let go at once
    for period in range(1, min(_MAX_PERIOD, length // 2) + 1):
        compared = length - period
        if compared < _MIN_PERIOD_COMPARISONS:
            break
        same = (int.from_bytes(raw[:-period], "big") ^ int.from_bytes(raw[period:], "big")).to_bytes(compared, "big")
        if same.count(0) >= _PERIODIC_SHARE * compared:
            return True
    return False


def _periodic_distinct_bound(length: int) -> float:
    """The most distinct characters a periodic value of `length` can hold.

    Each position that differs from the one a period before may bring a new character, the others
    cannot: at most `period + (1 - share) * (length - period)`, largest for the longest period.
    """
    longest = min(_MAX_PERIOD, length // 2)
    return longest + (1 - _PERIODIC_SHARE) * (length - longest)


def _periodic_entropy_bound(length: int) -> float:
    """Entropy (bits per character) above which a value of `length` cannot be periodic."""
    return math.log2(max(1.0, _periodic_distinct_bound(length)))
