"""The pre-commit hook's clean answer for files that cannot hold a credential, without loading the scanner.

Most commits stage ordinary source files with none of detection's triggers (`triggers.py`), and for
them a clean run needs nothing but reading each file once and asking `triggers.nothing_to_find`: the
scanner (detectors, settings, filters, reports, and the `re`, `dataclasses` and `enum` machinery under
them) is most of a clean hook's time, all of it imports (README "Performance").

The answer is only ever "certainly clean" or "not known": the hook then runs the full scan from the
start, so every finding, error and notice comes from the one pipeline. It is not known whenever
anything is other than plain: a config file that may apply, a name that is not a regular file or
cannot be read, an archive or a UTF-16 file (which the scan opens or decodes), a file over
`MAX_BYTES`, or any trigger. Whatever is read here is read whole, so a file is never half-checked.
"""

from __future__ import annotations

import os
import stat

# typing.TYPE_CHECKING without importing typing: this module exists to keep the hook's imports few.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# Larger files take the full scan, which streams them; the whole of a typical staged file is far less.
MAX_BYTES = 1024 * 1024
# `config.CONFIG_FILE_NAMES` (a test keeps the two in step): a config file may exclude, allow or set a
# confidence, and a broken one is a usage error, which only the full run reports.
CONFIG_FILE_NAMES = (".binance-secrets.toml", "pyproject.toml")
# What the scan opens or decodes instead of reading as it is (`sources/content.py`): zip archives and
# UTF-16 text (any byte-order mark here, whether or not valid UTF-16 follows).
_EXPANDED_PREFIXES = (b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff")
# As `sources/files.py` opens a file: no symlink followed, no FIFO waited on, no terminal taken.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)


def clean_file_count(filenames: Sequence[str], directory: str) -> int | None:
    """How many files were read, when none of `filenames` can hold a finding and no config file in
    `directory` may change the run; None when that is not known (the full scan decides)."""
    if _config_may_apply(directory):
        return None
    read: set[str] = set()
    for name in filenames:
        data = _whole_regular_file(name)  # first: a symlink to a file already read is a notice, not a repeat
        if data is None:
            return None
        real = os.path.realpath(name)  # the scan counts a file named twice (`a.py`, `./a.py`) once
        if real in read:
            continue
        # The path as the scan reports it (`files.display_path`, relative and normalised) holds no
        # folder or file name that the name given lacks, so it says no more about credentials.
        if not certainly_clean(data, name.replace(os.sep, "/")):
            return None
        read.add(real)
    return len(read)


def certainly_clean(data: bytes, path: str) -> bool:
    """The whole content of a file holds no finding at `path`, as the scan would read it."""
    from binance_secrets.triggers import nothing_to_find

    if "<" in path:
        return False  # the scan may report it as `<commit message>`, which is read as prose
    return not data.startswith(_EXPANDED_PREFIXES) and nothing_to_find(data, path)


def clean_summary(scope: str, seconds: float) -> str:
    """The text report's last line for a clean scan of `scope` (`10 files`; `report/text.py` prints it)."""
    return f"No Binance credentials found ({scope}, {seconds:.2f}s)."


def _config_may_apply(directory: str) -> bool:
    """A config file is there, or a pyproject.toml that may hold `[tool.binance-secrets]` (spelt
    plainly, or with TOML escapes in a quoted key)."""
    if os.path.lexists(os.path.join(directory, CONFIG_FILE_NAMES[0])):
        return True
    pyproject = os.path.join(directory, CONFIG_FILE_NAMES[1])
    try:
        with open(pyproject, "rb") as handle:
            text = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable, a folder...: the full run decides what that means
    return b"binance" in text.lower() or b"\\u" in text or b"\\U" in text


def _whole_regular_file(name: str) -> bytes | None:
    """The bytes of a regular file of at most `MAX_BYTES`; None for anything else or any error."""
    try:
        descriptor = os.open(name, _OPEN_FLAGS)
    except (OSError, ValueError):  # ValueError: a name with a NUL byte
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_BYTES:
            return None
        pieces = []
        total = 0
        while True:
            piece = os.read(descriptor, MAX_BYTES + 1 - total)
            if not piece:
                break
            pieces.append(piece)
            total += len(piece)
            if total > MAX_BYTES:  # grew since it was measured
                return None
        return b"".join(pieces)
    except OSError:
        return None
    finally:
        os.close(descriptor)
