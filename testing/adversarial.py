"""Inputs built to make a careless scanner quadratic, shared by the tests and the benchmark."""

from __future__ import annotations

import random
import string

_ALNUM = string.ascii_letters + string.digits


def _random(size: int, alphabet: str, seed: int) -> str:
    rng = random.Random(seed)  # deterministic: the same input on every run
    return "".join(rng.choices(alphabet, k=size))


def one_alphanumeric_line(size: int) -> bytes:
    return _random(size, _ALNUM, 1).encode()


def equals_and_quotes(size: int) -> bytes:
    return (b"=\"'" * (size // 3 + 1))[:size]


def equals_quotes_and_secret(size: int) -> bytes:
    unit = b'api_secret="\'==\'\'"=secret:"x" '
    return (unit * (size // len(unit) + 1))[:size]


def repeated_secret_word(size: int) -> bytes:
    return (b"secret" * (size // 6 + 1))[:size]


def tokens(size: int, separator: bytes) -> bytes:
    rng = random.Random(2)
    count = size // 65 + 1
    return separator.join("".join(rng.choices(_ALNUM, k=64)).encode() for _ in range(count))


def named_tokens(size: int) -> bytes:
    rng = random.Random(3)
    count = size // 80 + 1
    return b"\n".join(b'API_SECRET = "' + "".join(rng.choices(_ALNUM, k=64)).encode() + b'"' for _ in range(count))


def begin_without_end(size: int) -> bytes:
    unit = b"-----BEGIN PRIVATE KEY-----"
    return (unit * (size // len(unit) + 1))[:size]


def begins_then_one_end(size: int) -> bytes:
    unit = b"-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEI"
    return (unit * (size // len(unit) + 1))[:size] + b"-----END PRIVATE KEY-----"


def binance_words(size: int) -> bytes:
    unit = b"binance bnb X-MBX-APIKEY: ccxt "
    return (unit * (size // len(unit) + 1))[:size]


CASES = {
    "one alphanumeric line": one_alphanumeric_line,
    "= and quotes": equals_and_quotes,
    "= and quotes with secret": equals_quotes_and_secret,
    "secretsecret...": repeated_secret_word,
    "tokens, one line": lambda size: tokens(size, b" "),
    "tokens, one per line": lambda size: tokens(size, b"\n"),
    "named tokens, one per line": named_tokens,
    "BEGIN without END": begin_without_end,
    "many BEGIN, one END": begins_then_one_end,
    "binance words": binance_words,
}
