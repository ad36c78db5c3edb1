"""A whole-history audit's listing and its attribution's change log, from one walk: `git log --raw`.

`ObjectListing` (`rev-list --objects`) reads every tree of every commit to list the blobs, and the
attribution's `ChangeLog` (`log --raw`, every change of every commit against its first parent) reads
them all again once the scan has found a secret. For a whole history of a complete repository the
second walk alone lists every blob: it visits every commit the revisions select and diffs each against
its first parent (a root against the empty tree), so, by induction along first parents, every blob in
every visited commit's tree is the new side of some change. `WalkListing` reads that one stream: each
change is kept in the `ChangeLog` (`ChangeLog.keep`, the one parser of the stream), and each blob not
seen before is listed under the path of that change (the newest change that brings it: `log` lists
commits newest first, as `rev-list` does), with its type and size from `cat-file` (no content read),
so that oversized blobs are still skipped unread and missing ones reported.

The old listing stays for everything else: a range (`^sha`: its base side is not walked, so a commit's
first-parent diff does not name the blobs it kept), a partial clone, a shallow or grafted history, and
revisions that name a tree or a blob (through a tag), which no commit's diff names. When the walk fails
(a tree missing from a damaged repository stops `git log`), what it listed stands (it was scanned) and
`rev-list --objects` lists the rest, which also reports the missing objects: nothing is listed twice.
"""

from __future__ import annotations

import binascii
import functools
import os
from collections.abc import Generator, Iterator, Mapping, Sequence

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
from binance_secrets.sources.git_attribution import LOG_ARGUMENTS, ChangeLog, nul_fields
from binance_secrets.sources.git_objects import TYPE_CHECK_OPTIONS, ListedObject, ObjectListing, object_types

# New blobs asked about per `cat-file` round trip: few enough that the scan starts soon, many enough
# that the round trips are noise (20,000 blobs: 20 of them).
CHECK_CHUNK = 1024
# Nested tags are peeled one level per round; past this many levels, the old listing does it.
MAX_TAG_DEPTH = 16
_CHECK_FORMAT = "--batch-command=%(objecttype) %(objectname) %(objectsize)"


class _WalkFailed(Exception):
    """`cat-file` answered something else than what was asked, or ended: the walk gives way."""


class WalkListing:
    """`ObjectListing`'s objects (`ListedObject`s, `error`, `close`) from the walk where it may be used
    (`whole`: every revision a tip, no `^` exclusion, a complete repository, not shallow, no graft),
    from `ObjectListing` otherwise. `take_change_log` hands the walk's `ChangeLog` to the attribution;
    until then the listing owns it and `close` closes it."""

    def __init__(
        self, repo: GitRepository, revisions: Sequence[str], *, whole: bool, types: Mapping[str, str] | None = None
    ) -> None:
        self.repo = repo
        self.revisions = list(revisions)
        self.types = types  # of the revisions' objects, when the caller has asked already (`object_types`)
        self.whole = whole and not any(revision.startswith("^") for revision in self.revisions)
        self.error: str | None = None
        self.walked = False  # the walk listed everything (no fallback to `rev-list`)
        self.change_log: ChangeLog | None = None
        self._owned: ChangeLog | None = None
        self._processes: list[GitProcess] = []
        self._listing: ObjectListing | None = None
        self._began = False
        self._started: tuple[GitProcess, GitProcess] | None = None

    def start(self) -> None:
        """The walk's git processes started now, so that git walks (on another core) while the caller
        prepares the scan; the listing then reads them. Optional: iterating starts them too."""
        if not self._began:
            self._began = True
            if self.whole:
                self._started = self._start_walk()

    def __iter__(self) -> Iterator[ListedObject]:
        self.start()
        # Asked after git started walking: with many refs (numpy: 20,000) both take a while.
        tags = revision_tags(self.repo, self.revisions, self.types) if self.whole else None
        if tags is None:
            # A tree, a blob or a missing object among them: only `rev-list` lists those.
            self._stop()
            self._close_change_log()
            self.change_log = None
            yield from self._listed(set())
            return
        seen = {tag.sha.encode("ascii") for tag in tags}
        yield from tags
        self.walked = yield from self._walk(seen)
        if not self.walked:
            yield from self._listed(seen)

    def take_change_log(self) -> ChangeLog | None:
        """The walk's change log, filled (or still being filled) as the listing reads; the caller closes it."""
        change_log, self._owned = self._owned, None
        return change_log

    def close(self) -> None:
        """Stop git if the listing was abandoned (an error, a signal); a no-op once it has ended."""
        self._stop()
        if self._listing is not None:
            self._listing.close()
        self._close_change_log()

    def _close_change_log(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def _listed(self, skip: set[bytes]) -> Iterator[ListedObject]:
        """`rev-list --objects`' listing, without what the walk already listed."""
        listing = self._listing = ObjectListing(self.repo, self.revisions)
        for listed in listing:
            if listed.sha.encode("ascii", "replace") not in skip:
                yield listed
        self.error = listing.error

    def _start_walk(self) -> tuple[GitProcess, GitProcess]:
        """The walk's `git log` and the `cat-file` that sizes its new blobs, and the change log they fill."""
        self.change_log = self._owned = ChangeLog.fed(self.repo, self.revisions)
        try:
            log = start_git(self.repo, *LOG_ARGUMENTS, lines=self.revisions, buffered=True)
            self._processes.append(log)
            widen_pipe(log.stdout)  # git writes, and we read, in fewer and larger steps
            # `--buffer`: answers come at each `flush`, all at once, not a write system call per blob.
            check = start_git(
                self.repo, *TYPE_CHECK_OPTIONS, "cat-file", "--buffer", _CHECK_FORMAT,
                stdin_pipe=True, stderr=False, bufsize=READ_BUFFER_BYTES,
            )  # fmt: skip
            self._processes.append(check)
        except BaseException:
            self.close()
            raise
        return log, check

    def _walk(self, seen: set[bytes]) -> Generator[ListedObject, None, bool]:
        """The blobs of the walk, each once; True when git went through, False when the rest must come
        from `rev-list` (what was listed stands: its ids are in `seen`)."""
        assert self._started is not None and self.change_log is not None
        (log, check), self._started = self._started, None
        change_log = self.change_log
        assert log.stdout is not None and log.stderr is not None
        # Blobs `keep` has added to `seen` but not asked about yet, and how many of them were listed.
        pending: list[tuple[bytes, bytes]] = []
        done = 0
        try:
            for blob in change_log.keep(nul_fields(functools.partial(os.read, log.stdout.fileno())), seen):
                pending.append(blob)
                if len(pending) >= CHECK_CHUNK:
                    for listed in _checked(check, pending):
                        done += 1
                        yield listed
                    pending, done = [], 0
            for listed in _checked(check, pending):
                done += 1
                yield listed
            pending, done = [], 0
            stderr = log.stderr.read()
        except (OSError, ValueError, binascii.Error, _WalkFailed):
            # A stream that is not what it should be, or a `cat-file` that would not answer: the change
            # log is incomplete (the attribution asks git again) and `rev-list` lists the rest, the
            # blobs seen but not listed yet included.
            seen.difference_update(sha for sha, _ in pending[done:])
            change_log.finish(None, whole=False)
            self._stop()
            return False
        status = log.wait()
        self._stop()
        if status != 0:
            # What was read counts, as from `ChangeLog`'s own walk; the attribution warns that git failed.
            change_log.finish(git_message(stderr))
            return False
        change_log.finish(None)
        return True

    def _stop(self) -> None:
        for process in self._processes:
            stop_process(process)
        self._processes.clear()
        self._started = None


def _checked(check: GitProcess, pending: list[tuple[bytes, bytes]]) -> Iterator[ListedObject]:
    """Type and size of each new blob, asked in one round trip; a blob git does not have is `missing`."""
    if not pending:
        return
    assert check.stdin is not None and check.stdout is not None
    check.stdin.write(b"".join([b"info %s\n" % sha for sha, _ in pending]) + b"flush\n")
    check.stdin.flush()
    readline = check.stdout.readline
    for sha, raw_path in pending:
        line = readline()
        # `blob <id> <size>` (the id as asked, so the answer is this blob's), or `<id> missing`.
        if line[:5] == b"blob " and line[5 : 5 + len(sha)] == sha and line[5 + len(sha) : 6 + len(sha)] == b" ":
            size = int(line[6 + len(sha) :])  # ValueError (the walk gives way) if it is not a number
            yield ListedObject(sha.decode("ascii"), "blob", size, raw_path.decode("utf-8", "surrogateescape"))
        elif line == sha + b" missing\n":
            yield ListedObject(sha.decode("ascii"), "missing", 0, "")
        else:
            raise _WalkFailed


def revision_tags(
    repo: GitRepository, revisions: Sequence[str], types: Mapping[str, str] | None = None
) -> list[ListedObject] | None:
    """The annotated tags among `revisions`, nested ones peeled (each listed once, as `rev-list --objects`
    lists them); None when a revision is, or peels to, anything but a commit (a tree, a blob, a missing
    object): only `rev-list` lists those.

    The revisions' types (`types`, or `object_types` asked here) say which are tags: only those are read
    (numpy's 20,000 refs are 190 tags: reading every commit cost 0.25 s). A tag's `type` line says what
    it points at, so only a tag of a tag takes another round."""
    tags: dict[str, ListedObject] = {}
    names = list(dict.fromkeys(revisions))
    known = object_types(repo, names) if types is None else types
    if any(known.get(name) not in ("commit", "tag") for name in names):
        return None  # a tree, a blob, or not there
    names = [name for name in names if known[name] == "tag"]
    for _ in range(MAX_TAG_DEPTH):
        if not names:
            return list(tags.values())
        objects = _read_objects(repo, names)
        if objects is None:
            return None
        names = []
        for sha, kind, body in objects:
            if kind == b"commit":
                continue
            if kind != b"tag":
                return None
            if sha in tags:
                continue
            tags[sha] = ListedObject(sha, "tag", len(body), "")
            headers = dict(line.split(b" ", 1) for line in body.split(b"\n", 2)[:2] if b" " in line)
            target, target_kind = headers.get(b"object", b""), headers.get(b"type")
            if target_kind == b"tag":
                names.append(target.decode("ascii", "replace"))
            elif target_kind != b"commit":
                return None
    return None


def _read_objects(repo: GitRepository, names: list[str]) -> list[tuple[str, bytes, bytes]] | None:
    """(id, type, content) of each object, in order; None when one is missing or cannot be read."""
    request = "".join(f"{name}\n" for name in names).encode("ascii", "replace")
    completed = run_git(repo, "cat-file", "--batch", input=request)
    if completed.returncode != 0:
        return None
    output, position, objects = completed.stdout, 0, []
    for _ in names:
        end = output.find(b"\n", position)
        header = output[position:end].split()
        if end < 0 or len(header) != 3 or not header[2].isdigit():
            return None  # `<name> missing`, or not an answer
        start = end + 1
        size = int(header[2])
        objects.append((header[0].decode("ascii", "replace"), header[1], output[start : start + size]))
        position = start + size + 1
    return objects
