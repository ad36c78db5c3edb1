"""The git history audit: every object reachable from the chosen commits, scanned once, then attributed.

1. `WalkListing` names each reachable tag and blob once, with its size (no content read): from the
   attribution's `git log --raw` walk for a whole history (which step 3 then reuses), else from
   `ObjectListing` (`rev-list --objects`).
2. Blobs over the size cap are skipped with a warning; the rest, tag messages, and the commit
   messages (one `git log` stream), are scanned on every core (`git_scan`).
3. Only for the secrets found, `git_attribution` finds the commit that introduced each one per path,
   how many commits hold it and whether the tip of the default branch still does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import tempfile
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from binance_secrets.filters import CONFIDENCE_ORDER, FindingFilter
from binance_secrets.finding import CommitInfo, Finding
from binance_secrets.git.cat_file import CatFileBatch
from binance_secrets.git.process import run_git, start_git, stop_process
from binance_secrets.git.repository import GitRepository
from binance_secrets.paths import PathFilter
from binance_secrets.result import ScanError, ScanResult, ScanStats
from binance_secrets.sources.git_attribution import Attribution, ChangeLog, Changes, SecretsOf, attribute
from binance_secrets.sources.git_objects import (
    ListedObject,
    object_info,
    present_objects,
    resolve_commit,
)
from binance_secrets.sources.git_revisions import cut_missing_commits, present_revisions
from binance_secrets.sources.git_scan import (
    COMMIT_MESSAGE_PATH,
    TAG_MESSAGE_PATH,
    BatchResult,
    MessageScan,
    ObjectFindings,
    ScanTask,
    blob_findings,
    display,
    message_findings,
    message_record_findings,
    scan_in_parallel,
)
from binance_secrets.sources.git_walk import WalkListing
from binance_secrets.sources.history_cache import (
    CachedObject,
    HistoryCache,
    Listing,
    Secrets,
    order_digest,
    path_digest,
    revisions_digest,
)
from binance_secrets.sources.history_increment import Increment, NewObjects, commit_order, find_increment

DEFAULT_MAX_BLOB_BYTES = 20 * 1024 * 1024
REPOSITORY = "<repository>"
# Missing objects get an error entry each up to this many, then one entry counts the rest (a
# blobless partial clone misses nearly every old blob).
MAX_MISSING_REPORTED = 100
# What reaches git on stdin: object names, `^` for exclusions. Nothing a user typed goes there.
_REVISION = re.compile(r"^\^?(?:[0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass(frozen=True)
class HistoryRequest:
    revisions: tuple[str, ...]  # rev-list arguments: tips, and `^sha` for what to leave out
    jobs: int = 1
    max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES
    cache: str | None = None  # `--cache FILE` (see `history_cache`)


@dataclass
class Progress:
    """Counters the progress display reads; updated by the audit as it goes."""

    listed_objects: int = 0
    listed_bytes: int = 0
    listing_done: bool = False
    commits: int = 0
    objects: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.perf_counter)


ProgressCallback = Callable[[Progress], None]


def audit_history(
    repo: GitRepository,
    request: HistoryRequest,
    finding_filter: FindingFilter,
    path_filter: PathFilter,
    on_progress: ProgressCallback | None = None,
) -> ScanResult:
    started = time.perf_counter()
    bad = [revision for revision in request.revisions if not _REVISION.match(revision)]
    if bad:
        raise ValueError(f"revisions must be resolved object names, not {bad[0]!r}")
    revisions, errors, types = present_revisions(repo, request.revisions)
    request = dataclasses.replace(request, revisions=tuple(revisions))
    cache = None
    if request.cache is not None:
        cache, warning = HistoryCache.open(request.cache)
        if warning is not None:
            errors.append(ScanError("<cache>", warning, unscanned=False))
    run = _Run(repo, request, finding_filter, path_filter, on_progress, cache, types)
    run.scan()
    if cache is not None and run.listing_error is None:
        try:
            cache.save(*run.listing_record())
        except OSError as error:
            message = f"--cache {request.cache} could not be written: {error.strerror or error}"
            errors.append(ScanError("<cache>", message, unscanned=False))
    if run.listing_error is not None:
        # rev-list stops at the first missing commit: cut the missing ones out and audit again
        # (only ever for a damaged repository), so that one lost commit does not hide the rest.
        with tempfile.TemporaryDirectory(prefix="binance-secrets-") as folder:
            grafted, missing = cut_missing_commits(repo, request.revisions, os.path.join(folder, "grafts"))
            if missing:
                lost = "missing from the repository: the history only it leads to was not scanned"
                errors.extend(ScanError(f"commit {sha[:12]}", lost) for sha in missing)
                run = _Run(grafted, request, finding_filter, path_filter, on_progress, revision_types=types)
                run.scan()
    errors.extend(run.errors)
    stats = ScanStats(
        commits=run.progress.commits,
        blobs=run.blobs,
        bytes=run.progress.bytes,
        seconds=time.perf_counter() - started,
    )
    failed = run.listing_error is not None and run.progress.objects == 0
    return ScanResult(tuple(run.findings), tuple(errors), stats, failed=failed)


class _Run:
    """One pass over the chosen history: list, scan, attribute. Nothing of it outlives `scan`."""

    def __init__(
        self,
        repo: GitRepository,
        request: HistoryRequest,
        finding_filter: FindingFilter,
        path_filter: PathFilter,
        on_progress: ProgressCallback | None,
        cache: HistoryCache | None = None,
        revision_types: Mapping[str, str] | None = None,
    ) -> None:
        self.repo = repo
        self.request = request
        self.revision_types = revision_types  # the type of each revision's object, as already asked
        # The one filter stage, with the excludes: a blob is read under one path and reported under each.
        self.finding_filter = finding_filter.excluding(path_filter)
        self.path_filter = path_filter
        self.on_progress = on_progress
        self.cache = cache
        self.progress = Progress()
        self.errors: list[ScanError] = []
        self.findings: list[Finding] = []
        self.listing_error: str | None = None
        self.blobs = 0
        self.submodules = False
        self.missing = 0
        # With a cache: objects an earlier audit found secrets in, and what this listing saw (so that
        # a re-audit of the same revisions need not list them again).
        self.cached: list[CachedObject] = []
        self.complete = True  # every listed object was scanned whole, or known from the cache
        self.oversized: list[tuple[str, str, int]] = []
        self.scanned_paths: dict[str, str] = {}  # blob -> path it is scanned under, for the cache
        self.task_tags: set[str] = set()
        self.flagged_blobs: dict[str, str] = {}
        self.flagged_tags: set[str] = set()
        self.flagged_commits: set[str] = set()
        self.replayed: Listing | None = None
        # With a cache, on refs that only moved forward: the commits whose messages are read (the new
        # ones), and the digest of the whole walk's commit order, for this audit's record.
        self.message_revisions: tuple[str, ...] | None = None
        self.order: str | None = None
        self.walk_recorded = False  # and the cache holds the old commits' changes: no `ChangeLog` of them all
        self.shallow = False
        # The attribution's walk, started beside the scan once it has found a secret in a blob (or
        # met one the cache knows: `walk_wanted`).
        self.change_log: ChangeLog | None = None
        self.walk_wanted = False

    @property
    def _whole_graph(self) -> bool:
        """Every commit and tree the revisions reach is here: not shallow, no graft, not a partial clone
        (`shallow` is known once `_scan` has begun)."""
        return not self.shallow and self.repo.graft_file is None and not self.repo.partial

    def scan(self) -> None:
        try:
            self._scan()
        finally:
            if self.change_log is not None:
                self.change_log.close()  # an error or an interrupt: its git processes end with the audit

    def _scan(self) -> None:
        shallow = shallow_errors(self.repo, self.request.revisions)
        self.errors.extend(shallow)
        self.shallow = bool(shallow)
        found: list[ObjectFindings] = []
        # The walk lists a whole history of a complete repository (see `git_walk`).
        listing = WalkListing(self.repo, self.request.revisions, whole=self._whole_graph, types=self.revision_types)
        replay = self._recorded_listing()
        increment = self._increment() if replay is None else None
        if replay is not None:
            self._replay(replay)
        elif increment is not None:
            # Only the new commits' objects are listed and scanned; the record stands for the rest.
            listing = NewObjects(self.repo, increment.objects)
            self.message_revisions = increment.message_revisions
            self.walk_recorded = self.cache is not None and self.cache.walked(increment.name) is not None
            self._list_and_scan(listing, found)
            self._extend(increment)
        else:
            self._list_and_scan(listing, found)
        if self.missing > MAX_MISSING_REPORTED:
            self.errors.append(
                ScanError(
                    REPOSITORY,
                    f"{self.missing - MAX_MISSING_REPORTED} more objects: {_missing_reason(self.repo)}",
                )
            )
        self.listing_error = listing.error
        if listing.error is not None:
            self.errors.append(ScanError(REPOSITORY, f"git could not list every object: {listing.error}"))
        if self.submodules:
            notice = "submodules are not followed; scan their repositories separately"
            self.errors.append(ScanError(REPOSITORY, notice, unscanned=False))
        history = _History(self.repo, self.request, self.finding_filter, self.errors)
        if self.cache is not None and self._whole_graph:
            history.cache = self.cache  # the graph is the one its commit ids name: its walk may be kept
            history.listing_name = self._listing_name()
            history.increment = increment
        if listing.error is None:
            history.change_log = self.change_log  # for the same revisions: complete only if the listing was
        findings = history.findings(found, self.cached)
        self.findings = self.finding_filter.apply(findings)

    def _list_and_scan(self, listing: WalkListing, found: list[ObjectFindings]) -> None:
        tasks = self._tasks(listing)
        revisions = self.message_revisions or self.request.revisions
        messages = MessageScan(revisions)
        if self.cache is not None:
            known, flagged = self.cache.known_commits()
            messages = MessageScan(revisions, known, flagged)
        results = scan_in_parallel(self.repo, tasks, self.request.jobs, messages)
        # Closed on the way out whatever happens (an error, SIGTERM, Ctrl-C): workers and every git
        # process end before the audit returns.
        with contextlib.closing(results), contextlib.closing(tasks), contextlib.closing(listing):
            listing.start()  # git walks while the scan gets ready
            for batch in results:
                if self.change_log is None and (self.walk_wanted or self._reportable_in_blob(batch)):
                    self._begin_walk(listing)
                found.extend(batch.found)
                self.errors.extend(batch.errors)
                self.progress.commits += batch.commits
                self.progress.objects += batch.objects
                self.progress.bytes += batch.bytes
                self.blobs += batch.blobs
                if batch.errors:
                    self.complete = False
                if self.cache is not None:
                    self._record(batch)
                if self.on_progress is not None:
                    self.on_progress(self.progress)
            if self.change_log is None:
                self.change_log = listing.take_change_log()  # the walk's, read whole: kept for attribution
        self.listing_error = listing.error

    def _begin_walk(self, listing: WalkListing) -> None:
        """A blob holds a secret to report (scanned now, or known from the cache): the attribution's
        walk of the history can begin now, beside the scan, rather than after it (see `ChangeLog`),
        unless the listing is that walk (then only its graph starts now).
        Called with a batch's result in hand: the scanning processes, if any, have been started."""
        if self.change_log is None and not self.walk_recorded:
            self.change_log = listing.take_change_log() or ChangeLog(self.repo, self.request.revisions)
            self.change_log.start_graph()

    def _reportable_in_blob(self, batch: BatchResult) -> bool:
        reportable = self.finding_filter.reportable
        return any(
            reportable(finding.secret_sha256, finding.confidence)
            for item in batch.found
            if item.type == "blob"
            for _, finding in item.findings
        )

    def _record(self, batch: BatchResult) -> None:
        """What a batch scanned, into the cache: secret digests and confidences only."""
        assert self.cache is not None
        secrets = {item.sha: _secrets_of(item) for item in batch.found}
        for sha in batch.scanned:
            found = secrets.get(sha, ())
            path = self.scanned_paths.get(sha)
            if path is not None:
                self.cache.scanned_blob(sha, path, found)
                if found:
                    self.flagged_blobs[sha] = path
            elif sha in self.task_tags:
                self.cache.scanned_tag(sha, found)
                if found:
                    self.flagged_tags.add(sha)
            else:
                self.cache.scanned_commit(sha, found)
                if found:
                    self.flagged_commits.add(sha)
        for sha in batch.known_flagged:
            found = self.cache.commit_secrets(sha)
            self.cache.scanned_commit(sha, found)
            self.cached.append(CachedObject(sha, "commit", COMMIT_MESSAGE_PATH, found))
            self.flagged_commits.add(sha)

    def _recorded_listing(self) -> Listing | None:
        """The listing an earlier audit of exactly these revisions recorded, if it may stand for this one."""
        if self.cache is None or self.shallow or self.repo.graft_file is not None:
            return None
        listing = self.cache.listing(self._listing_name())
        if listing is None or listing.max_blob_bytes != self.request.max_blob_bytes:
            return None
        return listing

    def _listing_name(self) -> str:
        return revisions_digest(self.request.revisions, self.request.max_blob_bytes)

    def _replay(self, listing: Listing) -> None:
        """A re-audit of revisions that have not moved: every object was scanned by the audit that
        recorded this listing; what it skipped for size is reported again, what held secrets is
        attributed again (the graph is walked as always), nothing is read."""
        assert self.cache is not None
        self.cache.listing_used = True
        self._recall(listing)
        self.progress.listing_done = True
        self.replayed = listing

    def _increment(self) -> Increment | None:
        """What the new commits add to the listing the cache recorded, when refs only moved forward."""
        if self.cache is None or not self._whole_graph:
            return None
        return find_increment(
            self.repo, self.request.revisions, self.cache, self.request.max_blob_bytes, _load_detectors
        )

    def _extend(self, increment: Increment) -> None:
        """After the new objects were listed and scanned: the recorded listing stands for the old ones
        (a full listing would have listed the new commits' objects first, so their errors come first)."""
        assert self.cache is not None
        self.cache.listing_extended = True
        self._recall(increment.record)
        self.order = increment.order

    def _recall(self, listing: Listing) -> None:
        """What a recorded listing found, added to this audit's: counts, oversized blobs, flagged objects."""
        assert self.cache is not None
        self.submodules = self.submodules or listing.submodules
        for sha, path, size in listing.oversized:
            self.oversized.append((sha, path, size))
            if not self.path_filter.is_excluded(path):
                self.errors.append(self._oversized_error(sha, path, size))
        old = self.cache.old
        for sha, path in listing.flagged_blobs.items():
            self.cached.append(CachedObject(sha, "blob", path, self.cache.flagged_blob(sha, path)))
            self.flagged_blobs[sha] = path
        for sha in listing.flagged_tags:
            self.cached.append(CachedObject(sha, "tag", TAG_MESSAGE_PATH, old.tag_findings[sha]))
            self.flagged_tags.add(sha)
        for sha in listing.flagged_commits:
            self.cached.append(CachedObject(sha, "commit", COMMIT_MESSAGE_PATH, old.commit_findings[sha]))
            self.flagged_commits.add(sha)
        self.progress.commits += listing.commits
        self.progress.objects += listing.objects
        self.progress.bytes += listing.bytes
        self.blobs += listing.blobs

    def listing_record(self) -> tuple[str | None, Listing | None]:
        """This audit's listing, for the cache: only when it was complete (nothing missing, unreadable or
        left unread by a limit, no shallow cut, no graft) and every path it keeps can be kept (a path
        that looks like it holds a key is never written to the cache)."""
        from binance_secrets.sources.git_text import redact_free_text

        if self.replayed is not None:
            return self._listing_name(), self.replayed
        if not self.complete or self.missing or self.shallow or self.repo.graft_file is not None:
            return None, None
        paths = [*self.flagged_blobs.values(), *(path for _, path, _ in self.oversized)]
        if any(redact_free_text(path) != path for path in paths):
            return None, None
        order = self.order
        if order is None and not any(revision.startswith("^") for revision in self.request.revisions):
            # For the next audit to build on, if refs only move forward (`history_increment`).
            commits = commit_order(self.repo, self.request.revisions)
            order = order_digest(commits) if commits is not None and len(commits) == self.progress.commits else ""
        listing = Listing(
            max_blob_bytes=self.request.max_blob_bytes,
            commits=self.progress.commits,
            objects=self.progress.objects,
            blobs=self.blobs,
            bytes=self.progress.bytes,
            submodules=self.submodules,
            oversized=list(self.oversized),
            flagged_blobs=dict(self.flagged_blobs),
            flagged_tags=sorted(self.flagged_tags),
            flagged_commits=sorted(self.flagged_commits),
            revisions=list(self.request.revisions),
            order=order or "",
        )
        return self._listing_name(), listing

    def _oversized_error(self, sha: str, path: str, size: int) -> ScanError:
        return ScanError(
            display(path),
            f"blob {sha[:12]} skipped: {size} bytes is over the "
            f"{self.request.max_blob_bytes}-byte limit (--max-blob-size)",
        )

    def _tasks(self, listing: Iterable[ListedObject]) -> Generator[ScanTask, None, None]:
        # Paths repeat across a history (each version of a file): match each one against the globs once.
        excluded: dict[str, bool] = {}
        cache = self.cache
        digests: dict[str, str] = {}  # path -> its digest, as the cache keys blobs
        for listed in listing:
            if listed.type == "missing":
                self.missing += 1
                if self.missing <= MAX_MISSING_REPORTED:
                    self.errors.append(ScanError(f"object {listed.sha[:12]}", _missing_reason(self.repo)))
                continue
            if listed.type == "blob":
                is_excluded = excluded.get(listed.path)
                if is_excluded is None:
                    is_excluded = excluded[listed.path] = self.path_filter.is_excluded(listed.path)
                    if listed.path == ".gitmodules" or listed.path.endswith("/.gitmodules"):
                        self.submodules = True
                # git lists a blob once, under the first path it meets; the same content may also sit
                # at an included path, so an excluded blob is still scanned and its findings kept only
                # at included paths (after attribution). Only an oversized one is left unsaid: the
                # user asked not to see that path, and the limit is what keeps the audit bounded.
                if listed.size > self.request.max_blob_bytes:
                    self.oversized.append((listed.sha, listed.path, listed.size))
                    if not is_excluded:
                        self.errors.append(self._oversized_error(listed.sha, listed.path, listed.size))
                    continue
                if cache is not None:
                    digest = digests.get(listed.path)
                    if digest is None:
                        digest = digests[listed.path] = path_digest(listed.path)
                    known = cache.blob(listed.sha, digest)
                    if known is not None:
                        self._known(listed, "blob", listed.path, known)
                        continue
                    self.scanned_paths[listed.sha] = listed.path
            elif listed.type == "tag":
                if cache is not None:
                    known = cache.tag(listed.sha)
                    if known is not None:
                        self._known(listed, "tag", TAG_MESSAGE_PATH, known)
                        continue
                    self.task_tags.add(listed.sha)
            else:
                continue  # commits: their messages come from the `git log` stream; trees hold no text
            self.progress.listed_objects += 1
            self.progress.listed_bytes += listed.size
            yield ScanTask(listed.sha, listed.type, listed.path, listed.size)
        self.progress.listing_done = True

    def _known(self, listed: ListedObject, kind: str, path: str, found: Secrets) -> None:
        """An object the cache says was scanned (under this path): counted as scanned, not read."""
        self.progress.listed_objects += 1
        self.progress.listed_bytes += listed.size
        self.progress.objects += 1
        self.progress.bytes += listed.size
        if kind == "blob":
            self.blobs += 1
        if found:
            self.cached.append(CachedObject(listed.sha, kind, path, found))
            if kind == "blob":
                self.flagged_blobs[listed.sha] = path
                if any(self.finding_filter.reportable(secret, confidence) for secret, confidence in found):
                    # Begun with the next batch's result, not here: the listing may still be ahead of
                    # the scanning processes' start, and they are forked from a process without threads.
                    self.walk_wanted = True
            else:
                self.flagged_tags.add(listed.sha)


def shallow_errors(repo: GitRepository, revisions: Sequence[str]) -> list[ScanError]:
    """An error entry when the history asked for goes past a shallow clone's cut.

    A shallow commit's parents were never fetched. A range whose commits are all on this side of the
    cut is complete; an audit that reaches a shallow commit (every full audit of a shallow clone) is
    not, whatever it finds.
    """
    if run_git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() != b"true":
        return []
    location = run_git(repo, "rev-parse", "--git-path", "shallow").stdout.decode("utf-8", "surrogateescape")
    location = location.strip()
    path = location if os.path.isabs(location) else os.path.join(repo.git_dir, location)
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            cut = {line.strip() for line in handle if line.strip()}
    except OSError:
        cut = set()
    reached = _first_reached(repo, revisions, cut) if cut else None
    if reached is None and cut:
        return []
    where = f" (commit {reached[:12]} is the oldest one fetched)" if reached else ""
    return [
        ScanError(
            REPOSITORY,
            f"shallow clone: the history before the shallow boundary{where} is not there to scan "
            "(git fetch --unshallow)",
        )
    ]


def _first_reached(repo: GitRepository, revisions: Sequence[str], cut: set[str]) -> str | None:
    """The first commit of `cut` among the commits `revisions` select, or None."""
    process = start_git(repo, "rev-list", "--stdin", lines=revisions, stderr=False)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            sha = line.strip().decode("ascii", "replace")
            if sha in cut:
                return sha
        return None
    finally:
        stop_process(process)


class _History:
    """Turns per-object findings into one finding per secret and path, with its first commit.

    Objects come either scanned by this audit (`ObjectFindings`, with their findings) or known from
    the cache (`CachedObject`, with the digests and confidences of their secrets only). A cached object
    is read and scanned again only where its findings are reported: the blob that first brought a
    secret to a path, the first commit whose message holds it.
    """

    def __init__(
        self, repo: GitRepository, request: HistoryRequest, finding_filter: FindingFilter, errors: list[ScanError]
    ) -> None:
        self.repo = repo
        self.request = request
        self.finding_filter = finding_filter
        self.errors = errors
        self._infos: dict[str, CommitInfo] = {}
        self._cached_paths: dict[str, str] = {}  # cached blob -> the path it was scanned under
        self.cache: HistoryCache | None = None
        self.listing_name = ""
        self.increment: Increment | None = None
        self.change_log: ChangeLog | None = None

    def findings(self, found: list[ObjectFindings], cached: Sequence[CachedObject] = ()) -> list[Finding]:
        if not found and not cached:
            self._nothing_to_walk()
            return []
        # Every (secret, confidence) seen, fresh or cached.
        seen: list[tuple[str, str]] = [(f.secret_sha256, f.confidence) for item in found for _, f in item.findings]
        seen += [pair for item in cached for pair in item.secrets]
        # Secrets worth attributing: reportable somewhere. Every blob holding one takes part in the
        # attribution, whatever its confidence there, so a later edit adding context does not count as
        # a new introduction.
        wanted = {secret for secret, confidence in seen if self.finding_filter.reportable(secret, confidence)}
        if not wanted:
            self._nothing_to_walk()
            return []
        best_confidence: dict[str, str] = {}
        for secret, confidence in seen:
            current = best_confidence.get(secret, "low")
            if CONFIDENCE_ORDER[confidence] >= CONFIDENCE_ORDER[current]:
                best_confidence[secret] = confidence
        head = resolve_commit(self.repo, "HEAD")
        results = self._blob_findings(found, cached, wanted, head) + self._message_findings(found, cached, wanted, head)
        # One finding per secret per path can be many: copy only those whose confidence changes.
        return [
            finding
            if best_confidence.get(finding.secret_sha256, finding.confidence) == finding.confidence
            else finding.with_changes(confidence=best_confidence[finding.secret_sha256])
            for finding in results
        ]

    def _blob_findings(
        self, found: list[ObjectFindings], cached: Sequence[CachedObject], wanted: set[str], head: str | None
    ) -> list[Finding]:
        by_blob = {item.sha: item.findings for item in found if item.type == "blob"}
        blob_secrets = {
            sha: frozenset(f.secret_sha256 for _, f in findings if f.secret_sha256 in wanted)
            for sha, findings in by_blob.items()
        }
        for item in cached:
            if item.type == "blob":
                blob_secrets[item.sha] = frozenset(secret for secret, _ in item.secrets if secret in wanted)
                self._cached_paths[item.sha] = item.path
        blob_secrets = {sha: secrets for sha, secrets in blob_secrets.items() if secrets}
        if not blob_secrets:
            self._nothing_to_walk()
            return []
        with CatFileBatch(self.repo) as cat_file:

            def scan_blob(sha: str, path: str) -> tuple[tuple[str, Finding], ...] | None:
                """The findings of a blob read now; None when it cannot be read."""
                if self.repo.partial and not present_objects(self.repo, [sha]):
                    return None  # never one a partial clone lacks (reading it would fetch it)
                for read in cat_file.read([sha]):
                    if read.sha is None:
                        return None
                    # What a limit leaves unread here is outside the audit's request (this blob is
                    # read only to place secrets found elsewhere, or was scanned whole before).
                    return tuple(blob_findings(read.data, path, []))
                return None

            def secrets_of(sha: str, path: str) -> frozenset[str]:
                # Blobs outside the scanned set (a range's base side, HEAD): read and scan on demand.
                findings = scan_blob(sha, path)
                if findings is None:
                    self._unreadable(sha, path)
                    return frozenset()
                by_blob[sha] = findings
                return frozenset(f.secret_sha256 for _, f in findings if f.secret_sha256 in wanted)

            def findings_of(sha: str) -> tuple[tuple[str, Finding], ...]:
                if sha not in by_blob and sha in self._cached_paths:
                    findings = scan_blob(sha, self._cached_paths[sha])
                    if findings is None:
                        self._unreadable(sha, self._cached_paths[sha])
                    by_blob[sha] = findings or ()
                return by_blob.get(sha, ())

            attributions, warnings = self._attribute(wanted, blob_secrets, secrets_of, head)
            placed = {attribution.secret_sha256 for attribution in attributions}
            whole_history = not any(revision.startswith("^") for revision in self.request.revisions)
            if whole_history and not warnings and any(secrets - placed for secrets in blob_secrets.values()):
                # A walk of every commit places every secret the scan found (a range leaves out those
                # introduced before it); one it did not place is reported where it was found, with a
                # warning, never dropped: a report is never cleaner than the scan.
                warnings.append("the history walk did not reach a commit that holds a secret the scan found")
            self.errors.extend(ScanError(REPOSITORY, warning) for warning in warnings)
            # Each blob's findings indexed by secret once: one lookup per attribution, however many
            # secrets a blob holds (a blob of 16,000 findings made this quadratic).
            first_in_blob: dict[str, dict[str, tuple[str, Finding]]] = {}
            results = []
            for attribution in attributions:
                index = first_in_blob.get(attribution.blob)
                if index is None:
                    index = first_in_blob[attribution.blob] = _first_by_secret(findings_of(attribution.blob))
                entry = index.get(attribution.secret_sha256)
                if entry is None:
                    if attribution.blob in self._cached_paths:
                        self._lost(attribution.blob, self._cached_paths[attribution.blob])
                    continue
                suffix, finding = entry
                results.append(
                    finding.with_changes(
                        path=display(attribution.path) + suffix,
                        commit=self._commit_info(attribution.commit),
                        in_head=attribution.in_head,
                        occurrences=attribution.occurrences,
                    )
                )
            if warnings:
                for sha in blob_secrets:
                    findings_of(sha)  # cached blobs too: reported where they were found
                attributed = {(attribution.secret_sha256, attribution.path) for attribution in attributions}
                results.extend(self._unattributed(by_blob, blob_secrets, attributed))
        return results

    def _attribute(
        self, wanted: set[str], blob_secrets: dict[str, frozenset[str]], secrets_of: SecretsOf, head: str | None
    ) -> tuple[list[Attribution], list[str]]:
        """The graph walk's answer, or the one a cache keeps for the same revisions, HEAD and blobs.

        Only a walk that went through without a warning or an unreadable blob is kept, and only when no
        path it names looks like it holds a key (the cache never holds one).
        """
        from binance_secrets.sources.git_text import redact_free_text
        from binance_secrets.sources.history_cache import attribution_digest

        name = attribution_digest(self.listing_name, head, wanted, blob_secrets) if self.cache is not None else ""
        if self.cache is not None:
            kept = self.cache.attributions(name)
            if kept is not None:
                return [Attribution(*item) for item in kept], []
        errors_before = len(self.errors)
        started, self.change_log = self.change_log, None
        known = self._known_changes(blob_secrets)
        used: list[Changes] = []
        attributions, warnings = attribute(
            self.repo, self.request.revisions, blob_secrets, secrets_of, head, started, known, used.append
        )
        # A blob it could not read (an error entry) must be reported again next time: not kept then.
        if self.cache is not None and not warnings and len(self.errors) == errors_before:
            paths = {attribution.path for attribution in attributions}
            if all(redact_free_text(path) == path for path in paths):
                self.cache.attributed(name, [dataclasses.astuple(attribution) for attribution in attributions])
            if used and not any(revision.startswith("^") for revision in self.request.revisions):
                self._keep_changes(blob_secrets, used[0])
        return attributions, warnings

    def _known_changes(self, blob_secrets: dict[str, frozenset[str]]) -> Changes | None:
        """Every commit's relevant changes without a walk of them all: on refs that only moved forward,
        the old commits' from the cache (recorded for the same old blobs: a change is relevant when it
        adds or removes one of them, and new blobs are in no old commit), the new commits' from git."""
        from binance_secrets.sources.git_attribution import relevant_changes
        from binance_secrets.sources.history_cache import blobs_digest

        if self.cache is None or self.increment is None:
            return None
        walked = self.cache.walked(self.increment.name)
        old_blobs = self.cache.old.blobs
        if walked is None or walked.blobs != blobs_digest(sha for sha in blob_secrets if sha in old_blobs):
            return None
        warnings: list[str] = []
        added = relevant_changes(self.repo, self.increment.message_revisions, list(blob_secrets), warnings)
        if warnings:
            return None  # the walk of every commit says what went wrong, as without a cache
        changes: Changes = {}
        for commit, path, blob in walked.changes:
            changes.setdefault(commit, []).append((path, blob or None))
        changes.update(added)
        return changes

    def _nothing_to_walk(self) -> None:
        """No blob holds a secret to attribute: the walk's changes are none, for the next audit of refs moved
        forward (whose new commits may bring one)."""
        if self.cache is not None and not any(revision.startswith("^") for revision in self.request.revisions):
            self._keep_changes({}, {})

    def _keep_changes(self, blob_secrets: dict[str, frozenset[str]], changes: Changes) -> None:
        """The walk's changes, for the next audit of refs moved forward (never a path that looks like a key)."""
        from binance_secrets.sources.git_text import redact_free_text
        from binance_secrets.sources.history_cache import Walked, blobs_digest

        assert self.cache is not None
        flat = [(commit, path, blob or "") for commit, items in changes.items() for path, blob in items]
        if all(redact_free_text(path) == path for _, path, _ in flat):
            self.cache.walk(self.listing_name, Walked(blobs_digest(blob_secrets), flat))

    def _unattributed(
        self,
        by_blob: dict[str, tuple[tuple[str, Finding], ...]],
        blob_secrets: dict[str, frozenset[str]],
        attributed: set[tuple[str, str]],
    ) -> list[Finding]:
        """Findings the attribution could not place (it failed part way: a missing tree, a lost
        commit): reported where they were found, without a commit, rather than dropped."""
        results: dict[tuple[str, str], Finding] = {}
        for sha, secrets in blob_secrets.items():
            for suffix, finding in by_blob.get(sha, ()):
                path = finding.path[: len(finding.path) - len(suffix)]  # as listed, without `!member`
                if finding.secret_sha256 in secrets and (finding.secret_sha256, path) not in attributed:
                    results.setdefault((finding.secret_sha256, finding.path), finding)
        if results:
            self.errors.append(
                ScanError(
                    REPOSITORY,
                    f"{len(results)} finding(s) could not be traced to the commit that introduced them "
                    "(see the warnings above); they are reported without a commit",
                )
            )
        return [finding.with_changes(path=display(finding.path)) for finding in results.values()]

    def _unreadable(self, sha: str, path: str) -> None:
        why = _missing_reason(self.repo)
        self.errors.append(
            ScanError(f"{display(path)} (blob {sha[:12]})", f"{why}: not checked for the secrets found elsewhere")
        )

    def _lost(self, sha: str, path: str) -> None:
        """A cached object no longer holds what the cache says it found: never dropped in silence."""
        self.errors.append(
            ScanError(
                f"{display(path)} (object {sha[:12]})",
                "the cache recorded a secret here that scanning it again did not find: run without --cache",
            )
        )

    def _message_findings(
        self, found: list[ObjectFindings], cached: Sequence[CachedObject], wanted: set[str], head: str | None
    ) -> list[Finding]:
        # (secret, path) -> [(object, type, its finding, or None when it is known from the cache)]
        groups: dict[tuple[str, str], list[tuple[str, str, Finding | None]]] = {}
        for item in found:
            if item.type == "blob":
                continue
            for _, finding in item.findings:
                if finding.secret_sha256 in wanted:
                    key = (finding.secret_sha256, finding.path)
                    groups.setdefault(key, []).append((item.sha, item.type, finding))
        for cached_item in cached:
            if cached_item.type == "blob":
                continue
            for secret in dict.fromkeys(secret for secret, _ in cached_item.secrets):
                if secret in wanted:
                    groups.setdefault((secret, cached_item.path), []).append((cached_item.sha, cached_item.type, None))
        results = []
        for (secret, _), occurrences in groups.items():
            infos = sorted(
                ((self._commit_info(sha), sha, kind, finding) for sha, kind, finding in occurrences),
                key=lambda entry: (entry[0].date, entry[0].sha),
            )
            commits = {info.sha for info, _, _, _ in infos}
            first, sha, kind, known = infos[0]
            reported = known if known is not None else self._message_finding(sha, kind, secret)
            if reported is None:
                self._lost(sha, f"<{kind} {sha[:12]}>")
                continue
            in_head = head is not None and any(self._is_ancestor(sha, head) for sha in commits)
            results.append(reported.with_changes(commit=first, in_head=in_head, occurrences=len(commits)))
        return results

    def _message_finding(self, sha: str, kind: str, secret: str) -> Finding | None:
        """The finding of `secret` in a commit or tag message, scanned again as it was scanned first."""
        if kind == "commit":
            # Read as the audit's `git log` stream reads messages (`%B`, re-encoded as git log does).
            completed = run_git(
                self.repo, "-c", "log.showSignature=false", "log", "-1", "--no-walk", "-z", "--no-color",
                "--format=%H%n%B", "--end-of-options", sha, "--",
            )  # fmt: skip
            results = message_record_findings(completed.stdout.split(b"\0")[0])
        else:
            completed = run_git(self.repo, "cat-file", "tag", "--end-of-options", sha)
            results = message_findings(completed.stdout, "tag") if completed.returncode == 0 else []
        for _, finding in results:
            if finding.secret_sha256 == secret:
                return finding
        return None

    def _is_ancestor(self, sha: str, head: str) -> bool:
        return run_git(self.repo, "merge-base", "--is-ancestor", "--end-of-options", sha, head).returncode == 0

    def _commit_info(self, sha: str) -> CommitInfo:
        if sha not in self._infos:
            self._infos[sha] = object_info(self.repo, sha)
            if not self._infos[sha].date:
                self.errors.append(ScanError(f"commit {sha[:12]}", "cannot read commit metadata"))
        return self._infos[sha]


def _load_detectors() -> None:
    """Imports what scanning the new commits needs (detectors, content readers, the prefilter), while git
    walks the history to tell whether the cache's listing still holds (`find_increment`)."""
    import importlib

    for module in ("detectors", "scanning", "sources.content", "sources.prefilter", "triggers"):
        importlib.import_module(f"binance_secrets.{module}")


def _secrets_of(item: ObjectFindings) -> Secrets:
    """What the cache keeps of an object's findings: each secret's digest and confidence, once."""
    return tuple(dict.fromkeys((finding.secret_sha256, finding.confidence) for _, finding in item.findings))


def _first_by_secret(findings: Sequence[tuple[str, Finding]]) -> dict[str, tuple[str, Finding]]:
    index: dict[str, tuple[str, Finding]] = {}
    for suffix, finding in findings:
        index.setdefault(finding.secret_sha256, (suffix, finding))
    return index


def _missing_reason(repo: GitRepository) -> str:
    if repo.partial:
        return "never fetched into this partial clone (and not fetched now: the audit uses no network)"
    return "missing from the repository"
