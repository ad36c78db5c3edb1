"""Plain git plumbing for the history audit: the repository, object listing and batch object reads.

GitPython has no streaming interface for `rev-list --objects` or a restartable `cat-file --batch`, so
those run as subprocesses here; GitPython is used where it fits (finding the repository, commit
metadata). Nothing here imports GitPython at module level: the pre-commit hook never loads this file,
and worker processes stay light.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.errors import ScanFailure
from binance_secrets.finding import CommitInfo

# Requests written to `cat-file --batch` but not yet answered, in bytes. Kept below the smallest pipe
# buffer (64 KiB on Linux, 16 KiB on old macOS) so that writing requests can never block while git is
# blocked writing answers we have not read: no deadlock without a writer thread.
MAX_IN_FLIGHT_REQUEST_BYTES = 12 * 1024
READ_BUFFER_BYTES = 1024 * 1024
ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class GitRepository:
    """Where git plumbing runs: the git directory, and the working tree when there is one."""

    git_dir: str
    work_tree: str | None

    @property
    def root(self) -> str:
        """The folder paths and config are relative to: the working tree, or the git dir when bare."""
        return self.work_tree or self.git_dir

    def command(self, *args: str) -> list[str]:
        return ["git", f"--git-dir={self.git_dir}", *args]


def open_repository(path: str) -> GitRepository:
    """The repository at or above `path`; `ScanFailure` (exit 3) when there is none."""
    import git  # GitPython: only the history command pays for this import

    if not os.path.exists(path):
        raise ScanFailure(f"{path}: no such file or directory")
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise ScanFailure(f"{path} is not a git repository (or any of its parent folders)") from None
    except git.NoSuchPathError:
        raise ScanFailure(f"{path}: no such file or directory") from None
    except git.GitError as error:  # pragma: no cover - depends on the local git installation
        raise ScanFailure(f"{path}: cannot open the repository: {error}") from None
    git_dir = os.path.abspath(repo.git_dir)
    work_tree = None if repo.bare else os.path.abspath(str(repo.working_tree_dir))
    repo.close()
    return GitRepository(git_dir, work_tree)


def git_environment() -> dict[str, str]:
    env = dict(os.environ)
    # A hook may run with these set for another repository or index; `--git-dir` says which one we mean.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(name, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run_git(repo: GitRepository, *args: str, check: bool = False) -> subprocess.CompletedProcess[bytes]:
    completed = subprocess.run(
        repo.command(*args), capture_output=True, env=git_environment(), stdin=subprocess.DEVNULL
    )
    if check and completed.returncode != 0:
        raise ScanFailure(f"git {args[0]} failed: {git_message(completed.stderr)}")
    return completed


def git_message(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "unknown error"


def resolve_commit(repo: GitRepository, revision: str) -> str | None:
    completed = run_git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if completed.returncode != 0:
        return None
    return completed.stdout.decode("ascii").strip()


@dataclass(frozen=True)
class ListedObject:
    """One object named by `rev-list --objects`: a commit, an annotated tag or a blob."""

    sha: str
    type: str  # "commit", "tag", "blob", or "missing"
    size: int
    path: str  # the first path rev-list saw the blob at (or the tag name); may be cut at a newline


class ObjectListing:
    """Streams the commits, tags and blobs reachable from `revisions`, with their sizes.

    `git rev-list --objects` names each reachable object once, with the first path it met it at.
    `--filter=object:type=blob` leaves out trees and all commits but the tips (commit messages are
    read in bulk elsewhere), which cuts the lines to parse here by half or more; annotated tags stay.
    `cat-file --batch-check` adds type and size without reading content, so oversized blobs can be
    skipped before anything is read.
    """

    def __init__(self, repo: GitRepository, revisions: Sequence[str]) -> None:
        self.repo = repo
        self.revisions = list(revisions)
        self.error: str | None = None

    def __iter__(self) -> Iterator[ListedObject]:
        env = git_environment()
        rev_list = subprocess.Popen(
            self.repo.command(
                "rev-list", "--objects", "--missing=print", "--filter=object:type=blob", "--stdin"
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        check = subprocess.Popen(
            self.repo.command(
                "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize) %(rest)"
            ),
            stdin=rev_list.stdout,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            bufsize=READ_BUFFER_BYTES,
        )
        assert rev_list.stdin is not None and rev_list.stdout is not None and check.stdout is not None
        rev_list.stdout.close()  # the check process owns it now
        # Revisions go through stdin so that thousands of `^sha` exclusions fit no command line.
        rev_list.stdin.write("".join(f"{revision}\n" for revision in self.revisions).encode())
        rev_list.stdin.close()
        try:
            for raw in check.stdout:
                listed = _parse_check_line(raw)
                if listed is not None:
                    yield listed
        finally:
            check.stdout.close()
            check.wait()
            stderr = rev_list.stderr.read() if rev_list.stderr else b""
            if rev_list.wait() != 0:
                self.error = git_message(stderr)


def _parse_check_line(raw: bytes) -> ListedObject | None:
    line = raw.rstrip(b"\n")
    if line.startswith(b"?"):  # rev-list --missing=print: `?<sha>`; batch-check adds ` missing`
        return ListedObject(line[1:41].decode("ascii", "replace"), "missing", 0, "")
    parts = line.split(b" ", 3)
    if len(parts) < 3 or parts[1] == b"missing":
        if parts and len(parts[0]) == 40:
            return ListedObject(parts[0].decode("ascii", "replace"), "missing", 0, "")
        return None
    sha, object_type, size = parts[0], parts[1], parts[2]
    path = parts[3] if len(parts) == 4 else b""
    return ListedObject(
        sha.decode("ascii"), object_type.decode("ascii"), int(size), path.decode("utf-8", "surrogateescape")
    )


@dataclass(frozen=True)
class ObjectRead:
    name: str  # what was asked for: a sha, or `<commit>:<path>`
    sha: str | None  # None when the object is missing or unreadable
    type: str
    data: bytes
    error: str | None = None


class CatFileBatch:
    """One long-lived `git cat-file --batch`, pipelined, restarted if git dies on a corrupt object."""

    def __init__(self, repo: GitRepository, *, check_only: bool = False) -> None:
        self.repo = repo
        self.check_only = check_only
        self._process: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            mode = "--batch-check" if self.check_only else "--batch"
            self._process = subprocess.Popen(
                self.repo.command("cat-file", mode),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=git_environment(),
                bufsize=READ_BUFFER_BYTES,
            )
        return self._process

    def read(self, names: Iterable[str]) -> Iterator[ObjectRead]:
        """Answers in the order asked. Names must not contain newlines."""
        pending: deque[str] = deque()
        in_flight = 0
        source = iter(names)
        exhausted = False
        while True:
            process = self._start()
            assert process.stdin is not None and process.stdout is not None
            wrote = False
            while not exhausted and in_flight < MAX_IN_FLIGHT_REQUEST_BYTES:
                name = next(source, None)
                if name is None:
                    exhausted = True
                    break
                request = name.encode("utf-8", "surrogateescape") + b"\n"
                pending.append(name)
                in_flight += len(request)
                wrote = True
                try:
                    process.stdin.write(request)
                except (BrokenPipeError, ValueError):
                    break  # git died; reading the answer finds out which object killed it
            if wrote:
                with contextlib.suppress(BrokenPipeError, ValueError):
                    process.stdin.flush()
            if not pending:
                return
            name = pending.popleft()
            in_flight -= len(name.encode("utf-8", "surrogateescape")) + 1
            answer = self._read_one(process, name)
            if answer is None:
                # git died on this object (a corrupt pack or loose object): report it, start a new
                # cat-file and ask again for everything that was still in flight.
                yield ObjectRead(name, None, "error", b"", self._death_message())
                replay = list(pending)
                pending.clear()
                in_flight = 0
                source = _chain(replay, source)
                continue
            yield answer

    def _read_one(self, process: subprocess.Popen[bytes], name: str) -> ObjectRead | None:
        assert process.stdout is not None
        header = process.stdout.readline()
        if not header.endswith(b"\n"):
            return None
        parts = header.split()
        if len(parts) == 2 and parts[1] in (b"missing", b"ambiguous"):
            return ObjectRead(name, None, "missing", b"", f"object {parts[1].decode()}")
        if len(parts) != 3:
            return None
        sha, object_type, size = parts[0].decode("ascii"), parts[1].decode("ascii"), int(parts[2])
        if self.check_only:
            return ObjectRead(name, sha, object_type, b"")
        data = process.stdout.read(size)
        if len(data) != size or process.stdout.read(1) != b"\n":
            return None
        return ObjectRead(name, sha, object_type, data)

    def _death_message(self) -> str:
        process = self._process
        self._process = None
        if process is None:
            return "unreadable object"
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        stderr = process.stderr.read() if process.stderr else b""
        process.wait()
        return f"unreadable object: {git_message(stderr)}"

    def close(self) -> None:
        process = self._process
        self._process = None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()
        process.wait()

    def __enter__(self) -> CatFileBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def object_info(repo: GitRepository, sha: str) -> CommitInfo:
    """Author (tagger for a tag), ISO date and summary of a commit or annotated tag.

    Read with git itself rather than GitPython's object database, which rediscovers the repository
    and so fails on repositories owned by another user (`safe.directory`) where `--git-dir` works.
    Bytes that are not UTF-8 (old latin-1 commits) become U+FFFD.
    """
    kind = run_git(repo, "cat-file", "-t", sha).stdout.strip()
    if kind == b"tag":
        fields = ["%(objectname)", "%(taggername)", "%(taggeremail:trim)", "%(taggerdate:iso-strict)", "%(subject)"]
        completed = run_git(repo, "for-each-ref", "--points-at", sha, "--format=" + "%00".join(fields))
        lines = [line for line in completed.stdout.split(b"\n") if line]
        output = lines[0] if lines else b""
        values = output.split(b"\0")[1:] if output else []
    else:
        completed = run_git(repo, "log", "-1", "--no-walk", "--format=%an%x00%ae%x00%aI%x00%s", sha, "--")
        values = completed.stdout.rstrip(b"\n").split(b"\0") if completed.returncode == 0 else []
    if len(values) != 4:
        return CommitInfo(sha=sha, author_name="", author_email="", date="", summary="")
    name, email, date, summary = (value.decode("utf-8", "replace") for value in values)
    return CommitInfo(sha=sha, author_name=name, author_email=email, date=date, summary=summary)
