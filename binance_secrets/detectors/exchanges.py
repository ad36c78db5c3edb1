"""Which exchange a credential belongs to: its name, its config section, its client, its file's imports.

A multi-exchange bot holds Binance, Bybit, OKX, KuCoin... credentials side by side; a Bybit secret
must not be reported as a Binance one however often the file says "binance". The nearest, most
specific mention wins: the name the value is assigned to, then the text before it on its line
(`ccxt.bybit({'apiKey': …`, `"kraken": {"key": …`), then the enclosing section or call above it
(`[kraken]`, `okx:`, `"kucoin": {`, `session = HTTP(` after `from pybit…`), then the lines just
below, then the imports at the head of the file.

Everything is bounded: mentions are found by one regex over fixed-size blocks of the chunk, each
block at most once per chunk, and the walk around a candidate visits a bounded number of lines and
bytes. A 10 MB file full of exchange names costs the same per byte as any other.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable
from typing import NamedTuple

BINANCE = "binance"  # also spelt out in `detectors/classify` (`file_facts` imports this module lazily)

# Words distinctive enough to count inside identifiers (`bybitApiKey`, `KucoinClient`, `BYBIT_KEY`).
_LONG_WORDS: dict[str, str] = {
    "binance": BINANCE, "bybit": "bybit", "kucoin": "kucoin", "kraken": "kraken",
    "bitfinex": "bitfinex", "coinbase": "coinbase", "huobi": "htx",
    "bitmex": "bitmex", "deribit": "deribit", "bitstamp": "bitstamp", "poloniex": "poloniex",
    "bittrex": "bittrex", "phemex": "phemex", "bingx": "bingx", "bitmart": "bitmart",
    "bithumb": "bithumb", "bitflyer": "bitflyer", "bitvavo": "bitvavo", "whitebit": "whitebit",
    "hitbtc": "hitbtc", "ascendex": "ascendex", "bitrue": "bitrue", "hyperliquid": "hyperliquid",
    "digifinex": "digifinex", "coincheck": "coincheck", "btcturk": "btcturk", "wazirx": "wazirx",
    "indodax": "indodax", "bitpanda": "bitpanda", "okcoin": "okcoin", "cryptocom": "cryptocom",
    "blofin": "blofin", "asterdex": "aster", "dydx": "dydx", "pionex": "pionex", "bitunix": "bitunix",
    "toobit": "toobit", "coindcx": "coindcx", "bitkub": "bitkub", "paradex": "paradex",
    "apexpro": "apex", "zoomex": "zoomex", "latoken": "latoken", "bitopro": "bitopro",
    "btcmarkets": "btcmarkets", "coinspot": "coinspot", "zebpay": "zebpay", "deepcoin": "deepcoin",
    "woofi": "woo", "bitforex": "bitforex",
}  # fmt: skip
# Short or ordinary words: only as a word of their own (`OKX_API_KEY`, `'okx'`, `okx:`), never inside
# another word (`bookexample` holds `okex`, `copybits` holds `pybit`, `bitGet(x, n)` is arithmetic).
_SHORT_WORDS: dict[str, str] = {
    "okx": "okx", "okex": "okx", "ftx": "ftx", "htx": "htx", "mexc": "mexc", "gdax": "coinbase",
    "gemini": "gemini", "lbank": "lbank", "coinex": "coinex", "bitso": "bitso", "exmo": "exmo",
    "luno": "luno", "zaif": "zaif", "korbit": "korbit", "coinone": "coinone", "bitbank": "bitbank",
    "woox": "woo", "gateio": "gate", "pybit": "bybit", "bitget": "bitget", "upbit": "upbit",
    "aster": "aster", "woo": "woo", "backpack": "backpack", "btse": "btse", "aevo": "aevo",
    "weex": "weex", "bitvenus": "bitvenus", "hotcoin": "hotcoin", "bitbns": "bitbns", "cexio": "cexio",
}  # fmt: skip
# Name words (from `name_words`) that attribute a credential, beyond the ones above: `gate` is an
# ordinary English word in prose but not as a part of `GATE_API_KEY`.
_NAME_ONLY_WORDS: dict[str, str] = {"gate": "gate", "mbx": BINANCE}
# Every mention holds one of these: tested first, as plain substrings. `gate` alone is in every
# `delegate` and `aggregate`; only its exchange forms are looked for.
_GATE_FORMS = (
    "gate.io",
    "gate_io",
    "gate-io",
    "gate io",
    "gateio",
    "gate_api",
    "gate-api",
    "gateapi",
    "'gate'",
    '"gate"',
    "ccxt.gate",
)
_PRESENCE = tuple(word.encode() for word in sorted({*_LONG_WORDS, *_SHORT_WORDS, *_GATE_FORMS, "x-mbx-"}, key=len))

# How far a candidate's surroundings are read.
_BLOCK_BYTES = 2048
_BLOCK_OVERLAP = 24  # longer than any word plus its boundary characters
SAME_LINE_BYTES = 600
_UP_LINES = 40
_UP_BYTES = 2048
_SIBLING_LINES = 8
_DOWN_LINES = 5
_DOWN_BYTES = 1024
_LINE_CAP_BYTES = 512
_MAX_LINE_SCAN = 4096
HEAD_BYTES = 4096
_COMMENT_MARKS = (b"#", b"//", b"--", b";")
_CLOSERS = frozenset(b")]}")
_IMPORT_WORDS = (b"import ", b"from ", b"using ", b"use ", b"package ", b"#include", b"require ")


@functools.cache
def _section_opener() -> re.Pattern[bytes]:
    # A bare key opening a nested block: YAML `bybit:`, JSON `"okx": {`, TOML-ish `kraken = {`. Bounded
    # classes on a line already cut to `_LINE_CAP_BYTES`: linear. Compiled on first use.
    return re.compile(rb"""-?[ \t]*["']?[\w.-]{1,64}["']?[ \t]*[:=][ \t]*[{\[(]?""")


def _trie(words: list[str]) -> str:
    """A regex alternation factored by common prefixes: a few branches tried per position, not 40."""
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:  # type: ignore[type-arg]
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            body = f"(?:{body})?"
        return body

    return emit(tree)


@functools.cache
def _presence_pattern() -> re.Pattern[bytes]:
    """Any of the words of `_PRESENCE` at all: one search of their trie, twice as fast as testing the
    92 words one by one (each a pass over the block)."""
    return re.compile(_trie(sorted(word.decode() for word in _PRESENCE)).encode())


@functools.cache
def _mention_pattern() -> re.Pattern[bytes]:
    # Compiled on first use (the hook imports this module but rarely needs it). Runs on lower-cased
    # blocks: `(?<![a-z0-9])` and `(?![a-z0-9])` keep short words whole; the `gate` forms are the
    # ccxt id (`ccxt.gate`, `'gate'`), the domain (`gate.io`) and the SDK (`gate_api`).
    pattern = rf"""
        (?P<long>{_trie(sorted(_LONG_WORDS))})
      | (?<![a-z0-9])(?P<short>{_trie(sorted(_SHORT_WORDS))})(?![a-z0-9])
      | (?P<gate>(?<=ccxt\.)gate(?![a-z0-9])|["']gate["']
                 |(?<![a-z0-9])gate[._ -]io(?![a-z0-9])|(?<![a-z0-9])gate[_-]?api)
      | (?P<mbx>x-mbx-)
    """
    return re.compile(pattern.encode(), re.VERBOSE)


# NamedTuples, not dataclasses: this module is imported on the hook's path, where a frozen dataclass
# costs milliseconds to create.
class Mention(NamedTuple):
    start: int
    end: int
    exchange: str


@functools.lru_cache(maxsize=1024)
def exchange_of_words(words: tuple[str, ...]) -> str | None:
    """The exchange a name names (`BYBIT_API_SECRET`, `okxApiKey`, `binance_key`), if any.

    When a name holds two (`binance_to_bybit_key`), the last one wins: it is the one nearest the value.
    """
    found: str | None = None
    for word in words:
        exchange = _SHORT_WORDS.get(word) or _NAME_ONLY_WORDS.get(word)
        if exchange is None:
            for long_word, name in _LONG_WORDS.items():
                if long_word in word:
                    exchange = name
                    break
        if exchange is not None:
            found = exchange
    return found


class ExchangeMentions:
    """Exchange names in one chunk, found block by block on demand, each block once."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._blocks: dict[int, tuple[list[int], list[Mention]]] = {}

    def between(self, low: int, high: int) -> list[Mention]:
        """Mentions lying wholly inside [low, high), in order."""
        if high <= low:
            return []
        found: list[Mention] = []
        for block in range(low // _BLOCK_BYTES, (high - 1) // _BLOCK_BYTES + 1):
            starts, mentions = self._block(block)
            if not mentions:
                continue
            first = bisect.bisect_left(starts, low)
            last = bisect.bisect_left(starts, high)
            found.extend(m for m in mentions[first:last] if m.end <= high)
        return found

    def _block(self, block: int) -> tuple[list[int], list[Mention]]:
        cached = self._blocks.get(block)
        if cached is not None:
            return cached
        start = block * _BLOCK_BYTES
        end = min(len(self._data), start + _BLOCK_BYTES)
        window_start = max(0, start - _BLOCK_OVERLAP)
        text = self._data[window_start : end + _BLOCK_OVERLAP].lower()
        mentions: list[Mention] = []
        # Most blocks name no exchange: a few substring tests (C) rule that out before the regex runs.
        matches = _mention_pattern().finditer(text) if _presence_pattern().search(text) else ()
        for match in matches:
            position = window_start + match.start()
            if not start <= position < end:
                continue  # the neighbouring block reports it
            word = match.group().decode("ascii")
            if match.lastgroup == "long":
                if _inside_long_run(text, match.start(), match.end()):
                    continue  # `…a4ampybitoj6…`: letters of a random key or a base64 blob, no name
                exchange = _LONG_WORDS[word]
            elif match.lastgroup == "short":
                exchange = _SHORT_WORDS[word]
            elif match.lastgroup == "gate":
                exchange = "gate"
            else:
                exchange = BINANCE
            mentions.append(Mention(position, window_start + match.end(), exchange))
        entry = ([m.start for m in mentions], mentions)
        self._blocks[block] = entry
        return entry


class _Line(NamedTuple):
    start: int
    end: int  # offset of the newline (or the end of the data)
    indent: int
    blank: bool
    header: bool  # `[section]` of INI/TOML
    closes: bool  # the line starts with a closing bracket: the block above it has ended
    imports: bool  # `import …`, `from … import`, `require(…)`: the head of the file speaks for these
    content: bytes

    @property
    def opens_section(self) -> bool:
        """`bybit:`, `"okx": {`, `kraken = {`: a key that opens a nested block."""
        return _section_opener().fullmatch(self.content) is not None


def _line_at(data: bytes, start: int) -> _Line:
    """The line starting at `start`; a huge line is cut at `_MAX_LINE_SCAN` bytes (a pseudo-line)."""
    newline = data.find(b"\n", start, start + _MAX_LINE_SCAN)
    end = newline if newline != -1 else min(len(data), start + _MAX_LINE_SCAN)
    head = data[start : min(end, start + _LINE_CAP_BYTES)]
    stripped = head.lstrip(b" \t")
    indent = len(head) - len(stripped)
    content = stripped.rstrip()
    header = content.startswith(b"[") and content.endswith(b"]") and b"=" not in content
    return _Line(
        start=start,
        end=end,
        indent=indent,
        blank=not content,
        header=header,
        closes=bool(content) and content[0] in _CLOSERS,
        imports=content.startswith(_IMPORT_WORDS) or b"require(" in content,
        content=content,
    )


def _line_start(data: bytes, position: int) -> int:
    low = max(0, position - _MAX_LINE_SCAN)
    newline = data.rfind(b"\n", low, position)
    return newline + 1 if newline != -1 else low


def _previous_line_start(data: bytes, line_start: int) -> int:
    low = max(0, line_start - 1 - _MAX_LINE_SCAN)
    newline = data.rfind(b"\n", low, line_start - 1)
    return newline + 1 if newline != -1 else low


class Attributor:
    """Attribution for the candidates of one chunk (shares the block cache between them)."""

    def __init__(
        self, data: bytes, mentions_binance: Callable[[], bool], *, path_mentions_binance: bool = False
    ) -> None:
        self._data = data
        self.mentions = ExchangeMentions(data)
        self._mentions_binance = mentions_binance
        self._path_mentions_binance = path_mentions_binance
        self._head: frozenset[str] | None = None
        self._file: str | None = None

    def exchange_of(self, start: int, end: int, line_start: int, name_words: tuple[str, ...] = ()) -> str | None:
        """The exchange of the value at [start, end), or None when nothing says (see `file_exchange`
        for what the whole file says)."""
        exchange = exchange_of_words(name_words)
        if exchange is not None:
            return exchange
        data = self._data
        # A line that starts far back (a minified file, a huge single line) is read from a bounded
        # pseudo-start, or every candidate on it would look back over all of it.
        line_start = max(line_start, start - _MAX_LINE_SCAN)
        # One look-up for everything within reach; most candidates have no mention around at all.
        low = max(0, line_start - _UP_BYTES)
        nearby = self.mentions.between(low, min(len(data), end + SAME_LINE_BYTES + _DOWN_BYTES))
        exchange = None
        if nearby:
            exchange = self._local(nearby, start, end, line_start)
        if exchange is None:
            exchange = self._head_exchange()
        return exchange

    def _local(self, nearby: list[Mention], start: int, end: int, line_start: int) -> str | None:
        """The nearest, most specific mention among `nearby`: before the value on its line, after it
        in a comment, then the block above, then the lines below."""
        data = self._data
        before = [m for m in nearby if max(line_start, start - SAME_LINE_BYTES) <= m.start and m.end <= start]
        if before:
            return before[-1].exchange
        line_end = data.find(b"\n", end, end + SAME_LINE_BYTES)
        after_end = line_end if line_end != -1 else end + SAME_LINE_BYTES
        after = [m for m in nearby if end <= m.start and m.end <= after_end]
        if after and _commented(data, end, after[0].start):
            return after[0].exchange
        up = [m for m in nearby if m.end <= line_start]
        down = line_end != -1 and any(m.start > line_end for m in nearby)
        if not up and not down:
            return None
        line = _line_at(data, line_start)
        return (self._above(line, up) if up else None) or (self._below(line) if down else None)

    def _above(self, line: _Line, region: list[Mention]) -> str | None:
        """The enclosing section, call or labelled block above a line: parents first, then siblings.
        `region` holds the mentions within reach above it (not empty)."""
        data = self._data
        lowest = region[0].start
        indent = line.indent
        budget = _UP_BYTES
        since_anchor = 0
        skipped_deeper = False
        position = line.start
        for _ in range(_UP_LINES):
            if position == 0 or budget <= 0:
                return None
            position = _previous_line_start(data, position)
            if position + _MAX_LINE_SCAN < lowest:
                return None  # every mention is below this line
            above = _line_at(data, position)
            if above.end < lowest:
                return None
            budget -= min(above.end, above.start + _LINE_CAP_BYTES) - above.start + 1
            since_anchor += 1
            if above.blank or above.imports:
                continue
            if above.indent > indent and not above.header:
                skipped_deeper = True  # the body of a sibling block: not ours
                continue
            found = self._mentions_of(above)
            if above.header:
                # `[kraken]` / `[exchanges.okx]`: a section ends the walk whatever it says.
                return found[-1].exchange if found else None
            if above.indent < indent:
                if found:
                    return found[-1].exchange
                indent, since_anchor, skipped_deeper = above.indent, 0, False
                continue
            # A sibling: a label (`# Bybit`, `exchange: okx`, `"name": "kucoin"`) of the same block,
            # unless it opened a block that has closed since (`bybit = ccxt.bybit({` … `})`). Another
            # exchange's own setting (`GEMINI_API_KEY=…`) labels nothing.
            labels = _labels(data, above, found, comments=True)
            if labels and not skipped_deeper and not above.closes and since_anchor <= _SIBLING_LINES:
                return labels[-1].exchange
            skipped_deeper = False
        return None

    def _below(self, line: _Line) -> str | None:
        """A mention on the lines just below, inside the same block (`exchange = ccxt.kraken({…key…})`)."""
        data = self._data
        position = line.end + 1
        limit = min(len(data), line.end + _DOWN_BYTES)
        if not self.mentions.between(position, limit):
            return None
        for _ in range(_DOWN_LINES):
            if position >= limit:
                return None
            below = _line_at(data, position)
            if not below.blank and not below.imports:
                if below.indent < line.indent or below.header or below.opens_section:
                    return None
                found = _labels(data, below, self._mentions_of(below), comments=False)
                if found:
                    return found[0].exchange
            position = below.end + 1
        return None

    def _mentions_of(self, line: _Line) -> list[Mention]:
        return self.mentions.between(line.start, min(line.end, line.start + _LINE_CAP_BYTES))

    def _head_exchange(self) -> str | None:
        """Another exchange when the imports at the head of the file name one (`from pybit… import
        HTTP`, `require('kucoin-node-sdk')`) and the file never names Binance."""
        if self._head is None:
            exchanges = set()
            data = self._data
            for mention in self.mentions.between(0, min(len(data), HEAD_BYTES)):
                if _line_at(data, _line_start(data, mention.start)).imports:
                    exchanges.add(mention.exchange)
            self._head = frozenset(exchanges)
        if not self._head or BINANCE in self._head or self._mentions_binance():
            return None
        # Several other exchanges: any of them will do, none is Binance.
        return min(self._head)

    def file_exchange(self) -> str | None:
        """The one other exchange a whole file is about: the file names it and never Binance (`#
        AsterDEX API Credentials` at the top of a `.env`, a Gate.io client class), or names it far
        more often than Binance (a guide to an AsterDEX bot that calls its API "Binance-compatible"
        once). Asked only when nothing near a value says, and only for values without a shape of
        their own (hex, short secrets, PEMs): a 64-character mixed-case key has Binance's shape,
        which a mention elsewhere in the file does not outweigh. One pass over the file, at most once."""
        if self._file is None:
            self._file = self._dominant_exchange()
        return self._file or None

    def _dominant_exchange(self) -> str:
        data = self._data
        if len(data) > _FILE_ATTRIBUTION_BYTES:
            return ""
        counts: dict[str, int] = {}
        for mention in self.mentions.between(0, len(data)):
            counts[mention.exchange] = counts.get(mention.exchange, 0) + 1
        binance = counts.pop(BINANCE, 0)
        if not counts:
            return ""
        ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
        top, count = ranked[0]
        if binance == 0 and not self._mentions_binance():
            return top if len(ranked) == 1 else ""
        runner_up = max(binance, ranked[1][1] if len(ranked) > 1 else 0)
        dominant = count >= _DOMINANT_MENTIONS and count >= _DOMINANCE_RATIO * runner_up
        return top if dominant and not self._path_mentions_binance else ""


# Files larger than this are not read whole for an exchange (minified bundles, data dumps).
_FILE_ATTRIBUTION_BYTES = 1 << 20
# A file about one other exchange: named at least this often, and this many times more than Binance
# or any other exchange.
_DOMINANT_MENTIONS = 8
_DOMINANCE_RATIO = 4

_COMMENT_STARTS = (b"#", b"//", b";", b"--", b"/*", b"*", b"<!--", b"rem ", b"REM ")


def _labels(data: bytes, line: _Line, found: list[Mention], *, comments: bool) -> list[Mention]:
    """The mentions that say which exchange a line's block is for: in a comment, or in the value of a
    setting (`exchange: okx`, `EXCHANGE=kraken`, `client = Kraken(…)`), not in a setting's name."""
    if not found:
        return found
    if line.content.startswith(_COMMENT_STARTS):
        return found if comments else []
    start = line.start + line.indent
    head = data[start : min(line.end, start + _LINE_CAP_BYTES)]
    operators = [index for index in (head.find(b"="), head.find(b":")) if index != -1]
    if not operators:
        return []
    value_start = start + min(operators)
    return [m for m in found if m.start > value_start]


_ALNUM_LOWER = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
# Identifiers that hold an exchange name are shorter (`bybitMainAccountApiSecret` is 25); a key or
# a base64 blob is a run of 40 or more.
_MAX_IDENTIFIER_RUN = 40


def _inside_long_run(text: bytes, start: int, end: int) -> bool:
    """The word lies in an alphanumeric run of `_MAX_IDENTIFIER_RUN` or more (bounded look-around)."""
    left = start
    while left > 0 and start - left < _MAX_IDENTIFIER_RUN and text[left - 1] in _ALNUM_LOWER:
        left -= 1
    right = end
    while right < len(text) and right - left < _MAX_IDENTIFIER_RUN and text[right] in _ALNUM_LOWER:
        right += 1
    return right - left >= _MAX_IDENTIFIER_RUN


def _commented(data: bytes, end: int, mention_start: int) -> bool:
    """A comment starts between a value and a mention after it on its line (`"…"  # bybit`)."""
    between = data[end:mention_start]
    return any(mark in between for mark in _COMMENT_MARKS)
