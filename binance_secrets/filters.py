"""What is reported of what was found: the confidence threshold, the allow list and the baseline."""

from __future__ import annotations

from dataclasses import dataclass, field

from binance_secrets.baseline import Baseline
from binance_secrets.finding import CONFIDENCE_ORDER, Finding

DEFAULT_MIN_CONFIDENCE = "medium"


@dataclass(frozen=True)
class FindingFilter:
    min_confidence: str = DEFAULT_MIN_CONFIDENCE
    allow: frozenset[str] = frozenset()
    baseline: Baseline = field(default_factory=Baseline)

    def keep(self, finding: Finding) -> bool:
        if CONFIDENCE_ORDER[finding.confidence] < CONFIDENCE_ORDER[self.min_confidence]:
            return False
        if finding.secret_sha256 in self.allow:
            return False
        return not self.baseline.contains(finding)
