"""Binance named around a value: the words (`binance`, `X-MBX-`, and alone `bnb`, `ccxt`, `mbx`) in a
window of a few lines around it, or in the name it is assigned to.

Which exchange a value belongs to when several are named is `exchanges`'s question; this module only
says whether Binance's words are there. Every window is bounded in lines and bytes, so that a single
10 MB line costs the same per candidate as a short one.
"""

from __future__ import annotations

import re

# typing.TYPE_CHECKING without importing typing (the convention of the detectors, README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.detectors.names import AssignedName

# How far (lines, and bytes each side) around a candidate we look for a Binance keyword. Bounded so
# that candidates on one huge line cost a constant each.
CONTEXT_WINDOW_BYTES = 600
CONTEXT_WINDOW_LINES = 5

# Words that tie nearby text to Binance. `mbx` covers the X-MBX-APIKEY header; `ccxt` is the
# multi-exchange library whose config is the commonest place keys are pasted. Bounded window, fixed
# alternatives, one-character look-arounds: linear.
_SHORT_KEYWORD = re.compile(rb"(?<![a-z0-9])(?:bnb|ccxt|mbx)(?![a-z0-9])")
# Words that make a 64-character hex value a Binance credential rather than a digest: the futures
# testnet (`testnet.binancefuture.com`, `testnet=True`) issues lowercase hex keys. `bnb` is left out:
# BNB Smart Chain projects hold hex wallet keys and transaction hashes beside the word.
_STRONG_BINANCE_WORDS = (b"binance", b"x-mbx-", b"testnet")


def context_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The window around [start, end): a few lines each side, within a byte budget each side."""
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
    return low, high


def binance_context(data: bytes, start: int, end: int) -> bool:
    """A Binance keyword around [start, end), not inside it: a random key contains `bnb` now and then."""
    window_start, window_end = context_bounds(data, start, end)
    return has_binance_keyword(data[window_start:start]) or has_binance_keyword(data[end:window_end])


def has_binance_keyword(text: bytes) -> bool:
    # `binance` is long enough to be distinctive anywhere (`binanceApiKey`); the short words must stand
    # alone, or every base64 blob (which holds `bnb` or `mbx` by chance) would look like Binance context.
    lowered = text.lower()
    if b"binance" in lowered or b"x-mbx-" in lowered:
        return True
    # The plain substring tests are C memmem; the look-around regex runs only when one of them hits.
    if b"bnb" not in lowered and b"ccxt" not in lowered and b"mbx" not in lowered:
        return False
    return _SHORT_KEYWORD.search(lowered) is not None


def strong_binance_context(data: bytes, start: int, end: int, *, testnet: bool = True) -> bool:
    """`binance`, `X-MBX-` (and, for hex values, `testnet`) around [start, end)."""
    window_start, window_end = context_bounds(data, start, end)
    before = data[window_start:start].lower()
    after = data[end:window_end].lower()
    words = _STRONG_BINANCE_WORDS if testnet else _STRONG_BINANCE_WORDS[:2]
    return any(word in before or word in after for word in words)


def name_has_binance_word(name: AssignedName) -> bool:
    """`BINANCE_API_KEY`, `bnb_secret`, `x-mbx-apikey`: the name itself says Binance."""
    return any(word in {"binance", "bnb", "mbx", "ccxt"} for word in name.words)
