"""What a chunk's path says about it: a commit or tag message, a compiled module, a lock file, a file
whose name says credentials may be in it (`triggers.py` holds the facts the pre-commit hook's clean
runs read too: the message paths, the credential paths, file names).

On the hook's import path (`matches` asks before anything is analysed); the answers are remembered per
path, since a history asks them for every version of a file.
"""

from __future__ import annotations

import functools

from binance_secrets.triggers import credential_path, file_name

# Lock files and checksum lists hold hex digests by the thousand, never a testnet key.
LOCK_FILE_SUFFIXES = (".lock", "-lock.json", "-lock.yaml", ".sum", ".sha256", "sha256sums", ".md5")


@functools.lru_cache(maxsize=4096)
def may_hold_credentials(path: str) -> bool:
    """The path says keys may be here: `api_key.txt`, `.env`, `config.yaml`, `binance/…`, a commit
    message, a compiled module (whose constants hold what the source held). Remembered per path: a
    history asks it for every version of a file. Which paths these are is told in `triggers.py`, which
    the pre-commit hook's clean runs read too."""
    return credential_path(path)


@functools.lru_cache(maxsize=4096)
def is_lock_file(path: str) -> bool:
    """A lock file or checksum list (`uv.lock`, `package-lock.json`, `SHA256SUMS`): digests only."""
    return file_name(path).lower().endswith(LOCK_FILE_SUFFIXES)


def is_compiled(path: str) -> bool:
    """Compiled Python (`.pyc`, `.pyo`): its constants hold what the source held."""
    return path.endswith((".pyc", ".pyo"))
