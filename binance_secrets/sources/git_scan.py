"""Scanning git objects once each, in parallel: blobs for their content, commits and tags for messages.

Each worker process owns its own `git cat-file --batch`, so only object names travel to workers and
only findings travel back; inflating objects and detecting secrets both run on every core. Findings
come back unfiltered: attribution needs to know every blob a secret is in, whatever its confidence
there.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from binance_secrets.detectors import detect
from binance_secrets.finding import Finding, ScanError
from binance_secrets.sources.content import is_zip, printable_text, zip_members
from binance_secrets.sources.git_objects import CatFileBatch, GitRepository

COMMIT_MESSAGE_PATH = "<commit message>"
TAG_MESSAGE_PATH = "<tag message>"
# A batch is this many objects or this many bytes, whichever comes first: large enough that queue
# traffic is noise, small enough that every core stays busy to the end.
BATCH_OBJECTS = 256
BATCH_BYTES = 4 * 1024 * 1024
# How long the parent waits on a queue before checking that its workers are still alive.
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class ScanTask:
    sha: str
    type: str  # "blob", "commit" or "tag"
    path: str  # for blobs: the path rev-list listed it under, used only as detection context
    size: int = 0


@dataclass(frozen=True)
class ObjectFindings:
    """The findings in one object; each with the suffix (`!member` in a zip) to add to its path."""

    sha: str
    type: str
    findings: tuple[tuple[str, Finding], ...]


@dataclass
class BatchResult:
    found: list[ObjectFindings] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    objects: int = 0
    commits: int = 0
    blobs: int = 0
    bytes: int = 0


def batches(tasks: Iterable[ScanTask]) -> Iterator[list[ScanTask]]:
    batch: list[ScanTask] = []
    size = 0
    for task in tasks:
        batch.append(task)
        size += task.size
        if len(batch) >= BATCH_OBJECTS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def scan_batch(cat_file: CatFileBatch, batch: list[ScanTask]) -> BatchResult:
    result = BatchResult()
    tasks = iter(batch)
    for read in cat_file.read(task.sha for task in batch):
        task = next(tasks)
        result.objects += 1
        if read.sha is None:
            result.errors.append(ScanError(_where(task), read.error or "unreadable object"))
            continue
        result.bytes += len(read.data)
        if task.type == "blob":
            result.blobs += 1
            findings = blob_findings(read.data, task.path)
        else:
            result.commits += task.type == "commit"
            findings = message_findings(read.data, task.type)
        if findings:
            result.found.append(ObjectFindings(task.sha, task.type, tuple(findings)))
    return result


def blob_findings(data: bytes, path: str) -> list[tuple[str, Finding]]:
    if is_zip(data):
        return [
            (f"!{member}", finding)
            for member, content in zip_members(data)
            for finding in detect(printable_text(content), f"{path}!{member}")
        ]
    return [("", finding) for finding in detect(printable_text(data), path)]


def message_findings(raw: bytes, object_type: str) -> list[tuple[str, Finding]]:
    """Secrets in the message of a raw commit or tag object; lines count from the message's first."""
    headers_end = raw.find(b"\n\n")
    if headers_end < 0:
        return []
    message = raw[headers_end + 2 :]
    path = COMMIT_MESSAGE_PATH if object_type == "commit" else TAG_MESSAGE_PATH
    return [("", finding) for finding in detect(printable_text(message), path)]


def _where(task: ScanTask) -> str:
    if task.type == "blob":
        return f"{task.path or '?'} (blob {task.sha[:12]})"
    return f"{task.type} {task.sha[:12]}"


def scan_in_parallel(
    repo: GitRepository, tasks: Iterable[ScanTask], jobs: int
) -> Iterator[BatchResult]:
    """Scan results batch by batch, as they complete; memory is bounded by the queue sizes."""
    if jobs <= 1:
        with CatFileBatch(repo) as cat_file:
            for batch in batches(tasks):
                yield scan_batch(cat_file, batch)
        return
    context = multiprocessing.get_context()
    task_queue: multiprocessing.Queue[list[ScanTask] | None] = context.Queue(maxsize=2 * jobs)
    result_queue: multiprocessing.Queue[BatchResult | str | None] = context.Queue()
    workers = [
        context.Process(target=_worker, args=(repo, task_queue, result_queue), daemon=True)
        for _ in range(jobs)
    ]
    for worker in workers:
        worker.start()
    finished = 0
    try:
        for batch in batches(tasks):
            while True:
                try:
                    task_queue.put(batch, timeout=POLL_SECONDS)
                    break
                except queue.Full:
                    yield from _drain(result_queue, workers)
            yield from _drain(result_queue, workers)
        for _ in workers:
            task_queue.put(None)
        while finished < len(workers):
            try:
                message = result_queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                _check_alive(workers)
                continue
            if message is None:
                finished += 1
            elif isinstance(message, str):
                raise RuntimeError(message)
            else:
                yield message
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        task_queue.close()
        result_queue.close()


def _drain(
    result_queue: multiprocessing.Queue[BatchResult | str | None], workers: list[multiprocessing.Process]
) -> Iterator[BatchResult]:
    while True:
        try:
            message = result_queue.get_nowait()
        except queue.Empty:
            _check_alive(workers)
            return
        if isinstance(message, str):
            raise RuntimeError(message)
        if message is not None:  # a worker only says None after the parent asked it to stop
            yield message


def _check_alive(workers: list[multiprocessing.Process]) -> None:
    dead = [worker for worker in workers if worker.exitcode not in (None, 0)]
    if dead:
        raise RuntimeError(f"a scanning process died (exit code {dead[0].exitcode})")


def _worker(
    repo: GitRepository,
    task_queue: multiprocessing.Queue[list[ScanTask] | None],
    result_queue: multiprocessing.Queue[BatchResult | str | None],
) -> None:
    try:
        with CatFileBatch(repo) as cat_file:
            while True:
                batch = task_queue.get()
                if batch is None:
                    break
                result_queue.put(scan_batch(cat_file, batch))
    except KeyboardInterrupt:
        return
    except Exception as error:  # a message, never a traceback with data in it, goes to the parent
        result_queue.put(f"scanning process failed: {type(error).__name__}")
        return
    result_queue.put(None)
