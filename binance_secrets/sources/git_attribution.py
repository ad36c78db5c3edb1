"""Which commit first introduced each secret, in how many commits it lives, and whether HEAD has it.

Runs only for blobs that hold findings, after scanning. Git is asked for the few commits that add or
remove those blobs (`log --find-object`, tree diffs only, no content), and the commit graph is walked
once, parents before children, carrying for each commit the map path -> relevant blob. Commits that
change nothing relevant share their parent's map, so memory grows with the commits that matter.

Finding those commits means diffing the trees of every commit (inflating every tree again, after the
listing did): as long as the scan itself on a history of many small commits. So an audit that finds a
secret while it is still scanning starts the same walk then, beside the scan (`ChangeLog`): every
change of every commit, read by a thread and kept compact, filtered once the blobs are known (the same
filter `--find-object` applies: the old or the new blob is one of them).

A secret is introduced at path P by commit C when C's blob at P holds it and no parent's blob at P
does; the first such commit (parents first) is its commit for P, even when P loses it and gets it back
later. Each (secret, path) is its own finding: a copy, or a rename (`git mv`), brings the secret to a
new path whose first commit is the one that copied or renamed it, and the old path keeps its own
finding (with `in_head` false once it is gone). Someone cleaning one path must see every other path
still holding the secret.
"""

from __future__ import annotations

import binascii
import contextlib
import functools
import os
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.git.cat_file import CatFileBatch
from binance_secrets.git.process import (
    READ_BUFFER_BYTES,
    GitProcess,
    git_message,
    run_git,
    start_git,
    stop_process,
    widen_pipe,
)
from binance_secrets.git.repository import GitRepository
from binance_secrets.sources.git_objects import ZERO_SHA, present_objects

# `--find-object` values per `git log` run: keeps each command line far below any OS limit.
FIND_OBJECT_CHUNK = 2000
# Paths per `git ls-tree` run (partial clones), for the same reason.
LS_TREE_CHUNK = 500
# The tree diff of every commit against its first parent (merges too: the walk carries state from the
# first parent), ids in full, no rename detection whatever the user's config says, NUL-separated. Nor
# does the config add signature checks to the records (`log.showSignature`) or leave out what lies
# outside a folder (`diff.relative`): the history's listing reads this stream too (`git_walk`).
LOG_ARGUMENTS = (
    "-c", "log.showSignature=false", "log", "--stdin", "--no-color", "--diff-merges=first-parent", "--raw",
    "--no-abbrev", "--no-renames", "--no-relative", "--root", "-z", "--format=%x01%H",
)  # fmt: skip

State = dict[str, str]  # path -> sha of a relevant blob at that path
SecretsOf = Callable[[str, str], frozenset[str]]  # (blob sha, path) -> secret_sha256 values
Changes = dict[str, list[tuple[str, str | None]]]  # commit -> [(path, new blob or None)]


@dataclass(frozen=True)
class Attribution:
    secret_sha256: str
    path: str
    commit: str  # the first commit that brought the secret to this path
    blob: str  # the path's blob in that commit: line and column come from it
    occurrences: int  # commits whose blob at this path holds the secret
    in_head: bool  # the blob at this path in HEAD holds it


def attribute(
    repo: GitRepository,
    revisions: Sequence[str],
    blob_secrets: dict[str, frozenset[str]],
    secrets_of: SecretsOf,
    head: str | None,
    started: ChangeLog | None = None,
    known: Changes | None = None,
    on_changes: Callable[[Changes], None] | None = None,
) -> tuple[list[Attribution], list[str]]:
    """Attributions for every secret introduced by the commits `revisions` select, and warnings.

    `started`: the same walk begun beside the scan, for these revisions (its graph and its changes
    are used, and it is closed here); without it, or when it could not be read, git is asked now.
    `known`: the relevant changes of every commit, already known (`history --cache`): only the graph
    is asked for. `on_changes` is handed the changes the walk used.
    """
    warnings: list[str] = []
    # Started first: rev-list sorts the whole graph before printing a line, and does so on the other
    # core while `git log` looks for the blobs.
    graph = started.take_graph() if started is not None else _start_rev_list(repo, revisions)
    try:
        changes = known
        if changes is None and started is not None:
            changes = started.changes(blob_secrets, warnings)
        if changes is None:
            changes = _relevant_changes(repo, revisions, list(blob_secrets), warnings)
        if on_changes is not None:
            on_changes(changes)
        paths = sorted({path for commit_changes in changes.values() for path, _ in commit_changes})
        walk = _GraphWalk(repo, blob_secrets, secrets_of, paths, warnings)
        for commit, parents in _commits_parents_first(graph, warnings):
            walk.visit(commit, parents, changes.get(commit, ()))
        attributions = walk.attributions(head)
    finally:
        stop_process(graph)  # an interrupted walk leaves no git behind
        if started is not None:
            started.close()
    return attributions, warnings


# One change of `ChangeLog`: the commit's index, the path's index, the old and the new object ids
# (binary, `_ID_BYTES` each: SHA-1 ids are padded, so both hash kinds fit one layout).
_ID_BYTES = 32
_CHANGE = struct.Struct(f"<II{_ID_BYTES}s{_ID_BYTES}s")


class ChangeLog:
    """Every change, against the first parent, of every commit `revisions` select, and the commit graph
    in the order the walk visits it: both started before the blobs that matter are known, beside the
    scan, so that attribution does not begin with them once the scan has ended.

    A thread reads `git log --raw` (what `_relevant_changes` asks for, without `--find-object`) as it
    comes and keeps each change in a fixed-size record (two ids, a commit index, a path index: 72
    bytes, some 35 MB for numpy's 487,000 changes) rather than in Python objects. `changes` waits for
    it and keeps the changes `--find-object` would have kept. `rev-list --topo-order` sorts the graph
    meanwhile and waits, its output unread, for the walk. `close` ends both, whatever state they are
    in (an error or an interrupt mid-scan): nothing outlives the audit.

    `fed()`: no git and no thread of its own; the history's listing (`git_walk.WalkListing`) reads the
    same stream, which it lists blobs from, and hands every field to `keep` (then `finish`).
    """

    def __init__(self, repo: GitRepository, revisions: Sequence[str], *, fed: bool = False) -> None:
        self._repo = repo
        self._revisions = list(revisions)
        self._graph: GitProcess | None = None
        self._log: GitProcess | None = None
        self._thread: threading.Thread | None = None
        self._records = bytearray()
        self._commits: list[str] = []
        self._paths: dict[bytes, int] = {}
        self._stderr = b""
        self._error: str | None = None  # git log's message when it failed (what it wrote still counts)
        self._failed = False
        self._id_length = 0  # hex digits of the stream's object ids: 40 (SHA-1) or 64 (SHA-256)
        if fed:
            return
        self.start_graph()
        try:
            self._log = start_git(repo, *LOG_ARGUMENTS, lines=revisions, buffered=True)
        except BaseException:
            stop_process(self._graph)
            raise
        widen_pipe(self._log.stdout)  # git writes, and the thread reads, in fewer and larger steps
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @classmethod
    def fed(cls, repo: GitRepository, revisions: Sequence[str]) -> ChangeLog:
        """A change log filled by whoever reads `LOG_ARGUMENTS`' stream for these revisions."""
        return cls(repo, revisions, fed=True)

    def start_graph(self) -> None:
        """`rev-list --topo-order` started now (it sorts the graph on the other core meanwhile)."""
        if self._graph is None:
            self._graph = _start_rev_list(self._repo, self._revisions)

    def take_graph(self) -> GitProcess:
        """The `rev-list --topo-order --reverse --parents` started here; the caller stops it."""
        self.start_graph()
        graph = self._graph
        self._graph = None
        assert graph is not None
        return graph

    def finish(self, error: str | None, *, whole: bool = True) -> None:
        """A fed log's end: `error`, git's message when it failed (the changes read still count, as
        from a log of our own); not `whole` when it was stopped before git ended (then git is asked again)."""
        self._error = error
        self._failed = self._failed or not whole

    def changes(self, blobs: Iterable[str], warnings: list[str]) -> dict[str, list[tuple[str, str | None]]] | None:
        """`_relevant_changes` of `blobs`, from what was read; None when the stream could not be read
        whole here (the caller then asks git again)."""
        if self._thread is not None:
            self._thread.join()
        if self._failed:
            return None
        if self._log is not None and self._log.wait() != 0:
            self._error = git_message(self._stderr)
        if self._error is not None:
            warnings.append(f"git log failed: {self._error}")
        wanted = {_binary_id(blob) for blob in blobs}
        wanted.discard(None)
        zero = bytes(_ID_BYTES)
        paths = list(self._paths)
        changes: dict[str, list[tuple[str, str | None]]] = {}
        for commit, path, old, new in _CHANGE.iter_unpack(self._records):
            if old in wanted or new in wanted:
                new_blob = None if new == zero else new.hex()[: self._id_length]
                changes.setdefault(self._commits[commit], []).append(
                    (paths[path].decode("utf-8", "surrogateescape"), new_blob)
                )
        return changes

    def close(self) -> None:
        """git ends (killed if still running: the thread then reads the end of its output), the
        thread is joined, and the graph is stopped unless the walk took it."""
        if self._log is not None and self._log.poll() is None:
            with contextlib.suppress(OSError):
                self._log.kill()
        if self._thread is not None:
            self._thread.join()
        stop_process(self._log)
        stop_process(self._graph)
        self._graph = None
        self._records = bytearray()

    def _read(self) -> None:
        """The thread: every change of the stream into `_records`; `_failed` when it stopped short."""
        assert self._log is not None and self._log.stdout is not None
        try:
            for _ in self.keep(nul_fields(functools.partial(os.read, self._log.stdout.fileno()))):
                pass
            if self._log.stderr is not None:
                self._stderr = self._log.stderr.read()
        except Exception:  # any failure here means asking git again, never a wrong answer
            self._failed = True

    def keep(self, fields: Iterable[bytes], seen: set[bytes] | None = None) -> Iterator[tuple[bytes, bytes]]:
        """`_parse_raw_log` of every change, each packed as it is read (one loop, no tuple per change:
        numpy's 487,000 changes in under a second). A path is the field after its status, whatever it
        holds; an id that is not one, or not as long as the others, raises (git is then asked again).

        With `seen`: yields (id, path) of each blob a change brings that is not in `seen` yet (and adds
        it), in the stream's order: the history's listing (`git_walk`). Not a gitlink (a submodule's
        commit, mode 160000), not a deletion. Without it, yields nothing.
        """
        pack, unhexlify = _CHANGE.pack, binascii.unhexlify
        records, commits, paths = self._records, self._commits, self._paths
        zero = b"0" * 64
        index = -1
        iterator = iter(fields)
        for raw in iterator:
            field = raw.strip(b"\n")
            if field[:1] == b":":
                raw_path = next(iterator, None)
                parts = field.split()
                if raw_path is None or index < 0 or len(parts) < 5:
                    continue
                old, new = parts[2], parts[3]
                if self._id_length == 0:
                    self._id_length = len(old)
                if len(old) != self._id_length or len(new) != self._id_length or self._id_length not in (40, 64):
                    raise ValueError("object ids of another length in the stream")
                path = paths.get(raw_path)
                if path is None:
                    path = paths[raw_path] = len(paths)
                records += pack(index, path, unhexlify(old), unhexlify(new))  # binascii.Error if not hex
                if seen is not None and new not in seen and parts[1] != b"160000" and not zero.startswith(new):
                    seen.add(new)
                    yield new, raw_path
            elif field[:1] == b"\x01" and _is_hex(field[1:]):
                commits.append(field[1:].decode("ascii"))
                index += 1


class _GraphWalk:
    def __init__(
        self,
        repo: GitRepository,
        blob_secrets: dict[str, frozenset[str]],
        secrets_of: SecretsOf,
        paths: list[str],
        warnings: list[str],
    ) -> None:
        self.repo = repo
        self.blob_secrets = dict(blob_secrets)
        self.secrets_of = secrets_of
        self.paths = paths
        self.warnings = warnings
        self.states: dict[str, State] = {}
        self.state_uses: dict[int, int] = {}  # id(state) -> commits sharing it
        self.state_by_id: dict[int, State] = {}
        self.order: dict[str, int] = {}
        self.introduced: dict[tuple[str, str], tuple[int, str, str]] = {}  # -> (order, commit, blob)
        self._outside: dict[str, State] = {}

    def secrets(self, blob: str | None, path: str) -> frozenset[str]:
        if blob is None:
            return frozenset()
        found = self.blob_secrets.get(blob)
        if found is None:
            found = self.secrets_of(blob, path)
            self.blob_secrets[blob] = found
        return found

    def state_of(self, commit: str) -> State:
        state = self.states.get(commit)
        if state is not None:
            return state
        return self.outside_state(commit)

    def outside_state(self, commit: str) -> State:
        """The relevant paths of a commit outside the walk: a range's base side, or HEAD."""
        if commit not in self._outside:
            state: State = {}
            for path, blob in self._blobs_at(commit).items():
                if self.secrets(blob, path):
                    state[path] = blob
            self._outside[commit] = state
        return self._outside[commit]

    def _blobs_at(self, commit: str) -> dict[str, str]:
        if not self.paths:
            return {}
        if self.repo.partial:
            return self._present_blobs_at(commit)
        blobs = {}
        with CatFileBatch(self.repo, check_only=True) as cat_file:
            names = [f"{commit}:{path}" for path in self.paths if "\n" not in path]
            for read in cat_file.read(names):
                if read.sha is not None and read.type == "blob":
                    blobs[read.name[len(commit) + 1 :]] = read.sha
        return blobs

    def _present_blobs_at(self, commit: str) -> dict[str, str]:
        """`_blobs_at` for a partial clone: `cat-file` would fetch a blob it never got, `ls-tree` reads
        only trees, and the blobs not here are left out with a warning."""
        blobs: dict[str, str] = {}
        wanted = set(self.paths)
        for start in range(0, len(self.paths), LS_TREE_CHUNK):
            chunk = self.paths[start : start + LS_TREE_CHUNK]
            # After --end-of-options every argument is the tree, then paths (a `--` would be a path).
            completed = run_git(self.repo, "ls-tree", "-z", "--full-tree", "--end-of-options", commit, *chunk)
            if completed.returncode != 0:
                self.warnings.append(f"cannot list the files of commit {commit[:12]}: {git_message(completed.stderr)}")
                continue
            for entry in completed.stdout.split(b"\0"):
                info, _, raw_path = entry.partition(b"\t")
                parts = info.split()
                path = raw_path.decode("utf-8", "surrogateescape")
                if len(parts) == 3 and parts[1] == b"blob" and path in wanted:
                    blobs[path] = parts[2].decode("ascii")
        present = present_objects(self.repo, blobs.values())
        for path, blob in sorted(blobs.items()):
            if blob not in present:
                self.warnings.append(
                    f"blob {blob[:12]} ({path.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')} in "
                    f"commit {commit[:12]}) was never fetched into this partial clone and is not fetched now: "
                    "whether it holds a secret found elsewhere is unknown"
                )
        return {path: blob for path, blob in blobs.items() if blob in present}

    def visit(self, commit: str, parents: list[str], changes: Sequence[tuple[str, str | None]]) -> None:
        self.order[commit] = len(self.order)
        base = self.state_of(parents[0]) if parents else {}
        if not changes:
            state = base
        else:
            state = dict(base)
            for path, blob in changes:
                if blob is not None and self.secrets(blob, path):
                    state[path] = blob
                else:
                    state.pop(path, None)
            self._introductions(commit, parents, changes, state)
        self.states[commit] = state
        key = id(state)
        self.state_uses[key] = self.state_uses.get(key, 0) + 1
        self.state_by_id[key] = state

    def _introductions(
        self, commit: str, parents: list[str], changes: Sequence[tuple[str, str | None]], state: State
    ) -> None:
        parent_states = [self.state_of(parent) for parent in parents]
        for path, _ in changes:
            blob = state.get(path)
            if blob is None:
                continue
            for secret in self.secrets(blob, path):
                if (secret, path) in self.introduced:
                    continue  # back at this path after a removal: its first commit stays the first ever
                if any(secret in self.secrets(p.get(path), path) for p in parent_states):
                    continue  # a parent already had it here: an edit, or a merge bringing it in
                self.introduced[(secret, path)] = (self.order[commit], commit, blob)

    def attributions(self, head: str | None) -> list[Attribution]:
        # Commits per (path, blob) first, each distinct state once weighted by the commits sharing
        # it; then per secret, once per distinct (path, blob). A blob of thousands of keys copied to
        # many paths costs its keys once per path, not once per path per commit.
        spans: dict[tuple[str, str], int] = {}
        for key, state in self.state_by_id.items():
            uses = self.state_uses[key]
            for entry in state.items():
                spans[entry] = spans.get(entry, 0) + uses
        counts: dict[tuple[str, str], int] = {}
        for (path, blob), commits in spans.items():
            for secret in self.secrets(blob, path):
                counts[(secret, path)] = counts.get((secret, path), 0) + commits
        head_state = self.state_of(head) if head is not None else {}
        result = []
        for (secret, path), (_, commit, blob) in sorted(self.introduced.items(), key=lambda item: item[1][0]):
            result.append(
                Attribution(
                    secret_sha256=secret,
                    path=path,
                    commit=commit,
                    blob=blob,
                    occurrences=max(counts.get((secret, path), 1), 1),
                    in_head=secret in self.secrets(head_state.get(path), path),
                )
            )
        return result


def relevant_changes(repo: GitRepository, revisions: Sequence[str], blobs: list[str], warnings: list[str]) -> Changes:
    """`_relevant_changes`, for a caller that knows the other commits' changes (`history --cache`)."""
    return _relevant_changes(repo, revisions, blobs, warnings)


def _relevant_changes(
    repo: GitRepository, revisions: Sequence[str], blobs: list[str], warnings: list[str]
) -> dict[str, list[tuple[str, str | None]]]:
    """commit -> [(path, new blob or None)] for every change, against the first parent, that adds or
    removes one of `blobs`. Merges are diffed against their first parent, which is what the walk
    carries state from.

    In a partial clone `--find-object` makes git fetch every blob of the diffs before filtering
    them, so there the whole `--raw` log (tree diffs only, no blob read) is filtered here instead.
    """
    runs: list[tuple[list[str], set[str] | None]]
    if repo.partial:
        runs = [([], set(blobs))]
    else:
        runs = [
            ([f"--find-object={blob}" for blob in blobs[start : start + FIND_OBJECT_CHUNK]], None)
            for start in range(0, len(blobs), FIND_OBJECT_CHUNK)
        ]
    changes: dict[str, list[tuple[str, str | None]]] = {}
    for find_objects, wanted in runs:
        process = start_git(repo, *LOG_ARGUMENTS, *find_objects, lines=revisions, buffered=True)
        try:
            assert process.stdout is not None
            for commit, commit_changes in _parse_raw_log(nul_fields(process.stdout.read), wanted):
                if commit_changes:
                    changes.setdefault(commit, []).extend(commit_changes)
            stderr = process.stderr.read() if process.stderr else b""
            if process.wait() != 0:
                warnings.append(f"git log failed: {git_message(stderr)}")
        finally:
            stop_process(process)
    return changes


def nul_fields(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """The NUL-separated fields of what `read` returns, a block at a time until it returns nothing.

    `ChangeLog` reads its pipe with `os.read` on the descriptor: no buffered stream's lock, so `close`
    can end git (the read then returns the end of its output) while the thread waits in a read."""
    tail = b""
    while True:
        block = read(READ_BUFFER_BYTES)
        if not block:
            break
        parts = (tail + block).split(b"\0")
        tail = parts.pop()
        yield from parts
    if tail:
        yield tail


def _parse_raw_log(
    fields: Iterable[bytes], wanted: set[str] | None = None
) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    """Records of `log -z --raw --format=%x01%H`, keeping the changes whose old or new blob is in
    `wanted` (every change when None).

    A path is read as the field after its status, whatever it holds: a file named like a commit
    header (`\x01` and hex) is still a path, never a new record.
    """
    commit: str | None = None
    commit_changes: list[tuple[str, str | None]] = []
    iterator = iter(fields)
    for raw in iterator:
        field = raw.strip(b"\n")
        if field.startswith(b":"):
            raw_path = next(iterator, None)
            parts = field.split()
            if raw_path is None or commit is None or len(parts) < 5:
                continue
            old_blob, new_blob = parts[2].decode("ascii", "replace"), parts[3].decode("ascii", "replace")
            if wanted is None or old_blob in wanted or new_blob in wanted:
                path = raw_path.decode("utf-8", "surrogateescape")
                commit_changes.append((path, None if new_blob == ZERO_SHA else new_blob))
        elif field.startswith(b"\x01") and _is_hex(field[1:]):
            if commit is not None:
                yield commit, commit_changes
            commit, commit_changes = field[1:].decode("ascii"), []
    if commit is not None:
        yield commit, commit_changes


def _binary_id(sha: str) -> bytes | None:
    """An object id as `ChangeLog` keeps it (binary, padded to `_ID_BYTES`); None when it is not one."""
    if len(sha) not in (40, 64):
        return None
    try:
        return binascii.unhexlify(sha).ljust(_ID_BYTES, b"\0")
    except (ValueError, binascii.Error):
        return None


def _is_hex(value: bytes) -> bool:
    return len(value) in (40, 64) and not value.strip(b"0123456789abcdef")


def _start_rev_list(repo: GitRepository, revisions: Sequence[str]) -> GitProcess:
    return start_git(
        repo, "rev-list", "--topo-order", "--reverse", "--parents", "--stdin", lines=revisions, buffered=True
    )


def _commits_parents_first(process: GitProcess, warnings: list[str]) -> Iterator[tuple[str, list[str]]]:
    assert process.stdout is not None
    for line in process.stdout:
        shas = line.decode("ascii").split()
        if shas:
            yield shas[0], shas[1:]
    stderr = process.stderr.read() if process.stderr else b""
    if process.wait() != 0:
        warnings.append(f"git rev-list failed: {git_message(stderr)}")
