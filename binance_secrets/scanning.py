"""Chunks in, findings out: the one chunk loop (`ChunkScan`) of `scan`, the pre-commit hook and `staged`,
and the files pipeline behind `scan` and the hook."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from binance_secrets.detectors import detect
from binance_secrets.filters import FindingFilter
from binance_secrets.paths import PathFilter
from binance_secrets.result import ScanError, ScanResult, ScanStats
from binance_secrets.sources import Chunk
from binance_secrets.sources.files import FileWalk, describe_os_error, read_chunks

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.finding import Finding  # a clean run builds no Finding, nor its type
    from binance_secrets.sources.prefilter import Prefilter


def scan_files(
    targets: Sequence[str],
    path_filter: PathFilter,
    finding_filter: FindingFilter,
    prefilter: Prefilter | None = None,
) -> ScanResult:
    """`prefilter` (`scan` of a folder, not the hook, whose few files do not repay loading one): each
    chunk is ruled out or handed its triggers by one native pass (`prefilter.detect_with`)."""
    started = time.perf_counter()
    chunk_findings: Callable[[Chunk], list[Finding]] = _plain_findings
    if prefilter is not None:
        from binance_secrets.sources.prefilter import detect_with

        def chunk_findings(chunk: Chunk) -> list[Finding]:
            return detect_with(prefilter, chunk.data, chunk.path, chunk.first_line)

    errors: list[ScanError] = []
    walk = FileWalk(path_filter, errors)
    scan = ChunkScan(finding_filter, chunk_findings)
    files = unreadable = 0
    for target in walk.files(targets):
        files += 1
        try:
            scan.chunks(read_chunks(target, errors))
        except OSError as error:  # what the file gave before it failed is kept
            unreadable += 1
            errors.append(ScanError(target.display_path, describe_os_error(error)))
    stats = ScanStats(files=files - unreadable, bytes=scan.bytes, seconds=time.perf_counter() - started)
    # Exit 3 only when nothing at all could be read: no target existed, or every file failed.
    failed = walk.targets_found == 0 or (files > 0 and files == unreadable)
    return ScanResult(tuple(scan.findings), tuple(errors), stats, failed=failed)


class ChunkScan:
    """Detect, place and filter chunk by chunk: what was kept and how many bytes were read so far.

    A plain class, not a dataclass: it is on the hook's import path. What a source raises while
    yielding chunks reaches the caller, with everything before it already counted and kept.
    """

    def __init__(
        self, finding_filter: FindingFilter, chunk_findings: Callable[[Chunk], list[Finding]] | None = None
    ) -> None:
        self.finding_filter = finding_filter
        self.chunk_findings = chunk_findings or _plain_findings
        self.findings: list[Finding] = []
        self.bytes = 0

    def chunks(self, chunks: Iterable[Chunk]) -> None:
        for chunk in chunks:
            self.bytes += len(chunk.data)
            self.findings.extend(
                self.finding_filter.apply(
                    placed(finding, chunk) for finding in self.chunk_findings(chunk)
                )
            )


def _plain_findings(chunk: Chunk) -> list[Finding]:
    return detect(chunk.data, chunk.path, first_line=chunk.first_line)


def placed(finding: Finding, chunk: Chunk) -> Finding:
    """The finding with columns counted from the start of its line, not of its chunk.

    Only a chunk that starts in the middle of a line (one longer than a read block) shifts them, and
    only for findings on that first line.
    """
    if chunk.first_column == 1 or finding.line != chunk.first_line:
        return finding
    shift = chunk.first_column - 1
    return finding.with_changes(column=finding.column + shift, end_column=finding.end_column + shift)
