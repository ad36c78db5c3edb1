"""The JSON report of DESIGN.md: the format other tools and `--baseline` read back."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from binance_secrets import __version__
from binance_secrets.finding import Finding, ScanError, ScanResult, Verification

REPORT_VERSION = 1


def finding_to_dict(finding: Finding, *, show_secrets: bool) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "kind": finding.kind,
        "confidence": finding.confidence,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_column": finding.end_column,
        "secret": finding.secret if show_secrets else finding.redacted,
        "secret_sha256": finding.secret_sha256,
        "fingerprint": finding.fingerprint,
        "pair_sha256": finding.pair_sha256,
        "commit": dataclasses.asdict(finding.commit) if finding.commit else None,
        "in_head": finding.in_head,
        "environment_hint": finding.environment_hint,
        "occurrences": finding.occurrences,
        "verification": verification_to_dict(finding.verification),
    }


def verification_to_dict(verification: Verification | None) -> dict[str, Any] | None:
    if verification is None:
        return None
    return dataclasses.asdict(verification)


def report_to_dict(result: ScanResult, *, show_secrets: bool) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "tool": {"name": "binance-secrets", "version": __version__},
        "stats": {
            "files": result.stats.files,
            "commits": result.stats.commits,
            "blobs": result.stats.blobs,
            "bytes": result.stats.bytes,
            "seconds": round(result.stats.seconds, 3),
        },
        "findings": [finding_to_dict(f, show_secrets=show_secrets) for f in result.findings],
        "errors": [_error_to_dict(error) for error in result.errors],
    }


def _error_to_dict(error: ScanError) -> dict[str, Any]:
    # DESIGN.md's `{"path", "message"}` for what was not scanned; a notice (outside the scan by design,
    # so not making the result incomplete) says so.
    entry: dict[str, Any] = {"path": error.path, "message": error.message}
    if not error.unscanned:
        entry["notice"] = True
    return entry


def render(result: ScanResult, *, show_secrets: bool = False) -> str:
    return json.dumps(report_to_dict(result, show_secrets=show_secrets), indent=2) + "\n"
