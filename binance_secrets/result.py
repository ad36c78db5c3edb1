"""What a scan returns: the findings, what could not be scanned, the counts, and the one report order.

Apart from `finding.py` so that the pre-commit hook, which builds a `ScanResult` on every commit, does not
build the `Finding` type and what hangs off it (commit, verification, permissions) when nothing is found.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.finding import Finding


@dataclass(frozen=True)
class ScanError:
    path: str
    message: str
    # True when something the user asked to scan was not scanned (unreadable, missing, over a limit):
    # a result holding one is incomplete and is never reported as clean. False for notices about what
    # lies outside the scan by design (a submodule is another repository).
    unscanned: bool = True
    # Multi-repository audits: the repository the entry is about (as `Finding.repository`).
    repository: str | None = None


@dataclass(frozen=True)
class ScanStats:
    files: int = 0
    commits: int = 0
    blobs: int = 0
    bytes: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    errors: tuple[ScanError, ...]
    stats: ScanStats
    # True when nothing at all could be scanned (exit code 3).
    failed: bool = False

    @property
    def incomplete(self) -> bool:
        """Something asked for was not scanned: without findings this is exit 3, never a clean 0."""
        return any(error.unscanned for error in self.errors)

    def in_report_order(self) -> ScanResult:
        """The findings in the one order every source and format reports them in (see `report_order`)."""
        return dataclasses.replace(self, findings=tuple(sorted(self.findings, key=report_order)))


def report_order(finding: Finding) -> tuple[str, str, int, int, str]:
    """By repository (multi-repository audits), by file, then position: history finds them blob by blob and
    several workers at once, so the order they arrive in means nothing."""
    return (finding.repository or "", finding.path, finding.line, finding.column, finding.rule_id)
