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

from binance_secrets.detectors.context import assigned_name

# How far back on the line a name or a URL path is looked for.
_LINE_WINDOW_BYTES = 160
# How far around the value on its line a placeholder marker is looked for.
_MARKER_WINDOW_BYTES = 120

# Stream paths that end right before a listenKey: `wss://stream.binance.com:9443/ws/<listenKey>`,
# `wss://fstream.binance.com/stream?streams=<listenKey>`.
_STREAM_PATH_ENDINGS = (b"/ws/", b"streams=", b"/stream/")
_STREAM_NAMES = frozenset({("stream",), ("streams",)})

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


def listen_key_reason(data: bytes, start: int, end: int) -> str | None:
    """Why the run at `start:end` is a user-data-stream listenKey, or None."""
    if data[end : end + 1] == b"@" and data[end + 1 : end + 2].islower():
        # `"<listenKey>@account"`, `@balance`, `@position`: a stream request, not a key.
        return "listenKey stream request"
    line_start = data.rfind(b"\n", max(0, start - _LINE_WINDOW_BYTES), start) + 1
    prefix = data[max(line_start, start - _LINE_WINDOW_BYTES) : start]
    if prefix.endswith(_STREAM_PATH_ENDINGS):
        return "listenKey in a stream URL"
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
    line_start = data.rfind(b"\n", max(0, start - _MARKER_WINDOW_BYTES), start) + 1
    line_end = data.find(b"\n", end, end + _MARKER_WINDOW_BYTES)
    if line_end == -1:
        line_end = min(len(data), end + _MARKER_WINDOW_BYTES)
    before = data[max(line_start, start - _MARKER_WINDOW_BYTES) : start]
    after = data[end:line_end]
    return any(_PLACEHOLDER_MARKER.search(part.decode("utf-8", "replace")) is not None for part in (before, after))
