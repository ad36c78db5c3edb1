"""The JSON report of DESIGN.md: the format other tools and `--baseline` read back.

Paths are written with `escaping.path_text` (a byte that is not UTF-8 as `\\xNN`, a backslash as `\\\\`) and
every other string made valid UTF-8, so the report is valid UTF-8 JSON whatever the file names hold.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from binance_secrets import __version__
from binance_secrets.finding import Finding, ScanError, ScanResult, Verification
from binance_secrets.report.escaping import path_text, utf8_text

REPORT_VERSION = 1


def finding_to_dict(finding: Finding, *, show_secrets: bool) -> dict[str, Any]:
    entry: dict[str, Any] = _valid_utf8({
        "rule_id": finding.rule_id,
        "kind": finding.kind,
        "confidence": finding.confidence,
        "path": path_text(finding.path),
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
        "repository": finding.repository,
        "occurrences": finding.occurrences,
        "verification": verification_to_dict(finding.verification),
    })
    return entry


def _valid_utf8(value: Any) -> Any:
    # Commit fields, reasons and literal secrets may hold undecodable bytes too; paths are already escaped.
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, dict):
        return {key: _valid_utf8(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_valid_utf8(item) for item in value]
    return value


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
    entry: dict[str, Any] = {"path": path_text(error.path), "message": utf8_text(error.message)}
    if error.repository is not None:
        entry["repository"] = utf8_text(error.repository)
    if not error.unscanned:
        entry["notice"] = True
    return entry


def render(result: ScanResult, *, show_secrets: bool = False) -> str:
    return json.dumps(report_to_dict(result, show_secrets=show_secrets), indent=2) + "\n"
