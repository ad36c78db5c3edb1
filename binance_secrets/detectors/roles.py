"""The role a value plays, from its name, its place in a client call, or a word near it.

Imported with the candidate analysis (`candidates`), only when a chunk has something to analyse: the
hook's usual files never pay for it.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from binance_secrets.detectors.names import AssignedName, callee_name
from binance_secrets.detectors.words import name_words

# Client constructors that take (api_key, api_secret) positionally: python-binance `Client`,
# `AsyncClient`; binance-connector `Spot`, `UMFutures`, `CMFutures`; go-binance `NewClient`,
# `NewFuturesClient`, `NewDeliveryClient`; Binance.Net `ApiCredentials`/`BinanceApiCredentials`; the
# Java connector's `SpotClientImpl`.
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
        "spotclientimpl",
        "umfuturesclientimpl",
        "cmfuturesclientimpl",
        "binanceapiclientfactory",
        "binancerestclient",
    }
)

NameRole = Literal["api_key", "secret_key", "call", "other"]

# Calls on a client class that construct it: `AsyncClient.create(…)`, `Client::new(…)`,
# `BinanceApiClientFactory.newInstance(…)`.
_CONSTRUCTOR_WORDS = frozenset({"create", "new", "init", "builder", "of", "instance"})
# Keys that are not credentials: `public_key`, `licenseKey`, `cache_key`, `primary key`... and names
# of digests and signatures (`api_key_sha256`, `secret_hash`, `signature`), which hold hex that is
# no key.
_NOT_CREDENTIAL_WORDS = frozenset(
    {
        "public", "pub", "publishable", "license", "licence", "cache", "idempotency", "primary",
        "foreign", "sort", "partition", "session", "encryption", "csrf", "xsrf", "hash", "id",
        "sha", "md", "digest", "checksum", "signature", "sig", "fingerprint", "integrity", "hashed",
        "commit", "nonce", "salt", "listen",
    }
)  # fmt: skip
# Misspelt and abbreviated secrets (`BINANCE_SEKKEY`, `APISECRT`, `api_secert`, `SCRET`, `sec_key`,
# `binance_sk`) and private keys (`pvt_key`): checked word by word, each at most a few characters long.
_SECRET_ABBREVIATIONS = frozenset({"sec", "sek", "secr", "sekr", "scrt", "sk", "skey", "seckey", "sekkey"})
_PRIVATE_WORDS = frozenset({"private", "priv", "pvt", "prv"})
_KEY_MISSPELLINGS = frozenset({"kye", "ky", "kee", "keey", "ak", "apikye", "apiky", "apikee"})
_WORD_PREFIXES = ("binance", "api")
_WORD_SUFFIXES = ("keys", "key")
_SECRET = "secret"


def role_of_name(name: AssignedName) -> NameRole:
    words = name.words
    while len(words) > 1 and words[-1] in _CONSTRUCTOR_WORDS:
        words = words[:-1]
    joined = "".join(words)
    if _NOT_CREDENTIAL_WORDS.intersection(words):
        return "other"
    if "secret" in joined or any(_is_secret_word(word) for word in words):
        return "secret_key"
    if _PRIVATE_WORDS.intersection(words) and "key" in joined:
        return "secret_key"
    if is_positional_client(words):
        return "call"
    if "key" in joined or joined in {"api", "token", "access"} or _KEY_MISSPELLINGS.intersection(words):
        return "api_key"
    return "other"


def client_name(words: tuple[str, ...]) -> str:
    """`AsyncClient.create` -> `asyncclient`, `BinanceApiClientFactory.newInstance` -> its class."""
    while len(words) > 1 and words[-1] in _CONSTRUCTOR_WORDS:
        words = words[:-1]
    return "".join(words)


def is_positional_client(words: tuple[str, ...]) -> bool:
    """A constructor taking (key, secret) first: `Client`, `Spot`, `NewClient`, `SpotClientImpl`..."""
    joined = client_name(words)
    return joined in POSITIONAL_CLIENTS or joined.endswith(("client", "clientimpl", "clientfactory"))


def is_secret_word(word: str) -> bool:
    """`secret` spelt wrong or short (`sekkey`, `apisecrt`, `scret`, `sk`)."""
    return _is_secret_word(word)


def _is_secret_word(word: str) -> bool:
    """`sekkey`, `apisecrt`, `secert`, `scret`: a secret spelt wrong or short. Words are short (names)."""
    if len(word) > 16:
        return False
    core = word
    for prefix in _WORD_PREFIXES:
        if core.startswith(prefix) and len(core) > len(prefix):
            core = core[len(prefix) :]
    for suffix in _WORD_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            core = core[: -len(suffix)]
            break
    if core in _SECRET_ABBREVIATIONS or word in _SECRET_ABBREVIATIONS:
        return True
    return 5 <= len(core) <= 7 and core[0] == "s" and _within_one_edit(core, _SECRET)


def _within_one_edit(word: str, target: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns `word` into `target`."""
    if word == target:
        return True
    if len(word) == len(target):
        mismatches = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(mismatches) == 1:
            return True
        first = mismatches[0]
        return (
            len(mismatches) == 2
            and mismatches[1] == first + 1
            and word[first] == target[first + 1]
            and word[first + 1] == target[first]
        )
    shorter, longer = (word, target) if len(word) < len(target) else (target, word)
    if len(longer) - len(shorter) != 1:
        return False
    index = 0
    while index < len(shorter) and shorter[index] == longer[index]:
        index += 1
    return shorter[index:] == longer[index + 1 :]


# Names that say a value is something other than a credential: it is never a key's partner.
_OTHER_VALUE_WORDS = _NOT_CREDENTIAL_WORDS | {"order", "orders", "tx", "txid", "address", "uuid", "ids", "listen"}


def names_something_else(name: AssignedName) -> bool:
    """`orderId`, `tx_hash`, `listenKey`, `signature`: a name for a value that is no credential."""
    return bool(_OTHER_VALUE_WORDS.intersection(name.words))


@functools.cache
def _call_tokens() -> re.Pattern[bytes]:
    # Strings, comments and brackets of the text before a value, for finding the call it is an
    # argument of. Each alternative is bounded and starts with a distinct character: linear. Compiled
    # on first use (rarely needed on the hook's path).
    return re.compile(
        rb"""
        "(?:[^"\\\n]|\\.){0,512}"
      | '(?:[^'\\\n]|\\.){0,512}'
      | (?:\#|//)[^\n]{0,512}
      | [()\[\]{},]
        """,
        re.VERBOSE,
    )


CALL_WINDOW_BYTES = 512
# Leading arguments that are no credential: literal flags and small numbers.
_FLAG_ARGUMENTS = frozenset({b"true", b"false", b"null", b"none", b"nil", b"0", b"1", b"!0", b"!1", b"undefined"})
# Calls that only wrap an argument (`Some("…")`, `String::from("…")`, `SecretStr("…")`).
_WRAPPER_CALLS = frozenset({"some", "from", "str", "string", "bytes", "secretstr", "secretstring", "into", "to"})


class CallArgument:
    """The call a value is a positional argument of (`Client(API_KEY, "…")`): its name and the index.
    (A plain class: cheaper to define on the hook's import path than a dataclass.)"""

    __slots__ = ("callee", "position")

    def __init__(self, callee: AssignedName, position: int) -> None:
        self.callee = callee
        self.position = position


def enclosing_call(data: bytes, value_start: int) -> CallArgument | None:
    """The innermost call whose argument list holds `value_start`, within a bounded window before it.

    Strings and comments between the arguments are skipped whole (`"key",  # the key`), so that their
    commas and brackets do not count. Wrappers (`Some("…")`) are looked through.
    """
    low = max(0, value_start - CALL_WINDOW_BYTES)
    if data.rfind(b"(", low, value_start) == -1:
        return None
    # [offset of the bracket, credential-like arguments before the value, bracket byte, where the
    # current argument starts]
    stack: list[list[int]] = []
    for match in _call_tokens().finditer(data, low, value_start):
        first = data[match.start()]
        if first in b"([{":
            stack.append([match.start(), 0, first, match.end()])
        elif first in b")]}":
            if stack:
                stack.pop()
        elif first == ord(",") and stack:
            frame = stack[-1]
            # `new BinanceApiClientFactory(true, key, secret)`, `Client(0, key, secret)`: a flag or a
            # number before the credentials does not move them.
            if data[frame[3] : match.start()].strip().lower() not in _FLAG_ARGUMENTS:
                frame[1] += 1
            frame[3] = match.end()
    while stack:
        offset, commas, bracket, _ = stack.pop()
        if bracket != ord("("):
            return None
        callee = callee_name(data, offset)
        if callee is None:
            return None  # a bare parenthesis groups or makes a tuple: no call
        if callee.words and callee.words[-1] in _WRAPPER_CALLS and commas == 0:
            continue
        return CallArgument(callee, commas)
    return None


_LETTERS_ONLY = bytes(byte | 0x20 if chr(byte).isascii() and chr(byte).isalpha() else 32 for byte in range(256))
_KEY_WORDS = frozenset({b"key", b"keys", b"apikey", b"apikeys"})
_SECRET_WORDS = frozenset({b"secret", b"secrets", b"apisecret", b"secretkey", b"apisecretkey"})


def credential_word_role(data: bytes, start: int, end: int, before: int, after: int) -> NameRole | None:
    """A `key`/`secret` word near a value in prose or compiled code, and the role it gives.

    The nearest word before the value decides (`temporarily use key …`); failing that, the words
    after it (a `.pyc` lists its names after its constants): only secret words make a secret, only
    key words a key, both say nothing about which is which (`other`). None when no such word is near.
    """
    words_before = data[max(0, start - before) : start].translate(_LETTERS_ONLY).split()
    for word in reversed(words_before):
        role = _word_role(word)
        if role is not None:
            return role
    roles = {_word_role(word) for word in data[end : end + after].translate(_LETTERS_ONLY).split()} - {None}
    if len(roles) == 1:
        return roles.pop()
    return "other" if roles else None


def _word_role(word: bytes) -> NameRole | None:
    # Fuzzy spellings only for words of five letters or more: in prose `sec` is a second.
    if word in _SECRET_WORDS or (5 <= len(word) <= 16 and _is_secret_word(word.decode("ascii"))):
        return "secret_key"
    if word in _KEY_WORDS:
        return "api_key"
    return None


# A CSV/TSV cell is named by its row's first cell (`Slave API Keys,<k1>,<k2>`) or its column's header
# (`exchange,api_key,api_secret` above `binance,<k>,<s>`). Lines are cut to this many bytes.
_TABLE_LINE_BYTES = 4096
_TABLE_SEPARATORS = (b",", b"\t", b";")
_TABLE_LABEL_BYTES = 64


def table_cell_names(data: bytes, start: int, line_start: int) -> tuple[AssignedName | None, AssignedName | None]:
    """The names a table gives the cell at `start`: its row's label and its column's header (either
    may be None). Only a label made of words counts: a value in the first column labels nothing. A row
    longer than `_TABLE_LINE_BYTES` before the cell gives no name (its column is not counted)."""
    if start - line_start > _TABLE_LINE_BYTES:
        return None, None
    line_end = data.find(b"\n", start, start + _TABLE_LINE_BYTES)
    row = data[line_start : line_end if line_end != -1 else min(len(data), start + _TABLE_LINE_BYTES)]
    separator = max(_TABLE_SEPARATORS, key=row.count)
    if not row.count(separator):
        return None, None
    column = data[line_start:start].count(separator)
    row_label = _table_label(row.split(separator, 1)[0]) if column > 0 else None
    header_name = None
    if line_start > 0:
        header_end = data.find(b"\n", 0, _TABLE_LINE_BYTES)
        header = data[: header_end if header_end != -1 else _TABLE_LINE_BYTES].split(separator)
        if header_end != -1 and header_end < line_start and column < len(header):
            header_name = _table_label(header[column])
    return row_label, header_name


def _table_label(cell: bytes) -> AssignedName | None:
    text = cell.strip(b" \t\r\"'")
    if (
        not text
        or len(text) > _TABLE_LABEL_BYTES
        or not text.replace(b" ", b"").replace(b"_", b"").replace(b"-", b"").isalpha()
    ):
        return None
    name = text.decode("ascii")
    return AssignedName(name, name_words(name), adjacent=True)
