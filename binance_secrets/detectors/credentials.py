"""Hardcoded values assigned to API-secret-like names (`API_SECRET = "…"`), whatever their length.

The cheap prefilter is a plain `bytes.find` for `ecret`/`ECRET`; only around each hit is a regex run,
on a bounded window, so a huge line costs a constant per occurrence.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.detectors.entropy import shannon_entropy
from binance_secrets.detectors.words import name_words
from binance_secrets.triggers import SECRET_NEEDLES

_NAME_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
# Name characters -> `n`, anything else -> space: `find`/`rfind` of a space then bound a name in C.
_NAME_MARKS = bytes(ord("n") if byte in _NAME_BYTES else ord(" ") for byte in range(256))
_MAX_NAME_BYTES = 80
_MAX_VALUE_BYTES = 512

# After the name: an optional closing quote or bracket of a key (`"apiSecret":`, `cfg["secret"] =`,
# JSON-escaped `\"secret\":`), the `value=` of XML app settings (`<add key="ApiSecret" value="…"`),
# an optional type annotation (`apiSecret: string =`, `let api_secret: &str =`), an assignment
# operator (`=`, `:`, `:=`, `=>`, the `>` closing an XML start tag, or the space of a Dockerfile
# `ENV NAME value`), then a quoted literal (escaped quotes allowed, for notebooks; an opening
# parenthesis and line break allowed before it, for `API_SECRET = (\n "ab" "cd")`) or an unquoted
# config value (.env, YAML, INI, TOML, properties, query strings) that ends where such a value ends.
# Every repetition is bounded, so one attempt costs at most a few hundred steps whatever the line
# holds; the optional parts are tried once each.
_ASSIGNMENT = re.compile(
    rb"""
    (?:\\?["'])?\]?
    (?:[ \t]{1,8}value(?==))?
    (?::[ \t]{0,8}[\w.&<>\[\]|?]{1,40}[ \t]{0,8}(?==[^=>]))?
    [ \t]{0,8}
    (?P<op>:=|=>|=|:|>|[ \t](?=[ \t]{0,8}\S))
    [ \t]{0,8}
    (?:
        (?P<paren>\([ \t]{0,8}(?:\r?\n[ \t]{0,64})?)?
        (?P<escape>\\{0,2})(?P<quote>["'`])
        (?P<quoted>[^"'`\r\n\\]{1,512})
        (?P=escape)(?P=quote)
      | (?P<bare>[^\s"'`#;,(){}\[\]<>$\\&]{1,512})(?=[\s#;,\\&<`'")\]}]|$)
    )
    """,
    re.VERBOSE,
)

# Names that merely point at a secret (its name, id, path, file...) or hold many of them.
_REFERENCE_WORDS = frozenset(
    {
        "name", "id", "arn", "path", "file", "ref", "env", "type", "len", "length", "field", "header",
        "version", "store", "manager", "dir", "url", "hash", "var", "param", "label", "prompt",
        "regex", "pattern", "secrets", "provider", "mount", "source", "class", "format", "size",
        "count", "prefix", "suffix", "template", "description", "help", "placeholder", "input",
    }
)  # fmt: skip

# Leading words of names that hold a digest of a secret.
_DIGEST_WORDS = frozenset({"hash", "hashed", "digest"})

# Values that are not a secret but a pointer to one, a placeholder, or a type.
_PLACEHOLDER_MARKERS = (
    "your", "example", "placeholder", "changeme", "change_me", "change-me", "***", "...",
    "todo", "replace", "insert", "dummy", "fake", "sample", "redacted", "secret", "password",
    "getenv", "environ", "process.env", "env(", "env[", "vault:", "ssm:", "<", ">", "{{", "}}",
    "${", "%(", "%s", "…",
    # "your" in the languages of the READMEs people copy from (non-ASCII ones are no API secret at all)
    "votre", "tu_", "seu_", "sua_", "dein_", "ihr_", "vash_",
)  # fmt: skip
_NON_VALUES = frozenset({"none", "null", "nil", "undefined", "true", "false", "string", "str", "bytes"})

# Letters and separators only (a word or a name), or a snake_case identifier (`pkcs1_pem`).
_WORDS_ONLY = re.compile(
    r"""
    [A-Za-z_.\-]+
    | [a-z][a-z0-9]*(?:_[a-z0-9]+)+
    | [A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+
    """,
    re.VERBOSE,
)
_IDENTIFIER_CHARS = re.compile(r"[a-z][A-Za-z0-9_]{0,63}")
_LETTER_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+")
_MAX_IDENTIFIER_PARTS = 7
_REFERENCE_ENDS = frozenset({b",", b")", b";"})
# An interpolation slot of an f-string, `str.format`, a template: `{name}`, `{0}`.
_INTERPOLATION = re.compile(r"\{\w{0,40}\}")
_DOCKERFILE_PREFIX_BYTES = 16

# Fixed-length groups: nothing to backtrack over.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MIN_VALUE_LENGTH = 6
MIN_BARE_VALUE_LENGTH = 8
MIN_VALUE_ENTROPY = 2.0


@dataclass(frozen=True)
class CredentialMatch:
    name: str
    words: tuple[str, ...]
    value_start: int
    value_end: int
    value: str


def credential_assignments(
    data: bytes, names: list[int] | None = None, hits: tuple[Sequence[int], Sequence[int]] | None = None
) -> Iterator[CredentialMatch]:
    """Values assigned to secret-like names; `names`, if given, receives where every such name starts
    (assigned or not: `detect` takes any of them as a sign that credentials may be near).

    `hits`, if given, holds the offset of every occurrence of each of `SECRET_NEEDLES` in `data`, in
    order (a native pass found them, `detect.Triggers`): taken instead of searching the data again.
    """
    seen_names: set[int] = set()
    for index, needle in enumerate(SECRET_NEEDLES):
        offsets = hits[index] if hits is not None else None
        position = _next(data, needle, 0, offsets)
        examined_to = 0
        while position != -1:
            name_start, name_end = _name_bounds(data, position, position + len(needle))
            if name_start not in seen_names:
                seen_names.add(name_start)
                if names is not None:
                    names.append(name_start)
                match = _match_at(data, name_start, name_end)
                if match is not None:
                    yield match
            # Later hits inside the name just examined (`secretsecret…`) would examine it again.
            examined_to = max(examined_to, name_end)
            position = _next(data, needle, max(position + len(needle), examined_to), offsets)


def _next(data: bytes, needle: bytes, start: int, offsets: Sequence[int] | None) -> int:
    """`data.find(needle, start)`, from the list of every occurrence when there is one."""
    if offsets is None:
        return data.find(needle, start)
    index = bisect.bisect_left(offsets, start)
    return offsets[index] if index < len(offsets) else -1


def _name_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Where the run of name characters around `data[start:end]` starts and ends (at most `_MAX_NAME_BYTES`
    either side), from one map of that window."""
    low = max(0, start - _MAX_NAME_BYTES)
    high = min(len(data), end + _MAX_NAME_BYTES)
    window = data[low:high].translate(_NAME_MARKS)
    after = window.find(b" ", end - low)
    return window.rfind(b" ", 0, start - low) + 1 + low, high if after == -1 else low + after


@functools.lru_cache(maxsize=4096)
def _secret_name(raw: bytes) -> tuple[str, tuple[str, ...]] | None:
    """The name and its words when `raw` names a secret whose value may follow, else None. Remembered:
    a history meets the same few names (`SECRET_KEY`, `api_secret`) in every version of every file."""
    name = raw.decode("ascii", "replace").strip(".-")
    words = name_words(name)
    if not words or words[-1] in _REFERENCE_WORDS or not any("secret" in word for word in words):
        return None
    if words[0] in _DIGEST_WORDS:
        return None  # `hashed_secret` (detect-secrets baselines): a digest of a secret, not the secret
    return name, words


def _match_at(data: bytes, name_start: int, name_end: int) -> CredentialMatch | None:
    named = _secret_name(data[name_start:name_end])
    if named is None:
        return None
    name, words = named
    window_end = min(len(data), name_end + _MAX_VALUE_BYTES + 64)
    match = _ASSIGNMENT.match(data, name_end, window_end)
    if match is None:
        return None
    if match.group("op") in (b" ", b"\t") and not _is_dockerfile_env(data, name_start):
        return None
    group = "quoted" if match.group("quoted") is not None else "bare"
    value_bytes = match.group(group)
    start, end = match.start(group), match.end(group)
    # `"abc " ` and `" abc"`: the spaces are no part of the secret, and the 64-character rule reports
    # the run inside; the finding is about the same characters, so that there is one finding.
    stripped = value_bytes.strip(b" \t")
    start += len(value_bytes) - len(value_bytes.lstrip(b" \t"))
    end = start + len(stripped)
    if group == "quoted" and not match.group("escape"):
        # `"abc" "def"`, `"abc" +\n "def"`: the language joins the pieces; the first one is where it is.
        from binance_secrets.detectors.split_literals import following_pieces  # only when a secret is assigned

        following, _ = following_pieces(data, match.end("quoted"))
        stripped += following
    value = stripped.decode("utf-8", "replace")
    if not _is_plausible_value(value, bare=group == "bare", name=name):
        return None
    if group == "bare" and data[end : end + 1] in _REFERENCE_ENDS and _is_identifier(value):
        # `api_secret: ed25519PrivateKey,` in a JS object, `Client(key, secret=mySecret2)`: a variable
        # of the code, not a value. (A `.env` or YAML value ends its line; it is taken as written.)
        return None
    return CredentialMatch(name, words, start, end, value)


def _is_identifier(value: str) -> bool:
    """A variable of the code given as a value (`ed25519PrivateKey`, `api_secret_2`): camelCase or
    snake_case words of two letters or more. A random secret is cut into one-letter parts (`aB3x…`)
    almost everywhere, so it never passes."""
    if not _IDENTIFIER_CHARS.fullmatch(value):
        return False
    parts = _LETTER_PARTS.findall(value)
    return 2 <= len(parts) <= _MAX_IDENTIFIER_PARTS and all(len(part) >= 2 for part in parts)


def _is_dockerfile_env(data: bytes, name_start: int) -> bool:
    # `ENV`/`ARG` sit right before the name; a bounded look-back keeps a huge line linear.
    line_start = data.rfind(b"\n", max(0, name_start - _DOCKERFILE_PREFIX_BYTES), name_start) + 1
    return data[max(line_start, name_start - _DOCKERFILE_PREFIX_BYTES) : name_start].strip().upper() in (
        b"ENV",
        b"ARG",
    )


def _x_placeholder(value: str, lowered: str) -> bool:
    """`xxxxxxxx`, `your_key_xxx`, `AKIAxxxx…`: x's standing for the characters of a value. Three x's in
    a row also turn up by chance, in about one random 40-character secret in 750 (`…TxXXBq…`), so in a
    mixed-case alphanumeric value it takes a fourth (about one in 25,000)."""
    if "xxx" not in lowered:
        return False
    random_looking = (
        value.isalnum()
        and any(char.isupper() for char in value)
        and any(char.islower() for char in value)
        and any(char.isdigit() for char in value)
    )
    return not random_looking or "xxxx" in lowered


def _is_plausible_value(value: str, *, bare: bool, name: str) -> bool:
    value = value.strip()
    if len(value) < (MIN_BARE_VALUE_LENGTH if bare else MIN_VALUE_LENGTH):
        return False
    if not value.isascii():
        # API secrets are ASCII (hex, base64, alphanumerics): `'你的API密钥'` ("your API key"),
        # `'ваш_секрет'` are placeholders written in the reader's language.
        return False
    lowered = value.lower()
    if lowered == name.lower() or lowered in _NON_VALUES:
        return False
    if any(marker in lowered for marker in _PLACEHOLDER_MARKERS) or _x_placeholder(value, lowered):
        return False
    if bare and not any(char.isdigit() for char in value):
        # An unquoted word without digits is a reference (`settings.API_SECRET`) or a placeholder.
        return False
    if _WORDS_ONLY.fullmatch(value) or _INTERPOLATION.search(value) or " " in value:
        # `"credential"`, `"binance-api-secret"`: a name, not a secret (gitleaks allows these too);
        # `f"{api_secret}"`, `"{0}"`: filled in at run time; API secrets hold no spaces, prose does.
        return False
    if len(set(value)) <= 2 or _UUID.fullmatch(value):
        # A UUID names a resource (an AWS secret's id, a KMS alias); Binance issues no UUID secrets.
        return False
    return shannon_entropy(value) >= MIN_VALUE_ENTROPY
