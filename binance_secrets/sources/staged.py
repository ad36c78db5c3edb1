"""What is staged in the index: the exact bytes a commit would record, not the working-tree copies.

Plain `git` with NUL-separated output, through the one git layer (`binance_secrets.git`): this runs in
a git hook on every commit, so it stays light (no GitPython import) and reads all blobs through the
one `git cat-file --batch` reader. Git runs in the repository's folder with the hook's GIT_DIR and
GIT_INDEX_FILE, so that it reads the index being committed.

File names are attacker-controlled (anyone can send a branch with a file named `:(exclude)*` or
`--output=x`), so no path is ever put on a git command line: the index is listed with
`git diff-index -z` and the blobs are named by object id on cat-file's stdin. That also keeps the
argv bounded whatever the number of staged files. GIT_LITERAL_PATHSPECS=1 is set all the same, so
that no later change can let a name turn into pathspec magic.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

from binance_secrets.errors import ScanFailure, UsageError
from binance_secrets.git.cat_file import CatFileBatch
from binance_secrets.git.process import git_message, run_git
from binance_secrets.git.repository import GitFolder, refuse_distrusted_owner
from binance_secrets.paths import PathFilter
from binance_secrets.result import ScanError
from binance_secrets.sources import Chunk
from binance_secrets.sources.content import blob_chunks

_SUBMODULE_MODE = "160000"
_SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class StagedBlob:
    path: str
    object_id: str


def repository_root(directory: str) -> Path:
    """The top of the work tree that holds `directory`; a clear error for anything that is not one."""
    if not directory:
        raise UsageError("REPO must be the path of a folder in a git repository, not an empty string")
    folder = Path(directory)
    if not folder.exists():
        raise ScanFailure(f"{directory}: no such file or directory")
    if not folder.is_dir():
        raise ScanFailure(f"{directory} is not a folder (give the folder of a git repository)")
    # The folder is the working directory of git, never an argument: no name can become an option.
    completed = run_git(GitFolder(str(folder)), "rev-parse", "--show-toplevel")
    if completed.returncode != 0:
        refuse_distrusted_owner(str(folder))  # the one-line reason and remedy `history` gives
        raise ScanFailure(f"{directory} is not a git repository with a work tree ({git_message(completed.stderr)})")
    top = completed.stdout[:-1] if completed.stdout.endswith(b"\n") else completed.stdout
    return Path(os.fsdecode(top))


def staged_blobs(root: Path, path_filter: PathFilter, errors: list[ScanError]) -> list[StagedBlob]:
    """Files added, copied, modified or retyped in the index relative to HEAD (all files before the
    first commit), with the object id of their staged content."""
    base = _head_commit(root) or _empty_tree(root)
    # Raw output carries the staged mode and object id of each entry, so one call lists everything.
    raw = _git(
        root, "diff-index", "--cached", "-z", "--no-renames", "--diff-filter=ACMTU", "--end-of-options", base, "--"
    )
    # -z raw records: ":<old mode> <new mode> <old id> <new id> <status>" NUL "<path>" NUL
    fields = raw.split(b"\0")[:-1]
    if len(fields) % 2:
        raise ScanFailure("git diff-index gave an answer this version cannot read")
    blobs = []
    unmerged: set[str] = set()
    for meta, raw_path in zip(fields[0::2], fields[1::2], strict=True):
        if not meta.startswith(b":"):
            raise ScanFailure("git diff-index gave an answer this version cannot read")
        _, mode, _, object_id, status = meta[1:].decode("ascii").split()
        path = os.fsdecode(raw_path)  # as `scan` names it: a byte that is not UTF-8 is kept, not replaced
        if status == "U":
            if path not in unmerged:
                unmerged.add(path)
                message = "unmerged (conflicted) entry: resolve the conflict, then scan again"
                errors.append(ScanError(path, message))
        elif mode == _SUBMODULE_MODE:
            message = "submodule: not scanned (its own repository must be scanned)"
            errors.append(ScanError(path, message, unscanned=False))
        elif mode != _SYMLINK_MODE and not path_filter.is_excluded(path):
            blobs.append(StagedBlob(path, object_id))
    return blobs


def read_staged_chunks(
    root: Path, blobs: Sequence[StagedBlob], errors: list[ScanError]
) -> Generator[Chunk, None, None]:
    """Stream the blobs through the one `git cat-file --batch` reader.

    However the caller stops (end, exception, SIGINT/SIGTERM turned into one, generator closed), the
    child is ended and reaped: it must not outlive the scan.
    """
    if not blobs:
        return
    with CatFileBatch(GitFolder(str(root))) as cat_file:
        for blob, read in zip(blobs, cat_file.read(blob.object_id for blob in blobs), strict=True):
            if read.type == "error":
                errors.append(ScanError(blob.path, f"{read.error}: not scanned"))
            elif read.type != "blob":
                errors.append(ScanError(blob.path, "staged content missing from the repository: not scanned"))
            else:
                # The one bounded reader `scan` uses: archives get the same limits, and whatever a limit
                # leaves unread (a bomb, an encrypted member, an archive nested too deep) is an error.
                yield from blob_chunks(blob.path, read.data, errors)


def _head_commit(root: Path) -> str | None:
    completed = run_git(GitFolder(str(root)), "rev-parse", "--verify", "--quiet", "--end-of-options", "HEAD^{commit}")
    return completed.stdout.decode("ascii").strip() if completed.returncode == 0 else None


def _empty_tree(root: Path) -> str:
    """Before the first commit everything staged is new: compare with the empty tree (its id depends on
    the repository's hash algorithm; git knows it without storing it)."""
    return _git(root, "hash-object", "-t", "tree", "--stdin").decode("ascii").strip()


def _git(root: Path, *args: str) -> bytes:
    return run_git(GitFolder(str(root)), *args, check=True).stdout
