"""`history --cache`: a re-audit of refs that only moved forward lists the new commits' objects only.

A whole-history audit lists every blob once, under the path of the first change that brings it in the
`git log --raw` walk (`git_walk`): commits newest first, each diffed against its first parent. The path a
blob is listed under is the path it is scanned under, and the detectors read paths. So an audit that
scans only what is new reports what a full audit reports only if every blob would be listed under the
path the earlier audit scanned it under. That holds when:

- the new walk is the new commits first, then exactly the earlier walk (the commit order's digest is
  recorded): the new commits' changes then come first in the stream, in the order of `git log NEW
  --not OLD` (checked), and a blob they do not bring is met where it was before (what they bring is
  either new, in no old commit, or checked here);
- every old blob the new commits bring is brought at the path the earlier audit scanned it under (else
  the whole history is listed, as without a cache);
- every tip is a commit or an annotated tag of a commit (a tag of a tree or a blob is listed by
  `rev-list`); an old tip no longer there is a commit the new walk still reaches (a deleted or moved
  tag, a branch whose commits are gone: the whole history is listed);
- no object the new commits bring is missing (the full listing reports it, and counts as it counts).

The earlier listing's counts, oversized blobs and flagged objects then stand for the old commits, and
only the new commits' messages are read (`git log NEW --not OLD`); the attribution walk takes the old
commits' changes from the cache (`history._History._known_changes`). A range (`^sha`) never takes this
path.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.git.process import run_git, start_git, stop_process
from binance_secrets.git.repository import GitRepository
from binance_secrets.sources.git_attribution import LOG_ARGUMENTS, ChangeLog, nul_fields
from binance_secrets.sources.git_objects import ListedObject
from binance_secrets.sources.git_walk import WalkListing
from binance_secrets.sources.history_cache import HistoryCache, Listing, order_digest, path_digest


@dataclass(frozen=True)
class Increment:
    """What a re-audit adds to a recorded listing: its new objects, and how to read its new messages."""

    name: str  # the recorded listing's name
    record: Listing  # the recorded listing it extends
    order: str  # the digest of this audit's commit order, for its own record
    commits: int  # new commits
    objects: list[ListedObject]  # new tags, then the new blobs the new commits bring, in the walk's order
    message_revisions: tuple[str, ...]  # the new commits: NEW tips, `^` each old tip


class NewObjects(WalkListing):
    """The objects of an `Increment`, listed already, for the audit's scan. It has no change log to hand
    the attribution (`take_change_log`: None): the new commits' changes are not all of them."""

    def __init__(self, repo: GitRepository, objects: list[ListedObject]) -> None:
        super().__init__(repo, (), whole=False)
        self.objects = objects

    def __iter__(self) -> Iterator[ListedObject]:
        yield from self.objects


def commit_order(
    repo: GitRepository, revisions: Sequence[str], meanwhile: Callable[[], None] | None = None
) -> list[str] | None:
    """The commits `revisions` select, in the order git walks them (`rev-list`, and the listing's `log`);
    None when git cannot walk them all. `meanwhile` runs while git walks, on another core."""
    process = start_git(repo, "rev-list", "--stdin", lines=revisions, stderr=False, buffered=True)
    try:
        if meanwhile is not None:
            meanwhile()
        assert process.stdout is not None
        output = process.stdout.read()
        if process.wait() != 0:
            return None
    finally:
        stop_process(process)
    return output.decode("ascii", "replace").split()


def find_increment(
    repo: GitRepository,
    revisions: Sequence[str],
    cache: HistoryCache,
    max_blob_bytes: int,
    meanwhile: Callable[[], None] | None = None,
) -> Increment | None:
    """The increment from the cache's last recorded listing to `revisions`, or None when the whole
    history must be listed (see the module's docstring). `meanwhile` (what the scan of the new commits
    will need) runs while git walks every commit."""
    name = cache.old.blob_listing
    record = cache.listing(name) if name else None
    if record is None or not record.order or not record.revisions or record.max_blob_bytes != max_blob_bytes:
        return None
    old_tips, new_tips = list(record.revisions), list(revisions)
    if any(tip.startswith("^") for tip in [*old_tips, *new_tips]):
        return None
    kinds = _kinds(repo, list(dict.fromkeys([*old_tips, *new_tips])))
    if kinds is None:
        return None
    old_set = set(old_tips)
    if any(kinds[tip][0] != "commit" for tip in old_tips if tip not in set(new_tips)):
        return None  # a tag deleted or moved: its object is no longer in the audit
    order = commit_order(repo, new_tips, meanwhile)
    if order is None:
        return None
    new = len(order) - record.commits
    if new < 0 or order_digest(order[new:]) != record.order:
        return None  # old commits gone (deleted or force-pushed) or walked in another order
    tags = _new_tags(repo, [tip for tip in new_tips if tip not in old_set and kinds[tip][0] == "tag"], cache)
    if tags is None:
        return None
    message_revisions = (*new_tips, *(f"^{tip}" for tip in old_tips))
    objects = _new_walk_objects(repo, message_revisions, order[:new], cache, record)
    if objects is None:
        return None
    return Increment(
        name=name,
        record=record,
        order=order_digest(order),
        commits=new,
        objects=tags + objects,
        message_revisions=message_revisions,
    )


def _kinds(repo: GitRepository, tips: list[str]) -> dict[str, tuple[str, int]] | None:
    """Each tip's type and size; None when one is missing or one does not lead to a commit."""
    names = "".join(f"{tip}\n{tip}^{{}}\n" for tip in tips).encode()
    completed = run_git(repo, "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)", input=names)
    lines = completed.stdout.decode("ascii", "replace").splitlines()
    if completed.returncode != 0 or len(lines) != 2 * len(tips):
        return None
    kinds: dict[str, tuple[str, int]] = {}
    for index, tip in enumerate(tips):
        direct, peeled = lines[2 * index].split(" "), lines[2 * index + 1].split(" ")
        if len(direct) != 3 or len(peeled) != 3 or peeled[1] != "commit" or direct[1] not in ("commit", "tag"):
            return None  # missing, or a ref to a tree or a blob: only `rev-list` lists those
        kinds[tip] = (direct[1], int(direct[2]))
    return kinds


def _new_tags(repo: GitRepository, tags: list[str], cache: HistoryCache) -> list[ListedObject] | None:
    """The annotated tags among the new tips, as the listing names them; None when one tags another
    tag (the inner one may be an old object) rather than a commit."""
    if not tags:
        return []
    completed = run_git(repo, "cat-file", "--batch", input="".join(f"{tag}\n" for tag in tags).encode())
    if completed.returncode != 0:
        return None
    listed: list[ListedObject] = []
    data = completed.stdout
    for tag in tags:
        if tag in cache.old.tags:
            return None  # scanned before: perhaps inside an old tag, and counted by the old listing
        header, _, data = data.partition(b"\n")
        parts = header.split(b" ")
        if len(parts) != 3 or parts[1] != b"tag":
            return None
        size = int(parts[2])
        body, data = data[:size], data[size + 1 :]
        headers = body.split(b"\n\n", 1)[0].split(b"\n")
        if b"type commit" not in headers:
            return None
        listed.append(ListedObject(tag, "tag", size, ""))
    return listed


def _new_walk_objects(
    repo: GitRepository, revisions: Sequence[str], commits: list[str], cache: HistoryCache, record: Listing
) -> list[ListedObject] | None:
    """The blobs the new commits bring that the recorded listing does not hold, as the walk lists them
    (`git_walk`: the first change bringing each, in the stream's order); None when the new commits'
    order is not the one the whole walk starts with, one of them brings an old blob at another path than
    it was scanned under, or a blob is missing."""
    if not commits:
        return []
    if commit_order(repo, revisions) != commits:
        return None
    log = start_git(repo, *LOG_ARGUMENTS, lines=revisions, buffered=True)
    try:
        assert log.stdout is not None
        # `ChangeLog.keep` is the one parser of the stream; a fed log asks git for nothing.
        brought = list(ChangeLog.fed(repo, revisions).keep(nul_fields(log.stdout.read), set()))
        if log.wait() != 0:
            return None
    except (OSError, ValueError, binascii.Error):
        return None
    finally:
        stop_process(log)
    names = b"".join(sha + b"\n" for sha, _ in brought)
    completed = run_git(repo, "cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize)", input=names)
    answers = completed.stdout.decode("ascii", "replace").splitlines()
    if completed.returncode != 0 or len(answers) != len(brought):
        return None
    oversized = {sha: path for sha, path, _ in record.oversized}
    known = cache.old.blobs
    added: list[ListedObject] = []
    for (raw_sha, raw_path), answer in zip(brought, answers, strict=True):
        sha, path = raw_sha.decode("ascii"), raw_path.decode("utf-8", "surrogateescape")
        kind, name, size = _answer(answer)
        if kind != "blob" or name != sha:
            return None  # missing: the full listing reports it
        if sha in oversized:
            if oversized[sha] != path:
                return None
            continue
        digest = known.get(sha)
        if digest is not None:
            if digest != path_digest(path):
                return None
            continue
        added.append(ListedObject(sha, "blob", size, path))
    return added


def _answer(line: str) -> tuple[str, str, int]:
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].isdigit():
        return "missing", "", 0
    return parts[0], parts[1], int(parts[2])
