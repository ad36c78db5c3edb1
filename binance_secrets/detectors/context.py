"""What the text around a candidate says about it: the name it is assigned to, Binance context.

Everything here works on bytes and on bounded windows, so that a single 10 MB line costs the same
per candidate as a short one.
"""

from __future__ import annotations

import functools
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
# At most this much punctuation, type annotation or wrapper call between a name and its value.
NAME_GAP_BYTES = 24

# Words that tie nearby text to Binance. `mbx` covers the X-MBX-APIKEY header; `ccxt` is the
# multi-exchange library whose config is the commonest place keys are pasted.
BINANCE_KEYWORDS: tuple[bytes, ...] = (b"binance", b"bnb", b"ccxt", b"mbx")

# Client constructors that take (api_key, api_secret) positionally: python-binance `Client`,
# `AsyncClient`; binance-connector `Spot`, `UMFutures`, `CMFutures`; go-binance `NewClient`,
# `NewFuturesClient`, `NewDeliveryClient`; Binance.Net `ApiCredentials`/`BinanceApiCredentials`.
# Bounded window, fixed alternatives, one-character look-arounds: linear.
_SHORT_KEYWORD = re.compile(rb"(?<![a-z0-9])(?:bnb|ccxt|mbx)(?![a-z0-9])")

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

# The identifier (or dotted/dashed name, as in YAML keys and HTTP headers) at the end of a prefix,
# once trailing assignment punctuation has been stripped. Found with `translate` + `rfind` (a regex
# anchored at `$` would be retried from every offset of the window).
_NAME_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_NAME_MARKS = bytes(ord("n") if byte in _NAME_BYTES else ord(" ") for byte in range(256))
_MAX_NAME_BYTES = 80
_ALNUM_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# A "name" this long without a separator is data (the previous token of a list), not an identifier.
_MAX_UNSEPARATED_NAME = 40

# Assignment punctuation between a name and its value: quotes closing a key, `=`, `:`, `=>`, `:=`,
# `,`, `(`, `[`, `{`, whitespace, escaped quotes of JSON strings, the `?`/`&` of a query string.
_ASSIGNMENT_PUNCT = b" \t\"'`:=,>({[\\?&<-"
_CAMEL_OR_SEPARATED = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# A C# auto-property body between the name and its initialiser: `ApiSecret { get; set; } = "…"`.
_AUTO_PROPERTY = re.compile(rb"\{[ \t\w;]{0,40}\}[ \t]*$")
# Words between a name and its value that are not the name: type annotations (`apiKey: string =`,
# `let api_key: &str =`), wrapper calls (`String::from(`, `Some(`, `SecretStr(`) and declaration
# keywords. The name is looked for further left, past them.
_NOT_A_NAME = frozenset(
    {
        "string", "str", "from", "new", "some", "secretstr", "secretstring", "bytes", "const", "final",
        "readonly", "static", "let", "var", "val", "mut", "char", "text", "value", "of", "to",
    }
)  # fmt: skip
_SKIPPED_NAMES = 3
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
# A call that fetches or transforms a secret (`get_secret("…")`, `load_secret_key(…)`,
# `decrypt(…)`) names the operation, not the value: the name that counts is the one it is assigned to.
_GETTER_WORDS = frozenset(
    {"get", "load", "read", "fetch", "decrypt", "decode", "unwrap", "retrieve", "lookup", "resolve", "parse"}
)
# Misspelt and abbreviated secrets (`BINANCE_SEKKEY`, `APISECRT`, `api_secert`, `SCRET`, `sec_key`,
# `binance_sk`) and private keys (`pvt_key`): checked word by word, each at most a few characters long.
_SECRET_ABBREVIATIONS = frozenset({"sec", "sek", "secr", "sekr", "scrt", "sk", "skey", "seckey", "sekkey"})
_PRIVATE_WORDS = frozenset({"private", "priv", "pvt", "prv"})
_KEY_MISSPELLINGS = frozenset({"kye", "ky", "kee", "keey", "ak", "apikye", "apiky", "apikee"})
_WORD_PREFIXES = ("binance", "api")
_WORD_SUFFIXES = ("keys", "key")
_SECRET = "secret"
# Names too generic to say "exchange credential" on their own: Django's and Flask's `SECRET_KEY`,
# a bare `secret`, `key` or `token`. With a Binance word nearby, a named partner or a file that
# mentions Binance they count; alone they are `low`.
_GENERIC_NAMES = frozenset({"secret", "secretkey", "key", "token", "access", "privatekey", "appsecretkey"})


@dataclass(frozen=True)
class AssignedName:
    """The name a value is written after (`API_SECRET = "…"`, `"apiKey": "…"`, `Client("…"`)."""

    text: str
    words: tuple[str, ...]
    # True when only punctuation separates the name from the value.
    adjacent: bool
    # An unquoted name and a comma before the value (`Client(API_KEY, "…")`): the name is the previous
    # argument, not this value's.
    positional: bool = False


def name_words(name: str) -> tuple[str, ...]:
    """`binanceApiSecret` / `BINANCE_API_SECRET` / `x-mbx-apikey` -> lower-case words."""
    return tuple(word.lower() for word in _CAMEL_OR_SEPARATED.findall(name))


def assigned_name(data: bytes, value_start: int, line_start: int) -> AssignedName | None:
    window_start = max(line_start, value_start - NAME_WINDOW_BYTES)
    prefix = data[window_start:value_start]
    stripped = prefix.rstrip(_ASSIGNMENT_PUNCT)
    if stripped.endswith(b"}"):
        stripped = _AUTO_PROPERTY.sub(b"", stripped).rstrip(_ASSIGNMENT_PUNCT)
    for _ in range(_SKIPPED_NAMES + 1):
        name_start = _trailing_name_start(stripped)
        if name_start is None:
            return None
        text = stripped[name_start:].decode("ascii")
        words = name_words(text)
        wrapper = len(words) == 1 and words[-1] in _NOT_A_NAME
        # `api_key = get_secret("…")`: the getter is skipped, `api_key` names the value.
        getter = bool(_GETTER_WORDS.intersection(words)) and prefix[len(stripped) :].lstrip().startswith(b"(")
        if not words or not (wrapper or getter):
            break
        stripped = stripped[:name_start].rstrip(_ASSIGNMENT_PUNCT + b"&*")
    gap = prefix[len(stripped) :]
    positional = b"," in gap and gap[:1] not in (b'"', b"'", b"`", b"\\")
    return AssignedName(text=text, words=words, adjacent=len(gap) <= NAME_GAP_BYTES, positional=positional)


def _trailing_name_start(prefix: bytes) -> int | None:
    """Where the name ending `prefix` starts, or None when it does not end in a name."""
    tail_start = max(0, len(prefix) - _MAX_NAME_BYTES)
    start = prefix.translate(_NAME_MARKS).rfind(b" ", tail_start) + 1
    start = max(start, tail_start)
    # A name starts with a letter or `_`: skip leading digits, dots and dashes.
    while start < len(prefix) and not (chr(prefix[start]).isalpha() or prefix[start] == ord("_")):
        start += 1
    if start >= len(prefix):
        return None
    name = prefix[start:]
    if len(name) > _MAX_UNSEPARATED_NAME and not name.translate(None, _ALNUM_BYTES):
        return None
    return start


def line_continues_call(data: bytes, line_start: int, value_start: int) -> bool:
    """True when only indentation precedes the value and the line before ends in `(`."""
    if line_start < 2 or data[line_start:value_start].strip(b" \t\"'`"):
        return False
    previous = data[max(0, line_start - NAME_WINDOW_BYTES) : line_start].rstrip()
    return previous.endswith(b"(")


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


def is_generic_name(name: AssignedName) -> bool:
    """`SECRET_KEY`, `secret`, `key`: a credential name, but no sign of an exchange on its own."""
    text = name.text.rsplit(".", 1)[-1]
    words = name_words(text)
    if "".join(words) not in _GENERIC_NAMES:
        return False
    # camelCase `secretKey` is Binance's own term (its docs, the Java and JS connectors); Django and
    # Flask write `SECRET_KEY` / `secret_key`.
    return not (words == ("secret", "key") and not text.isupper() and "_" not in text)


def name_has_binance_word(name: AssignedName) -> bool:
    return any(word in {"binance", "bnb", "mbx", "ccxt"} for word in name.words)


def line_bounds(data: bytes, position: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, position) + 1
    end = data.find(b"\n", position)
    return start, (len(data) if end == -1 else end)


def context_window(data: bytes, start: int, end: int) -> bytes:
    """A few lines around [start, end), clipped to a byte budget on each side."""
    low, high = context_bounds(data, start, end)
    return data[low:high]


def context_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
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


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    return sum(map(_entropy_terms(len(value)).__getitem__, Counter(value).values()))


@functools.lru_cache(maxsize=128)
def _entropy_terms(length: int) -> tuple[float, ...]:
    """-p*log2(p) for every count 0..length of a string of this length, computed once per length."""
    return (0.0, *(-count / length * math.log2(count / length) for count in range(1, length + 1)))


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
# Calls that only wrap an argument (`Some("…")`, `String::from("…")`, `SecretStr("…")`).
_WRAPPER_CALLS = frozenset({"some", "from", "str", "string", "bytes", "secretstr", "secretstring", "into", "to"})


def _callee(data: bytes, offset: int) -> AssignedName | None:
    """The name written right before the `(` at `offset` (`Client`, `ccxt.bybit`, `Binance::new`)."""
    prefix = data[max(0, offset - _MAX_NAME_BYTES) : offset]
    if not prefix or (prefix[-1] not in _NAME_BYTES and prefix[-1] != ord(":")):
        return None
    prefix = prefix.replace(b"::", b"..")  # `Binance::new`, `Client::new`: one dotted name
    start = _trailing_name_start(prefix)
    if start is None:
        return None
    text = prefix[start:].decode("ascii")
    return AssignedName(text=text, words=name_words(text), adjacent=True)


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
    stack: list[list[int]] = []  # [offset of the bracket, commas seen, bracket byte]
    for match in _call_tokens().finditer(data, low, value_start):
        first = data[match.start()]
        if first in b"([{":
            stack.append([match.start(), 0, first])
        elif first in b")]}":
            if stack:
                stack.pop()
        elif first == ord(",") and stack:
            stack[-1][1] += 1
    while stack:
        offset, commas, bracket = stack.pop()
        if bracket != ord("("):
            return None
        callee = _callee(data, offset)
        if callee is None:
            return None  # a bare parenthesis groups or makes a tuple: no call
        if callee.words and callee.words[-1] in _WRAPPER_CALLS and commas == 0:
            continue
        return CallArgument(callee, commas)
    return None


# Words that make a 64-character hex value a Binance credential rather than a digest: the futures
# testnet (`testnet.binancefuture.com`, `testnet=True`) issues lowercase hex keys. `bnb` is left out:
# BNB Smart Chain projects hold hex wallet keys and transaction hashes beside the word.
_STRONG_BINANCE_WORDS = (b"binance", b"x-mbx-", b"testnet")


def strong_binance_context(data: bytes, start: int, end: int, *, testnet: bool = True) -> bool:
    """`binance`, `X-MBX-` (and, for hex values, `testnet`) around [start, end)."""
    window_start, window_end = context_bounds(data, start, end)
    before = data[window_start:start].lower()
    after = data[end:window_end].lower()
    words = _STRONG_BINANCE_WORDS if testnet else _STRONG_BINANCE_WORDS[:2]
    return any(word in before or word in after for word in words)


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
