"""String literals split in pieces that the language joins: `("abc" "def")`, `"abc" +\\n "def"`, `'abc' \\\\\\n 'def'`.

A key pasted in two halves to fit a line length, or to slip past a scanner, is still the key. The
pieces of a key are runs of letters and digits between quotes, so the search reuses the map that the
64-character rule has already made (`tokens.run_marks`: alphanumerics `a`, quotes `q`): a `find` for
`MIN_PIECE` alphanumerics and a closing quote, then a few byte comparisons around each hit. Chains are
bounded (pieces, piece length, glue between them), and the search resumes after each hit or chain,
so the scan is linear.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import NamedTuple

# The shortest piece that anchors a chain: a key split in two has one piece of 32 or more, one split in
# three most often one this long. The needle is that many alphanumerics and a closing quote; its last
# byte (`q`) is rare in the map, so the `find` skips ahead quickly (shorter needles cost more).
MIN_PIECE = 24
MAX_PIECES = 8
MAX_PIECE_BYTES = 512
MAX_JOINED = 512
# Whitespace, newlines and one joining operator (`+`, PHP's `.`, a line-continuation `\`).
MAX_GLUE_BYTES = 64
_QUOTES = frozenset(b"\"'")
_BLANKS = frozenset(b" \t\r\n")
_OPERATORS = frozenset(b"+.\\")
_GLUE = _BLANKS | _OPERATORS
_GLUE_CHARACTERS = bytes(sorted(_GLUE))
_QUOTE_BYTES = (b'"', b"'")
_NEEDLE = b"a" * MIN_PIECE + b"q"
_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# A window's own map when there is no map of the whole chunk: alphanumerics `a`, anything else a space.
_ALNUM_MARKS = bytes(ord("a") if byte in _ALNUM else ord(" ") for byte in range(256))
# Longest piece of a token chain: a full-length token is the token rule's, not a piece.
_TOKEN_PIECE_LIMIT = 64


class SplitLiteral(NamedTuple):  # not a dataclass: cheaper to define on the hook's import path
    start: int  # the first piece's text (inside its quotes)
    end: int
    value: str  # all pieces joined
    pieces: int


def split_literals(data: bytes, marks: bytes | None, quotes: list[int] | None = None) -> Iterator[SplitLiteral]:
    """Chains of two or more quoted alphanumeric pieces joined by the language.

    `marks` is `data` with alphanumerics as `a`, quotes as `q` and anything else as a space
    (`tokens.run_marks`). Without it, `quotes` is the offset of every quote that closes `MIN_PIECE`
    alphanumerics or more, in order (where the needle's `q` is: a native pass found them,
    `matches.Located`), and the pieces around a hit are read from small maps of their own windows.
    """
    hit = _next_hit(marks, quotes, 0)
    while hit != -1:
        close = hit + MIN_PIECE
        resume = close + 1
        start = _run_start(marks, hit, close, data)
        if (
            start > 0
            and close - start < _TOKEN_PIECE_LIMIT
            and data[start - 1] == data[close]
            # Most quoted strings are followed by `)`, `,` or `]`, or stand after indentation that follows
            # no quote: the glue on either side, stripped in C, leads to no quote (`_glued_quote_*`).
            and (_glued_quote_after(data, close) or _glued_quote_before(data, start - 1))
        ):
            chain = _chain_around(data, marks, start, close)
            if chain is not None:
                literal, resume = chain
                yield literal
        hit = _next_hit(marks, quotes, resume)


def _next_hit(marks: bytes | None, quotes: list[int] | None, start: int) -> int:
    """`marks.find(_NEEDLE, start)`, or the same offset from the located quotes."""
    if marks is not None:
        return marks.find(_NEEDLE, start)
    assert quotes is not None
    index = bisect.bisect_left(quotes, start + MIN_PIECE)
    return quotes[index] - MIN_PIECE if index < len(quotes) else -1


def _glued_quote_after(data: bytes, close_quote: int) -> bool:
    """Glue, then a quote, within `MAX_GLUE_BYTES` after `close_quote`: what `_glue_end` needs to find
    the next piece (a necessary test only: it leaves the count of operators to `_glue_end`)."""
    window = data[close_quote + 1 : close_quote + 1 + MAX_GLUE_BYTES]
    rest = window.lstrip(_GLUE_CHARACTERS)
    return len(rest) < len(window) and rest[:1] in _QUOTE_BYTES


def _glued_quote_before(data: bytes, open_quote: int) -> bool:
    """Glue, then a quote, within `MAX_GLUE_BYTES` before `open_quote`: what `_glue_start` needs to find
    the previous piece (a necessary test only, like `_glued_quote_after`)."""
    window = data[max(0, open_quote - MAX_GLUE_BYTES) : open_quote]
    rest = window.rstrip(_GLUE_CHARACTERS)
    return len(rest) < len(window) and rest[-1:] in _QUOTE_BYTES


def _run_start(marks: bytes | None, hit: int, close: int, data: bytes = b"") -> int:
    """Start of the alphanumeric run that ends at `close` (at most `_TOKEN_PIECE_LIMIT` back); 0 when
    the whole window is alphanumeric. Without `marks`, read in a map of that window of `data`."""
    low = max(0, close - _TOKEN_PIECE_LIMIT)
    if low >= hit:
        return hit
    if marks is None:
        other = data[low:hit].translate(_ALNUM_MARKS).rfind(b" ")
        return other + 1 + low if other != -1 else 0
    return max(marks.rfind(b" ", low, hit), marks.rfind(b"q", low, hit)) + 1


def _run_end(marks: bytes | None, start: int, data: bytes = b"") -> int:
    """End of the alphanumeric run starting at `start` (-1 past `MAX_PIECE_BYTES`). Without `marks`,
    read in a map of that window of `data`."""
    if marks is None:
        limit = min(len(data), start + MAX_PIECE_BYTES)
        other = data[start:limit].translate(_ALNUM_MARKS).find(b" ")
        return other + start if other != -1 else -1
    limit = min(len(marks), start + MAX_PIECE_BYTES)
    space = marks.find(b" ", start, limit)
    quote = marks.find(b"q", start, space if space != -1 else limit)
    return quote if quote != -1 else space


def _chain_around(data: bytes, marks: bytes | None, start: int, end: int) -> tuple[SplitLiteral, int] | None:
    pieces = [(start, end)]
    # Back: earlier pieces whose tail was shorter than the needle.
    while len(pieces) < MAX_PIECES:
        previous = _alnum_piece_before(data, marks, pieces[0][0] - 1)
        if previous is None:
            break
        pieces.insert(0, previous)
    while len(pieces) < MAX_PIECES:
        following = _alnum_piece_after(data, marks, pieces[-1][1])
        if following is None:
            break
        pieces.append(following)
    if len(pieces) < 2 or any(e - s >= _TOKEN_PIECE_LIMIT for s, e in pieces):
        return None
    value = b"".join(data[s:e] for s, e in pieces)
    if len(value) > MAX_JOINED:
        return None
    first_start, first_end = pieces[0]
    literal = SplitLiteral(first_start, first_end, value.decode("ascii"), len(pieces))
    return literal, pieces[-1][1] + 1


def _alnum_piece_after(data: bytes, marks: bytes | None, close_quote: int) -> tuple[int, int] | None:
    """The next alphanumeric piece after the piece closed at `close_quote`, if glue joins them."""
    open_quote = _glue_end(data, close_quote + 1)
    if open_quote is None:
        return None
    start = open_quote + 1
    end = _run_end(marks, start, data)
    if end <= start or data[end] != data[open_quote]:
        return None
    return start, end


def _alnum_piece_before(data: bytes, marks: bytes | None, open_quote: int) -> tuple[int, int] | None:
    """The alphanumeric piece before the piece opened at `open_quote`, if glue joins them."""
    close_quote = _glue_start(data, open_quote)
    if close_quote is None:
        return None
    start = _run_start(marks, close_quote, close_quote, data)
    if start == close_quote or start == 0 or data[start - 1] != data[close_quote]:
        return None
    return start, close_quote


def _glue_end(data: bytes, position: int) -> int | None:
    """Offset of the quote that opens the next piece, when only glue lies between; else None."""
    operators = 0
    limit = min(len(data), position + MAX_GLUE_BYTES)
    glued = False
    while position < limit:
        byte = data[position]
        if byte in _QUOTES:
            return position if glued else None
        if byte in _OPERATORS:
            operators += 1
            if operators > 1 or (byte == ord(".") and data[position + 1 : position + 2] == b"."):
                return None
        elif byte not in _BLANKS:
            return None
        glued = True
        position += 1
    return None


def _glue_start(data: bytes, open_quote: int) -> int | None:
    """Offset of the quote that closes the previous piece, when only glue lies between; else None."""
    operators = 0
    position = open_quote - 1
    limit = max(-1, open_quote - 1 - MAX_GLUE_BYTES)
    glued = False
    while position > limit:
        byte = data[position]
        if byte in _QUOTES:
            return position if glued else None
        if byte in _OPERATORS:
            operators += 1
            if operators > 1:
                return None
        elif byte not in _BLANKS:
            return None
        glued = True
        position -= 1
    return None


def following_pieces(data: bytes, close_quote: int, limit: int = MAX_PIECES) -> tuple[bytes, int]:
    """The text of the pieces that follow the literal closed at `close_quote` (any characters but
    quotes and line breaks), joined, and where the last one ends; `(b"", close_quote)` when none do.

    Used by the credential rule, whose values need not be alphanumeric: a secret name, then pieces
    such as `"ab/c"` and `"d+e"` with only glue between them.
    """
    joined = b""
    for _ in range(limit - 1):
        open_quote = _glue_end(data, close_quote + 1)
        if open_quote is None:
            break
        quote = data[open_quote : open_quote + 1]
        end = data.find(quote, open_quote + 1, open_quote + 1 + MAX_PIECE_BYTES)
        piece = data[open_quote + 1 : end] if end != -1 else b""
        if not piece or b"\n" in piece or b"\\" in piece or len(joined) + len(piece) > MAX_JOINED:
            break
        joined += piece
        close_quote = end
    return joined, close_quote
