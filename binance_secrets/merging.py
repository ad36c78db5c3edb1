"""`merge-reports`: JSON reports of several runs merged into one.

A report to merge comes from another machine (a CI artifact): it is input, not trusted. It is read by
the one report reader (`report.json_report`), which checks each field; anything that is not a valid
report is a usage error (exit 2) that names the report, the field and what is wrong, never a traceback
and never a half-merged report.

The merge keeps one finding per (repository, path, secret) and gives each finding `seen_in`: every
(repository, path) of the merged report where the same secret was found, so a key copied into ten
repositories is revoked once and cleaned up ten times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from binance_secrets.filters import FindingFilter
from binance_secrets.finding import Finding
from binance_secrets.paths import PathFilter
from binance_secrets.result import ScanError, ScanResult, ScanStats


@dataclass(frozen=True)
class Place:
    repository: str | None
    path: str


@dataclass(frozen=True)
class MergedReport:
    result: ScanResult  # findings carry the real secret only where an input report held it
    seen_in: Mapping[str, tuple[Place, ...]]  # secret_sha256 -> every place it was found


def read_report(path: str) -> ScanResult:
    """One JSON report as a ScanResult; a UsageError (exit 2) for anything that is not a valid report."""
    from binance_secrets.report.json_report import load_report

    return load_report(path).checked()


def merge(results: Sequence[ScanResult], finding_filter: FindingFilter, path_filter: PathFilter) -> MergedReport:
    """One report: each (repository, path, secret) once, filtered as `history` filters, errors and stats summed.

    A secret an input report held in full stays in the finding (the reports print it only with
    `--show-secrets`); one it held redacted has only its recorded redaction.
    """
    kept: dict[tuple[str | None, str, str], Finding] = {}
    # The one filter stage, with the excludes: these findings were scanned elsewhere, unexcluded.
    reported = finding_filter.excluding(path_filter).apply(finding for result in results for finding in result.findings)
    for finding in reported:
        key = (finding.repository, finding.path, finding.secret_sha256)
        kept[key] = _better(kept[key], finding) if key in kept else finding
    findings = list(kept.values())
    seen_in: dict[str, set[Place]] = {}
    for finding in findings:
        seen_in.setdefault(finding.secret_sha256, set()).add(Place(finding.repository, finding.path))
    errors: dict[ScanError, None] = {}
    for result in results:
        for error in result.errors:
            errors.setdefault(error, None)
    stats = ScanStats(
        files=sum(r.stats.files for r in results),
        commits=sum(r.stats.commits for r in results),
        blobs=sum(r.stats.blobs for r in results),
        bytes=sum(r.stats.bytes for r in results),
        seconds=sum(r.stats.seconds for r in results),
    )
    ordered = {
        sha: tuple(sorted(places, key=lambda p: (p.repository or "", p.path))) for sha, places in seen_in.items()
    }
    return MergedReport(ScanResult(tuple(findings), tuple(errors), stats), ordered)


def _better(first: Finding, second: Finding) -> Finding:
    """The same secret at the same place in two reports (a repository audited twice): the earliest commit,
    the most occurrences, and a verification if either has one (a live one over any other)."""
    def date(finding: Finding) -> str:
        return finding.commit.date if finding.commit is not None else "~"  # no commit sorts last

    chosen = min((first, second), key=date)
    other = second if chosen is first else first
    verification = chosen.verification
    if other.verification is not None and (verification is None or other.verification.status == "live"):
        verification = other.verification
    in_head = chosen.in_head if other.in_head is None else bool(chosen.in_head) or other.in_head
    return chosen.with_changes(
        occurrences=max(first.occurrences, second.occurrences), verification=verification, in_head=in_head
    )
