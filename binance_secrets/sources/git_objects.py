"""The history audit's git queries: its repository, the objects it lists, their presence and metadata.

Git runs through the one git layer (`binance_secrets.git`): its environment, its processes and the
`cat-file --batch` reader live there; these are the questions the audit asks with them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from binance_secrets.errors import ScanFailure
from binance_secrets.finding import CommitInfo
from binance_secrets.git.process import READ_BUFFER_BYTES, GitProcess, git_message, run_git, start_git, stop_process
from binance_secrets.git.repository import GitRepository, find_git_dir

ZERO_SHA = "0" * 40
# The type of a deltified object is its base's: `--batch-check` follows delta chains all over the pack,
# and within `PACK_MEMORY_OPTIONS`' 128 MB, 32 MB windows were unmapped and mapped again for nearly
# every object (numpy: 3.4 s of CPU, half of it in the kernel). Windows of 4 MB under the same limit:
# 1.3 s, 110 MB resident (the last `-c` wins).
TYPE_CHECK_OPTIONS = ("-c", "core.packedGitWindowSize=4m")


def open_repository(path: str) -> GitRepository:
    """The repository at or above `path`, and whether it is a partial clone; `ScanFailure` (exit 3)
    when there is none."""
    if not os.path.exists(path):
        raise ScanFailure(f"{path}: no such file or directory")
    git_dir, work_tree = find_git_dir(path)
    plain = GitRepository(git_dir, work_tree)
    return GitRepository(git_dir, work_tree, partial=is_partial_clone(plain))


def resolve_commit(repo: GitRepository, revision: str) -> str | None:
    completed = run_git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if completed.returncode != 0:
        return None
    return completed.stdout.decode("ascii").strip()


def is_partial_clone(repo: GitRepository) -> bool:
    """Whether git would lazily fetch this repository's missing objects: a promisor remote is set."""
    completed = run_git(
        repo, "config", "--null", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$"
    )
    for entry in completed.stdout.split(b"\0"):
        name, _, value = entry.partition(b"\n")
        value = value.strip().lower()
        if name == b"extensions.partialclone" and value:
            return True
        if name.endswith(b".promisor") and value in (b"", b"true", b"yes", b"on", b"1"):
            return True
    return False


def object_types(repo: GitRepository, names: Iterable[str]) -> dict[str, str]:
    """The type of each named object that is there (`commit`, `tag`, `tree`, `blob`); a missing or
    unreadable one is left out. Headers only (`cat-file --batch-check`): nothing is read or peeled."""
    from binance_secrets.git.cat_file import CatFileBatch

    with CatFileBatch(repo, check_only=True) as cat_file:
        return {read.name: read.type for read in cat_file.read(dict.fromkeys(names)) if read.sha is not None}


def present_objects(repo: GitRepository, shas: Iterable[str]) -> set[str]:
    """Which of these blobs are in the repository, asked without reading them.

    Reading a missing object of a partial clone makes git try to fetch it; `rev-list --missing=print`
    never does, and `--ignore-missing` drops the missing ones from its answer.
    """
    wanted = set(shas)
    if not wanted:
        return set()
    completed = run_git(
        repo, "rev-list", "--objects", "--no-walk", "--ignore-missing", "--missing=print", "--stdin",
        input="".join(f"{sha}\n" for sha in sorted(wanted)).encode(),
    )  # fmt: skip
    listed = {line.split(b" ", 1)[0].decode("ascii", "replace") for line in completed.stdout.splitlines()}
    return wanted & listed


class ListedObject(NamedTuple):
    """One object named by `rev-list --objects`: a commit, an annotated tag or a blob (a tuple: a
    large history lists hundreds of thousands)."""

    sha: str
    type: str  # "commit", "tag", "blob", or "missing"
    size: int
    path: str  # the first path rev-list saw the blob at (or the tag name); may be cut at a newline


class ObjectListing:
    """Streams the tags and blobs reachable from `revisions`, with their sizes, and missing objects.

    `git rev-list --objects` names each reachable object once, with the first path it met it at.
    No `--filter`: a filter that leaves trees out also leaves out the report of a missing tree
    (`--missing=print`), and every blob under it would go unscanned without a word. A missing
    object is listed as `missing` and never read, so a partial clone fetches nothing.
    `cat-file --batch-check` adds type and size without reading content, so oversized blobs can be
    skipped before anything is read.
    """

    def __init__(self, repo: GitRepository, revisions: Sequence[str]) -> None:
        self.repo = repo
        self.revisions = list(revisions)
        self.error: str | None = None
        self._processes: list[GitProcess] = []

    def __iter__(self) -> Iterator[ListedObject]:
        try:
            # Revisions go through stdin so that thousands of `^sha` exclusions fit no command line.
            # `--in-commit-order`: each commit's new trees and blobs right after it, rather than every
            # commit first (a walk of the whole graph before the first blob, with nothing to scan yet).
            # The objects, their paths and their order are the same; only the commits move.
            rev_list = start_git(
                self.repo, "rev-list", "--objects", "--in-commit-order", "--missing=print", "--stdin",
                lines=self.revisions,
            )  # fmt: skip
            self._processes.append(rev_list)
            # `--buffer`: answers are read as a stream, not one by one, so git need not flush each line
            # (a write system call per object, a third of the listing's time on a large history).
            check = start_git(
                self.repo, *TYPE_CHECK_OPTIONS,
                "cat-file", "--buffer", "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)",
                source=rev_list.stdout, stderr=False, bufsize=READ_BUFFER_BYTES,
            )  # fmt: skip
            self._processes.append(check)
        except BaseException:
            self.close()
            raise
        assert rev_list.stdout is not None and check.stdout is not None
        rev_list.stdout.close()  # the check process owns it now
        finished = False
        try:
            for raw in check.stdout:
                listed = _parse_check_line(raw)
                if listed is not None:
                    yield listed
            finished = True
        finally:
            if finished:
                check.stdout.close()
                check.wait()
                stderr = rev_list.stderr.read() if rev_list.stderr else b""
                if rev_list.wait() != 0:
                    self.error = git_message(stderr)
            self.close()

    def close(self) -> None:
        """Stop git if the listing was abandoned (an error, a signal); a no-op once it has ended."""
        for process in self._processes:
            stop_process(process)
        self._processes.clear()


def _parse_check_line(raw: bytes) -> ListedObject | None:
    # Trees and commits are listed only so that a missing one is seen; most lines are these, so they
    # are dropped first, on the type that starts the line, before any other work.
    if raw.startswith((b"tree ", b"commit ")):
        return None
    line = raw.rstrip(b"\n")
    if line.startswith(b"?"):  # rev-list --missing=print: `?<sha>`; batch-check adds ` missing`
        return ListedObject(line[1:41].decode("ascii", "replace"), "missing", 0, "")
    parts = line.split(b" ", 3)
    if len(parts) >= 3 and parts[0] in (b"blob", b"tag"):
        object_type, sha, size = parts[0], parts[1], parts[2]
        path = parts[3] if len(parts) == 4 else b""
        return ListedObject(
            sha.decode("ascii"), object_type.decode("ascii"), int(size), path.decode("utf-8", "surrogateescape")
        )
    if len(parts) == 2 and parts[1] == b"missing" and len(parts[0]) in (40, 64):
        return ListedObject(parts[0].decode("ascii", "replace"), "missing", 0, "")  # listed, then not found
    return None


def object_info(repo: GitRepository, sha: str) -> CommitInfo:
    """Author (tagger for a tag), ISO date and summary of a commit or annotated tag.

    Read with git itself, in the repository the audit opened (`git/repository.py`, which also refuses
    one git refuses for its owner), rather than GitPython's object database, which would discover it again.
    Bytes that are not UTF-8 (old latin-1 commits) become U+FFFD.

    Names, addresses and subjects are free text anyone can write a key into, and reports (and the
    baselines made from them, which are committed) carry them: every secret in them is redacted.
    """
    from binance_secrets.sources.git_text import redact_free_text

    kind = run_git(repo, "cat-file", "-t", "--end-of-options", sha).stdout.strip()
    if kind == b"tag":
        fields = ["%(objectname)", "%(taggername)", "%(taggeremail:trim)", "%(taggerdate:iso-strict)", "%(subject)"]
        completed = run_git(repo, "for-each-ref", f"--points-at={sha}", "--format=" + "%00".join(fields))
        lines = [line for line in completed.stdout.split(b"\n") if line]
        output = lines[0] if lines else b""
        values = output.split(b"\0")[1:] if output else []
    else:
        completed = run_git(
            repo, "log", "-1", "--no-walk", "--format=%an%x00%ae%x00%aI%x00%s", "--end-of-options", sha, "--"
        )
        values = completed.stdout.rstrip(b"\n").split(b"\0") if completed.returncode == 0 else []
    if len(values) != 4:
        return CommitInfo(sha=sha, author_name="", author_email="", date="", summary="")
    name, email, date, summary = (redact_free_text(value.decode("utf-8", "replace")) for value in values)
    return CommitInfo(sha=sha, author_name=name, author_email=email, date=date, summary=summary)
