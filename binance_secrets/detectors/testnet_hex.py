"""When a 64-digit lowercase hex value is a futures-testnet key rather than a digest.

The USD-M futures testnet issues hex keys and secrets; everything else that is 64 hex digits (SHA-256
digests, HMAC signatures, transaction hashes, wallet keys) is no Binance credential. Besides Binance
named around the value (`candidates` checks that), two weaker signs are taken:

- `testnet` near the value where the word is a switch turned on (`Client(…, testnet=True)`); the
  word alone counts only in a file that names Binance (TON, Sepolia and others have testnets too);
- a plain credential name (`api_key`, `apiKey_test`, `TEST_FUTURE_SECRET_KEY`) in a file that speaks
  of Binance: a name that also names another service (`CRYPTOCOMPARE_API_KEY`, `webhook_secret`,
  `MASTER_KEY`) is not plain, and a generic one (`secret`, `key`) needs a hex partner of the other
  role a few lines away (`apiKey='…'` / `secret='…'`).

The second does not hold when the file switches the testnet off (`TESTNET=false`, `testnet: False`):
hex keys are testnet keys, so a file set for mainnet holds another exchange's or service's hex values.

Imported with the candidate analysis, only when a chunk holds a named hex value.
"""

from __future__ import annotations

import re

from binance_secrets.detectors.roles import is_secret_word

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
