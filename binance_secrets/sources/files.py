"""Files and folders of the working tree: what `scan` and the pre-commit hook read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.finding import ScanError
from binance_secrets.paths import PathFilter
from binance_secrets.sources import Chunk
from binance_secrets.sources.content import is_binary, is_zip, printable_text, zip_members

# Files up to this size are read whole; larger ones are streamed in blocks of the same size.
BLOCK_BYTES = 8 * 1024 * 1024
# A PEM key that starts this close to the end of a block is carried over to the next block whole.
PEM_CARRY_BYTES = 16 * 1024
SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn"})
# A folder holding one of these is generated, not written by the user: a tool cache (the Cache
# Directory Tagging Standard: mypy, pytest, ruff, cargo...) or a Python virtualenv full of vendored code.
GENERATED_DIRECTORY_MARKERS = ("CACHEDIR.TAG", "pyvenv.cfg")


@dataclass(frozen=True)
class FileTarget:
    """A file to read, with the path it is reported under."""

    filesystem_path: str
    display_path: str


@dataclass
class FileWalk:
    """Expands command-line targets into files; records what could not be found."""

    path_filter: PathFilter
    errors: list[ScanError]
    targets_found: int = 0

    def files(self, targets: Sequence[str]) -> Iterator[FileTarget]:
        for target in targets:
            try:
                mode = os.lstat(target).st_mode
            except FileNotFoundError:
                self.errors.append(ScanError(display_path(target), "no such file or directory"))
                continue
            except OSError as error:
                self.errors.append(ScanError(display_path(target), _describe(error)))
                continue
            self.targets_found += 1
            if stat.S_ISDIR(mode):
                yield from self._walk(target)
            elif stat.S_ISREG(mode) and not self.path_filter.is_excluded(display_path(target)):
                yield FileTarget(target, display_path(target))
            # Symlinks are not followed: git stores only their target path, and following them could
            # leave the tree or loop.

    def _walk(self, root: str) -> Iterator[FileTarget]:
        def on_error(error: OSError) -> None:
            self.errors.append(ScanError(display_path(error.filename or root), _describe(error)))

        for directory, subdirectories, filenames in os.walk(root, onerror=on_error):
            subdirectories[:] = sorted(
                name
                for name in subdirectories
                if name not in SKIPPED_DIRECTORIES
                and not _is_generated(os.path.join(directory, name))
                and not self.path_filter.is_excluded(display_path(os.path.join(directory, name)))
            )
            for name in sorted(filenames):
                full = os.path.join(directory, name)
                shown = display_path(full)
                if os.path.islink(full) or self.path_filter.is_excluded(shown):
                    continue
                yield FileTarget(full, shown)


def _is_generated(directory: str) -> bool:
    return any(os.path.exists(os.path.join(directory, marker)) for marker in GENERATED_DIRECTORY_MARKERS)


def display_path(path: str) -> str:
    """Relative to the working directory when under it, POSIX separators, no leading `./`."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        shown = os.path.relpath(absolute, cwd)
    else:
        shown = os.path.normpath(path)
    return shown.replace(os.sep, "/")


def read_chunks(target: FileTarget) -> Iterator[Chunk]:
    """The scannable chunks of one file. Raises OSError when it cannot be read."""
    with open(target.filesystem_path, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return  # a symlink to a directory, a FIFO or a device: nothing to read
        first = handle.read(BLOCK_BYTES)
        if len(first) < BLOCK_BYTES:
            yield from _whole_file_chunks(target.display_path, first)
            return
        yield from _streamed_chunks(target.display_path, first, handle)


def _whole_file_chunks(path: str, data: bytes) -> Iterator[Chunk]:
    if is_zip(data):
        for member, content in zip_members(data):
            yield Chunk(f"{path}!{member}", printable_text(content))
        return
    yield Chunk(path, printable_text(data))


def _streamed_chunks(path: str, first: bytes, handle: object) -> Iterator[Chunk]:
    read = handle.read  # type: ignore[attr-defined]
    binary = is_binary(first)
    pending = first
    line = 1
    while True:
        more = read(BLOCK_BYTES)
        block = pending + more
        if not more:
            if block:
                yield Chunk(path, printable_text(block) if binary else block, line)
            return
        cut = _safe_cut(block)
        piece, pending = block[:cut], block[cut:]
        yield Chunk(path, printable_text(piece) if binary else piece, line)
        line += piece.count(b"\n")
        if not pending:
            # No safe place to cut: a single alphanumeric run longer than a block. Its tail in the
            # next block must not look like a 64-character token of its own.
            more = read(BLOCK_BYTES)
            if not more:
                return
            pending = _blank_leading_run(more)


def _blank_leading_run(data: bytes) -> bytes:
    end = 0
    while end < len(data) and chr(data[end]).isalnum():
        end += 1
    return b" " * end + data[end:]


def _safe_cut(block: bytes) -> int:
    """A place to split a block that splits no line, no token and no PEM key."""
    cut = block.rfind(b"\n", len(block) // 2) + 1
    if cut == 0:
        # One enormous line: split at a non-alphanumeric byte so no 64-character run is cut.
        cut = len(block) // 2
        while cut < len(block) and chr(block[cut]).isalnum():
            cut += 1
    pem = block.rfind(b"-----BEGIN", max(0, cut - PEM_CARRY_BYTES), cut)
    if pem != -1 and block.find(b"-----END", pem, cut) == -1:
        cut = block.rfind(b"\n", 0, pem) + 1 or pem
    return cut


def describe_os_error(error: OSError) -> str:
    return _describe(error)


def _describe(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "file vanished before it could be read"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    return error.strerror or str(error)
