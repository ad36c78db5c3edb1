"""The JSON report (README "JSON report"): written here, and read back here by everything that reads one.

Writing: paths with `escaping.path_text` (a byte that is not UTF-8 as `\\xNN`, a backslash as `\\\\`) and
every other string made valid UTF-8, so the report is valid UTF-8 JSON whatever the file names hold. The
format is published as a JSON Schema in the package (`report/schema/report.schema.json`, `schema_path()`).

Reading (`load_report`, `parse_report`): `--baseline`, `verify --report`, `merge-reports` and the GitHub
Action all read a report through this one reader, with one set of defaults for the fields a report may
leave out. A report may come from another machine, so each field is checked; a finding the reader refuses
is listed in `ReadReport.problems` with the field and what is wrong, and each caller decides what a refused
finding means for it (`checked()`: the whole report is refused, exit 2).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from binance_secrets import __version__
from binance_secrets.errors import UsageError
from binance_secrets.finding import CommitInfo, Finding, Permissions, Verification, sha256_hex
from binance_secrets.report.escaping import path_from_text, path_text, utf8_text
from binance_secrets.result import ScanError, ScanResult, ScanStats
from binance_secrets.rules import RULES_BY_ID

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
        "secret": finding.shown(show_secrets),
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
    # The README's `{"path", "message"}` ("JSON report and exit codes") for what was not scanned; a notice
    # (outside the scan by design, so not making the result incomplete) says so.
    entry: dict[str, Any] = {"path": path_text(error.path), "message": utf8_text(error.message)}
    if error.repository is not None:
        entry["repository"] = utf8_text(error.repository)
    if not error.unscanned:
        entry["notice"] = True
    return entry


def render(result: ScanResult, *, show_secrets: bool = False) -> str:
    return json.dumps(report_to_dict(result, show_secrets=show_secrets), indent=2) + "\n"


def schema_path() -> Path:
    """The JSON Schema of the report this module writes (shipped in the package)."""
    return Path(__file__).with_name("schema") / "report.schema.json"


# --------------------------------------------------------------------------------------------- reading

# A report nests about five levels deep; far deeper is not a report, and writing it back out
# (`verify --report`; json.dumps with indent recurses per level) would fail.
MAX_REPORT_DEPTH = 64
_SHA256 = re.compile(r"[0-9a-f]{64}")
# A full commit id (SHA-1 or SHA-256 repositories): what a report may hand to git, and nothing else.
COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_CONFIDENCES = ("low", "medium", "high")
_REALMS = ("binance", "testnet", "futures-testnet", "demo", "binance-us")
_STATUSES = ("live", "rejected", "unknown")
_RISKS = ("critical", "high", "medium", "low")
_STAT_COUNTS = ("files", "commits", "blobs", "bytes")


@dataclass(frozen=True)
class ReadReport:
    """A report as read: the document itself, and what the reader made of it."""

    source: str  # how messages name it: "report PATH", "baseline PATH"
    document: dict[str, Any]  # as parsed (`verify --report` writes it back, enriched)
    # Every finding the reader accepted, with its position in document["findings"]. A finding whose
    # report did not hold the full secret has `secret` None and its redacted form in `recorded_redaction`.
    findings: tuple[tuple[int, Finding], ...]
    errors: tuple[ScanError, ...]
    stats: ScanStats
    problems: tuple[str, ...]  # one per refused finding: "findings[3].line must be int"

    @property
    def result(self) -> ScanResult:
        return ScanResult(tuple(finding for _, finding in self.findings), self.errors, self.stats)

    def checked(self) -> ScanResult:
        """The result, or a UsageError (exit 2) naming the first refused finding."""
        if self.problems:
            raise UsageError(f"{self.source} is not a binance-secrets JSON report: {self.problems[0]}")
        return self.result


class _Bad(Exception):
    """A field that is not what the report format says."""


def load_report(path: str, what: str = "report") -> ReadReport:
    """The report at `path`: a UsageError (exit 2) when it is not JSON, nested absurdly deep, or not a
    report at all; findings the reader refuses are in `problems`."""
    from binance_secrets.jsonfile import read_json_file

    return parse_report(read_json_file(path, what), f"{what} {path}")


def parse_report(document: object, source: str) -> ReadReport:
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise UsageError(f"{source} is not a binance-secrets JSON report (no findings list)")
    if _depth(document) > MAX_REPORT_DEPTH:
        raise UsageError(f"{source} is not a binance-secrets JSON report (nested too deeply)")
    try:
        if document.get("version") != REPORT_VERSION:
            raise _Bad(f"`version` must be {REPORT_VERSION}")
        errors_raw = document.get("errors", [])
        if not isinstance(errors_raw, list):
            raise _Bad("`errors` must be a list")
        errors = tuple(_error(raw, f"errors[{index}]") for index, raw in enumerate(errors_raw))
        stats = _stats(document.get("stats", {}))
    except _Bad as problem:
        raise UsageError(f"{source} is not a binance-secrets JSON report: {problem}") from None
    findings: list[tuple[int, Finding]] = []
    problems: list[str] = []
    for index, raw in enumerate(document["findings"]):
        try:
            findings.append((index, _finding(raw, f"findings[{index}]")))
        except _Bad as problem:
            problems.append(str(problem))
    return ReadReport(source, document, tuple(findings), errors, stats, tuple(problems))


def _depth(document: object) -> int:
    """How deep lists and objects nest, found without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_REPORT_DEPTH:
                stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


def _field(raw: Mapping[str, Any], name: str, where: str, kinds: tuple[type, ...], *, optional: bool = False) -> Any:
    if name not in raw:
        if optional:
            return None
        raise _Bad(f"{where}.{name} is missing")
    value = raw[name]
    if value is None and optional:
        return None
    # bool is an int in Python; a count that is `true` is not a count.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        raise _Bad(f"{where}.{name} must be {names}{' or null' if optional else ''}")
    return value


def _text(raw: Mapping[str, Any], name: str, where: str) -> str:
    value: str = _field(raw, name, where, (str,))
    return value


def _optional_text(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value: str | None = _field(raw, name, where, (str,), optional=True)
    return value


def _optional_flag(raw: Mapping[str, Any], name: str, where: str) -> bool | None:
    value: bool | None = _field(raw, name, where, (bool,), optional=True)
    return value


def _choice(raw: Mapping[str, Any], name: str, where: str, choices: Sequence[str], *, optional: bool = False) -> Any:
    value = _field(raw, name, where, (str,), optional=optional)
    if value is not None and value not in choices:
        raise _Bad(f"{where}.{name} must be one of {', '.join(choices)}")
    return value


def _positive(raw: Mapping[str, Any], name: str, where: str, *, default: int | None = None) -> int:
    if default is not None and name not in raw:
        return default
    value: int = _field(raw, name, where, (int,))
    if value < 1:
        raise _Bad(f"{where}.{name} must be 1 or more")
    return value


def _digest(raw: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> str | None:
    value: str | None = _field(raw, name, where, (str,), optional=optional)
    if value is not None and not _SHA256.fullmatch(value):
        raise _Bad(f"{where}.{name} must be 64 lowercase hex digits")
    return value


def _finding(raw: object, where: str) -> Finding:
    if not isinstance(raw, dict):
        raise _Bad(f"{where} must be an object")
    rule_id = _choice(raw, "rule_id", where, tuple(RULES_BY_ID))
    secret_sha256 = _digest(raw, "secret_sha256", where)
    assert secret_sha256 is not None
    written = _text(raw, "secret", where)
    # The full secret when the report was made with --show-secrets (its digest says so), else its redacted form.
    known = sha256_hex(written) == secret_sha256
    return Finding(
        rule_id=rule_id,
        confidence=_choice(raw, "confidence", where, _CONFIDENCES),
        path=path_from_text(_text(raw, "path", where)),  # the report's printable form back to the name
        line=_positive(raw, "line", where),
        column=_positive(raw, "column", where),
        end_column=_positive(raw, "end_column", where),
        secret=written if known else None,
        secret_sha256=secret_sha256,
        pair_sha256=_digest(raw, "pair_sha256", where, optional=True),
        commit=_commit(raw.get("commit"), f"{where}.commit"),
        in_head=_optional_flag(raw, "in_head", where),
        occurrences=_positive(raw, "occurrences", where, default=1),
        verification=_verification(raw.get("verification"), f"{where}.verification"),
        environment_hint=_choice(raw, "environment_hint", where, _REALMS, optional=True),
        repository=_optional_text(raw, "repository", where),
        recorded_redaction=None if known else written,
    )


def _commit(raw: object, where: str) -> CommitInfo | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _Bad(f"{where} must be an object or null")
    values = {name: _text(raw, name, where) for name in CommitInfo.__dataclass_fields__}
    # The id is later handed to git (`verify --report` reads the blob back): a commit id and nothing else.
    if not COMMIT_ID.fullmatch(values["sha"]):
        raise _Bad(f"{where}.sha must be a commit id")
    return CommitInfo(**values)


def _verification(raw: object, where: str) -> Verification | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _Bad(f"{where} must be an object or null")
    permissions_raw = raw.get("permissions")
    permissions = None
    if permissions_raw is not None:
        if not isinstance(permissions_raw, dict):
            raise _Bad(f"{where}.permissions must be an object or null")
        permissions = Permissions(
            **{
                name: bool(_optional_flag(permissions_raw, name, f"{where}.permissions"))
                for name in Permissions.__dataclass_fields__
            }
        )
    return Verification(
        status=_choice(raw, "status", where, _STATUSES),
        reason=_text(raw, "reason", where),
        endpoint=_text(raw, "endpoint", where),
        checked_at=_text(raw, "checked_at", where),
        permissions=permissions,
        ip_restricted=_optional_flag(raw, "ip_restricted", where),
        risk=_choice(raw, "risk", where, _RISKS, optional=True),
        environment=_choice(raw, "environment", where, _REALMS, optional=True),
    )


def _error(raw: object, where: str) -> ScanError:
    if not isinstance(raw, dict):
        raise _Bad(f"{where} must be an object")
    return ScanError(
        path_from_text(_text(raw, "path", where)),
        _text(raw, "message", where),
        unscanned=not _optional_flag(raw, "notice", where),
        repository=_optional_text(raw, "repository", where),
    )


def _stats(raw: object) -> ScanStats:
    if not isinstance(raw, dict):
        raise _Bad("`stats` must be an object")
    counts = {}
    for name in _STAT_COUNTS:
        value = _field(raw, name, "stats", (int,), optional=True) or 0
        if value < 0:
            raise _Bad(f"stats.{name} must not be negative")
        counts[name] = value
    seconds = _field(raw, "seconds", "stats", (int, float), optional=True) or 0.0
    if not 0 <= seconds < float("inf"):
        raise _Bad("stats.seconds must be a number of seconds")
    return ScanStats(seconds=float(seconds), **counts)
