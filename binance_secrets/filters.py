"""The filter stage: what is reported of what was found (the confidence threshold, the allow list, the
baseline and the excludes, matched against the path a finding is reported under).

Every driver (`scan` and the hook in `scanning.py`, `staged`, the history audit, `merge-reports`) passes
its findings through `FindingFilter.apply` once; nothing else compares a confidence to the threshold or
looks a secret up in the allow list.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from binance_secrets.paths import PathFilter

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from binance_secrets.baseline import Baseline
    from binance_secrets.finding import Finding

CONFIDENCE_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}
DEFAULT_MIN_CONFIDENCE = "medium"


@dataclass(frozen=True)
class FindingFilter:
    min_confidence: str = DEFAULT_MIN_CONFIDENCE
    allow: frozenset[str] = frozenset()
    baseline: Baseline | None = None  # None: no --baseline (and baseline.py is never imported)
    # Excludes matched against the path a finding is reported under, an archive member's (`a.zip!x.env`)
    # included, in every driver: sources that list files leave an excluded file unread, but only this
    # stage sees the members of an archive they read; the history audit reads a blob once, under one of
    # its paths, and reports it under each; a merged report was scanned elsewhere.
    excluded: PathFilter = field(default_factory=PathFilter)

    def excluding(self, paths: PathFilter) -> FindingFilter:
        """This filter, also dropping findings reported under a path that `paths` excludes."""
        return dataclasses.replace(self, excluded=paths)

    def reportable(self, secret_sha256: str, confidence: str) -> bool:
        """Whether a secret found with this confidence may be reported anywhere: the threshold and the
        allow list, which need only the secret's digest (the history audit asks before attribution)."""
        return CONFIDENCE_ORDER[confidence] >= CONFIDENCE_ORDER[self.min_confidence] and secret_sha256 not in self.allow

    def keep(self, finding: Finding) -> bool:
        if not self.reportable(finding.secret_sha256, finding.confidence):
            return False
        if self.baseline is not None and self.baseline.contains(finding):
            return False
        return not self.excluded.is_excluded(finding.path)

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings this filter keeps, in their order."""
        return [finding for finding in findings if self.keep(finding)]
