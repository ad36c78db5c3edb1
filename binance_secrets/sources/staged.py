"""What is staged in the index: the exact bytes a commit would record, not the working-tree copies.

Plain `git` through subprocess with NUL-separated output: this runs in a git hook on every commit, so
it stays light (no GitPython import) and fetches all blobs through one `git cat-file --batch`.

File names are attacker-controlled (anyone can send a branch with a file named `:(exclude)*` or
`--output=x`), so no path is ever put on a git command line: the index is listed with
`git diff-index -z` and the blobs are named by object id on cat-file's stdin. That also keeps the
argv bounded whatever the number of staged files. GIT_LITERAL_PATHSPECS=1 is set all the same, so
that no later change can let a name turn into pathspec magic.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from binance_secrets.errors import ScanFailure, UsageError
from binance_secrets.finding import ScanError
from binance_secrets.paths import PathFilter
from binance_secrets.sources import Chunk
from binance_secrets.sources.content import blob_chunks

_SUBMODULE_MODE = "160000"
_SYMLINK_MODE = "120000"
# Settings that would change how git reads a pathspec; they cannot be combined with the literal one.
_PATHSPEC_VARIABLES = ("GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS")


@dataclass(frozen=True)
class StagedBlob:
    path: str
    object_id: str


def git_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment (GIT_DIR, GIT_INDEX_FILE of a running hook included) with literal
    pathspecs and no lazy fetch: a hook never goes to the network for a missing blob (git >= 2.44)."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items() if k not in _PATHSPEC_VARIABLES}
    env["GIT_LITERAL_PATHSPECS"] = "1"
    env["GIT_NO_LAZY_FETCH"] = "1"
    return env


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
    completed = _run(["git", "rev-parse", "--show-toplevel"], folder)
    if completed.returncode != 0:
        raise ScanFailure(f"{directory} is not a git repository with a work tree ({_last_line(completed.stderr)})")
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
    """Stream the blobs through one `git cat-file --batch` process.

    A thread writes the object ids while this one reads the answers (no round trip per file). However
    the caller stops (end, exception, SIGINT/SIGTERM turned into one, generator closed), the child is
    killed and reaped: it must not outlive the scan.
    """
    if not blobs:
        return
    try:
        process = subprocess.Popen(
            ["git", "cat-file", "--batch"], cwd=root, env=git_environment(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
    except OSError as error:
        raise ScanFailure(f"cannot run git: {error.strerror}") from error
    assert process.stdin is not None and process.stdout is not None
    writer = threading.Thread(target=_write_ids, args=(process.stdin, [b.object_id for b in blobs]), daemon=True)
    writer.start()
    finished = False
    try:
        for index, blob in enumerate(blobs):
            header = process.stdout.readline().split()
            if len(header) < 2 or header[0].decode("ascii", "replace") != blob.object_id:
                # cat-file died or answered out of step: whatever is left was not read.
                errors.extend(ScanError(b.path, "git cat-file stopped early: not scanned") for b in blobs[index:])
                break
            if header[1] != b"blob" or len(header) < 3:
                errors.append(ScanError(blob.path, "staged content missing from the repository: not scanned"))
                continue
            size = int(header[2])
            content = process.stdout.read(size)
            process.stdout.read(1)  # the newline git writes after each object
            if len(content) != size:
                errors.extend(ScanError(b.path, "git cat-file stopped early: not scanned") for b in blobs[index:])
                break
            # The one bounded reader `scan` uses: archives get the same limits, and whatever a limit
            # leaves unread (a bomb, an encrypted member, an archive nested too deep) is an error.
            yield from blob_chunks(blob.path, content, errors)
        finished = True
    finally:
        if not finished and process.poll() is None:
            process.kill()
        process.stdout.close()
        process.wait()
        writer.join()


def _write_ids(stdin: IO[bytes], object_ids: list[str]) -> None:
    try:
        for object_id in object_ids:
            stdin.write(object_id.encode("ascii") + b"\n")
    except (OSError, ValueError):
        pass  # the reader stopped and killed git: nothing left to ask for
    finally:
        with contextlib.suppress(OSError):
            stdin.close()


def _head_commit(root: Path) -> str | None:
    completed = _run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", "HEAD^{commit}"], root)
    return completed.stdout.decode("ascii").strip() if completed.returncode == 0 else None


def _empty_tree(root: Path) -> str:
    """Before the first commit everything staged is new: compare with the empty tree (its id depends on
    the repository's hash algorithm; git knows it without storing it)."""
    return _git(root, "hash-object", "-t", "tree", "--stdin").decode("ascii").strip()


def _git(root: Path, *args: str) -> bytes:
    completed = _run(["git", *args], root)
    if completed.returncode != 0:
        raise ScanFailure(f"git {args[0]} failed: {_last_line(completed.stderr)}")
    return completed.stdout


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            argv, cwd=cwd, env=git_environment(), stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
    except OSError as error:
        raise ScanFailure(f"cannot run git in {cwd}: {error.strerror}") from error


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "unknown error"
