"""What the text around a candidate says about it: the name it is assigned to, Binance context.

Everything here works on bytes and on bounded windows, so that a single 10 MB line costs the same
per candidate as a short one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

# How far (bytes) around a candidate we look for a Binance keyword or an assignment name. Bounded so
# that candidates on one huge line cost a constant each.
CONTEXT_WINDOW_BYTES = 600
CONTEXT_WINDOW_LINES = 5
NAME_WINDOW_BYTES = 120

# Words that tie nearby text to Binance. `mbx` covers the X-MBX-APIKEY header; `ccxt` is the
# multi-exchange library whose config is the commonest place keys are pasted.
BINANCE_KEYWORDS: tuple[bytes, ...] = (b"binance", b"bnb", b"ccxt", b"mbx")

# Client constructors that take (api_key, api_secret) positionally: python-binance `Client`,
# `AsyncClient`; binance-connector `Spot`, `UMFutures`, `CMFutures`; go-binance `NewClient`,
# `NewFuturesClient`, `NewDeliveryClient`; Binance.Net `ApiCredentials`/`BinanceApiCredentials`.
POSITIONAL_CLIENTS = frozenset(
    {
        "client",
        "asyncclient",
        "spot",
        "umfutures",
        "cmfutures",
        "newclient",
        "newfuturesclient",
        "newdeliveryclient",
        "apicredentials",
        "binanceapicredentials",
        "binanceclient",
        "binance",
    }
)

NameRole = Literal["api_key", "secret_key", "call", "other"]

# The identifier (or dotted/dashed name, as in YAML keys and HTTP headers) at the end of a prefix,
# once trailing assignment punctuation has been stripped. `$` anchors it to the end; the bounded
# repetition keeps each attempt short and the window itself is bounded.
_TRAILING_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_.\-]{0,79}$")
# Assignment punctuation between a name and its value: quotes closing a key, `=`, `:`, `=>`, `:=`,
# `,`, `(`, `[`, `{`, whitespace, escaped quotes of JSON strings, the `?`/`&` of a query string.
_ASSIGNMENT_PUNCT = b" \t\"'`:=,>({[\\?&<-"
_CAMEL_OR_SEPARATED = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class AssignedName:
    """The name a value is written after (`API_SECRET = "…"`, `"apiKey": "…"`, `Client("…"`)."""

    text: str
    words: tuple[str, ...]
    # True when only punctuation separates the name from the value.
    adjacent: bool


def name_words(name: str) -> tuple[str, ...]:
    """`binanceApiSecret` / `BINANCE_API_SECRET` / `x-mbx-apikey` -> lower-case words."""
    return tuple(word.lower() for word in _CAMEL_OR_SEPARATED.findall(name))


def assigned_name(data: bytes, value_start: int, line_start: int) -> AssignedName | None:
    window_start = max(line_start, value_start - NAME_WINDOW_BYTES)
    prefix = data[window_start:value_start]
    stripped = prefix.rstrip(_ASSIGNMENT_PUNCT)
    match = _TRAILING_NAME.search(stripped)
    if match is None:
        return None
    text = match.group().decode("ascii", "replace")
    gap = len(prefix) - len(stripped)
    return AssignedName(text=text, words=name_words(text), adjacent=gap <= 12)


def role_of_name(name: AssignedName) -> NameRole:
    joined = "".join(name.words)
    if "secret" in joined or ("private" in name.words and "key" in joined):
        return "secret_key"
    if joined in POSITIONAL_CLIENTS or joined.endswith("client"):
        return "call"
    if "key" in joined or "apikey" in joined or joined in {"api", "token", "access"}:
        return "api_key"
    return "other"


def name_has_binance_word(name: AssignedName) -> bool:
    return any(word in {"binance", "bnb", "mbx", "ccxt"} for word in name.words)


def line_bounds(data: bytes, position: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, position) + 1
    end = data.find(b"\n", position)
    return start, (len(data) if end == -1 else end)


def context_window(data: bytes, start: int, end: int) -> bytes:
    """A few lines around [start, end), clipped to a byte budget on each side."""
    low = start
    for _ in range(CONTEXT_WINDOW_LINES + 1):
        previous = data.rfind(b"\n", max(0, start - CONTEXT_WINDOW_BYTES), low - 1 if low > 0 else 0)
        if previous == -1:
            low = max(0, start - CONTEXT_WINDOW_BYTES)
            break
        low = previous
    high = end
    for _ in range(CONTEXT_WINDOW_LINES + 1):
        following = data.find(b"\n", high + 1, end + CONTEXT_WINDOW_BYTES)
        if following == -1:
            high = min(len(data), end + CONTEXT_WINDOW_BYTES)
            break
        high = following
    return data[low:high]


def has_binance_keyword(text: bytes) -> bool:
    lowered = text.lower()
    return any(keyword in lowered for keyword in BINANCE_KEYWORDS)


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    length = len(value)
    return -sum(count / length * math.log2(count / length) for count in Counter(value).values())
