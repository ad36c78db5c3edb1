"""The findings of a chunk's placed and paired candidates: each with its confidence (a pair shares the
higher, `classify.pair_confidence`), its partner's digest and, where the text says which, the
environment its key belongs to (`environment`).
"""

from __future__ import annotations

from binance_secrets.detectors.candidate import Candidate
from binance_secrets.detectors.classify import pair_confidence
from binance_secrets.detectors.environment import with_environment_hints
from binance_secrets.finding import Finding, sha256_hex


def findings(data: bytes, path: str, candidates: list[Candidate]) -> list[Finding]:
    return with_environment_hints(data, candidates, [_to_finding(candidate, path) for candidate in candidates])


def _to_finding(candidate: Candidate, path: str) -> Finding:
    partner = candidate.partner
    return Finding(
        rule_id=candidate.rule_id,
        confidence=pair_confidence(candidate),
        path=path,
        line=candidate.line,
        column=candidate.column,
        end_column=candidate.end_column,
        secret=candidate.secret,
        pair_sha256=sha256_hex(partner.secret) if partner is not None else None,
    )
