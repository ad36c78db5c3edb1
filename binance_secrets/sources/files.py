"""Files and folders of the working tree: what `scan` and the pre-commit hook read.

Paths are `str` as the operating system gives them to Python: a name that is not valid UTF-8 holds
lone surrogates (PEP 383, `os.fsdecode`), so `os.fsencode(path)` gives back its exact bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.paths import PathFilter
from binance_secrets.result import ScanError
from binance_secrets.sources import Chunk
from binance_secrets.sources.content import BLOCK_BYTES, PEM_CARRY_BYTES, stream_chunks

__all__ = [
    "BLOCK_BYTES",
    "PEM_CARRY_BYTES",
    "FileTarget",
    "FileWalk",
    "NotRegularFile",
    "describe_os_error",
    "display_path",
    "read_chunks",
]

SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn"})
# A folder holding one of these is generated, not written by the user: a tool cache (the Cache
# Directory Tagging Standard: mypy, pytest, ruff, cargo...) or a Python virtualenv full of vendored code.
GENERATED_DIRECTORY_MARKERS = ("CACHEDIR.TAG", "pyvenv.cfg")
# O_NONBLOCK: opening a FIFO that appeared since the type check must not wait for a writer.
# O_NOCTTY: opening a terminal must not make it ours.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX only, like FIFOs themselves
_OPEN_FLAGS = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class FileTarget:
    """A file to read, with the path it is reported under."""

    filesystem_path: str
    display_path: str
    # False for what `FileWalk` found: a file replaced by a symlink since it was listed is not followed.
    follow_symlinks: bool = True


class NotRegularFile(OSError):
    """A FIFO, socket or device where a regular file was expected: it is never opened for reading."""


class FileWalk:
    """Expands command-line targets into files; records what could not be found or read.

    Each file is listed once, however the targets overlap (`scan d d/sub`, `scan . ./x`). FIFOs,
    sockets and devices found in a folder are notices (they hold no content at rest); named on the
    command line they are unscanned input.
    """

    # A plain class: a walk's changing state, not a value to compare or print, and the pre-commit hook
    # builds no dataclass it can do without (each costs ~0.5 ms to create; README "Performance").
    def __init__(self, path_filter: PathFilter, errors: list[ScanError]) -> None:
        self.path_filter = path_filter
        self.errors = errors
        self.targets_found = 0
        self._walked_folders: set[str] = set()  # real paths
        self._named_files: set[str] = set()  # real paths

    def files(self, targets: Sequence[str]) -> Iterator[FileTarget]:
        for target in targets:
            shown = display_path(target)
            try:
                mode = os.lstat(target).st_mode
            except FileNotFoundError:
                self.errors.append(ScanError(shown, "no such file or directory"))
                continue
            except OSError as error:
                self.errors.append(ScanError(shown, _describe(error)))
                continue
            self.targets_found += 1
            if stat.S_ISLNK(mode):
                # Not followed: git stores only a symlink's target path, and following could leave the tree.
                self.errors.append(ScanError(shown, "symbolic link: not followed", unscanned=False))
            elif stat.S_ISDIR(mode):
                yield from self._walk(target, shown)
            elif not stat.S_ISREG(mode):
                self.errors.append(ScanError(shown, f"{_file_kind(mode)}: not a regular file, not read"))
            elif not self.path_filter.is_excluded(shown) and self._first_named_visit(target):
                yield FileTarget(target, shown, follow_symlinks=False)

    def _first_named_visit(self, target: str) -> bool:
        real = os.path.realpath(target)
        if real in self._named_files or os.path.dirname(real) in self._walked_folders:
            return False
        self._named_files.add(real)
        return True

    def _walk(self, root: str, shown_root: str) -> Iterator[FileTarget]:
        # Depth first, names sorted, files of a folder before its subfolders; an explicit stack, so
        # that no depth of nesting can exhaust Python's recursion limit.
        stack = [(root, shown_root, os.path.realpath(root), True)]
        while stack:
            folder, shown, real, is_root = stack.pop()
            if real in self._walked_folders:
                continue
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as error:
                self.errors.append(ScanError(shown, f"folder could not be listed: {_describe(error)}"))
                continue
            names = {entry.name for entry in entries}
            if not is_root and any(marker in names for marker in GENERATED_DIRECTORY_MARKERS):
                continue
            self._walked_folders.add(real)
            subfolders = []
            for entry in entries:
                child_shown = entry.name if shown == "." else f"{shown}/{entry.name}"
                try:
                    if entry.is_symlink():
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIPPED_DIRECTORIES and not self.path_filter.is_excluded(child_shown):
                            subfolders.append((entry.path, child_shown, os.path.join(real, entry.name), False))
                    elif self.path_filter.is_excluded(child_shown):
                        continue
                    elif entry.is_file(follow_symlinks=False):
                        if not self._named_files or os.path.join(real, entry.name) not in self._named_files:
                            yield FileTarget(entry.path, child_shown, follow_symlinks=False)
                    else:
                        kind = _file_kind(entry.stat(follow_symlinks=False).st_mode)
                        message = f"{kind}: not a regular file, not read (no content at rest)"
                        self.errors.append(ScanError(child_shown, message, unscanned=False))
                except OSError as error:
                    self.errors.append(ScanError(child_shown, _describe(error)))
            stack.extend(reversed(subfolders))


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISDIR(mode):
        return "folder"
    return "special file"


def display_path(path: str) -> str:
    """Relative to the working directory when under it, POSIX separators, no leading `./`."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        shown = os.path.relpath(absolute, cwd)
    else:
        shown = os.path.normpath(path)
    return shown.replace(os.sep, "/")


def read_chunks(target: FileTarget, errors: list[ScanError] | None = None) -> Iterator[Chunk]:
    """The scannable chunks of one file. Raises OSError when it cannot be opened or read.

    Parts that cannot be read while the rest can (archive members over a limit, a damaged member)
    are appended to `errors` when given. The file type is checked again on the open descriptor: a
    regular file swapped for a FIFO after it was listed is refused, never waited on.
    """
    flags = _OPEN_FLAGS if target.follow_symlinks else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target.filesystem_path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"{_file_kind(mode)}: not a regular file, not read")
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield from stream_chunks(target.display_path, handle, [] if errors is None else errors)


def describe_os_error(error: OSError) -> str:
    return _describe(error)


def _describe(error: OSError) -> str:
    if isinstance(error, NotRegularFile):
        return error.strerror or "not a regular file, not read"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "file vanished before it could be read"
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    if error.errno == errno.ELOOP:
        return "became a symbolic link after it was listed: not followed"
    return error.strerror or str(error)
