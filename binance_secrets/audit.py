"""The multi-repository history audit: each repository fetched (URLs) and audited, several at a time.

Parallelism stays within `--jobs`: with N repositories and J jobs, min(N, J) repository processes run
at once, each auditing with J // min(N, J) scan processes (so one big repository still gets every core).
A repository that cannot be fetched or read becomes an error entry and the others go on; the results
are one `ScanResult`, each finding and error entry carrying its `repository`.

Repository processes are stopped like scan workers (SIGTERM, then SIGKILL) and unwind on the way:
their scan workers and git processes end with them. The parent removes the temporary clone folder
after every process has ended, on success, error, SIGTERM and Ctrl-C alike.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from binance_secrets.errors import UserError
from binance_secrets.result import ScanError, ScanResult, ScanStats
from binance_secrets.settings import ScanSettings, resolve_settings
from binance_secrets.sources.history import Progress as RepositoryProgress
from binance_secrets.sources.repositories import MirrorStore, RepositorySource, scrub
from binance_secrets.worker_processes import drop_queue, stop_workers, unwind_on_signals

POLL_SECONDS = 0.1
# Repository processes report their progress at most this often.
PROGRESS_SECONDS = 0.25


@dataclass(frozen=True)
class AuditRequest:
    """What every repository is audited with (sent to the repository processes)."""

    settings: ScanSettings
    branch: str | None = None
    max_blob_size: str | None = None
    jobs: int = 1


@dataclass
class AuditProgress:
    """The one progress line of a multi-repository audit."""

    repositories: int
    done: int = 0
    started: float = field(default_factory=time.perf_counter)
    # Per repository still running: (objects, bytes, listed_bytes, listing_done).
    running: dict[int, tuple[int, int, int, bool]] = field(default_factory=dict)
    finished_objects: int = 0
    finished_bytes: int = 0

    @property
    def objects(self) -> int:
        return self.finished_objects + sum(entry[0] for entry in self.running.values())

    @property
    def bytes(self) -> int:
        return self.finished_bytes + sum(entry[1] for entry in self.running.values())

    def eta_seconds(self) -> float | None:
        """Time left, from the share of repositories done (a running one counts by its bytes read)."""
        share = self.done + sum(
            min(entry[1] / entry[2], 1.0) for entry in self.running.values() if entry[3] and entry[2]
        )
        if share <= 0:
            return None
        elapsed = time.perf_counter() - self.started
        return elapsed * (self.repositories - share) / share


ProgressCallback = Callable[[AuditProgress], None]


def audit_repositories(
    sources: Sequence[RepositorySource],
    request: AuditRequest,
    store: MirrorStore,
    on_progress: ProgressCallback | None = None,
) -> ScanResult:
    """Audit every source; the temporary clone folder is gone when this returns or raises."""
    started = time.perf_counter()
    progress = AuditProgress(len(sources))
    slots = max(1, min(request.jobs, len(sources)))
    per_repository = dataclasses.replace(request, jobs=max(1, request.jobs // slots))
    results: dict[int, ScanResult] = {}
    try:
        if slots == 1:
            for index, source in enumerate(sources):
                report = _Reporter(index, progress, on_progress)
                try:
                    results[index] = audit_one(source, per_repository, store, report.update)
                except Exception as error:  # as in a repository process: an error entry, the others go on
                    results[index] = _failed(source, f"the audit failed: {type(error).__name__}")
                progress.running.pop(index, None)
                _finished(progress, results[index], on_progress)
        else:
            _in_processes(sources, per_repository, store, slots, progress, on_progress, results)
    finally:
        store.remove()
    return combine([results[index] for index in range(len(sources))], time.perf_counter() - started)


def combine(results: Sequence[ScanResult], seconds: float) -> ScanResult:
    """One result for the whole audit: failed only when no repository could be read at all."""
    findings = tuple(finding for result in results for finding in result.findings)
    errors = tuple(error for result in results for error in result.errors)
    stats = ScanStats(
        files=sum(r.stats.files for r in results),
        commits=sum(r.stats.commits for r in results),
        blobs=sum(r.stats.blobs for r in results),
        bytes=sum(r.stats.bytes for r in results),
        seconds=seconds,
    )
    failed = bool(results) and all(result.failed for result in results)
    return ScanResult(findings, errors, stats, failed=failed)


def audit_one(
    source: RepositorySource,
    request: AuditRequest,
    store: MirrorStore,
    on_progress: Callable[[RepositoryProgress], None] | None = None,
) -> ScanResult:
    """One repository, as `history` audits it, every finding and error entry tagged with it."""
    from binance_secrets.commands.history import parse_size
    from binance_secrets.sources.git_objects import open_repository
    from binance_secrets.sources.git_revisions import all_tips, commit_or_usage_error
    from binance_secrets.sources.history import DEFAULT_MAX_BLOB_BYTES, HistoryRequest, audit_history

    if source.refused is not None:
        return _failed(source, source.refused)
    try:
        path = store.mirror(source)[0] if source.is_url else source.given
        repository = open_repository(path)
        settings = resolve_settings(request.settings, Path(repository.root))
        branch = request.branch
        revisions = [commit_or_usage_error(repository, branch, "--branch")] if branch else all_tips(repository)
        max_bytes = parse_size(request.max_blob_size) if request.max_blob_size else settings.config.max_file_size
        history = HistoryRequest(
            revisions=tuple(revisions), jobs=request.jobs, max_blob_bytes=max_bytes or DEFAULT_MAX_BLOB_BYTES
        )
        if not revisions:
            return ScanResult((), (), ScanStats())
        result = audit_history(repository, history, settings.finding_filter, settings.path_filter, on_progress)
    except UserError as error:
        return _failed(source, str(error))
    except OSError as error:
        return _failed(source, f"cannot read the repository: {error.strerror or error}")
    return ScanResult(
        tuple(finding.with_changes(repository=source.display) for finding in result.findings),
        tuple(dataclasses.replace(error, repository=source.display) for error in result.errors),
        result.stats,
        result.failed,
    )


def _failed(source: RepositorySource, message: str) -> ScanResult:
    error = ScanError(source.display, scrub(message, source), repository=source.display)
    return ScanResult((), (error,), ScanStats(), failed=True)


class _Reporter:
    """Feeds one repository's progress into the audit's progress line."""

    def __init__(self, index: int, progress: AuditProgress, on_progress: ProgressCallback | None) -> None:
        self.index = index
        self.progress = progress
        self.on_progress = on_progress

    def update(self, snapshot: RepositoryProgress) -> None:
        self.progress.running[self.index] = _snapshot(snapshot)
        if self.on_progress is not None:
            self.on_progress(self.progress)


def _snapshot(progress: RepositoryProgress) -> tuple[int, int, int, bool]:
    return (progress.objects, progress.bytes, progress.listed_bytes, progress.listing_done)


def _finished(progress: AuditProgress, result: ScanResult, on_progress: ProgressCallback | None) -> None:
    progress.done += 1
    progress.finished_bytes += result.stats.bytes
    progress.finished_objects += result.stats.blobs + result.stats.commits
    if on_progress is not None:
        on_progress(progress)


# Messages from repository processes: ("progress", index, snapshot), ("start", index, None),
# ("done", index, ScanResult), ("failed", index, message).
_Message = tuple[str, int, object]


def _in_processes(
    sources: Sequence[RepositorySource],
    request: AuditRequest,
    store: MirrorStore,
    slots: int,
    progress: AuditProgress,
    on_progress: ProgressCallback | None,
    results: dict[int, ScanResult],
) -> None:
    context = multiprocessing.get_context()
    task_queue: multiprocessing.Queue[int | None] = context.Queue()
    result_queue: multiprocessing.Queue[_Message] = context.Queue()
    for index in range(len(sources)):
        task_queue.put(index)
    for _ in range(slots):
        task_queue.put(None)
    # Not daemons: a repository process starts scan processes of its own.
    workers = [
        context.Process(target=_worker, args=(list(sources), request, store, task_queue, result_queue))
        for _ in range(slots)
    ]
    current: dict[int, int] = {}  # worker position -> repository index it is on
    by_pid: dict[int, int] = {}
    try:
        for position, worker in enumerate(workers):
            worker.start()
            by_pid[worker.pid or 0] = position
        while len(results) < len(sources):
            try:
                kind, index, payload = result_queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                _notice_deaths(workers, current, sources, results, progress, on_progress)
                continue
            if kind == "start" and isinstance(payload, int):
                current[by_pid.get(payload, -1)] = index
            elif kind == "progress" and isinstance(payload, tuple):
                progress.running[index] = payload
                if on_progress is not None:
                    on_progress(progress)
            elif kind == "done" and isinstance(payload, ScanResult):
                progress.running.pop(index, None)
                results[index] = payload
                _finished(progress, payload, on_progress)
            elif kind == "failed":
                progress.running.pop(index, None)
                results[index] = _failed(sources[index], str(payload))
                _finished(progress, results[index], on_progress)
    finally:
        stop_workers(workers)
        drop_queue(task_queue)
        drop_queue(result_queue)


def _notice_deaths(
    workers: Sequence[multiprocessing.process.BaseProcess],
    current: dict[int, int],
    sources: Sequence[RepositorySource],
    results: dict[int, ScanResult],
    progress: AuditProgress,
    on_progress: ProgressCallback | None,
) -> None:
    """A repository process that died (killed, out of memory) fails the repository it was on; when none
    is left, the repositories nobody took fail too."""
    for position, worker in enumerate(workers):
        if worker.exitcode not in (None, 0) and position in current:
            index = current.pop(position)
            if index not in results:
                progress.running.pop(index, None)
                results[index] = _failed(sources[index], f"the audit process died (exit code {worker.exitcode})")
                _finished(progress, results[index], on_progress)
    if all(worker.exitcode is not None for worker in workers):
        for index, source in enumerate(sources):
            if index not in results:
                results[index] = _failed(source, "not audited: every audit process has ended")
                _finished(progress, results[index], on_progress)


def _worker(
    sources: list[RepositorySource],
    request: AuditRequest,
    store: MirrorStore,
    task_queue: multiprocessing.Queue[int | None],
    result_queue: multiprocessing.Queue[_Message],
) -> None:
    # SIGTERM from the parent, or Ctrl-C on the whole process group: unwind, so that every `finally`
    # below stops its scan processes and git.
    unwind_on_signals()
    try:
        while True:
            index = task_queue.get()
            if index is None:
                return
            result_queue.put(("start", index, os.getpid()))
            last = [0.0]

            def report(snapshot: RepositoryProgress, index: int = index, last: list[float] = last) -> None:
                now = time.perf_counter()
                if now - last[0] >= PROGRESS_SECONDS:
                    last[0] = now
                    result_queue.put(("progress", index, _snapshot(snapshot)))

            try:
                result = audit_one(sources[index], request, store, report)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as error:  # one repository's failure is an error entry; the others go on
                result_queue.put(("failed", index, f"the audit failed: {type(error).__name__}"))
                continue
            result_queue.put(("done", index, result))
    except (KeyboardInterrupt, SystemExit):
        with contextlib.suppress(Exception):
            result_queue.cancel_join_thread()
