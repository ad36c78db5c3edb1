"""Files in, findings out: the pipeline behind `scan` and the pre-commit hook."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from binance_secrets.detectors import detect
from binance_secrets.filters import FindingFilter
from binance_secrets.finding import Finding, ScanError, ScanResult, ScanStats
from binance_secrets.paths import PathFilter
from binance_secrets.sources import Chunk
from binance_secrets.sources.files import FileWalk, describe_os_error, read_chunks

if TYPE_CHECKING:
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
    findings: list[Finding] = []
    files = scanned_bytes = unreadable = 0
    for target in walk.files(targets):
        files += 1
        try:
            for chunk in read_chunks(target, errors):
                scanned_bytes += len(chunk.data)
                findings.extend(
                    placed(finding, chunk) for finding in chunk_findings(chunk) if finding_filter.keep(finding)
                )
        except OSError as error:
            unreadable += 1
            errors.append(ScanError(target.display_path, describe_os_error(error)))
    stats = ScanStats(files=files - unreadable, bytes=scanned_bytes, seconds=time.perf_counter() - started)
    # Exit 3 only when nothing at all could be read: no target existed, or every file failed.
    failed = walk.targets_found == 0 or (files > 0 and files == unreadable)
    return ScanResult(tuple(findings), tuple(errors), stats, failed=failed)


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
