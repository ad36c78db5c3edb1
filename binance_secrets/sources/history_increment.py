"""`history --cache`: a re-audit of refs that only moved forward lists the new commits' objects only.

A whole-history audit lists every object once, under the first path `git rev-list --objects` meets it at:
commits are walked in rev-list's order, and each commit's tree is walked depth first, skipping trees
and blobs already met. The path a blob is listed under is the path it is scanned under, and the
detectors read paths. So an audit that scans only what is new reports what a full audit reports only if
every blob would be listed under the path the earlier audit scanned it under. That holds when:

- the new walk is the new commits first, then exactly the earlier walk (the commit order's digest is
  recorded): the new commits' trees are then walked first, in the same order as here (their root trees,
  in that order, through `rev-list --objects`), and a blob in none of them is met where it was before
  (the trees seen first hold only blobs in them);
- every blob those trees hold that the earlier audit listed is met at the same path (else the whole
  history is listed, as today);
- every tip is a commit or an annotated tag of a commit (a tag of a tree or a blob is walked before any
  commit, and moves paths); an old tip no longer there is a commit the new walk still reaches (a
  deleted or moved tag, a branch whose commits are gone: the whole history is listed);
- no object is missing from the new trees (the full listing reports it, and it is counted as the full
  audit counts it).

The earlier listing's counts, oversized blobs and flagged objects then stand for the old commits, and
only the new commits' messages are read (`git log NEW --not OLD`); the attribution walk takes the old
commits' changes from the cache (`history._History._known_changes`). A range (`^sha`) never takes this
path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from binance_secrets.git.process import run_git, start_git, stop_process
from binance_secrets.git.repository import GitRepository
from binance_secrets.sources.git_objects import ListedObject, ObjectListing
from binance_secrets.sources.history_cache import HistoryCache, Listing, order_digest, path_digest


@dataclass(frozen=True)
class Increment:
    """What a re-audit adds to a recorded listing: its new objects, and how to read its new messages."""

    name: str  # the recorded listing's name
    record: Listing  # the recorded listing it extends
    order: str  # the digest of this audit's commit order, for its own record
    commits: int  # new commits
    objects: list[ListedObject]  # new tags, then the blobs the new trees add, in listing order
    message_revisions: tuple[str, ...]  # the new commits: NEW tips, `^` each old tip


class NewObjects(ObjectListing):
    """The objects of an `Increment`, listed already: an `ObjectListing` the audit's scan can take."""

    def __init__(self, repo: GitRepository, objects: list[ListedObject]) -> None:
        super().__init__(repo, ())
        self.objects = objects

    def __iter__(self) -> Iterator[ListedObject]:
        yield from self.objects


def commit_order(
    repo: GitRepository, revisions: Sequence[str], meanwhile: Callable[[], None] | None = None
) -> list[str] | None:
    """The commits `revisions` select, in the order `git rev-list` walks them (as the listing does);
    None when git cannot walk them all. `meanwhile` runs while git walks, on another core."""
    process = start_git(repo, "rev-list", "--stdin", lines=revisions, stderr=False)
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
    objects = _new_tree_objects(repo, order[:new], cache, record)
    if objects is None:
        return None
    return Increment(
        name=name,
        record=record,
        order=order_digest(order),
        commits=new,
        objects=tags + objects,
        message_revisions=(*new_tips, *(f"^{tip}" for tip in old_tips)),
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
            return None  # missing, or a ref to a tree or a blob: walked before every commit
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


def _new_tree_objects(
    repo: GitRepository, commits: list[str], cache: HistoryCache, record: Listing
) -> list[ListedObject] | None:
    """The blobs the new commits' trees hold that the recorded listing does not, as a full listing names
    them; None when one of its blobs is met at another path, or an object is missing."""
    if not commits:
        return []
    names = "".join(f"{commit}^{{tree}}\n" for commit in commits).encode()
    completed = run_git(repo, "cat-file", "--batch-check=%(objectname)", input=names)
    trees = completed.stdout.decode("ascii", "replace").split()
    if completed.returncode != 0 or len(trees) != len(commits):
        return None
    # Root trees listed in the walk's order: each object under the first path met, as in a full listing.
    listing = ObjectListing(repo, list(dict.fromkeys(trees)))
    oversized = {sha: path for sha, path, _ in record.oversized}
    known = cache.old.blobs
    added: list[ListedObject] = []
    try:
        for listed in listing:
            if listed.type == "missing":
                return None
            if listed.type != "blob":
                continue
            if listed.sha in oversized:
                if oversized[listed.sha] != listed.path:
                    return None
                continue
            digest = known.get(listed.sha)
            if digest is not None:
                if digest != path_digest(listed.path):
                    return None
                continue
            added.append(listed)
    finally:
        listing.close()
    if listing.error is not None:
        return None
    return added
