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
from typing import IO, NamedTuple

from binance_secrets.errors import ScanFailure
from binance_secrets.finding import CommitInfo

# Requests written to `cat-file --batch` but not yet answered, in bytes. Kept below the smallest pipe
# buffer (64 KiB on Linux, 16 KiB on old macOS) so that writing requests can never block while git is
# blocked writing answers we have not read: no deadlock without a writer thread.
MAX_IN_FLIGHT_REQUEST_BYTES = 12 * 1024
READ_BUFFER_BYTES = 1024 * 1024
PIPE_BYTES = 1024 * 1024
ZERO_SHA = "0" * 40
# How long a `cat-file --batch` whose input was closed may take to end before it is killed.
CLOSE_WAIT_SECONDS = 2.0
# Pack data each git process maps at once. git's default (8 GiB on 64-bit systems) lets a walk over
# a large history keep every pack page it touched mapped, and mapped pages count in its resident
# memory: `rev-list --objects` over numpy's history peaked at 390 MB, 130 MB with these limits, for
# the same CPU time.
PACK_MEMORY_OPTIONS = ("-c", "core.packedGitLimit=128m", "-c", "core.packedGitWindowSize=32m")


@dataclass(frozen=True)
class GitRepository:
    """Where git plumbing runs: the git directory, and the working tree when there is one."""

    git_dir: str
    work_tree: str | None
    # A partial clone (a promisor remote is configured): objects it never fetched are missing by
    # design, and git would fetch each one from the network on first read. We never read one.
    partial: bool = False
    # Set only to audit around missing commits: a grafts file that cuts history where they were.
    graft_file: str | None = None

    @property
    def root(self) -> str:
        """The folder paths and config are relative to: the working tree, or the git dir when bare."""
        return self.work_tree or self.git_dir

    def command(self, *args: str) -> list[str]:
        if self.graft_file is not None:
            grafts = ("-c", "advice.graftFileDeprecated=false")
            return ["git", f"--git-dir={self.git_dir}", *PACK_MEMORY_OPTIONS, *grafts, *args]
        return ["git", f"--git-dir={self.git_dir}", *PACK_MEMORY_OPTIONS, *args]

    def environment(self) -> dict[str, str]:
        env = git_environment()
        if self.graft_file is not None:
            env["GIT_GRAFT_FILE"] = self.graft_file
        return env


def open_repository(path: str) -> GitRepository:
    """The repository at or above `path`; `ScanFailure` (exit 3) when there is none.

    One `git rev-parse` finds a working tree or a bare repository (the common cases, without the
    0.1 s import of GitPython); anything else (a path inside a `.git` folder, a git dir without a
    config file, a repository git refuses to discover for its owner) is left to GitPython, whose
    answers the audit has always used.
    """
    if not os.path.exists(path):
        raise ScanFailure(f"{path}: no such file or directory")
    found = _discover(path)
    if found is None:
        found = _discover_with_gitpython(path)
    git_dir, work_tree = found
    plain = GitRepository(git_dir, work_tree)
    return GitRepository(git_dir, work_tree, partial=is_partial_clone(plain))


def _discover(path: str) -> tuple[str, str | None] | None:
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    asked = ("--absolute-git-dir", "--is-bare-repository", "--is-inside-git-dir", "--show-toplevel")
    try:
        completed = subprocess.run(
            ["git", "rev-parse", *asked],
            cwd=folder,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=git_environment(),
        )
    except OSError:
        return None
    lines = completed.stdout.decode("utf-8", "surrogateescape").splitlines()
    if completed.returncode == 0 and len(lines) == 4 and lines[1:3] == ["false", "false"]:
        return os.path.abspath(lines[0]), os.path.abspath(lines[3])
    if len(lines) == 3 and lines[1:3] == ["true", "true"] and _configured_bare(lines[0]):
        return os.path.abspath(lines[0]), None  # `--show-toplevel` fails in a bare repository
    return None


def _configured_bare(git_dir: str) -> bool:
    """`core.bare` is set to true: git and GitPython then agree that there is no working tree."""
    completed = subprocess.run(
        ["git", f"--git-dir={git_dir}", "config", "--bool", "--get", "core.bare"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=git_environment(),
    )
    return completed.stdout.strip() == b"true"


def _discover_with_gitpython(path: str) -> tuple[str, str | None]:
    import git  # GitPython: paid only where plain git discovery did not answer

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
    return git_dir, work_tree


def git_environment() -> dict[str, str]:
    """The environment of every git process of the history audit.

    Paths, ref names and commit messages in a repository are attacker-controlled: a path is always a
    file name, never pathspec magic such as `:(exclude)*`. And the audit never touches the network:
    git 2.44 and later refuse to fetch a partial clone's missing objects (GIT_NO_LAZY_FETCH); older
    git would start `git fetch` on the first read of one, so no transport at all is allowed to it
    (an empty GIT_ALLOW_PROTOCOL overrides every `protocol.*.allow` setting). Reads of missing
    objects are avoided anyway (`GitRepository.partial`); this is the backstop.
    """
    env = dict(os.environ)
    # A hook may run with these set for another repository or index; `--git-dir` says which one we mean.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_GRAFT_FILE"):
        env.pop(name, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_LITERAL_PATHSPECS"] = "1"
    env["GIT_NO_LAZY_FETCH"] = "1"
    env["GIT_ALLOW_PROTOCOL"] = ""
    # `refs/replace` can show other objects in place of committed ones; a push sends the committed ones.
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    return env


def run_git(
    repo: GitRepository, *args: str, check: bool = False, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    completed = subprocess.run(
        repo.command(*args),
        capture_output=True,
        env=repo.environment(),
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    if check and completed.returncode != 0:
        raise ScanFailure(f"git {args[0]} failed: {git_message(completed.stderr)}")
    return completed


def git_message(stderr: bytes) -> str:
    """The last line git printed, for an error entry: it may quote a ref name or path, so any key in
    it is redacted."""
    from binance_secrets.sources.git_text import redact_free_text

    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    last = lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "unknown error"
    return redact_free_text(last)


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


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """End a git child we no longer read from, and reap it: nothing may outlive the audit."""
    if process is None:
        return
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()
    process.wait()


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
        self._processes: list[subprocess.Popen[bytes]] = []

    def __iter__(self) -> Iterator[ListedObject]:
        env = self.repo.environment()
        rev_list = subprocess.Popen(
            self.repo.command("rev-list", "--objects", "--missing=print", "--stdin"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._processes.append(rev_list)
        # `--buffer`: answers are read as a stream, not one by one, so git need not flush each line
        # (a write system call per object, a third of the listing's time on a large history).
        check = subprocess.Popen(
            self.repo.command(
                "cat-file", "--buffer", "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)"
            ),
            stdin=rev_list.stdout,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            bufsize=READ_BUFFER_BYTES,
        )
        self._processes.append(check)
        assert rev_list.stdin is not None and rev_list.stdout is not None and check.stdout is not None
        rev_list.stdout.close()  # the check process owns it now
        # Revisions go through stdin so that thousands of `^sha` exclusions fit no command line.
        rev_list.stdin.write("".join(f"{revision}\n" for revision in self.revisions).encode())
        rev_list.stdin.close()
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
            if not self.check_only:
                widen_pipe(self._process.stdout)
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
            # Refilled only once half of what was asked has been answered: requests then go to git a
            # few hundred at a time rather than one write per answer.
            refill = in_flight < MAX_IN_FLIGHT_REQUEST_BYTES // 2
            while refill and not exhausted and in_flight < MAX_IN_FLIGHT_REQUEST_BYTES:
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
        parts = header.split(b" ")
        if not (len(parts) == 3 and _is_hex(parts[0]) and parts[2][:-1].isdigit()):
            # "<name as asked> missing": the name is a path (`commit:path`), spaces and all, so only
            # the last word says what happened.
            status = parts[-1].strip()
            if len(parts) >= 2 and status in (b"missing", b"ambiguous"):
                return ObjectRead(name, None, "missing", b"", f"object {status.decode()}")
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
        # cat-file ends at the end of its input; one stopped mid-answer (an interrupted audit) gets
        # a broken pipe on its next write, or is killed if it is still busy after a moment.
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=CLOSE_WAIT_SECONDS)
        stop_process(process)

    def __enter__(self) -> CatFileBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def widen_pipe(stream: IO[bytes] | None) -> None:
    """A 1 MiB pipe for blob contents where the system allows it (Linux): git writes, and we read,
    in far fewer, larger steps than through the default 64 KiB (10-20% less time in both)."""
    if stream is None:
        return
    with contextlib.suppress(ImportError, AttributeError, OSError, ValueError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _is_hex(value: bytes) -> bool:
    return bool(value) and not value.strip(b"0123456789abcdef")


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def object_info(repo: GitRepository, sha: str) -> CommitInfo:
    """Author (tagger for a tag), ISO date and summary of a commit or annotated tag.

    Read with git itself rather than GitPython's object database, which rediscovers the repository
    and so fails on repositories owned by another user (`safe.directory`) where `--git-dir` works.
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
