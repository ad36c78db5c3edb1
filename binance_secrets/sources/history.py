"""The git history audit: every object reachable from the chosen commits, scanned once, then attributed.

1. `ObjectListing` names each reachable tag and blob once, with its size (no content read).
2. Blobs over the size cap are skipped with a warning; the rest, tag messages, and the commit
   messages (one `git log` stream), are scanned on every core (`git_scan`).
3. Only for the secrets found, `git_attribution` finds the commit that introduced each one per path,
   how many commits hold it and whether the tip of the default branch still does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from binance_secrets.filters import FindingFilter
from binance_secrets.finding import CONFIDENCE_ORDER, CommitInfo, Finding, ScanError, ScanResult, ScanStats
from binance_secrets.paths import PathFilter
from binance_secrets.sources.git_attribution import Attribution, attribute
from binance_secrets.sources.git_objects import (
    CatFileBatch,
    GitRepository,
    ObjectListing,
    object_info,
    resolve_commit,
    run_git,
)
from binance_secrets.sources.git_scan import (
    MessageScan,
    ObjectFindings,
    ScanTask,
    blob_findings,
    scan_in_parallel,
)

DEFAULT_MAX_BLOB_BYTES = 20 * 1024 * 1024
REPOSITORY = "<repository>"


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
    errors: list[ScanError] = [ScanError(REPOSITORY, warning) for warning in repository_warnings(repo)]
    progress = Progress()
    listing = ObjectListing(repo, request.revisions)
    saw = _Seen()
    tasks = _tasks(listing, request, path_filter, errors, progress, saw)
    found: list[ObjectFindings] = []
    for batch in scan_in_parallel(repo, tasks, request.jobs, MessageScan(request.revisions)):
        found.extend(batch.found)
        errors.extend(batch.errors)
        progress.commits += batch.commits
        progress.objects += batch.objects
        progress.bytes += batch.bytes
        saw.blobs += batch.blobs
        if on_progress is not None:
            on_progress(progress)
    if listing.error is not None:
        errors.append(ScanError(REPOSITORY, f"git could not list every object: {listing.error}"))
    if saw.submodules:
        errors.append(
            ScanError(REPOSITORY, "submodules are not followed; scan their repositories separately", unscanned=False)
        )
    findings = _History(repo, request, finding_filter, errors).findings(found)
    findings = [f for f in findings if not path_filter.is_excluded(f.path) and finding_filter.keep(f)]
    stats = ScanStats(
        commits=progress.commits,
        blobs=saw.blobs,
        bytes=progress.bytes,
        seconds=time.perf_counter() - started,
    )
    failed = listing.error is not None and progress.objects == 0
    return ScanResult(tuple(findings), tuple(errors), stats, failed=failed)


def repository_warnings(repo: GitRepository) -> list[str]:
    shallow = run_git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
    if shallow:
        return ["shallow clone: history before the shallow boundary is not there to scan (git fetch --unshallow)"]
    return []


@dataclass
class _Seen:
    blobs: int = 0
    submodules: bool = False


def _tasks(
    listing: ObjectListing,
    request: HistoryRequest,
    path_filter: PathFilter,
    errors: list[ScanError],
    progress: Progress,
    saw: _Seen,
) -> Iterator[ScanTask]:
    # Paths repeat across a history (each version of a file): match each one against the globs once.
    excluded: dict[str, bool] = {}
    for listed in listing:
        if listed.type == "missing":
            errors.append(ScanError(f"object {listed.sha[:12]}", "missing from the repository"))
            continue
        if listed.type == "blob":
            is_excluded = excluded.get(listed.path)
            if is_excluded is None:
                is_excluded = excluded[listed.path] = path_filter.is_excluded(listed.path)
                if listed.path == ".gitmodules" or listed.path.endswith("/.gitmodules"):
                    saw.submodules = True
            if is_excluded:
                continue
            if listed.size > request.max_blob_bytes:
                errors.append(
                    ScanError(
                        display(listed.path),
                        f"blob {listed.sha[:12]} skipped: {listed.size} bytes is over the "
                        f"{request.max_blob_bytes}-byte limit (--max-blob-size)",
                    )
                )
                continue
        elif listed.type != "tag":
            continue  # commits: their messages come from the `git log` stream
        progress.listed_objects += 1
        progress.listed_bytes += listed.size
        yield ScanTask(listed.sha, listed.type, listed.path, listed.size)
    progress.listing_done = True


def display(path: str) -> str:
    """A path as reported: bytes that are not UTF-8 become U+FFFD instead of failing the report."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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
                # Blobs outside the scanned set (a range's base side, HEAD): read and scan on demand.
                for read in cat_file.read([sha]):
                    if read.sha is None:
                        return frozenset()
                    findings = blob_findings(read.data, path)
                    by_blob[sha] = tuple(findings)
                    return frozenset(f.secret_sha256 for _, f in findings if f.secret_sha256 in wanted)
                return frozenset()

            attributions, warnings = attribute(
                self.repo, self.request.revisions, blob_secrets, secrets_of, head
            )
        self.errors.extend(ScanError(REPOSITORY, warning) for warning in warnings)
        results = []
        for attribution in attributions:
            finding = self._finding_in_blob(by_blob.get(attribution.blob, ()), attribution)
            if finding is not None:
                results.append(finding)
        return results

    def _finding_in_blob(
        self, findings: Sequence[tuple[str, Finding]], attribution: Attribution
    ) -> Finding | None:
        for suffix, finding in findings:
            if finding.secret_sha256 == attribution.secret_sha256:
                return finding.with_changes(
                    path=display(attribution.path) + suffix,
                    commit=self._commit_info(attribution.commit),
                    in_head=attribution.in_head,
                    occurrences=attribution.occurrences,
                )
        return None

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
        return run_git(self.repo, "merge-base", "--is-ancestor", sha, head).returncode == 0

    def _commit_info(self, sha: str) -> CommitInfo:
        if sha not in self._infos:
            self._infos[sha] = object_info(self.repo, sha)
            if not self._infos[sha].date:
                self.errors.append(ScanError(f"commit {sha[:12]}", "cannot read commit metadata"))
        return self._infos[sha]
