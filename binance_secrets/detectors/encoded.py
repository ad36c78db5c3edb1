"""Base64 values that decode to text, scanned decoded and reported where they are encoded.

People base64-encode credentials where a tool asks them to (Kubernetes `Secret` `data:`, the
`*_B64`/`*_BASE64` variables of CI systems that mangle newlines) and to carry a whole `.env` or JSON
config in one variable. Three kinds of value are decoded:

- the values of a Kubernetes `Secret`'s `data:` (YAML or JSON manifest, `kind: Secret` in the chunk);
- values assigned to a name ending in `b64`/`base64` (`BINANCE_API_SECRET_B64=…`, `configBase64: …`);
- any other standalone base64 string of at least `MIN_STANDALONE_LENGTH` characters (Helm values,
  `echo '…' | base64 -d > .env`, a JSON config pasted encoded).

A value is decoded only when it is at most `MAX_ENCODED_BYTES` long and its decoding is UTF-8 text
with hardly any control characters: digests, images, certificates in DER, sealed or encrypted values
and other providers' base64 secrets decode to binary and stay as they are. Values found inside a
decoded text are decoded once more (`LEVELS`), no deeper.

`decoded_view()` builds a copy of the chunk in which each such value is replaced, in place, by its
decoding, with the decoding's line breaks written as `\\r`: every line of the chunk keeps its number,
the decoded text keeps the name it is assigned to (`BINANCE_API_SECRET: <b64>` reads as
`BINANCE_API_SECRET: <secret>`) and its neighbours (two `data:` entries pair up), and an allowlist
pragma on the encoded value's line covers all of its decoding. Detection runs once on that copy;
`DecodedView.map_back` moves each finding back to the chunk's own columns, and a finding inside a decoded
value to the encoded value's span. The encoded string itself is never looked at once its decoding is
text, so it is never reported as a key of its own.

Everything is linear: candidate runs are found with `bytes.translate` and `bytes.find`, each byte of the
chunk is decoded at most once per level, and the Kubernetes walk reads each line of a `data:` block once.
"""

from __future__ import annotations

import binascii
import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from binance_secrets.finding import Finding

# Longer values are left encoded: a credential or a config is far smaller, an image far larger.
MAX_ENCODED_BYTES = 65_536
# A named or Kubernetes value this short decodes to 6 bytes, the shortest credential reported.
MIN_NAMED_LENGTH = 8
# A random 24-character alphanumeric string (a plain credential that happens to be valid base64)
# decodes to text fewer than once in a million draws (16 characters: 7 in 100,000): below this length
# a standalone string is left alone, or plain passwords would be "decoded" into noise.
MIN_STANDALONE_LENGTH = 24
# A value found inside a decoded text is decoded too, once (a base64 `.env` that holds a `*_B64`).
LEVELS = 2
# "Text": valid UTF-8 with at most this share of control characters (none at all in a short value).
_MAX_CONTROL_SHARE = 0.01

_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_URL_SAFE_EXTRA = b"-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
# Base64 characters (standard alphabet) -> `b`, anything else -> space: runs are then found in C.
_RUN_MARKS = bytes(ord("b") if byte in _STANDARD else ord(" ") for byte in range(256))
_NAMED_RUN_MARKS = bytes(ord("b") if byte in _STANDARD + _URL_SAFE_EXTRA else ord(" ") for byte in range(256))
_MIN_RUN = b"b" * MIN_STANDALONE_LENGTH
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])

# A standalone string must be a whole value: after an assignment, a quote, a bracket, a comma or the
# start of a line, and before the end of the value. Not after `.`/`-`/`_` (JWT segments, file and
# domain names, identifiers), whose pieces are no value of their own.
_VALUE_BEFORE = frozenset(b" \t\r\n\"'`=:,([{>|")
_VALUE_AFTER = frozenset(b" \t\r\n\"'`,;)]}<&\\#|")
_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")

# `kind: Secret`, `"kind": "Secret"` (not `SealedSecret`, whose values are encrypted). Starts with a
# literal, so the engine skips ahead with a fast search; every repetition is of one character class.
_KIND_SECRET = re.compile(
    rb"""
    kind["']?[ \t]*:[ \t]*["']?Secret(?![A-Za-z])
    """,
    re.VERBOSE,
)
# A YAML `data:` key alone on its line (a list item's too); its entries are the lines indented below.
_YAML_DATA = re.compile(
    rb"""
    ^[ \t]*(?:-[ \t]+)?(?P<key>data)[ \t]*:[ \t]*(?:\#[^\n]*)?\r?$
    """,
    re.VERBOSE | re.MULTILINE,
)
# A JSON manifest's `"data": {` and its `"name": "base64"` entries, matched one after the other from
# where the previous one ended: no stretch of the chunk is read twice.
_JSON_DATA = re.compile(rb'"data"\s*:\s*\{')
_JSON_ENTRY = re.compile(
    rb"""
    \s*"[^"\\\r\n]{1,253}"\s*:\s*"(?P<value>[A-Za-z0-9+/]*=*)"\s*(?P<next>[,}])
    """,
    re.VERBOSE,
)
# After a name ending in `b64`/`base64`: the closing quote or bracket of a key, an assignment operator
# (or the space of a Dockerfile `ENV NAME value`), an optional opening quote. Bounded repetitions.
_NAMED_ASSIGNMENT = re.compile(
    rb"""
    (?:\\?["'])?\]?[ \t]{0,8}
    (?P<op>:=|=>|=|:|[ \t])
    [ \t]{0,8}
    (?P<quote>\\?["'`])?
    """,
    re.VERBOSE,
)
_DOCKERFILE_PREFIX_BYTES = 16


@dataclass(frozen=True)
class EncodedValue:
    """A base64 value of the chunk (`start`..`end`) and its decoding, nested values decoded too."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    # Values named as base64 or in a Kubernetes `data:` may lack padding and use the URL-safe alphabet.
    named: bool


def encoded_values(data: bytes, levels: int = LEVELS) -> list[EncodedValue]:
    """The base64 values of `data` whose decoding is text, in order, none overlapping another."""
    spans: dict[int, _Span] = {}
    for span in (*_kubernetes_spans(data), *_named_spans(data), *_standalone_spans(data)):
        spans.setdefault(span.start, span)
    values: list[EncodedValue] = []
    covered = 0
    for start in sorted(spans):
        span = spans[start]
        if span.start < covered:
            continue
        text = _decoded_text(data[span.start : span.end], levels)
        if text is not None:
            values.append(EncodedValue(span.start, span.end, text))
            covered = span.end
    return values


def _decoded_text(raw: bytes, levels: int) -> str | None:
    """`raw` decoded, when that is text; the base64 values inside it decoded too while `levels` last."""
    decoded = _decode(raw)
    if decoded is None:
        return None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None
    controls = len(decoded) - len(decoded.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(decoded):
        return None
    if levels > 1:
        inner = encoded_values(decoded, levels - 1)
        if inner:
            pieces, cursor = [], 0
            for value in inner:
                pieces += [decoded[cursor : value.start].decode("utf-8"), value.text]
                cursor = value.end
            text = "".join(pieces) + decoded[cursor:].decode("utf-8")
    return text


def _decode(raw: bytes) -> bytes | None:
    body = raw.rstrip(b"=")
    if b"-" in body or b"_" in body:
        if b"+" in body or b"/" in body:
            return None  # two alphabets mixed: not base64
        body = body.translate(_TO_STANDARD)
    if len(body) % 4 == 1 or len(raw) - len(body) > 2:
        return None
    try:
        decoded = binascii.a2b_base64(body + b"=" * (-len(body) % 4), strict_mode=True)
    except binascii.Error:
        return None
    return decoded or None


def _is_base64(value: bytes, *, named: bool) -> bool:
    body = value.rstrip(b"=")
    alphabet = _STANDARD + _URL_SAFE_EXTRA if named else _STANDARD
    minimum = MIN_NAMED_LENGTH if named else MIN_STANDALONE_LENGTH
    if not minimum <= len(value) <= MAX_ENCODED_BYTES or len(value) - len(body) > 2:
        return False
    if not named and len(value) % 4:
        return False  # a standalone value is taken for base64 only when it is padded like base64
    return not body.translate(None, alphabet)


# --- Kubernetes `Secret` manifests --------------------------------------------------------------------


def _kubernetes_spans(data: bytes) -> Iterator[_Span]:
    if b"Secret" not in data or b"data" not in data or _KIND_SECRET.search(data) is None:
        return
    yield from _yaml_data_spans(data)
    yield from _json_data_spans(data)


def _yaml_data_spans(data: bytes) -> Iterator[_Span]:
    walked_to = 0
    for match in _YAML_DATA.finditer(data):
        if match.start() < walked_to:
            continue  # a `data:` key inside a block already read is one of its entries
        line_start = data.rfind(b"\n", 0, match.start("key")) + 1
        key_column = match.start("key") - line_start
        position = match.end()
        while position < len(data):
            line_end = data.find(b"\n", position)
            if line_end == -1:
                line_end = len(data)
            line = data[position:line_end]
            body = line.lstrip(b" \t")
            if body.strip() and not body.startswith(b"#"):
                indent = len(line) - len(body)
                if indent <= key_column:
                    break
                span = _yaml_entry_value(data, position + indent, line_end)
                if span is not None:
                    yield span
            position = line_end + 1
        walked_to = position


def _yaml_entry_value(data: bytes, start: int, line_end: int) -> _Span | None:
    """The value of a `name: value` line of a `data:` block (quotes and a trailing comment left out)."""
    line = data[start:line_end]
    colon = line.find(b": ")
    if colon == -1:
        return None
    value = line[colon + 2 :]
    comment = value.find(b" #")
    if comment != -1:
        value = value[:comment]
    value_start = start + colon + 2 + len(value) - len(value.lstrip(b" \t"))
    value = value.strip(b" \t\r")
    if len(value) >= 2 and value[0] in b"\"'" and value[-1] == value[0]:
        value, value_start = value[1:-1], value_start + 1
    if not _is_base64(value, named=True):
        return None
    return _Span(value_start, value_start + len(value), named=True)


def _json_data_spans(data: bytes) -> Iterator[_Span]:
    walked_to = 0
    for match in _JSON_DATA.finditer(data):
        if match.start() < walked_to:
            continue
        position = match.end()
        while (entry := _JSON_ENTRY.match(data, position)) is not None:
            if _is_base64(entry.group("value"), named=True):
                yield _Span(entry.start("value"), entry.end("value"), named=True)
            position = entry.end()
            if entry.group("next") == b"}":
                break
        walked_to = position


# --- values of names that say base64 ------------------------------------------------------------------


def _named_spans(data: bytes) -> Iterator[_Span]:
    """Values of `…B64`/`…BASE64`/`…Base64` names: `X_B64=…`, `xBase64: "…"`, `ENV X_B64 …`."""
    marks: bytes | None = None
    position = data.find(b"64")
    while position != -1:
        name_end = position + 2
        assignment = _base64_name_assignment(data, position)
        if assignment is not None:
            if marks is None:
                marks = data.translate(_NAMED_RUN_MARKS)
            value_start = assignment.end()
            value_end = marks.find(b" ", value_start)
            if value_end == -1:
                value_end = len(data)
            run_end = value_end
            while value_end < len(data) and value_end - run_end < 2 and data[value_end] == ord("="):
                value_end += 1
            span = _named_value(data, value_start, value_end, assignment.group("quote"))
            if span is not None:
                yield span
            # The value just read holds no name of its own: go on after it.
            name_end = max(name_end, value_end)
        position = data.find(b"64", name_end)


def _base64_name_assignment(data: bytes, position: int) -> re.Match[bytes] | None:
    """The assignment after a name whose `64` is at `position` and that ends `b64`/`base64`, if any."""
    name_end = position + 2
    if not _ends_base64_name(data, position) or (name_end < len(data) and data[name_end] in _NAME_CHARS):
        return None
    assignment = _NAMED_ASSIGNMENT.match(data, name_end, min(len(data), name_end + 24))
    if assignment is None or (assignment.group("op") in (b" ", b"\t") and not _dockerfile_env(data, position)):
        return None
    return assignment


def _ends_base64_name(data: bytes, position: int) -> bool:
    """Whether the `64` at `position` ends `b64` or `base64` (any case)."""
    if position >= 1 and data[position - 1] in b"bB":
        return True
    return position >= 4 and data[position - 4 : position].lower() == b"base"


def _named_value(data: bytes, start: int, end: int, quote: bytes | None) -> _Span | None:
    value = data[start:end]
    if not _is_base64(value, named=True):
        return None
    if quote is not None:
        if not data.startswith(quote, end):
            return None
    elif end < len(data) and data[end] not in _VALUE_AFTER:
        return None
    return _Span(start, end, named=True)


def _dockerfile_env(data: bytes, name_position: int) -> bool:
    """`ENV NAME_B64 value` / `ARG …`: the only place a space alone assigns a value."""
    line_start = data.rfind(b"\n", max(0, name_position - 120), name_position) + 1
    words = data[line_start:name_position].split()
    return len(words) == 2 and words[0].upper() in (b"ENV", b"ARG")


# --- standalone base64 ---------------------------------------------------------------------------------


def _standalone_spans(data: bytes) -> Iterator[_Span]:
    """Whole values that are runs of at least `MIN_STANDALONE_LENGTH` base64 characters, padded."""
    marks = data.translate(_RUN_MARKS)
    position = marks.find(_MIN_RUN)
    while position != -1:
        end = marks.find(b" ", position + MIN_STANDALONE_LENGTH)
        if end == -1:
            end = len(data)
        run_end = end
        while end < len(data) and end - run_end < 2 and data[end] == ord("="):
            end += 1
        if (
            (position == 0 or data[position - 1] in _VALUE_BEFORE)
            and (end == len(data) or data[end] in _VALUE_AFTER)
            and _is_base64(data[position:end], named=False)
        ):
            yield _Span(position, end, named=False)
        position = marks.find(_MIN_RUN, end)


# --- the decoded copy of a chunk and the way back ------------------------------------------------------


@dataclass(frozen=True)
class _Region:
    """Where a decoded value sits on its line, in the copy and in the chunk (1-based columns)."""

    view_column: int
    view_end_column: int
    column: int
    end_column: int
    # Copy column minus chunk column, for whatever follows this value on its line.
    shift_after: int


@dataclass(frozen=True)
class DecodedView:
    """The chunk with its encoded values decoded in place (`data`), and the way back to its positions."""

    data: bytes
    first_line: int
    # Line number -> the decoded values on it: their copy columns (for bisect) and their regions.
    lines: dict[int, tuple[list[int], list[_Region]]]

    def map_back(self, findings: list[Finding]) -> list[Finding]:
        """Findings on the copy, at the chunk's positions; those inside a decoded value at its span."""
        mapped = []
        for finding in findings:
            on_line = self.lines.get(finding.line)
            if on_line is None:
                mapped.append(finding)
                continue
            starts, regions = on_line
            index = bisect.bisect_right(starts, finding.column) - 1
            if index < 0:
                mapped.append(finding)
                continue
            region = regions[index]
            if finding.column < region.view_end_column:
                mapped.append(finding.with_changes(column=region.column, end_column=region.end_column))
            else:
                shift = region.shift_after
                mapped.append(
                    finding.with_changes(column=finding.column - shift, end_column=finding.end_column - shift)
                )
        return mapped


def decoded_view(data: bytes, first_line: int = 1) -> DecodedView | None:
    """`data` with every base64 value whose decoding is text decoded in place; None when there is none."""
    values = encoded_values(data)
    if not values:
        return None
    lines: dict[int, tuple[list[int], list[_Region]]] = {}
    line, line_start, cursor, cursor_column, shift = first_line, 0, 0, 1, 0
    for value in values:
        newlines = data.count(b"\n", cursor, value.start)
        if newlines:
            line += newlines
            line_start = data.rfind(b"\n", cursor, value.start) + 1
            cursor, cursor_column, shift = line_start, 1, 0
        # Columns count characters, as `detect()` counts them for its findings.
        column = cursor_column + len(data[cursor : value.start].decode("utf-8", "replace"))
        end_column = column + (value.end - value.start)  # base64 is ASCII
        view_column = column + shift
        shift += len(value.text) - (value.end - value.start)
        starts, regions = lines.setdefault(line, ([], []))
        starts.append(view_column)
        regions.append(_Region(view_column, view_column + len(value.text), column, end_column, shift))
        cursor, cursor_column = value.end, end_column
    return DecodedView(_substituted(data, values), first_line, lines)


def _substituted(data: bytes, values: list[EncodedValue]) -> bytes:
    pieces, cursor = [], 0
    for value in values:
        # Line breaks of the decoding become `\r`: the copy has the chunk's lines, one for one.
        pieces += [data[cursor : value.start], value.text.replace("\n", "\r").encode("utf-8")]
        cursor = value.end
    pieces.append(data[cursor:])
    return b"".join(pieces)
