"""Finding the base64 values of a chunk that decode to text, decoding them, and the decoded copy.

What is decoded, within which bounds and why, is described in `binance_secrets.detectors.encoded`, the
module `detect()` calls; this one is imported only once a file that is decoded is scanned.
"""

from __future__ import annotations

import binascii
import bisect
import re
from collections.abc import Iterator
from typing import NamedTuple

from binance_secrets.allowlist import is_line_allowlisted
from binance_secrets.detectors.private_keys import armoured_blocks
from binance_secrets.finding import Finding
from binance_secrets.triggers import MIN_RUN_LENGTH

# The value types are NamedTuples: a hook run that stages a config file loads this module, and a
# dataclass costs about a millisecond to create, a NamedTuple a fifth of that.

# Longer values are left encoded: a credential or a config is far smaller, an image far larger.
MAX_ENCODED_BYTES = 65_536
# `MIN_RUN_LENGTH` (`triggers.py`): the shortest value decoded.
# A value found inside a decoded text is decoded too, once (a base64 `.env` that holds a `*_B64`).
LEVELS = 2
# "Text": valid UTF-8 with at most this share of control characters (none at all in a short value).
_MAX_CONTROL_SHARE = 0.01

_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Base64 characters -> `b`, anything else -> space: runs are then found in C.
_RUN_MARKS = bytes(ord("b") if byte in _STANDARD else ord(" ") for byte in range(256))
_MIN_RUN = b"b" * MIN_RUN_LENGTH
_PAD = ord("=")
_AFTER_ANY_OFFSET = 1 << 62
# A hex-only run is a digest, whose base64 decoding is never text.
_HEX_OR_PAD = b"0123456789abcdefABCDEF="
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])

# A standalone string must be a whole value: after an assignment, a quote, a bracket, a comma or the
# start of a line, and before the end of the value. Not after `.`/`-`/`_` (JWT segments, file and
# domain names, identifiers), whose pieces are no value of their own.
_VALUE_BEFORE = frozenset(b" \t\r\n\"'`=:,([{>|")
_VALUE_AFTER = frozenset(b" \t\r\n\"'`,;)]}<&\\#|")

# `kind: Secret`, `"kind": "Secret"` (not `SealedSecret`, whose values are encrypted). Starts with a
# literal, so the engine skips ahead with a fast search; every repetition is of one character class.
_KIND_SECRET = re.compile(
    rb"""
    kind["']?[ \t]*:[ \t]*["']?Secret(?![A-Za-z])
    """,
    re.VERBOSE,
)
# How far along its line a YAML `data:` key is checked.
_YAML_KEY_WINDOW = 256
# A JSON manifest's `"data": {` and its `"name": "base64"` entries, matched one after the other from
# where the previous one ended: no stretch of the chunk is read twice.
_JSON_DATA = re.compile(rb'"data"\s*:\s*\{')
_JSON_ENTRY = re.compile(
    rb"""
    \s*"[^"\\\r\n]{1,253}"\s*:\s*"(?P<value>[A-Za-z0-9+/]*=*)"\s*(?P<next>[,}])
    """,
    re.VERBOSE,
)
# A `data:` value this short decodes to 6 bytes, the shortest credential reported.
MIN_DATA_LENGTH = 8

# What ends the text before a value named as base64: a name ending in `b64`/`base64`, the closing
# quote or bracket of a key, an assignment operator (or the space of a Dockerfile `ENV NAME value`), an
# optional opening quote. Searched in a bounded window that ends at the value; bounded repetitions.
_NAMED_BEFORE = re.compile(
    rb"""
    (?:b64|base64)
    (?:\\?["'])?\]?[ \t]{0,8}
    (?P<op>:=|=>|=|:|[ \t])
    [ \t]{0,8}
    (?:\\?["'`])?
    \Z
    """,
    re.VERBOSE | re.IGNORECASE,
)
_NAMED_WINDOW_BYTES = 48


class EncodedValue(NamedTuple):
    """A base64 value of the chunk (`start`..`end`) and its decoding, nested values decoded too."""

    start: int
    end: int
    text: str


# The offsets of an encoded value in the chunk.
_Span = tuple[int, int]


def encoded_values(data: bytes, levels: int = LEVELS, *, manifest: bool = True) -> list[EncodedValue]:
    """The base64 values of `data` whose decoding is text, in order, none overlapping another.

    `manifest`: `data` may be a Kubernetes manifest (a YAML or JSON file, or a decoded text), whose
    `Secret` `data:` values are decoded whatever their length.
    """
    spans = _run_spans(data)
    if manifest:
        short = [span for span in _kubernetes_spans(data) if span[1] - span[0] < MIN_RUN_LENGTH]
        if short:
            spans = sorted(spans + short)
    values = []
    # The base64 bodies of PEM blocks (certificates, keys) are binary; a line of one is no value.
    armour = [(block.body_start, block.body_end) for block in armoured_blocks(data)] if spans else []
    for start, end in spans:
        if armour and _inside(start, armour):
            continue
        text = _decoded_text(data[start:end], levels)
        if text is not None:
            values.append(EncodedValue(start, end, text))
    return values


def _inside(position: int, spans: list[_Span]) -> bool:
    """Whether `position` falls in one of the sorted, disjoint `spans`."""
    index = bisect.bisect_right(spans, (position, _AFTER_ANY_OFFSET)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def _decoded_text(raw: bytes, levels: int) -> str | None:
    """`raw` decoded, when that is text; the base64 values inside it decoded too while `levels` last."""
    decoded = _decode(raw)
    if decoded is None:
        return None
    # Control bytes first: a byte count in C turns away nearly all binary without raising an exception.
    controls = len(decoded) - len(decoded.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(decoded):
        return None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
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
    if len(body) % 4 == 1 or len(raw) - len(body) > 2:
        return None
    try:
        decoded = binascii.a2b_base64(body + b"=" * (-len(body) % 4), strict_mode=True)
    except binascii.Error:
        return None
    return decoded or None


# --- Kubernetes `Secret` manifests --------------------------------------------------------------------


def _kubernetes_spans(data: bytes) -> list[_Span]:
    """The values of a `Secret`'s `data:` entries: base64 by definition, so short ones are read too."""
    if b"Secret" not in data or _KIND_SECRET.search(data) is None:
        return []
    return [*_yaml_data_spans(data), *_json_data_spans(data)]


def _yaml_data_spans(data: bytes) -> Iterator[_Span]:
    position = data.find(b"data")
    while position != -1:
        key_column = _yaml_data_key(data, position)
        next_search = position + 4
        if key_column is not None:
            line_end = data.find(b"\n", position)
            position = len(data) if line_end == -1 else line_end + 1
            # The entries: the lines below indented deeper than `data`, each read once.
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
            # A `data` inside the block just read is one of its entries; the line that ended it may
            # be the next block's key.
            next_search = position
        position = data.find(b"data", next_search)


def _yaml_data_key(data: bytes, position: int) -> int | None:
    """The column of the `data` at `position` when it is a key alone on its line (`data:`, `- data:`).

    Only a bounded stretch of the line on each side is read, so a long line full of `data` costs a
    constant per occurrence.
    """
    line_start = data.rfind(b"\n", max(0, position - _YAML_KEY_WINDOW), position) + 1
    if line_start == 0 and position > _YAML_KEY_WINDOW:
        return None
    before = data[line_start:position].strip(b" \t")
    if before not in (b"", b"-"):
        return None
    line_end = data.find(b"\n", position, position + _YAML_KEY_WINDOW)
    if line_end == -1 and len(data) - position > _YAML_KEY_WINDOW:
        return None
    after = data[position + 4 : len(data) if line_end == -1 else line_end].split(b"#", 1)[0].strip(b" \t\r")
    return position - line_start if after == b":" else None


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
    if not _is_data_value(value):
        return None
    return value_start, value_start + len(value)


def _json_data_spans(data: bytes) -> Iterator[_Span]:
    walked_to = 0
    for match in _JSON_DATA.finditer(data):
        if match.start() < walked_to:
            continue
        position = match.end()
        while (entry := _JSON_ENTRY.match(data, position)) is not None:
            if _is_data_value(entry.group("value")):
                yield entry.span("value")
            position = entry.end()
            if entry.group("next") == b"}":
                break
        walked_to = position


def _is_data_value(value: bytes) -> bool:
    """Kubernetes writes `data:` values in the standard alphabet, padded."""
    body = value.rstrip(b"=")
    return (
        MIN_DATA_LENGTH <= len(value) <= MAX_ENCODED_BYTES
        and not len(value) % 4
        and len(value) - len(body) <= 2
        and not body.translate(None, _STANDARD)
    )


# --- named and standalone values ---------------------------------------------------------------------


def _run_spans(data: bytes) -> list[_Span]:
    """Runs of at least `MIN_RUN_LENGTH` base64 characters that are a whole value, named or standalone.

    Data files hold thousands of runs (digests, ids, paths), so each is judged by a few byte
    comparisons before anything is copied: its neighbours, its length, whether it is hex only (a
    digest, whose decoding is never text); then a padded run is taken as it is, an unpadded one only
    when the name before it says base64.
    """
    spans: list[_Span] = []
    marks = data.translate(_RUN_MARKS)
    size = len(data)
    position = marks.find(_MIN_RUN)
    while position != -1:
        end = marks.find(b" ", position + MIN_RUN_LENGTH)
        if end == -1:
            end = size
        if end < size and data[end] == _PAD:
            end += 1
            if end < size and data[end] == _PAD:
                end += 1
        if (
            (position == 0 or data[position - 1] in _VALUE_BEFORE)
            and (end == size or data[end] in _VALUE_AFTER)
            and end - position <= MAX_ENCODED_BYTES
            and (not (end - position) % 4 or _named_base64(data, position))
            and data[position:end].translate(None, _HEX_OR_PAD)
        ):
            spans.append((position, end))
        position = marks.find(_MIN_RUN, end)
    return spans


def _named_base64(data: bytes, value_start: int) -> bool:
    """Whether the value at `value_start` is assigned to a `…B64`/`…BASE64`/`…Base64` name."""
    window_start = max(0, value_start - _NAMED_WINDOW_BYTES)
    if data.find(b"64", window_start, value_start) == -1:
        return False  # the common case, settled without a regex
    match = _NAMED_BEFORE.search(data, window_start, value_start)
    if match is None:
        return False
    return match.group("op") not in (b" ", b"\t") or _dockerfile_env(data, value_start)


def _dockerfile_env(data: bytes, value_start: int) -> bool:
    """`ENV NAME_B64 value` / `ARG …`: the only place a space alone assigns a value."""
    line_start = data.rfind(b"\n", max(0, value_start - 120), value_start) + 1
    words = data[line_start:value_start].split()
    return len(words) == 2 and words[0].upper() in (b"ENV", b"ARG")


# --- the decoded copy of a chunk and the way back ------------------------------------------------------


class _Piece(NamedTuple):
    """A stretch of the copy and what it stands for in the chunk: a decoded value, or text copied as
    it is. Positions are lines and 1-based columns, counted as `detect()` counts them."""

    view_line: int
    view_column: int
    line: int
    column: int
    # A decoded value: the column after the encoded value, and the offset of the chunk's line that
    # holds it (its allowlist pragma covers the whole decoding).
    end_column: int = 0
    line_start: int = -1

    @property
    def decoded(self) -> bool:
        return self.line_start >= 0


class DecodedView(NamedTuple):
    """The chunk with its encoded values decoded in place (`data`), and the way back to its positions."""

    data: bytes
    chunk: bytes
    # The copy cut into pieces, in order, and their starting positions in the copy (for bisect).
    pieces: list[_Piece]
    starts: list[tuple[int, int]]

    def map_back(self, findings: list[Finding]) -> list[Finding]:
        """Findings on the copy, at the chunk's positions; those inside a decoded value at its span,
        unless the encoded value's line is allowlisted."""
        mapped = []
        for finding in findings:
            index = bisect.bisect_right(self.starts, (finding.line, finding.column)) - 1
            if index < 0:
                mapped.append(finding)
                continue
            piece = self.pieces[index]
            if piece.decoded:
                if not is_line_allowlisted(self.chunk, piece.line_start):
                    mapped.append(
                        finding.with_changes(line=piece.line, column=piece.column, end_column=piece.end_column)
                    )
                continue
            column = finding.column
            if finding.line == piece.view_line:
                column = piece.column + finding.column - piece.view_column
            mapped.append(
                finding.with_changes(
                    line=piece.line + finding.line - piece.view_line,
                    column=column,
                    end_column=column + finding.end_column - finding.column,
                )
            )
        return mapped


def view_of(data: bytes, first_line: int = 1, *, manifest: bool = True) -> DecodedView | None:
    """`data` with every base64 value whose decoding is text decoded in place; None when there is none.

    The decoding keeps its line breaks, so that every rule that reads a line, the line before or the
    lines around (names, sections, other exchanges, pragmas) reads a decoded `.env` or JSON blob as the
    file it was; a trailing line break (`echo … | base64`) is dropped, so that what followed the encoded
    value on its line (a closing quote, a comma) still follows the decoded one.
    """
    values = encoded_values(data, manifest=manifest)
    if not values:
        return None
    pieces: list[_Piece] = []
    view_pieces: list[bytes] = []
    line = view_line = first_line
    column = view_column = 1
    cursor = line_start = 0
    for value in values:
        if value.start > cursor:
            pieces.append(_Piece(view_line, view_column, line, column))
            segment = data[cursor : value.start]
            view_pieces.append(segment)
            newlines = segment.count(b"\n")
            if newlines:
                line += newlines
                view_line += newlines
                line_start = data.rfind(b"\n", cursor, value.start) + 1
                # Columns count characters, as `detect()` counts them for its findings.
                column = view_column = 1 + len(data[line_start : value.start].decode("utf-8", "replace"))
            else:
                width = len(segment.decode("utf-8", "replace"))
                column += width
                view_column += width
        text = value.text.rstrip("\r\n")
        end_column = column + (value.end - value.start)  # base64 is ASCII, on one line
        newlines = text.count("\n")
        if newlines:
            # A decoded file (`.env`, JSON, YAML) stands on lines of its own, as it did: the name it was
            # assigned to and what follows it are no part of its first and last lines.
            view_pieces.append(b"\n")
            view_line, view_column = view_line + 1, 1
        pieces.append(_Piece(view_line, view_column, line, column, end_column, line_start))
        view_pieces.append(text.encode("utf-8"))
        if newlines:
            view_pieces.append(b"\n")
            view_line, view_column = view_line + newlines + 1, 1
        else:
            view_column += len(text)
        column = end_column
        cursor = value.end
    if cursor < len(data):
        pieces.append(_Piece(view_line, view_column, line, column))
        view_pieces.append(data[cursor:])
    return DecodedView(b"".join(view_pieces), data, pieces, [(piece.view_line, piece.view_column) for piece in pieces])
