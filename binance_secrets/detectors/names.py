"""The name a value is written after: `API_SECRET = "…"`, `"apiKey": "…"`, `Client("…"`, a label in prose.

Also the call shapes that put the name on another line (`Client(\n    "…"`, `apiKey:\n  "…"`) and the
name of a called function (`callee_name`). Everything here reads a bounded window before the value,
so that a single 10 MB line costs the same per candidate as a short one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from binance_secrets.detectors.words import name_words

# How far (bytes) before a candidate we look for the name it is assigned to. Bounded so that
# candidates on one huge line cost a constant each.
NAME_WINDOW_BYTES = 120
# At most this much punctuation, type annotation or wrapper call between a name and its value.
NAME_GAP_BYTES = 24

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
_STRING_PREFIXES = frozenset({"b", "r", "f", "u", "rb", "br", "fr", "rf"})
_QUOTES = frozenset({b'"', b"'", b"`"})
# A call that fetches or transforms a secret (`get_secret("…")`, `load_secret_key(…)`,
# `decrypt(…)`) names the operation, not the value: the name that counts is the one it is assigned to.
_GETTER_WORDS = frozenset(
    {"get", "load", "read", "fetch", "decrypt", "decode", "unwrap", "retrieve", "lookup", "resolve", "parse"}
)
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


def assigned_name(data: bytes, value_start: int, line_start: int) -> AssignedName | None:
    window_start = max(line_start, value_start - NAME_WINDOW_BYTES)
    prefix = data[window_start:value_start]
    stripped = prefix.rstrip(_ASSIGNMENT_PUNCT)
    if stripped.endswith(b"}"):
        stripped = _AUTO_PROPERTY.sub(b"", stripped).rstrip(_ASSIGNMENT_PUNCT)
    named_at: int | None = None  # where the name starts in `stripped`, once the walk stops at it
    for _ in range(_SKIPPED_NAMES + 1):
        name_start = _trailing_name_start(stripped)
        if name_start is None:
            return None
        text = stripped[name_start:].decode("ascii")
        words = name_words(text)
        wrapper = len(words) == 1 and words[-1] in _NOT_A_NAME
        # `api_key = get_secret("…")`: the getter is skipped, `api_key` names the value.
        getter = bool(_GETTER_WORDS.intersection(words)) and prefix[len(stripped) :].lstrip().startswith(b"(")
        # `b"…"`, `r'…'`, `f"…"`: a string prefix glued to its quote is no name.
        string_prefix = text.lower() in _STRING_PREFIXES and prefix[len(stripped) : len(stripped) + 1] in _QUOTES
        if not words or not (wrapper or getter or string_prefix):
            named_at = name_start
            break
        stripped = stripped[:name_start].rstrip(_ASSIGNMENT_PUNCT + b"&*")
    gap = prefix[len(stripped) :]
    positional = b"," in gap and gap[:1] not in (b'"', b"'", b"`", b"\\")
    qualified = named_at if named_at is None else _qualified_name_start(stripped, named_at)
    if qualified is not None and qualified != named_at:
        # `API Key: …`, `Secret Key: …`, `Master API Keys,…`: a label of words written apart.
        text = stripped[qualified:].decode("ascii")
        words = name_words(text)
    return AssignedName(text=text, words=words, adjacent=len(gap) <= NAME_GAP_BYTES, positional=positional)


# Words that, written before a name with a space between (`API Key:`, `Secret Key:`, `Binance API
# secret:`, `Master API Keys,`), belong to it: a label in prose, a note or a CSV row. Only these, so
# that prose (`the key: …`, `use key …`) keeps the name it had.
_QUALIFIER_WORDS = frozenset(
    {b"api", b"secret", b"private", b"access", b"binance", b"bnb", b"master", b"slave", b"sub", b"testnet"}
)
_MAX_QUALIFIERS = 2
_MAX_QUALIFIER_BYTES = 16


def _qualified_name_start(stripped: bytes, name_start: int) -> int:
    """Where a name written as words apart starts: up to two qualifier words, each before a single
    space, in front of the name found at `name_start` (bounded: a few short words)."""
    start = name_start
    for _ in range(_MAX_QUALIFIERS):
        if start < 2 or stripped[start - 1] != ord(" "):
            break
        word_start = start - 1
        while (
            word_start > 0 and start - 1 - word_start < _MAX_QUALIFIER_BYTES and chr(stripped[word_start - 1]).isalpha()
        ):
            word_start -= 1
        word = stripped[word_start : start - 1]
        if word.lower() not in _QUALIFIER_WORDS or (word_start > 0 and stripped[word_start - 1] in _ALNUM_BYTES):
            break
        start = word_start
    return start


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
    if line_start < 2 or value_start - line_start > NAME_WINDOW_BYTES:
        return False
    if data[line_start:value_start].strip(b" \t\"'`"):
        return False
    previous = data[max(0, line_start - NAME_WINDOW_BYTES) : line_start].rstrip()
    return previous.endswith(b"(")


def line_ends_assignment(data: bytes, line_start: int, value_start: int) -> bool:
    """True when only indentation precedes the value and the line before ends in an assignment
    (`pub const KEY: &str =`, `apiKey:`, `API_KEY = \\`): the value is that name's."""
    if line_start < 2 or value_start - line_start > NAME_WINDOW_BYTES:
        return False
    if data[line_start:value_start].strip(b" \t\"'`"):
        return False
    previous = data[max(0, line_start - NAME_WINDOW_BYTES) : line_start].rstrip()
    if previous.endswith(b"\\"):
        previous = previous[:-1].rstrip()
    return previous.endswith((b"=", b":", b"=>")) and not previous.endswith((b"==", b"!=", b"<=", b">=", b"::"))


def is_generic_name(name: AssignedName) -> bool:
    """`SECRET_KEY`, `secret`, `key`: a credential name, but no sign of an exchange on its own."""
    text = name.text.rsplit(".", 1)[-1]
    words = name_words(text)
    if "".join(words) not in _GENERIC_NAMES:
        return False
    # camelCase `secretKey` is Binance's own term (its docs, the Java and JS connectors); Django and
    # Flask write `SECRET_KEY` / `secret_key`.
    return not (words == ("secret", "key") and not text.isupper() and "_" not in text)


def callee_name(data: bytes, offset: int) -> AssignedName | None:
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
