"""Scanning git objects once each, in parallel: blobs for their content, commits and tags for messages.

Each worker process owns its own `git cat-file --batch`, so only object names travel to workers and
only findings travel back; inflating objects and detecting secrets both run on every core. Commit
messages do not go through cat-file one object at a time: one worker reads them all from a single
`git log` stream (a commit is mostly headers, and a per-object round trip cost more than detecting
in its message). Findings come back unfiltered: attribution needs to know every blob a secret is
in, whatever its confidence there.

The detectors, the content readers and multiprocessing are imported where they are first used: a
re-audit that the cache answers whole (`history --cache`) never needs them.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import queue
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, cast

from binance_secrets.finding import Finding
from binance_secrets.git.cat_file import CatFileBatch
from binance_secrets.git.process import (
    READ_BUFFER_BYTES,
    GitProcess,
    git_message,
    start_git,
    stop_process,
    widen_pipe,
)
from binance_secrets.git.repository import GitRepository
from binance_secrets.result import ScanError
from binance_secrets.sources import Chunk
from binance_secrets.worker_processes import drop_queue, stop_workers, unwind_on_signals

if TYPE_CHECKING:
    import multiprocessing

    from binance_secrets.sources.prefilter import Prefilter

COMMIT_MESSAGE_PATH = "<commit message>"
TAG_MESSAGE_PATH = "<tag message>"
# A batch is this many objects or this many bytes, whichever comes first: large enough that queue
# traffic is noise, small enough that every core stays busy to the end.
BATCH_OBJECTS = 256
BATCH_BYTES = 4 * 1024 * 1024
# Tasks are read in windows sorted by path (`by_path`): the first ends at this many objects or bytes (what
# the look-ahead takes, so that no audit waits for more before its first batch), each next one at twice
# as many, up to the largest.
FIRST_WINDOW_OBJECTS = 2 * BATCH_OBJECTS
FIRST_WINDOW_BYTES = BATCH_BYTES
LARGEST_WINDOW_OBJECTS = 64 * BATCH_OBJECTS
LARGEST_WINDOW_BYTES = 1024 * 1024 * 1024
# How long the parent waits on a queue before checking that its workers are still alive.
POLL_SECONDS = 0.1
# Commit messages are reported in batches of this many commits, so progress moves while they stream.
MESSAGE_BATCH_COMMITS = 5000
# Below this many objects and bytes to read, the audit scans in its own process: starting workers
# (each with its own `cat-file`) costs more than they would save (an incremental re-audit, a short range).
INLINE_OBJECTS = 2 * BATCH_OBJECTS
INLINE_BYTES = BATCH_BYTES


class ScanTask(NamedTuple):
    """A tuple rather than a dataclass: tens of thousands go to the workers, as plain tuples (`TaskTuple`)."""

    sha: str
    type: str  # "blob" or "tag" ("commit" is still read one by one, but messages come in bulk)
    path: str  # for blobs: the path rev-list listed it under, used only as detection context
    size: int = 0


# A `ScanTask` as it travels to a worker: a named tuple pickles through Python-level hooks (about 2 µs a
# task each way), a plain one in C (ten times less: 20,000 tasks, 0.05 s of CPU).
TaskTuple = tuple[str, str, str, int]


@dataclass(frozen=True)
class MessageScan:
    """Every commit message reachable from `revisions`, read from one `git log` stream.

    Commits in `known` were scanned by an earlier audit (`--cache`): they are counted, not scanned
    again; those of them in `flagged` (their messages held findings) are handed back in
    `BatchResult.known_flagged`, so that only the ones still in this audit are reported.
    """

    revisions: tuple[str, ...]
    known: frozenset[str] = frozenset()
    flagged: frozenset[str] = frozenset()


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
    # Objects read and scanned whole (nothing left unread by a limit): what a cache may record.
    scanned: list[str] = field(default_factory=list)
    known_flagged: list[str] = field(default_factory=list)


def by_path(tasks: Iterable[ScanTask]) -> Iterator[ScanTask]:
    """The same tasks, each window of them (see `FIRST_WINDOW_OBJECTS`) sorted by path, each path's
    versions in the listing's order (newest first).

    `cat-file` rebuilds a blob from the version its pack stores whole (the newest, as a rule) through a
    chain of deltas, and keeps recent bases in a cache; in the listing's order (commit by commit) the
    versions of one file are far apart and the bases are gone again. numpy's 126,000 blobs, read by two
    `cat-file`s a batch each in turn: 16.4 s of git's CPU time in the listing's order, 12.1 s so.
    Only the order changes, never what is read or how.
    """
    window: list[ScanTask] = []
    window_bytes = 0
    most_objects, most_bytes = FIRST_WINDOW_OBJECTS, FIRST_WINDOW_BYTES
    for task in tasks:
        window.append(task)
        window_bytes += task.size
        if len(window) >= most_objects or window_bytes >= most_bytes:
            window.sort(key=_path_of)
            yield from window
            window, window_bytes = [], 0
            most_objects = min(2 * most_objects, LARGEST_WINDOW_OBJECTS)
            most_bytes = min(2 * most_bytes, LARGEST_WINDOW_BYTES)
    window.sort(key=_path_of)
    yield from window


def _path_of(task: ScanTask) -> str:
    return task.path


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


def scan_batch(
    cat_file: CatFileBatch, batch: Sequence[TaskTuple], prefilter: Prefilter | None = None
) -> BatchResult:
    """The objects of one batch: `ScanTask`s, or the plain tuples a worker is sent (`TaskTuple`)."""
    result = BatchResult()
    tasks = iter(batch)
    for read in cat_file.read([task[0] for task in batch]):
        sha, kind, path, _ = next(tasks)
        result.objects += 1
        if read.sha is None:
            result.errors.append(ScanError(_where(sha, kind, path), read.error or "unreadable object"))
            continue
        result.bytes += len(read.data)
        if kind == "blob":
            result.blobs += 1
            unread: list[ScanError] = []
            findings = blob_findings(read.data, path, unread, prefilter)
            # Named like every other history error: the blob's path and id (one blob, many versions).
            result.errors.extend(
                ScanError(f"{display(error.path)} (blob {sha[:12]})", error.message, unscanned=error.unscanned)
                for error in unread
            )
            if not unread:
                result.scanned.append(sha)
        else:
            result.commits += kind == "commit"
            findings = message_findings(read.data, kind)
            result.scanned.append(sha)
        if findings:
            result.found.append(ObjectFindings(sha, kind, tuple(findings)))
    return result


def blob_findings(
    data: bytes, path: str, errors: list[ScanError], prefilter: Prefilter | None = None
) -> list[tuple[str, Finding]]:
    """The findings in a blob, read as `scan` reads a file (`blob_chunks`, the one expansion step: the
    same archive limits, UTF-16 and binary handling, blocks with their first line and column); what is
    not read goes to `errors`. Each finding comes with the suffix of its archive member (`!member`), or "".

    Each chunk goes through the `prefilter`, if any (`prefilter.detect_with`): ruled out when it holds
    no trigger and no base64 run where one counts, else handed its triggers; a text or binary blob is
    put to it whole, before it is converted or cut. A plain blob under one block is one chunk of
    `blob_chunks` (made there without the stream machinery), its triggers found in the blob as it is.
    """
    if not data:
        return []  # `blob_chunks` makes no chunk of an empty blob
    parts = _parts()
    plain = parts.is_plain(data)
    if plain and len(data) < parts.block_bytes:
        triggers = None
        if prefilter is not None:
            triggers = prefilter.triggers(data)
            if triggers is not None and parts.ruled_out(prefilter, triggers.found(), data, path):
                return []
        # Searched in the blob as it is, not in its printable text, so that a binary blob with nothing is
        # never converted: `printable_text` keeps every offset and every alphanumeric, so the triggers
        # (and the base64 runs) are the same in both. The one chunk `blob_chunks` makes of such a blob
        # is its printable text from line 1, column 1: made here without the generator and its tests.
        return [("", finding) for finding in parts.detect(parts.printable_text(data), path, triggers=triggers)]
    if plain and prefilter is not None and parts.ruled_out(prefilter, prefilter.may_match(data), data, path):
        return []
    results: list[tuple[str, Finding]] = []
    for chunk in parts.blob_chunks(path, data, errors):
        suffix = chunk.path[len(path) :]
        results.extend(
            (suffix, parts.placed(finding, chunk))
            for finding in parts.detect_with(prefilter, chunk.data, chunk.path, chunk.first_line)
        )
    return results


class _Parts(NamedTuple):
    """The detectors and content readers, imported on first use (see the module's docstring) and then
    held here: a history calls them for every object, and an import statement in a function costs a
    look-up each time."""

    detect_with: Callable[[Prefilter | None, bytes, str, int], list[Finding]]
    ruled_out: Callable[[Prefilter, bool, bytes, str], bool]
    may_hold_findings: Callable[[bytes], bool]
    detect: Callable[..., list[Finding]]
    placed: Callable[[Finding, Chunk], Finding]
    blob_chunks: Callable[[str, bytes, list[ScanError]], Iterator[Chunk]]
    is_plain: Callable[[bytes], bool]
    printable_text: Callable[[bytes], bytes]
    block_bytes: int


@functools.cache
def _parts() -> _Parts:
    from binance_secrets.detectors import detect
    from binance_secrets.scanning import placed
    from binance_secrets.sources.content import BLOCK_BYTES, blob_chunks, is_plain, printable_text
    from binance_secrets.sources.prefilter import detect_with, ruled_out
    from binance_secrets.triggers import may_hold_findings

    return _Parts(
        detect_with, ruled_out, may_hold_findings, detect, placed, blob_chunks, is_plain, printable_text,
        BLOCK_BYTES,
    )  # fmt: skip


def message_findings(raw: bytes, object_type: str) -> list[tuple[str, Finding]]:
    """Secrets in the message of a raw commit or tag object; lines count from the message's first."""
    headers_end = raw.find(b"\n\n")
    if headers_end < 0:
        return []
    path = COMMIT_MESSAGE_PATH if object_type == "commit" else TAG_MESSAGE_PATH
    return _text_findings(raw[headers_end + 2 :], path)


def _text_findings(message: bytes, path: str) -> list[tuple[str, Finding]]:
    parts = _parts()
    text = parts.printable_text(message)
    # Most messages hold no trigger and no base64 run at all: then there is nothing to find.
    if not parts.may_hold_findings(text):
        return []
    return [("", finding) for finding in parts.detect(text, path)]


def start_messages(repo: GitRepository, revisions: Sequence[str], *, wide: bool = True) -> GitProcess:
    """The `git log` stream of the messages of every commit `revisions` select, started (git runs ahead
    into a wide pipe while the caller is still busy listing objects). Not `wide`: a pipe of the system's
    default size, widened by the caller once it knows it will read the stream (see `scan_in_parallel`)."""
    process = start_git(
        repo, "-c", "log.showSignature=false", "log", "--stdin", "-z", "--no-color", "--format=%H%n%B",
        lines=revisions, buffered=True,
    )  # fmt: skip
    if wide:
        widen_pipe(process.stdout)
    return process


def scan_messages(
    repo: GitRepository,
    revisions: Sequence[str],
    known: frozenset[str] = frozenset(),
    flagged: frozenset[str] = frozenset(),
    started: GitProcess | None = None,
) -> Generator[BatchResult, None, None]:
    """The messages of every commit `revisions` select, from one `git log -z` stream (`started`, or one
    started here); those in `known` are counted but not scanned again (see `MessageScan`).

    `%B` is the raw message (subject and body, as in the object after its headers), so lines count
    as they do in the object. A NUL inside a message (git refuses to create one, other tools may)
    would split a record: the part that does not start with a commit id is skipped, not misread.
    """
    process = started
    try:
        if process is None:
            process = start_messages(repo, revisions)
        assert process.stdout is not None
        result = BatchResult()
        tail = b""
        while True:
            chunk = process.stdout.read(READ_BUFFER_BYTES)
            records = (tail + chunk).split(b"\0")
            tail = records.pop() if chunk else b""
            _scan_message_records(records, result, known, flagged)
            if result.commits >= MESSAGE_BATCH_COMMITS:
                yield result
                result = BatchResult()
            if not chunk:
                break
        stderr = process.stderr.read() if process.stderr else b""
        if process.wait() != 0:
            message = f"git log could not read every commit: {git_message(stderr)}"
            result.errors.append(ScanError("<repository>", message))
        yield result
    finally:
        stop_process(process)  # abandoned or interrupted: git log goes with us


def _scan_message_records(
    records: list[bytes], result: BatchResult, known: frozenset[str], flagged: frozenset[str]
) -> None:
    """The records of one read buffer. Most messages hold no trigger and no base64 run: they are
    counted as scanned without going through `detect` (`prefilter.may_hold_findings`), all the
    buffer's at once when none of them holds one (one test on the messages joined by NULs, which
    no trigger or base64 run spans), else one by one.

    A message is read as `printable_text` reads it, which changes only a text with a NUL (binary) or a
    UTF-16 one, whose ASCII characters also come with NULs: a record of the `-z` stream holds none, so
    its raw bytes hold every trigger and every base64 run its text would.
    """
    if known:  # a re-audit with a cache: some commits are only counted, some reported again
        for record in records:
            _scan_message_record(record, result, known, flagged)
        return
    may_hold_findings = _parts().may_hold_findings
    complete = [record for record in records if len(record) >= 41 and record[40:41] == b"\n"]
    if not may_hold_findings(b"\0".join([record[41:] for record in complete])):
        result.commits += len(complete)
        result.objects += len(complete)
        result.bytes += sum(map(len, complete)) - 41 * len(complete)
        result.scanned.extend([record[:40].decode("ascii", "replace") for record in complete])
        return
    for record in complete:
        if may_hold_findings(record[41:]):
            _scan_message_record(record, result, known, flagged)
        else:
            result.commits += 1
            result.objects += 1
            result.bytes += len(record) - 41
            result.scanned.append(record[:40].decode("ascii", "replace"))


def _scan_message_record(record: bytes, result: BatchResult, known: frozenset[str], flagged: frozenset[str]) -> None:
    if len(record) < 41 or record[40:41] != b"\n":
        return
    sha = record[:40].decode("ascii", "replace")
    result.commits += 1
    result.objects += 1
    result.bytes += len(record) - 41
    if sha in known:
        if sha in flagged:
            result.known_flagged.append(sha)
        return
    result.scanned.append(sha)
    findings = message_record_findings(record)
    if findings:
        result.found.append(ObjectFindings(sha, "commit", tuple(findings)))


def message_record_findings(record: bytes) -> list[tuple[str, Finding]]:
    """The findings in one record of the `git log -z --format=%H%n%B` stream: the message after the id."""
    if len(record) < 41 or record[40:41] != b"\n":
        return []
    return _text_findings(record[41:], COMMIT_MESSAGE_PATH)


def display(path: str) -> str:
    """A path from git as reported: the name's bytes decoded as `os.fsdecode` decodes a name `scan` finds.

    Git's paths are read as UTF-8 with surrogateescape (what attribution matches on); a byte that is
    not UTF-8 stays a lone surrogate, which every report writes `\\xNN`, so a history report names a
    file exactly as `scan` does, never with U+FFFD in place of its bytes.
    """
    return os.fsdecode(path.encode("utf-8", "surrogateescape"))


def _where(sha: str, kind: str, path: str) -> str:
    if kind == "blob":
        return f"{display(path) or '?'} (blob {sha[:12]})"
    return f"{kind} {sha[:12]}"


Work = list[TaskTuple] | MessageScan


def scan_in_parallel(
    repo: GitRepository, tasks: Iterable[ScanTask], jobs: int, messages: MessageScan | None = None
) -> Generator[BatchResult, None, None]:
    """Scan results batch by batch, as they complete; memory is bounded by the queue sizes.

    The commit messages, one long task, go first so that the other workers' blobs run beside them.
    Little to read (under `INLINE_OBJECTS` objects and `INLINE_BYTES` bytes) is read here, without
    workers.
    """
    work: Iterator[list[ScanTask]] = batches(by_path(tasks))
    ahead: list[list[ScanTask]] = []
    started = None
    if jobs > 1:
        # The messages' `git log` starts now, beside the listing: if the audit turns out small, it is
        # read here with nothing left to wait for; if not, a worker reads its own and this one goes.
        # Its pipe is widened only once it is known to be read: on a large history, git would otherwise
        # fill 1 MiB of messages for nothing (some 0.05 s of CPU) before it is stopped.
        started = start_messages(repo, messages.revisions, wide=False) if messages is not None else None
        try:
            if _forks():
                _load_common()
            ahead, small = _look_ahead(work)
        except BaseException:
            stop_process(started)
            raise
        work = itertools.chain(ahead, work)
        if small:
            jobs = 1
            if started is not None:
                widen_pipe(started.stdout)
        else:
            stop_process(started)
            started = None
    if jobs <= 1:
        try:
            yield from _scan_here(repo, work, messages, started)
        finally:
            stop_process(started)  # already ended when read to the end; ended here if abandoned early
        return
    import multiprocessing

    context = multiprocessing.get_context()
    if _forks():
        _load_for_workers()
    # Room for a whole window of batches: while this process gathers and sorts the next window, the
    # workers read the last one.
    task_queue: multiprocessing.Queue[Work | None] = context.Queue(
        maxsize=2 * jobs + LARGEST_WINDOW_OBJECTS // BATCH_OBJECTS
    )
    result_queue: multiprocessing.Queue[BatchResult | str | None] = context.Queue()
    workers = [
        context.Process(target=_worker, args=(repo, task_queue, result_queue), daemon=True)
        for _ in range(jobs)
    ]
    for worker in workers:
        worker.start()
    finished = 0
    items: Iterable[Work] = map(_plain, work)
    if messages is not None:
        items = _chain_work(messages, items)
    try:
        for item in items:
            while True:
                try:
                    task_queue.put(item, timeout=POLL_SECONDS)
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
        # Every worker ends, and its git children with it, before the audit returns or is interrupted;
        # tasks no worker will read are dropped rather than waited on at exit.
        stop_workers(workers)
        drop_queue(task_queue)
        result_queue.close()


def _forks() -> bool:
    """Whether workers are forked: they then inherit what this process has loaded."""
    import multiprocessing

    return multiprocessing.get_start_method() == "fork"


def _plain(batch: list[ScanTask]) -> list[TaskTuple]:
    """A batch as it is sent to a worker: plain tuples (see `TaskTuple`)."""
    return cast("list[TaskTuple]", list(map(tuple, batch)))


def _load_common() -> None:
    """What a scan needs whichever way the look-ahead goes (here, or in workers forked with it): the
    content readers and the prefilter's databases, loaded while git starts walking."""
    from binance_secrets.sources.prefilter import load_prefilter

    _parts()
    load_prefilter()


def _load_for_workers() -> None:
    """The rest of what every scanning process needs (after `_load_common`): the analysis and every
    native database, loaded once here before they are forked, rather than by each of them (about 70 ms
    of CPU time each). Only for workers: a small audit read here loads no more than it meets."""
    from binance_secrets.detectors import load_analysis
    from binance_secrets.sources.prefilter import compile_native

    load_analysis()
    compile_native()


def _look_ahead(work: Iterator[list[ScanTask]]) -> tuple[list[list[ScanTask]], bool]:
    """The first batches, and whether they are all there is and little enough to read here."""
    ahead: list[list[ScanTask]] = []
    objects = size = 0
    for batch in work:
        ahead.append(batch)
        objects += len(batch)
        size += sum(task.size for task in batch)
        if objects >= INLINE_OBJECTS or size >= INLINE_BYTES:
            return ahead, False
    return ahead, True


def _scan_here(
    repo: GitRepository,
    work: Iterable[list[ScanTask]],
    messages: MessageScan | None,
    started: GitProcess | None = None,
) -> Generator[BatchResult, None, None]:
    from binance_secrets.sources.prefilter import load_prefilter

    prefilter = load_prefilter()
    if messages is not None:
        results = scan_messages(repo, messages.revisions, messages.known, messages.flagged, started)
        with contextlib.closing(results):
            yield from results
    with CatFileBatch(repo) as cat_file:
        for batch in work:
            yield scan_batch(cat_file, batch, prefilter)


def _message_results(repo: GitRepository, messages: MessageScan) -> Generator[BatchResult, None, None]:
    return scan_messages(repo, messages.revisions, messages.known, messages.flagged)


def _chain_work(first: MessageScan, rest: Iterable[Work]) -> Iterator[Work]:
    yield first
    yield from rest


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
    task_queue: multiprocessing.Queue[Work | None],
    result_queue: multiprocessing.Queue[BatchResult | str | None],
) -> None:
    # Stopped by the parent with SIGTERM (or by Ctrl-C on the whole process group): unwind, so that
    # `with` and `finally` end the git children.
    unwind_on_signals()
    from binance_secrets.sources.prefilter import load_prefilter

    try:
        prefilter = load_prefilter()  # in the worker: a native scratch space is per process
        with CatFileBatch(repo) as cat_file:
            while True:
                batch = task_queue.get()
                if batch is None:
                    break
                if isinstance(batch, MessageScan):
                    with contextlib.closing(_message_results(repo, batch)) as results:
                        for result in results:
                            result_queue.put(result)
                    continue
                result_queue.put(scan_batch(cat_file, batch, prefilter))
    except (KeyboardInterrupt, SystemExit):
        # Results the parent will never read must not hold this process at exit.
        result_queue.cancel_join_thread()
        return
    except Exception as error:  # a message, never a traceback with data in it, goes to the parent
        result_queue.put(f"scanning process failed: {type(error).__name__}")
        return
    result_queue.put(None)
