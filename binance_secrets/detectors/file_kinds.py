"""What a chunk's path says about it: a commit or tag message, a compiled module, a lock file, a file
whose name says credentials may be in it.

On the hook's import path (`matches` asks before anything is analysed); the answers are remembered per
path, since a history asks them for every version of a file.
"""

from __future__ import annotations

import functools
import re

from binance_secrets.detectors.words import name_words

# Paths of the history's commit and tag messages (`sources.git_scan`): prose, where a key is named
# by a word near it.
MESSAGE_PATHS = frozenset({"<commit message>", "<tag message>"})
# Words of a file's name that say credentials may be in it, so that split literals are looked for
# even when nothing else in the file hints at a key.
_CREDENTIAL_FILE_WORDS = frozenset(
    {"key", "keys", "apikey", "secret", "secrets", "cred", "creds", "credential", "credentials", "config",
     "configs", "settings", "setting", "env", "token", "tokens", "auth", "binance"}
)  # fmt: skip
# A cheap first test on the lower-cased path: most paths hold none of these stems.
_CREDENTIAL_PATH_STEMS = re.compile(r"key|secret|cred|config|setting|env|token|auth|binance|\.pyc|\.pyo|^<")
# Lock files and checksum lists hold hex digests by the thousand, never a testnet key.
LOCK_FILE_SUFFIXES = (".lock", "-lock.json", "-lock.yaml", ".sum", ".sha256", "sha256sums", ".md5")


@functools.lru_cache(maxsize=4096)
def may_hold_credentials(path: str) -> bool:
    """The path says keys may be here: `api_key.txt`, `.env`, `config.yaml`, `binance/…`, a commit
    message, a compiled module (whose constants hold what the source held). Remembered per path: a
    history asks it for every version of a file."""
    return _may_hold_credentials(path)


@functools.lru_cache(maxsize=4096)
def is_lock_file(path: str) -> bool:
    """A lock file or checksum list (`uv.lock`, `package-lock.json`, `SHA256SUMS`): digests only."""
    return file_name(path).lower().endswith(LOCK_FILE_SUFFIXES)


def file_name(path: str) -> str:
    """The name of the file at `path`; of the member, for an archive member (`a.zip!b/c.yaml`)."""
    return path.rsplit("/", 1)[-1].rsplit("!", 1)[-1]


def is_compiled(path: str) -> bool:
    """Compiled Python (`.pyc`, `.pyo`): its constants hold what the source held."""
    return path.endswith((".pyc", ".pyo"))


def _may_hold_credentials(path: str) -> bool:
    lowered = path.lower()
    if _CREDENTIAL_PATH_STEMS.search(lowered) is None:
        return False
    if path in MESSAGE_PATHS or lowered.endswith((".pyc", ".pyo")) or "binance" in lowered:
        return True
    return not _CREDENTIAL_FILE_WORDS.isdisjoint(name_words(file_name(path)))
