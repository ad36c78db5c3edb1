"""When a 64-digit lowercase hex value is a futures-testnet key rather than a digest.

The USD-M futures testnet issues hex keys and secrets; everything else that is 64 hex digits (SHA-256
digests, HMAC signatures, transaction hashes, wallet keys) is no Binance credential. Besides Binance
named around the value (`classify` checks that), two weaker signs are taken:

- `testnet` near the value where the word is a switch turned on (`Client(…, testnet=True)`); the
  word alone counts only in a file that names Binance (TON, Sepolia and others have testnets too);
- a plain credential name (`api_key`, `apiKey_test`, `TEST_FUTURE_SECRET_KEY`) in a file that speaks
  of Binance: a name that also names another service (`CRYPTOCOMPARE_API_KEY`, `webhook_secret`,
  `MASTER_KEY`) is not plain, and a generic one (`secret`, `key`) needs a hex partner of the other
  role a few lines away (`apiKey='…'` / `secret='…'`).

The second does not hold when the file switches the testnet off (`TESTNET=false`, `testnet: False`):
hex keys are testnet keys, so a file set for mainnet holds another exchange's or service's hex values.

Besides, what makes a 64-digit run a hex candidate at all (`hex_shape`: lowercase, random, not in a
lock file), and the partner a generically named one needs (`with_hex_partners`). Imported with the
candidate analysis (`candidates`), only when a chunk has something to analyse.
"""

from __future__ import annotations

import bisect
import itertools
import re
from typing import TYPE_CHECKING

from binance_secrets.detectors.entropy import shannon_entropy
from binance_secrets.detectors.pairing import PAIR_SEARCH_LIMIT
from binance_secrets.detectors.roles import is_secret_word
from binance_secrets.detectors.tokens import neighbour_rejection_reason, value_rejection_reason

if TYPE_CHECKING:
    from binance_secrets.detectors.candidate import Candidate
    from binance_secrets.detectors.tokens import TokenSpan

# Words a plain credential name is made of, besides the key and secret words themselves.
_PLAIN_NAME_WORDS = frozenset(
    {
        "api", "key", "keys", "apikey", "secret", "secretkey", "apisecret", "apisecretkey", "test",
        "testnet", "future", "futures", "fut", "demo", "binance", "bnb", "my", "user", "client", "trading",
        "trade", "spot", "mock", "real", "live", "main", "prod", "usdm", "um", "cm", "ak", "sk", "x",
    }
)  # fmt: skip

# `testnet` occurrences examined per file: a flag is set once or twice, not thousands of times.
_MAX_SWITCHES = 64
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_.-")
_MAX_NAME_BYTES = 64
# After the name holding `testnet`: an optional closing quote, an operator, an optional quote, the
# value. Bounded repetitions of single characters: linear.
_SWITCH_VALUE = re.compile(
    rb"""["']?[ \t]{0,8}(?:={1,2}|:|\()[ \t]{0,8}["']?[ \t]{0,8}(?P<value>true|false|yes|no|on|off|1|0)(?![a-z0-9_])"""
)
_ON = frozenset({b"true", b"yes", b"on", b"1"})


def plain_credential_name(words: tuple[str, ...]) -> bool:
    """`api_key`, `apiKey_test`, `TEST_FUTURE_SECRET_KEY`, `sekkey`: a name that says key or secret
    and nothing else (no other service, no other use)."""
    return bool(words) and all(
        word in _PLAIN_NAME_WORDS or (len(word) <= 16 and is_secret_word(word)) for word in words
    )


def testnet_switched_off(data: bytes) -> bool:
    """The file sets a testnet switch to false (`TESTNET=false`, `"testnet": false`,
    `BINANCE_TESTNET_MODE = 0`) and none to true."""
    on, off = testnet_switches(data)
    return off and not on


def testnet_switches(data: bytes) -> tuple[bool, bool]:
    """Whether `data` sets a testnet switch on (`Client(…, testnet=True)`, `testnet: true`), and
    whether it sets one off (`TESTNET_MODE=false`)."""
    lowered = data.lower()
    position = lowered.find(b"testnet")
    off = on = False
    for _ in range(_MAX_SWITCHES):
        if position == -1:
            break
        name_end = position + len(b"testnet")
        limit = min(len(lowered), name_end + _MAX_NAME_BYTES)
        while name_end < limit and lowered[name_end] in _NAME_BYTES:
            name_end += 1
        match = _SWITCH_VALUE.match(lowered, name_end, name_end + 40)
        if match is not None:
            if match.group("value") in _ON:
                on = True
            else:
                off = True
        position = lowered.find(b"testnet", name_end)
    return on, off


# Random 64-digit hex has an empirical entropy of about 3.8 bits/char; a typed pattern far less.
MIN_HEX_ENTROPY = 3.3


def hex_shape(data: bytes, span: TokenSpan, lock_file: bool) -> bool:
    """A 64-digit hex run that could be a futures-testnet key: lowercase, random, not in a lock file."""
    raw = data[span.start : span.end]
    if lock_file or not raw.islower() or raw.isalpha():
        return False
    text = raw.decode("ascii")
    reason = value_rejection_reason(text, check_entropy=False)
    if reason == _SEQUENCE_REASON and not _hex_sequence(raw):
        reason = None  # five in a row is one random hex key in 500; seven is a typed pattern
    if reason is not None or shannon_entropy(text) < MIN_HEX_ENTROPY:
        return False
    return neighbour_rejection_reason(data, span) is None


_SEQUENCE_REASON = "repeated or sequential run"
_HEX_SEQUENCE = 7
_NEXT_BYTE = bytes((byte + 1) % 256 for byte in range(256))


def _hex_sequence(raw: bytes) -> bool:
    """Seven equal or ascending hex digits in a row (`0000000`, `abcdef0`... `1234567`)."""
    run_same = run_up = 1
    for previous, current in itertools.pairwise(raw):
        run_same = run_same + 1 if current == previous else 1
        run_up = run_up + 1 if current == _NEXT_BYTE[previous] else 1
        if run_same >= _HEX_SEQUENCE or run_up >= _HEX_SEQUENCE:
            return True
    return False


# How far apart the key and the secret of a named hex pair may be (`apiKey='…'` / `secret='…'`).
_HEX_PAIR_LINES = 3
_HEX_PAIR_BYTES = 1024


def with_hex_partners(data: bytes, candidates: list[Candidate]) -> list[Candidate]:
    """Drops the hex values that needed a partner and have none: a hex value of the other role,
    itself a candidate, within a few lines."""
    if not any(c.hex_partner_needed for c in candidates):
        return candidates
    hex_candidates = sorted((c for c in candidates if c.hex_value and not c.other_exchange), key=lambda c: c.start)
    starts = [c.start for c in hex_candidates]
    kept = []
    for candidate in candidates:
        if candidate.hex_partner_needed:
            # The hex candidates around it in position order: a bounded slice, for linear cost.
            index = bisect.bisect_left(starts, candidate.start)
            neighbours = hex_candidates[max(0, index - PAIR_SEARCH_LIMIT) : index + PAIR_SEARCH_LIMIT]
            if not any(
                other is not candidate
                and other.role not in (candidate.role, "unknown")
                and _lines_apart(data, candidate, other) <= _HEX_PAIR_LINES
                for other in neighbours
            ):
                continue
        kept.append(candidate)
    return kept


def _lines_apart(data: bytes, first: Candidate, second: Candidate) -> int:
    low, high = sorted((first.start, second.start))
    if high - low > _HEX_PAIR_BYTES:
        return _HEX_PAIR_LINES + 1
    return data.count(b"\n", low, high)
