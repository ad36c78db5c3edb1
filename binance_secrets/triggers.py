"""What `detect()` must see in a chunk before it looks further, and the paths where it looks further.

Detection starts from a trigger: a run of `TOKEN_LENGTH` alphanumerics (a key's shape), `ecret`/`ECRET`
(a secret's name) or `-----BEGIN` (armour). Without one it still looks in two kinds of file: where
base64 values are decoded (`decoding`: configs, scripts, text), since a trigger may sit in a decoding
only, and where the path says credentials may be (`credential_path`), for keys split in pieces; both
start from a run of `MIN_RUN_LENGTH` base64 characters. So a chunk with no trigger, or at any other
path with no such run either, holds no finding (`nothing_to_find`).

This module is the one home of those facts: the detectors, the prefilters (`sources/prefilter.py`) and
the pre-commit hook's clean answer (`clean_shortcut.py`) read them here. It imports only `re` (which
the console scripts pip writes import before anything of ours): the hook's clean runs load it and
little else (README "Performance").
"""

from __future__ import annotations

import re

# The names of secrets, as `credentials.credential_assignments` finds them first.
SECRET_NEEDLES = (b"ecret", b"ECRET")
# Armour without its trailing space: a binary blob whose NUL becomes that space when it is read as
# printable text holds this much of it already.
ARMOUR = b"-----BEGIN"
TRIGGER_LITERALS = (*SECRET_NEEDLES, ARMOUR)
# Binance API keys and HMAC secret keys: 64 alphanumerics.
TOKEN_LENGTH = 64
# The shortest base64 value the decoder looks at, and the first piece of a key split in pieces. A random
# alphanumeric string (a plain credential that happens to be valid base64) of 24 characters decoded to
# text in none of 400,000 draws (16 characters: 1 in 10,000): below this length a string is left alone,
# or plain passwords would be "decoded" into noise. 24 characters hold 18 bytes; a Binance key or secret
# encoded is 88.
MIN_RUN_LENGTH = 24

_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_MARKS = bytes(ord("b") if byte in _BASE64 else ord(" ") for byte in range(256))
_BASE64_RUN = b"b" * MIN_RUN_LENGTH
_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM_MARKS = bytes(ord("a") if byte in _ALNUM else ord(" ") for byte in range(256))
_TOKEN_RUN = b"a" * TOKEN_LENGTH

# Paths of the history's commit and tag messages (`sources.git_scan`): prose, where a key is named
# by a word near it.
MESSAGE_PATHS = frozenset({"<commit message>", "<tag message>"})
# A cheap first test on the lower-cased path (`credential_path`): most paths hold none of these stems.
CREDENTIAL_PATH_STEMS = (
    "key", "secret", "cred", "config", "setting", "env", "token", "auth", "binance", ".pyc", ".pyo"
)  # fmt: skip
# Words of a file's name that say credentials may be in it, so that split literals are looked for
# even when nothing else in the file hints at a key.
CREDENTIAL_FILE_WORDS = frozenset(
    {"key", "keys", "apikey", "secret", "secrets", "cred", "creds", "credential", "credentials", "config",
     "configs", "settings", "setting", "env", "token", "tokens", "auth", "binance"}
)  # fmt: skip
_CAMEL_OR_SEPARATED = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# File types whose base64 values are decoded: any dot-separated part of the name (`values.yaml.j2`,
# `.env.production`, `app.env`, `.env.b64` from `base64 -w 0 .env > .env.b64`), or the first part for
# files named by their role (`Dockerfile.prod`).
DECODED_TYPES = frozenset(
    {
        "yaml", "yml", "json", "json5", "jsonc", "env", "envrc", "toml", "ini", "cfg", "conf", "cnf",
        "config", "properties", "xml", "tpl", "tmpl", "tf", "tfvars", "hcl", "sh", "bash", "zsh", "ksh",
        "fish", "ps1", "psm1", "bat", "cmd", "txt", "secret", "secrets", "b64", "base64",
    }
)  # fmt: skip
DECODED_NAMES = frozenset({"dockerfile", "containerfile", "jenkinsfile", "procfile", "vagrantfile"})
# Lock files hold digests only, and can be large.
NOT_DECODED_NAMES = frozenset({"package-lock.json", "npm-shrinkwrap.json"})
# Kubernetes manifests: their short `data:` values are decoded too.
MANIFEST_TYPES = frozenset({"yaml", "yml", "json"})


def has_trigger(data: bytes) -> bool:
    """`data` holds a secret's name, armour or a key-length run of alphanumerics."""
    if any(literal in data for literal in TRIGGER_LITERALS):
        return True
    return data.translate(_ALNUM_MARKS).find(_TOKEN_RUN) != -1


def has_base64_run(data: bytes) -> bool:
    """`data` holds a run of `MIN_RUN_LENGTH` standard base64 characters: the decoder's first need."""
    return data.translate(_BASE64_MARKS).find(_BASE64_RUN) != -1


def may_hold_findings(data: bytes) -> bool:
    """False only when `data` holds no trigger and no base64 run: then `detect` finds nothing in it, at
    any path. (A key-length run is a base64 run too; a key split in pieces starts from a piece of 24
    alphanumerics; a decoding needs a base64 run, or a `Secret` manifest, which holds `ecret`.)"""
    return any(literal in data for literal in TRIGGER_LITERALS) or has_base64_run(data)


def nothing_to_find(data: bytes, path: str) -> bool:
    """True only when `detect(data, path)` finds nothing: no trigger, and no base64 run in a file whose
    values are decoded or whose path says credentials may be there. `data` is what `detect` reads (text
    as it is, or a binary file's bytes, whose printable runs hold no trigger the bytes do not)."""
    if has_trigger(data):
        return False
    if credential_path(path) or decoding(path)[0]:
        return not has_base64_run(data)
    return True


def credential_path(path: str) -> bool:
    """The path says keys may be here: `api_key.txt`, `.env`, `config.yaml`, `binance/…`, a commit
    message, a compiled module (whose constants hold what the source held)."""
    lowered = path.lower()
    if not (lowered.startswith("<") or any(stem in lowered for stem in CREDENTIAL_PATH_STEMS)):
        return False
    if path in MESSAGE_PATHS or lowered.endswith((".pyc", ".pyo")) or "binance" in lowered:
        return True
    return not CREDENTIAL_FILE_WORDS.isdisjoint(name_words(file_name(path)))


def name_words(name: str) -> tuple[str, ...]:
    """`binanceApiSecret` / `BINANCE_API_SECRET` / `x-mbx-apikey` -> lower-case words."""
    return tuple(word.lower() for word in _CAMEL_OR_SEPARATED.findall(name))


def decoding(path: str) -> tuple[bool, bool]:
    """Whether base64 values are decoded in the file at `path`, and whether it may be a Kubernetes
    manifest (an archive member by its own name)."""
    name = file_name(path).lower()
    if name in NOT_DECODED_NAMES:
        return False, False
    parts = name.split(".")
    decoded = len(parts) == 1 or parts[0] in DECODED_NAMES or not DECODED_TYPES.isdisjoint(parts[1:])
    return decoded, decoded and not MANIFEST_TYPES.isdisjoint(parts)


def file_name(path: str) -> str:
    """The name of the file at `path`; of the member, for an archive member (`a.zip!b/c.yaml`)."""
    return path.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
