"""What is staged in the index: the exact bytes a commit would record, not the working-tree copies.

Plain `git` through subprocess with NUL-separated output: this runs in a git hook on every commit, so
it stays light (no GitPython import) and fetches all blobs through one `git cat-file --batch`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from binance_secrets.errors import ScanFailure
from binance_secrets.finding import ScanError
from binance_secrets.paths import PathFilter
from binance_secrets.sources import Chunk
from binance_secrets.sources.content import is_zip, printable_text, zip_members

_SUBMODULE_MODE = "160000"
_SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class StagedBlob:
    path: str
    object_id: str


def repository_root(directory: str) -> Path:
    completed = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=directory, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "unknown error"
        raise ScanFailure(f"{directory} is not a git repository with a work tree ({message})")
    return Path(completed.stdout.strip())


def staged_blobs(root: Path, path_filter: PathFilter, errors: list[ScanError]) -> list[StagedBlob]:
    """Files added, copied, modified or retyped in the index relative to HEAD (all files before the
    first commit), with the object id of their staged content."""
    changed = _git(root, "diff", "--cached", "--name-only", "--no-renames", "-z", "--diff-filter=ACMTU")
    paths = [path for path in changed.split(b"\0") if path]
    if not paths:
        return []
    listing = _git(root, "ls-files", "--stage", "-z", "--", *[p.decode("utf-8", "surrogateescape") for p in paths])
    blobs = []
    unmerged: set[str] = set()
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, object_id, stage = meta.decode("ascii").split()
        path = raw_path.decode("utf-8", "replace")
        if stage != "0":
            if path in unmerged:
                continue
            unmerged.add(path)
            errors.append(ScanError(path, "unmerged (conflicted) entry: resolve the conflict, then scan again"))
        elif mode == _SUBMODULE_MODE:
            errors.append(ScanError(path, "submodule: not scanned (its own repository must be scanned)", unscanned=False))
        elif mode != _SYMLINK_MODE and not path_filter.is_excluded(path):
            blobs.append(StagedBlob(path, object_id))
    return blobs


def read_staged_chunks(root: Path, blobs: list[StagedBlob]) -> Iterator[Chunk]:
    """Stream the blobs through one `git cat-file --batch` process."""
    if not blobs:
        return
    process = subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        for blob in blobs:
            process.stdin.write(blob.object_id.encode("ascii") + b"\n")
            process.stdin.flush()
            header = process.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                continue  # missing object: nothing staged to read
            content = process.stdout.read(int(header[2]))
            process.stdout.read(1)  # the newline git writes after each object
            if is_zip(content):
                for member, member_content in zip_members(content):
                    yield Chunk(f"{blob.path}!{member}", printable_text(member_content))
            else:
                yield Chunk(blob.path, printable_text(content))
    finally:
        process.stdin.close()
        process.wait()


def _git(root: Path, *args: str) -> bytes:
    completed = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise ScanFailure(f"git {args[0]} failed: {message}")
    return completed.stdout
