"""Which Binance realm the code around a credential points to: the `environment_hint` of a finding.

No network: only what is written near the credential. Evidence, strongest first:

1. the values themselves: a 64-character lowercase-hex key or secret has only ever been issued by the
   USD-M futures testnet (mainnet, spot testnet and demo keys are mixed-case alphanumeric);
2. the credential's own line, and its partner's: `BINANCE_TESTNET_API_KEY = …`, `DEMO_SECRET: …`,
   `Client(key, secret, testnet=True)`, `Client(key, secret, tld='us')`;
3. the nearest realm marker in the lines around the pair: a base URL (testnet.binance.vision,
   testnet.binancefuture.com, demo-api.binance.com, api.binance.us, api.binance.com), a flag with a
   literal value (`testnet=True`, `testnet: false`, `BINANCE_TESTNET=1`, `demo=True`,
   `set_sandbox_mode(True)`, `enable_demo_trading(True)`), a section or setting named for a realm
   (`[binance_testnet]`, `FUTURES_TESTNET`, `ccxt.binanceus`), a comment or section header saying
   `testnet` or `mainnet`.

Another credential's name (`BINANCE_TESTNET_SECRET = …` two lines down) speaks for that credential only.
A flag set from a variable (`testnet=use_testnet`) says nothing. Equally near markers are ranked test
realms first: `Client(key, secret, tld='us', testnet=True)` talks to the testnet.

Linear by construction: each candidate gets a window of at most CONTEXT_LINES lines and CONTEXT_BYTES
bytes each side; overlapping windows are merged and each merged window is searched once, with a
regex of fixed literal alternatives; every token is classified once; each candidate then looks at a
bounded number of markers (MARKERS_PER_SIDE) found by bisection.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from binance_secrets.detectors.words import name_words
from binance_secrets.finding import Finding, Realm

CONTEXT_LINES = 8
CONTEXT_BYTES = 1024
OWN_LINE_BYTES = 512  # of a credential's own line, each side of it
MAX_TOKEN_BYTES = 120  # a longer "word" is data (base64, a minified line), not a name or a host
MARKERS_PER_SIDE = 16
_FOLLOWING_BYTES = 48

# Equally near evidence: a test switch wins over host selection (python-binance ignores `tld` on the
# testnet), and Binance.US over plain mainnet.
_RANK: dict[Realm, int] = {"futures-testnet": 0, "testnet": 1, "demo": 2, "binance-us": 3, "binance": 4}

# Where a realm marker may be: the search runs on the lower-cased window; each hit is then read as the
# whole token around it. Fixed literals only (`binance[._-]?us` has one optional character): linear.
_KEYWORDS = re.compile(rb"testnet|binancefuture|demo|sandbox|mainnet|binance[._-]?us|tld|binance\.com")
# Bytes a token (identifier, dotted host, dashed name) is made of.
_TOKEN_BYTES = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
_TOKEN_MARKS = bytes(ord("n") if byte in _TOKEN_BYTES else ord(" ") for byte in range(256))
_HEX_64 = re.compile(r"[0-9a-f]{64}\Z")

# What follows a flag: an operator (`=`, `==`, `:`, `(`), an optional quote, then the value. Bounded
# repetitions only.
_FLAG_VALUE = re.compile(
    rb"""[ \t]{0,8}["']?[ \t]{0,8}(?:={1,2}|:|\()[ \t]{0,8}["']?[ \t]{0,8}
         (?P<value>true|false|yes|no|on|off|1|0)(?![a-z0-9_])""",
    re.VERBOSE,
)
# The same operator followed by anything else on the line: a flag set from a variable.
_FLAG_DYNAMIC = re.compile(rb"""[ \t]{0,8}["']?[ \t]{0,8}(?:={1,2}|:(?!=)|\()[ \t]{0,8}[^ \t\r\n{\[#]""")
# `tld='us'`, `tld: "us"` (python-binance's switch to api.binance.us).
_TLD_US = re.compile(rb"""[ \t]{0,8}["']?[ \t]{0,8}(?:=|:)[ \t]{0,8}["']us["']""")
# A section header: `testnet:` at the end of a line, `[binance_testnet]`, `"testnet": {`.
_SECTION_END = re.compile(rb"""["']?[ \t]{0,8}(?::[ \t]{0,8}(?:[{\[]|[#\r\n]|\Z)|\])""")
_COMMENT_STARTS = (b"#", b"//", b"--", b";", b"/*", b"<!--")
# The name of an environment variable being read (`os.getenv("BINANCE_TESTNET", "false")`,
# `process.env.BINANCE_TESTNET`): a switch whose value is elsewhere. Searched on a bounded slice.
_ENV_LOOKUP = re.compile(rb"(?:getenv|get|environ|env|getenvironmentvariable|fetch)[ \t]*[(\[][ \t]*[\"']?\Z|env\.\Z")
_LOOKBACK_BYTES = 40
# Hosts, on a token of at most MAX_TOKEN_BYTES: demo-api., demo-fapi., demo. (demo trading), then the
# registered domains of Binance.US and of mainnet.
_DEMO_HOST = re.compile(r"(?:^|[.-])demo(?:-[a-z]{1,8})?\.binance\.com")
_US_HOST = re.compile(r"(?:^|\.)binance\.us(?![a-z0-9])")
_MAINNET_HOST = re.compile(r"(?:^|\.)binance\.com(?![a-z0-9])")
# An unseparated run this long is data (a key, a hash), not a name.
_MAX_UNSEPARATED = 40
_TRUE = frozenset({b"true", b"yes", b"on", b"1"})
# Words of a name that make it a credential's name: it then speaks for its own value only.
_CREDENTIAL_WORDS = frozenset(
    {"key", "apikey", "secret", "secretkey", "token", "pass", "passphrase", "password", "passwd", "private",
     "credential", "credentials", "pem"}
)  # fmt: skip
# Words of a switch's name: without a literal value it says nothing (`USE_TESTNET = env(...)`).
_SWITCH_WORDS = frozenset({"use", "is", "enable", "enabled", "set", "mode", "flag", "if", "not"})

# name: a credential's own name (speaks for its own line only); heading: a comment or section header
# (speaks for what follows it); context: a host, a flag, a setting (speaks for what is near it).
MarkerKind = Literal["name", "heading", "context"]


@dataclass(frozen=True)
class _Marker:
    start: int
    end: int
    realm: Realm
    kind: MarkerKind


class Located(Protocol):
    """What the detector knows of a candidate: where its value is, the value, and its partner."""

    start: int
    end: int
    secret: str

    @property
    def partner(self) -> Located | None: ...


def with_environment_hints(data: bytes, candidates: Sequence[Located], findings: list[Finding]) -> list[Finding]:
    """`findings` (one per candidate, same order) with `environment_hint` filled in."""
    if not candidates:
        return findings
    spans = [_span(candidate) for candidate in candidates]
    windows = [_window(data, start, end) for start, end in spans]
    markers = _markers_in(data, windows)
    starts = [marker.start for marker in markers]
    hinted = []
    for candidate, span, window, finding in zip(candidates, spans, windows, findings, strict=True):
        partner = candidate.partner
        hint = value_hint(candidate.secret, partner.secret if partner is not None else None)
        if hint is None:
            own_lines = [_line(data, candidate.start, candidate.end)]
            if partner is not None:
                own_lines.append(_line(data, partner.start, partner.end))
            hint = _nearest(markers, starts, span, window, own_lines)
        hinted.append(finding.with_changes(environment_hint=hint) if hint is not None else finding)
    return hinted


def value_hint(*values: str | None) -> Realm | None:
    """`futures-testnet` when a value is a 64-character lowercase-hex string (see the module docstring)."""
    return "futures-testnet" if any(value is not None and _HEX_64.match(value) for value in values) else None


def _span(candidate: Located) -> tuple[int, int]:
    partner = candidate.partner
    if partner is None:
        return candidate.start, candidate.end
    start, end = min(candidate.start, partner.start), max(candidate.end, partner.end)
    if end - start > 2 * CONTEXT_BYTES:  # far apart on one huge line: each speaks for its own place
        return candidate.start, candidate.end
    return start, end


def _window(data: bytes, start: int, end: int) -> tuple[int, int]:
    """CONTEXT_LINES lines before and after [start, end), at most CONTEXT_BYTES each side."""
    floor = max(0, start - CONTEXT_BYTES)
    low = start
    for _ in range(CONTEXT_LINES + 1):
        newline = data.rfind(b"\n", floor, low)
        if newline == -1:
            low = floor
            break
        low = newline
    ceiling = min(len(data), end + CONTEXT_BYTES)
    high = end
    for _ in range(CONTEXT_LINES + 1):
        newline = data.find(b"\n", high + 1, ceiling)
        if newline == -1:
            high = ceiling
            break
        high = newline
    return low, high


def _line(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The credential's own line around [start, end), at most OWN_LINE_BYTES each side."""
    low = data.rfind(b"\n", max(0, start - OWN_LINE_BYTES), start) + 1 or max(0, start - OWN_LINE_BYTES)
    high = data.find(b"\n", end, end + OWN_LINE_BYTES)
    return low, (min(len(data), end + OWN_LINE_BYTES) if high == -1 else high)


def _markers_in(data: bytes, windows: list[tuple[int, int]]) -> list[_Marker]:
    """Every marker in the union of the windows, in order: each merged window is searched once."""
    markers: list[_Marker] = []
    merged_low, merged_high = -1, -1
    for low, high in sorted(windows):
        if low <= merged_high:
            merged_high = max(merged_high, high)
            continue
        if merged_high > merged_low:
            markers.extend(_markers_between(data, merged_low, merged_high))
        merged_low, merged_high = low, high
    if merged_high > merged_low:
        markers.extend(_markers_between(data, merged_low, merged_high))
    return markers


def _markers_between(data: bytes, low: int, high: int) -> list[_Marker]:
    text = data[low:high]
    lower = text.lower()
    marks = lower.translate(_TOKEN_MARKS)
    markers = []
    token_end = -1
    for hit in _KEYWORDS.finditer(lower):
        if hit.start() < token_end:
            continue  # another keyword inside a token already read
        start = marks.rfind(b" ", 0, hit.start()) + 1
        end = marks.find(b" ", hit.end())
        token_end = len(text) if end == -1 else end
        length = token_end - start
        if length > MAX_TOKEN_BYTES or (length > _MAX_UNSEPARATED and not _has_separator(lower, start, token_end)):
            continue
        found = _classify(text, start, token_end)
        if found is not None:
            markers.append(_Marker(low + start, low + token_end, *found))
    return markers


def _has_separator(lower: bytes, start: int, end: int) -> bool:
    return any(lower.find(separator, start, end) != -1 for separator in (b"_", b".", b"-"))


def _classify(text: bytes, start: int, end: int) -> tuple[Realm, MarkerKind] | None:
    """What the token text[start:end] says, if anything."""
    token = text[start:end].lower().decode("ascii")
    following = text[end : end + _FOLLOWING_BYTES].lower()
    host = _host_realm(token)
    if host is not None:
        return host, "context"
    if token == "tld":
        return ("binance-us", "context") if _TLD_US.match(following) else None
    words = name_words(text[start:end].decode("ascii"))
    realm = _realm_of_words(token, words)
    if realm is None:
        return None
    if _CREDENTIAL_WORDS.intersection(words) or "apikey" in token or "secret" in token:
        return realm, "name"
    flag = _FLAG_VALUE.match(following)
    if flag is not None:
        if flag.group("value") in _TRUE:
            return ("testnet" if realm == "binance" and "sandbox" in words else realm), "context"
        # `testnet=False`, `demo: false`: the code says mainnet.
        return ("binance", "context") if realm != "binance" or "sandbox" in words else None
    if _FLAG_DYNAMIC.match(following) or _SWITCH_WORDS.intersection(words) or "sandbox" in words:
        return None  # a switch set elsewhere, or a bare sandbox mention: no evidence either way
    if _ENV_LOOKUP.search(text[max(0, start - _LOOKBACK_BYTES) : start].lower()):
        return None
    # `[binance_testnet]`, `BINANCE_TESTNET`, `futures_testnet`, `binance-us`, the ccxt id `binanceus`.
    named = (len(words) > 1 and bool({"binance", "futures", "future"}.intersection(words))) or "binanceus" in words
    if _is_comment_or_section(text, start, following):
        # `# testnet keys`, `testnet:` and `[mainnet]` sections: about what follows them. A lone `demo`
        # is too common a word (a demo app) to say anything.
        return (realm, "heading") if named or realm != "demo" else None
    return (realm, "context") if named else None


def _host_realm(token: str) -> Realm | None:
    if "binancefuture." in token:
        return "futures-testnet"
    if "testnet.binance.vision" in token:
        return "testnet"
    if _DEMO_HOST.search(token):
        return "demo"
    if _US_HOST.search(token):
        return "binance-us"
    if _MAINNET_HOST.search(token):
        return "binance"
    return None


def _realm_of_words(token: str, words: tuple[str, ...]) -> Realm | None:
    if "testnet" in token:
        futures = any(word in ("future", "futures", "fapi", "usdm", "um") for word in words)
        return "futures-testnet" if futures or "binancefuture" in token else "testnet"
    if "demo" in words:
        return "demo"
    if "binanceus" in words or token == "binanceus" or _adjacent(words, "binance", "us"):
        return "binance-us"
    if "mainnet" in words:
        return "binance"
    if "sandbox" in words:
        return "binance"  # only meaningful with a literal value: see _classify
    return None


def _adjacent(words: tuple[str, ...], first: str, second: str) -> bool:
    return any(a == first and b == second for a, b in itertools.pairwise(words))


def _is_comment_or_section(text: bytes, start: int, following: bytes) -> bool:
    line_start = text.rfind(b"\n", max(0, start - OWN_LINE_BYTES), start) + 1
    before = text[line_start:start]
    if any(mark in before for mark in _COMMENT_STARTS):
        return True
    return before.strip(b" \t\"'[") == b"" and _SECTION_END.match(following) is not None


def _nearest(
    markers: list[_Marker],
    starts: list[int],
    span: tuple[int, int],
    window: tuple[int, int],
    own_lines: list[tuple[int, int]],
) -> Realm | None:
    """The realm of the best marker for a credential spanning `span`: own-line markers first (any kind),
    then the nearest context marker inside `window`; equal distances go to the lower _RANK."""
    best: tuple[int, int, Realm] | None = None
    for line_low, line_high in own_lines:
        index = bisect.bisect_left(starts, line_low)
        for marker in markers[index : index + 2 * MARKERS_PER_SIDE]:
            if marker.start >= line_high:
                break
            candidate = (0, _RANK[marker.realm], marker.realm)
            best = candidate if best is None else min(best, candidate)
    if best is not None:
        return best[2]
    low, high = window
    middle = bisect.bisect_left(starts, span[0])
    before = reversed(markers[max(0, middle - MARKERS_PER_SIDE) : middle])
    after = markers[middle : middle + MARKERS_PER_SIDE]
    for side in (before, after):  # each walks away from the credential: distances only grow
        for marker in side:
            distance = max(span[0] - marker.end, marker.start - span[1], 0)
            if best is not None and distance > best[0]:
                break
            if marker.kind == "name" or marker.start < low or marker.end > high:
                continue
            if marker.kind == "heading" and marker.end > span[0]:
                continue  # a header or comment after the credential is about what follows it
            candidate = (distance, _RANK[marker.realm], marker.realm)
            best = candidate if best is None else min(best, candidate)
    return best[2] if best is not None else None
