"""`merge-reports`: JSON reports of several runs read back, checked field by field, and merged.

A report to merge comes from another machine (a CI artifact): it is input, not trusted. Each field is
checked against DESIGN.md's format; anything else is a usage error (exit 2) that names the report, the
field and what is wrong, never a traceback and never a half-merged report.

The merge keeps one finding per (repository, path, secret) and gives each finding `seen_in`: every
(repository, path) of the merged report where the same secret was found, so a key copied into ten
repositories is revoked once and cleaned up ten times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from binance_secrets.errors import UsageError
from binance_secrets.filters import FindingFilter
from binance_secrets.finding import (
    RULE_KINDS,
    CommitInfo,
    Finding,
    Permissions,
    ScanError,
    ScanResult,
    ScanStats,
    Verification,
    redact,
    sha256_hex,
)
from binance_secrets.paths import PathFilter
from binance_secrets.report.escaping import path_from_text

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONFIDENCES = ("low", "medium", "high")
_REALMS = ("binance", "testnet", "futures-testnet", "demo", "binance-us")
_STATUSES = ("live", "rejected", "unknown")
_RISKS = ("critical", "high", "medium", "low")
_STAT_COUNTS = ("files", "commits", "blobs", "bytes")


@dataclass(frozen=True)
class Place:
    repository: str | None
    path: str


@dataclass(frozen=True)
class MergedReport:
    result: ScanResult  # findings carry the real secret only where an input report held it
    seen_in: Mapping[str, tuple[Place, ...]]  # secret_sha256 -> every place it was found


class _Bad(Exception):
    """A field of a report that is not what DESIGN.md says; turned into a UsageError naming the report."""


def read_report(path: str) -> ScanResult:
    """One JSON report as a ScanResult; a UsageError (exit 2) for anything that is not a valid report."""
    from binance_secrets.verification.report_input import load_report

    document = load_report(path)  # JSON, not nested absurdly deep, a findings list
    try:
        return _result(document)
    except _Bad as problem:
        raise UsageError(f"report {path} is not a binance-secrets JSON report: {problem}") from None


def _result(document: Mapping[str, Any]) -> ScanResult:
    if document.get("version") != 1:
        raise _Bad("`version` must be 1")
    findings = tuple(_finding(raw, f"findings[{index}]") for index, raw in enumerate(document["findings"]))
    errors_raw = document.get("errors", [])
    if not isinstance(errors_raw, list):
        raise _Bad("`errors` must be a list")
    errors = tuple(_error(raw, f"errors[{index}]") for index, raw in enumerate(errors_raw))
    return ScanResult(findings, errors, _stats(document.get("stats", {})))


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
    value = _field(raw, name, where, (str,), optional=optional)
    if value is not None and not _SHA256.fullmatch(value):
        raise _Bad(f"{where}.{name} must be 64 lowercase hex digits")
    return value  # type: ignore[no-any-return]


def _finding(raw: Any, where: str) -> Finding:
    if not isinstance(raw, dict):
        raise _Bad(f"{where} must be an object")
    rule_id = _choice(raw, "rule_id", where, tuple(RULE_KINDS))
    secret_sha256 = _digest(raw, "secret_sha256", where)
    assert secret_sha256 is not None
    return Finding(
        rule_id=rule_id,
        confidence=_choice(raw, "confidence", where, _CONFIDENCES),
        path=path_from_text(_field(raw, "path", where, (str,))),
        line=_positive(raw, "line", where),
        column=_positive(raw, "column", where),
        end_column=_positive(raw, "end_column", where),
        secret=_field(raw, "secret", where, (str,)),
        secret_sha256=secret_sha256,
        pair_sha256=_digest(raw, "pair_sha256", where, optional=True),
        commit=_commit(raw.get("commit"), f"{where}.commit"),
        in_head=_field(raw, "in_head", where, (bool,), optional=True),
        occurrences=_positive(raw, "occurrences", where, default=1),
        verification=_verification(raw.get("verification"), f"{where}.verification"),
        environment_hint=_choice(raw, "environment_hint", where, _REALMS, optional=True),
        repository=_field(raw, "repository", where, (str,), optional=True),
    )


def _commit(raw: Any, where: str) -> CommitInfo | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _Bad(f"{where} must be an object or null")
    values = {name: _field(raw, name, where, (str,)) for name in CommitInfo.__dataclass_fields__}
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", values["sha"]):
        raise _Bad(f"{where}.sha must be a commit id")
    return CommitInfo(**values)


def _verification(raw: Any, where: str) -> Verification | None:
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
                name: bool(_field(permissions_raw, name, f"{where}.permissions", (bool,), optional=True))
                for name in Permissions.__dataclass_fields__
            }
        )
    return Verification(
        status=_choice(raw, "status", where, _STATUSES),
        reason=_field(raw, "reason", where, (str,)),
        endpoint=_field(raw, "endpoint", where, (str,)),
        checked_at=_field(raw, "checked_at", where, (str,)),
        permissions=permissions,
        ip_restricted=_field(raw, "ip_restricted", where, (bool,), optional=True),
        risk=_choice(raw, "risk", where, _RISKS, optional=True),
        environment=_choice(raw, "environment", where, _REALMS, optional=True),
    )


def _error(raw: Any, where: str) -> ScanError:
    if not isinstance(raw, dict):
        raise _Bad(f"{where} must be an object")
    return ScanError(
        path_from_text(_field(raw, "path", where, (str,))),
        _field(raw, "message", where, (str,)),
        unscanned=not _field(raw, "notice", where, (bool,), optional=True),
        repository=_field(raw, "repository", where, (str,), optional=True),
    )


def _stats(raw: Any) -> ScanStats:
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


def merge(
    results: Sequence[ScanResult], finding_filter: FindingFilter, path_filter: PathFilter, *, show_secrets: bool
) -> MergedReport:
    """One report: each (repository, path, secret) once, filtered as `history` filters, errors and stats summed.

    A secret an input report held in full is redacted here unless `show_secrets`; one it held redacted stays
    as it was written (it cannot be redacted twice).
    """
    kept: dict[tuple[str | None, str, str], Finding] = {}
    for result in results:
        for finding in result.findings:
            if path_filter.is_excluded(finding.path) or not finding_filter.keep(finding):
                continue
            key = (finding.repository, finding.path, finding.secret_sha256)
            kept[key] = _better(kept[key], finding) if key in kept else finding
    findings = [_shown(finding, show_secrets) for finding in kept.values()]
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


def _shown(finding: Finding, show_secrets: bool) -> Finding:
    if show_secrets or sha256_hex(finding.secret) != finding.secret_sha256:
        return finding  # asked for, or already redacted in its report
    return finding.with_changes(secret=redact(finding.secret))
