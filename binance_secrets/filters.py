"""What is reported of what was found: the confidence threshold, the allow list and the baseline."""

from __future__ import annotations

from dataclasses import dataclass

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.baseline import Baseline
    from binance_secrets.finding import Finding

CONFIDENCE_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}
DEFAULT_MIN_CONFIDENCE = "medium"


@dataclass(frozen=True)
class FindingFilter:
    min_confidence: str = DEFAULT_MIN_CONFIDENCE
    allow: frozenset[str] = frozenset()
    baseline: Baseline | None = None  # None: no --baseline (and baseline.py is never imported)

    def keep(self, finding: Finding) -> bool:
        if CONFIDENCE_ORDER[finding.confidence] < CONFIDENCE_ORDER[self.min_confidence]:
            return False
        if finding.secret_sha256 in self.allow:
            return False
        return self.baseline is None or not self.baseline.contains(finding)
