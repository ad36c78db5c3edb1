"""The git history audit: every object reachable from the chosen commits, scanned once, then attributed.

1. `ObjectListing` names each reachable tag and blob once, with its size (no content read).
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
import subprocess
import tempfile
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from binance_secrets.filters import FindingFilter
from binance_secrets.finding import CONFIDENCE_ORDER, CommitInfo, Finding, ScanError, ScanResult, ScanStats
from binance_secrets.paths import PathFilter
from binance_secrets.sources.git_attribution import attribute
from binance_secrets.sources.git_objects import (
    CatFileBatch,
    GitRepository,
    ObjectListing,
    object_info,
    present_objects,
    resolve_commit,
    run_git,
    stop_process,
)
from binance_secrets.sources.git_revisions import cut_missing_commits, present_revisions
from binance_secrets.sources.git_scan import (
    MessageScan,
    ObjectFindings,
    ScanTask,
    blob_findings,
    display,
    scan_in_parallel,
)

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
    revisions, errors = present_revisions(repo, request.revisions)
    request = dataclasses.replace(request, revisions=tuple(revisions))
    run = _Run(repo, request, finding_filter, path_filter, on_progress)
    run.scan()
    if run.listing_error is not None:
        # rev-list stops at the first missing commit: cut the missing ones out and audit again
        # (only ever for a damaged repository), so that one lost commit does not hide the rest.
        with tempfile.TemporaryDirectory(prefix="binance-secrets-") as folder:
            grafted, missing = cut_missing_commits(repo, request.revisions, os.path.join(folder, "grafts"))
            if missing:
                lost = "missing from the repository: the history only it leads to was not scanned"
                errors.extend(ScanError(f"commit {sha[:12]}", lost) for sha in missing)
                run = _Run(grafted, request, finding_filter, path_filter, on_progress)
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
    ) -> None:
        self.repo = repo
        self.request = request
        self.finding_filter = finding_filter
        self.path_filter = path_filter
        self.on_progress = on_progress
        self.progress = Progress()
        self.errors: list[ScanError] = []
        self.findings: list[Finding] = []
        self.listing_error: str | None = None
        self.blobs = 0
        self.submodules = False
        self.missing = 0

    def scan(self) -> None:
        self.errors.extend(shallow_errors(self.repo, self.request.revisions))
        listing = ObjectListing(self.repo, self.request.revisions)
        found: list[ObjectFindings] = []
        tasks = self._tasks(listing)
        results = scan_in_parallel(self.repo, tasks, self.request.jobs, MessageScan(self.request.revisions))
        # Closed on the way out whatever happens (an error, SIGTERM, Ctrl-C): workers and every git
        # process end before the audit returns.
        with contextlib.closing(results), contextlib.closing(tasks), contextlib.closing(listing):
            for batch in results:
                found.extend(batch.found)
                self.errors.extend(batch.errors)
                self.progress.commits += batch.commits
                self.progress.objects += batch.objects
                self.progress.bytes += batch.bytes
                self.blobs += batch.blobs
                if self.on_progress is not None:
                    self.on_progress(self.progress)
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
        findings = _History(self.repo, self.request, self.finding_filter, self.errors).findings(found)
        self.findings = [
            f for f in findings if not self.path_filter.is_excluded(f.path) and self.finding_filter.keep(f)
        ]

    def _tasks(self, listing: ObjectListing) -> Generator[ScanTask, None, None]:
        # Paths repeat across a history (each version of a file): match each one against the globs once.
        excluded: dict[str, bool] = {}
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
                if is_excluded:
                    continue
                if listed.size > self.request.max_blob_bytes:
                    self.errors.append(
                        ScanError(
                            display(listed.path),
                            f"blob {listed.sha[:12]} skipped: {listed.size} bytes is over the "
                            f"{self.request.max_blob_bytes}-byte limit (--max-blob-size)",
                        )
                    )
                    continue
            elif listed.type != "tag":
                continue  # commits: their messages come from the `git log` stream; trees hold no text
            self.progress.listed_objects += 1
            self.progress.listed_bytes += listed.size
            yield ScanTask(listed.sha, listed.type, listed.path, listed.size)
        self.progress.listing_done = True


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
    process = subprocess.Popen(
        repo.command("rev-list", "--stdin"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=repo.environment(),
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("".join(f"{revision}\n" for revision in revisions).encode())
        process.stdin.close()
        for line in process.stdout:
            sha = line.strip().decode("ascii", "replace")
            if sha in cut:
                return sha
        return None
    finally:
        stop_process(process)


class _History:
    """Turns per-object findings into one finding per secret and path, with its first commit."""

    def __init__(
        self, repo: GitRepository, request: HistoryRequest, finding_filter: FindingFilter, errors: list[ScanError]
    ) -> None:
        self.repo = repo
        self.request = request
        self.min_confidence = CONFIDENCE_ORDER[finding_filter.min_confidence]
        self.allow = finding_filter.allow
        self.errors = errors
        self._infos: dict[str, CommitInfo] = {}

    def findings(self, found: list[ObjectFindings]) -> list[Finding]:
        if not found:
            return []
        # Secrets worth attributing: reportable somewhere. Every blob holding one takes part in the
        # attribution, whatever its confidence there, so a later edit adding context does not count as
        # a new introduction.
        wanted = {
            finding.secret_sha256
            for item in found
            for _, finding in item.findings
            if CONFIDENCE_ORDER[finding.confidence] >= self.min_confidence
            and finding.secret_sha256 not in self.allow
        }
        if not wanted:
            return []
        best_confidence: dict[str, str] = {}
        for item in found:
            for _, finding in item.findings:
                current = best_confidence.get(finding.secret_sha256, "low")
                if CONFIDENCE_ORDER[finding.confidence] >= CONFIDENCE_ORDER[current]:
                    best_confidence[finding.secret_sha256] = finding.confidence
        head = resolve_commit(self.repo, "HEAD")
        results = self._blob_findings(found, wanted, head) + self._message_findings(found, wanted, head)
        return [
            finding.with_changes(confidence=best_confidence.get(finding.secret_sha256, finding.confidence))
            for finding in results
        ]

    def _blob_findings(self, found: list[ObjectFindings], wanted: set[str], head: str | None) -> list[Finding]:
        by_blob = {item.sha: item.findings for item in found if item.type == "blob"}
        blob_secrets = {
            sha: frozenset(f.secret_sha256 for _, f in findings if f.secret_sha256 in wanted)
            for sha, findings in by_blob.items()
        }
        blob_secrets = {sha: secrets for sha, secrets in blob_secrets.items() if secrets}
        if not blob_secrets:
            return []
        with CatFileBatch(self.repo) as cat_file:

            def secrets_of(sha: str, path: str) -> frozenset[str]:
                # Blobs outside the scanned set (a range's base side, HEAD): read and scan on demand,
                # never one a partial clone lacks (reading it would fetch it).
                if self.repo.partial and not present_objects(self.repo, [sha]):
                    self._unreadable(sha, path)
                    return frozenset()
                for read in cat_file.read([sha]):
                    if read.sha is None:
                        self._unreadable(sha, path)
                        return frozenset()
                    # What a limit leaves unread here is outside the audit's request (this blob is
                    # read only to place secrets found elsewhere): no error entry for it.
                    findings = blob_findings(read.data, path, [])
                    by_blob[sha] = tuple(findings)
                    return frozenset(f.secret_sha256 for _, f in findings if f.secret_sha256 in wanted)
                return frozenset()

            attributions, warnings = attribute(
                self.repo, self.request.revisions, blob_secrets, secrets_of, head
            )
        self.errors.extend(ScanError(REPOSITORY, warning) for warning in warnings)
        # Each blob's findings indexed by secret once: one lookup per attribution, however many
        # secrets a blob holds (a blob of 16,000 findings made this quadratic).
        first_in_blob: dict[str, dict[str, tuple[str, Finding]]] = {}
        results = []
        for attribution in attributions:
            index = first_in_blob.get(attribution.blob)
            if index is None:
                index = first_in_blob[attribution.blob] = _first_by_secret(by_blob.get(attribution.blob, ()))
            entry = index.get(attribution.secret_sha256)
            if entry is not None:
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
            results.extend(self._unattributed(by_blob, blob_secrets, {f.secret_sha256 for f in results}))
        return results

    def _unattributed(
        self,
        by_blob: dict[str, tuple[tuple[str, Finding], ...]],
        blob_secrets: dict[str, frozenset[str]],
        attributed: set[str],
    ) -> list[Finding]:
        """Findings the attribution could not place (it failed part way: a missing tree, a lost
        commit): reported where they were found, without a commit, rather than dropped."""
        results: dict[tuple[str, str], Finding] = {}
        for sha, secrets in blob_secrets.items():
            for _, finding in by_blob.get(sha, ()):
                if finding.secret_sha256 in secrets and finding.secret_sha256 not in attributed:
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

    def _message_findings(self, found: list[ObjectFindings], wanted: set[str], head: str | None) -> list[Finding]:
        groups: dict[tuple[str, str], list[tuple[str, Finding]]] = {}
        for item in found:
            if item.type == "blob":
                continue
            for _, finding in item.findings:
                if finding.secret_sha256 in wanted:
                    groups.setdefault((finding.secret_sha256, finding.path), []).append((item.sha, finding))
        results = []
        for occurrences in groups.values():
            infos = sorted(
                ((self._commit_info(sha), finding) for sha, finding in occurrences),
                key=lambda pair: (pair[0].date, pair[0].sha),
            )
            commits = {info.sha for info, _ in infos}
            first, finding = infos[0]
            in_head = head is not None and any(self._is_ancestor(sha, head) for sha in commits)
            results.append(
                finding.with_changes(commit=first, in_head=in_head, occurrences=len(commits))
            )
        return results

    def _is_ancestor(self, sha: str, head: str) -> bool:
        return run_git(self.repo, "merge-base", "--is-ancestor", "--end-of-options", sha, head).returncode == 0

    def _commit_info(self, sha: str) -> CommitInfo:
        if sha not in self._infos:
            self._infos[sha] = object_info(self.repo, sha)
            if not self._infos[sha].date:
                self.errors.append(ScanError(f"commit {sha[:12]}", "cannot read commit metadata"))
        return self._infos[sha]


def _first_by_secret(findings: Sequence[tuple[str, Finding]]) -> dict[str, tuple[str, Finding]]:
    index: dict[str, tuple[str, Finding]] = {}
    for suffix, finding in findings:
        index.setdefault(finding.secret_sha256, (suffix, finding))
    return index


def _missing_reason(repo: GitRepository) -> str:
    if repo.partial:
        return "never fetched into this partial clone (and not fetched now: the audit uses no network)"
    return "missing from the repository"
