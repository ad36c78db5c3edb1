"""`benchmarks/compare_findings.py`, the before/after diff of issue #15's "same findings as before" (README
"Performance"): its comparison of two JSON reports, on small reports written here."""

from __future__ import annotations

import copy
from typing import Any

from benchmarks.compare_findings import differences

_DIGEST_A = "a" * 12 + "0" * 52
_DIGEST_B = "b" * 12 + "0" * 52


def _finding(path: str, line: int, digest: str, **fields: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "rule_id": "binance-api-key",
        "kind": "api_key",
        "confidence": "high",
        "path": path,
        "line": line,
        "column": 5,
        "end_column": 69,
        "secret": "AbCd…yz",
        "secret_sha256": digest,
        "pair_sha256": None,
        "commit": None,
        "repository": None,
        "occurrences": 1,
        "verification": None,
    }
    finding.update(fields)
    return finding


def _report(*findings: dict[str, Any], seconds: float = 1.5, version: str = "0.1.0") -> dict[str, Any]:
    return {
        "version": 1,
        "tool": {"name": "binance-secrets", "version": version},
        "stats": {"files": 3, "commits": 0, "blobs": 0, "bytes": 900, "seconds": seconds},
        "findings": list(findings),
        "errors": [{"path": "big.bin", "message": "over the size limit"}],
    }


def test_reports_that_differ_only_in_timing_and_version_give_no_line() -> None:
    old = _report(_finding("bot.py", 3, _DIGEST_A), _finding("env", 1, _DIGEST_B))
    new = _report(_finding("env", 1, _DIGEST_B), _finding("bot.py", 3, _DIGEST_A), seconds=9.25, version="0.2.0")
    assert differences("scan-tree", old, new) == []


def test_a_finding_only_one_side_reports_is_one_line_with_its_side() -> None:
    kept = _finding("bot.py", 3, _DIGEST_A)
    gone = _finding("old.py", 7, _DIGEST_B, rule_id="binance-secret-key", confidence="medium")
    appeared = _finding("new.py", 2, _DIGEST_B, confidence="low")
    lines = differences("history", _report(kept, gone), _report(kept, appeared))
    assert lines == [
        "history: + binance-api-key low new.py:2:5 sha256:bbbbbbbbbbbb",
        "history: - binance-secret-key medium old.py:7:5 sha256:bbbbbbbbbbbb",
    ]


def test_the_same_finding_with_other_fields_is_one_line_naming_each_change() -> None:
    old = _report(_finding("bot.py", 3, _DIGEST_A))
    new = _report(_finding("bot.py", 3, _DIGEST_A, confidence="medium", pair_sha256=_DIGEST_B))
    assert differences("scan-tree", old, new) == [
        f'scan-tree: ~ binance-api-key medium bot.py:3:5 sha256:aaaaaaaaaaaa: confidence "high" -> "medium"; '
        f'pair_sha256 null -> "{_DIGEST_B}"'
    ]


def test_a_finding_reported_twice_on_one_side_is_told_apart_by_count() -> None:
    """Two repositories of an audit may hold the same secret at the same place: matched as a multiset."""
    twice = _finding("bot.py", 3, _DIGEST_A)
    old, new = _report(twice, copy.deepcopy(twice)), _report(twice)
    assert differences("realworld/x/y", old, new) == [
        "realworld/x/y: - binance-api-key high bot.py:3:5 sha256:aaaaaaaaaaaa"
    ]


def test_errors_and_counts_are_compared_too() -> None:
    """A file one side could not read is a difference in what was scanned, even with the same findings."""
    old = _report(_finding("bot.py", 3, _DIGEST_A))
    new = copy.deepcopy(old)
    new["errors"] = []
    new["stats"]["bytes"] = 1200
    assert differences("scan-tree", old, new) == [
        'scan-tree: - error {"message": "over the size limit", "path": "big.bin"}',
        'scan-tree: ~ stats: {"blobs": 0, "bytes": 900, "commits": 0, "files": 3} -> '
        '{"blobs": 0, "bytes": 1200, "commits": 0, "files": 3}',
    ]
