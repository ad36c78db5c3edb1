"""Shapes of Binance's documentation that say a 64-character run is no credential.

Connectors and bots vendor or scrape Binance's API documentation, and its examples travel with it. The
example keys themselves are known by digest (`documentation.py`); what is recognised here by shape
stays silent even in copies whose values were never seen:

- user-data-stream `listenKey`s: short-lived stream tokens (60 minutes), no credential. They are
  written as the value of a `listenKey`/`listen_key` name (JSON responses, `?listenKey=` in URLs, a
  `renewListenKey('…')` call), as a combined stream's `"stream": "…"`, as `"<listenKey>@account"`
  requests, or as the path of `wss://…/ws/<listenKey>`;
- the placeholder marker that Binance's signing walkthroughs put after an example key
  (`apiKey="…"   ### REPLACE THIS WITH YOUR API KEY`). A marker is only a hint (people paste their
  own key and keep the comment), so a marked value is lowered to `low` instead of dropped.

Every check reads a bounded window around the candidate, so a huge line costs a constant per candidate.
"""

from __future__ import annotations

import itertools
import re

# How far back on the line a name or a URL path is looked for.
_LINE_WINDOW_BYTES = 160
# How far around the value on its line a placeholder marker is looked for.
_MARKER_WINDOW_BYTES = 120

# Stream paths that end right before a listenKey: `wss://stream.binance.com:9443/ws/<listenKey>`,
# `wss://fstream.binance.com/stream?streams=<listenKey>`.
_STREAM_PATH_ENDINGS = (b"/ws/", b"streams=", b"/stream/")
_STREAM_NAMES = frozenset({("stream",), ("streams",)})
# Every listenKey or stream name and path holds one of these, whatever its case (`listenKey`,
# `LISTEN_KEY`, `"stream"`, `?streams=`): a cheap test before the name is looked for.
_NAME_WORDS = (b"isten", b"ISTEN", b"tream", b"TREAM")

# The phrases Binance's docs and connector examples write next to an example value: the RSA/Ed25519
# signing script of the spot and derivatives docs (`### REPLACE THIS WITH YOUR API KEY`, Chinese
# edition `### 替换成您的 API Key`) and the connectors' `// Replace with your listenKey`. Fixed
# alternatives with bounded gaps: linear.
_PLACEHOLDER_MARKER = re.compile(
    r"""
    replace[ ](?:this[ ])?with[ ]your[ ](?:own[ ])?
        (?:api[ _-]?key|api[ _-]?secret|secret[ _-]?key|secret|private[ _-]?key|listen[ _-]?key)
    | 替换(?:成|为)您的[ ]?(?:api|secret|private|listen)
    """,
    re.IGNORECASE | re.VERBOSE,
)


# Every marker holds one of these (case as written in the docs): a cheap test before the regex.
_MARKER_WORDS = (b"eplace", b"EPLACE", "替换".encode())


def listen_key_reason(data: bytes, start: int, end: int) -> str | None:
    """Why the run at `start:end` is a user-data-stream listenKey, or None."""
    if data[end : end + 1] == b"@" and data[end + 1 : end + 2].islower():
        # `"<listenKey>@account"`, `@balance`, `@position`: a stream request, not a key.
        return "listenKey stream request"
    window = data[max(0, start - _LINE_WINDOW_BYTES) : start]
    isten, upper_isten, tream, upper_tream = _NAME_WORDS
    if not (isten in window or upper_isten in window or tream in window or upper_tream in window or b"/" in window):
        return None  # the common case, decided without looking for the line or a name
    line_start = data.rfind(b"\n", max(0, start - _LINE_WINDOW_BYTES), start) + 1
    if data[max(line_start, start - 16) : start].endswith(_STREAM_PATH_ENDINGS):
        return "listenKey in a stream URL"
    # Imported here: this module is on the hook's import path (through `tokens`), `names` and its record
    # class are not, and only a run with a listenKey-like word or a `/` before it gets this far.
    from binance_secrets.detectors.names import assigned_name

    name = assigned_name(data, start, line_start)
    if name is None or not name.adjacent:
        return None
    if _names_listen_key(name.words):
        return "user-data-stream listenKey"
    if name.words in _STREAM_NAMES:
        return "listenKey as a stream name"
    return None


def _names_listen_key(words: tuple[str, ...]) -> bool:
    """`listenKey`, `listen_key`, `LISTEN_KEY`, `renewListenKey`, `futures_listen_key`."""
    if "listenkey" in words:
        return True
    return ("listen", "key") in itertools.pairwise(words)


def placeholder_marked(data: bytes, start: int, end: int) -> bool:
    """Whether the value's line carries a `REPLACE THIS WITH YOUR API KEY`-style marker."""
    window = data[max(0, start - _MARKER_WINDOW_BYTES) : end + _MARKER_WINDOW_BYTES]
    replace, upper_replace, chinese = _MARKER_WORDS
    if replace not in window and upper_replace not in window and chinese not in window:
        return False  # the common case: no marker word near, no line bounds, no decoding, no regex
    line_start = data.rfind(b"\n", max(0, start - _MARKER_WINDOW_BYTES), start) + 1
    line_end = data.find(b"\n", end, end + _MARKER_WINDOW_BYTES)
    if line_end == -1:
        line_end = min(len(data), end + _MARKER_WINDOW_BYTES)
    before = data[max(line_start, start - _MARKER_WINDOW_BYTES) : start].decode("utf-8", "replace")
    after = data[end:line_end].decode("utf-8", "replace")
    return _PLACEHOLDER_MARKER.search(before) is not None or _PLACEHOLDER_MARKER.search(after) is not None
