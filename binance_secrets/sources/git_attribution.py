"""Which commit first introduced each secret, in how many commits it lives, and whether HEAD has it.

Runs only for blobs that hold findings, after scanning. Git is asked for the few commits that add or
remove those blobs (`log --find-object`, tree diffs only, no content), and the commit graph is walked
once, parents before children, carrying for each commit the map path -> relevant blob. Commits that
change nothing relevant share their parent's map, so memory grows with the commits that matter.

A secret is introduced at path P by commit C when C's blob at P holds it and no parent's blob at P
does. When a parent held it at another path, C moved it (a rename, or a copy): the new path joins the
original finding instead of starting a new one, so renames keep the original attribution.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.sources.git_objects import (
    ZERO_SHA,
    CatFileBatch,
    GitRepository,
    git_environment,
    git_message,
)

# `--find-object` values per `git log` run: keeps each command line far below any OS limit.
FIND_OBJECT_CHUNK = 2000

State = dict[str, str]  # path -> sha of a relevant blob at that path
SecretsOf = Callable[[str, str], frozenset[str]]  # (blob sha, path) -> secret_sha256 values


@dataclass(frozen=True)
class Attribution:
    secret_sha256: str
    path: str  # where it was first introduced
    commit: str
    blob: str
    occurrences: int
    in_head: bool


def attribute(
    repo: GitRepository,
    revisions: Sequence[str],
    blob_secrets: dict[str, frozenset[str]],
    secrets_of: SecretsOf,
    head: str | None,
) -> tuple[list[Attribution], list[str]]:
    """Attributions for every secret introduced by the commits `revisions` select, and warnings."""
    warnings: list[str] = []
    # Started first: rev-list sorts the whole graph before printing a line, and does so on the other
    # core while `git log` looks for the blobs.
    graph = _start_rev_list(repo, revisions)
    changes = _relevant_changes(repo, revisions, list(blob_secrets), warnings)
    paths = sorted({path for commit_changes in changes.values() for path, _ in commit_changes})
    walk = _GraphWalk(repo, blob_secrets, secrets_of, paths)
    for commit, parents in _commits_parents_first(graph, warnings):
        walk.visit(commit, parents, changes.get(commit, ()))
    attributions = walk.attributions(head)
    return attributions, warnings


class _GraphWalk:
    def __init__(
        self,
        repo: GitRepository,
        blob_secrets: dict[str, frozenset[str]],
        secrets_of: SecretsOf,
        paths: list[str],
    ) -> None:
        self.repo = repo
        self.blob_secrets = dict(blob_secrets)
        self.secrets_of = secrets_of
        self.paths = paths
        self.states: dict[str, State] = {}
        self.state_uses: dict[int, int] = {}  # id(state) -> commits sharing it
        self.state_by_id: dict[int, State] = {}
        self.order: dict[str, int] = {}
        # (secret, path) -> the (secret, path) it was moved from; roots are introductions.
        self.moved_from: dict[tuple[str, str], tuple[str, str]] = {}
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
            if self.paths:
                with CatFileBatch(self.repo, check_only=True) as cat_file:
                    names = [f"{commit}:{path}" for path in self.paths if "\n" not in path]
                    for read in cat_file.read(names):
                        if read.sha is not None and read.type == "blob":
                            path = read.name[len(commit) + 1 :]
                            if self.secrets(read.sha, path):
                                state[path] = read.sha
            self._outside[commit] = state
        return self._outside[commit]

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
                if any(secret in self.secrets(p.get(path), path) for p in parent_states):
                    continue
                origin = self._held_elsewhere(secret, parent_states, path)
                if origin is not None:
                    self.moved_from.setdefault((secret, path), (secret, origin))
                elif (secret, path) not in self.introduced:
                    self.introduced[(secret, path)] = (self.order[commit], commit, blob)

    def _held_elsewhere(self, secret: str, parent_states: list[State], path: str) -> str | None:
        for parent_state in parent_states:
            for other_path, other_blob in parent_state.items():
                if other_path != path and secret in self.secrets(other_blob, other_path):
                    return other_path
        return None

    def _root(self, key: tuple[str, str]) -> tuple[str, str]:
        seen = set()
        while key in self.moved_from and key not in seen and key not in self.introduced:
            seen.add(key)
            key = self.moved_from[key]
        return key

    def attributions(self, head: str | None) -> list[Attribution]:
        counts: dict[tuple[str, str], int] = {}
        for key, state in self.state_by_id.items():
            uses = self.state_uses[key]
            roots = {self._root((secret, path)) for path, blob in state.items() for secret in self.secrets(blob, path)}
            for root in roots:
                counts[root] = counts.get(root, 0) + uses
        head_roots: set[tuple[str, str]] = set()
        if head is not None:
            head_state = self.state_of(head)
            head_roots = {
                self._root((secret, path))
                for path, blob in head_state.items()
                for secret in self.secrets(blob, path)
            }
        result = []
        for (secret, path), (_, commit, blob) in sorted(self.introduced.items(), key=lambda item: item[1][0]):
            result.append(
                Attribution(
                    secret_sha256=secret,
                    path=path,
                    commit=commit,
                    blob=blob,
                    occurrences=max(counts.get((secret, path), 1), 1),
                    in_head=(secret, path) in head_roots,
                )
            )
        return result


def _relevant_changes(
    repo: GitRepository, revisions: Sequence[str], blobs: list[str], warnings: list[str]
) -> dict[str, list[tuple[str, str | None]]]:
    """commit -> [(path, new blob or None)] for every change, against the first parent, that adds or
    removes one of `blobs`. Merges are diffed against their first parent, which is what the walk
    carries state from."""
    changes: dict[str, list[tuple[str, str | None]]] = {}
    for start in range(0, len(blobs), FIND_OBJECT_CHUNK):
        chunk = blobs[start : start + FIND_OBJECT_CHUNK]
        command = repo.command(
            "log", "--stdin", "--no-color", "--diff-merges=first-parent", "--raw", "--no-abbrev",
            "--no-renames", "--root", "-z", "--format=%x01%H",
            *(f"--find-object={blob}" for blob in chunk),
        )  # fmt: skip
        completed = subprocess.run(
            command,
            input="".join(f"{revision}\n" for revision in revisions).encode(),
            capture_output=True,
            env=git_environment(),
        )
        if completed.returncode != 0:
            warnings.append(f"git log failed: {git_message(completed.stderr)}")
        for commit, commit_changes in _parse_raw_log(completed.stdout):
            changes.setdefault(commit, []).extend(commit_changes)
    return changes


def _parse_raw_log(output: bytes) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    for record in output.split(b"\x01")[1:]:
        commit = record[:40].decode("ascii")
        fields = record[40:].split(b"\0")
        commit_changes: list[tuple[str, str | None]] = []
        index = 0
        while index < len(fields):
            status = fields[index].strip()
            if status.startswith(b":") and index + 1 < len(fields):
                parts = status.split()
                new_blob = parts[3].decode("ascii") if len(parts) >= 5 else ZERO_SHA
                path = fields[index + 1].decode("utf-8", "surrogateescape")
                commit_changes.append((path, None if new_blob == ZERO_SHA else new_blob))
                index += 2
            else:
                index += 1
        yield commit, commit_changes


def _start_rev_list(repo: GitRepository, revisions: Sequence[str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        repo.command("rev-list", "--topo-order", "--reverse", "--parents", "--stdin"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=git_environment(),
    )
    assert process.stdin is not None
    process.stdin.write("".join(f"{revision}\n" for revision in revisions).encode())
    process.stdin.close()
    return process


def _commits_parents_first(
    process: subprocess.Popen[bytes], warnings: list[str]
) -> Iterator[tuple[str, list[str]]]:
    assert process.stdout is not None
    for line in process.stdout:
        shas = line.decode("ascii").split()
        if shas:
            yield shas[0], shas[1:]
    stderr = process.stderr.read() if process.stderr else b""
    if process.wait() != 0:
        warnings.append(f"git rev-list failed: {git_message(stderr)}")
