"""`verify --report FILE`: findings read back from a JSON report, with their secrets recovered.

A report is redacted by default, so it holds `secret_sha256` rather than the secret. The secret is
recovered by scanning the same place again (the file under `root`, or the blob of the finding's
commit) and keeping the detected value whose SHA-256 matches. A report made with `--show-secrets`
needs no recovery.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from binance_secrets.errors import UsageError
from binance_secrets.finding import RULE_KINDS, CommitInfo, Finding, sha256_hex
from binance_secrets.jsonfile import read_json_file
from binance_secrets.report.escaping import path_from_text
from binance_secrets.verification.realms import REALM_NAMES

# A binance-secrets report nests about five levels deep; far deeper is not a report, and writing it
# back out (json.dumps with indent recurses per level) would fail.
MAX_REPORT_DEPTH = 64

UNRECOVERED = (
    "the report holds only the redacted secret and the scanned file could not be read to recover it; "
    "run `verify --report` from the scanned folder (or --root), or re-run the scan with --verify"
)


@dataclass(frozen=True)
class ReportEntry:
    index: int  # position in the document's findings list
    finding: Finding
    recovered: bool  # finding.secret is the real secret


def load_report(path: str) -> dict[str, Any]:
    try:
        document = read_json_file(path, "report")
    except RecursionError:
        raise UsageError(f"report {path} is not a binance-secrets JSON report (nested too deeply)") from None
    except ValueError:
        # json's own limits that are not JSONDecodeError, e.g. an integer of thousands of digits.
        raise UsageError(f"report {path} is not a binance-secrets JSON report (a value out of range)") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise UsageError(f"report {path} is not a binance-secrets JSON report (no findings list)")
    if _depth(document) > MAX_REPORT_DEPTH:
        raise UsageError(f"report {path} is not a binance-secrets JSON report (nested too deeply)")
    return document


def _depth(document: Any) -> int:
    """How deep lists and objects nest, found without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_REPORT_DEPTH:
                stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


def report_entries(document: dict[str, Any], root: Path) -> list[ReportEntry]:
    entries: list[ReportEntry] = []
    rescans: dict[tuple[str, str | None], dict[str, str]] = {}
    for index, raw in enumerate(document["findings"]):
        finding = _finding_from(raw)
        if finding is None:
            continue
        recovered = sha256_hex(finding.secret) == finding.secret_sha256
        if not recovered:
            place = (finding.path, finding.commit.sha if finding.commit else None)
            if place not in rescans:
                rescans[place] = _secrets_at(root, *place)
            secret = rescans[place].get(finding.secret_sha256)
            if secret is not None:
                finding = finding.with_changes(secret=secret)
                recovered = True
        entries.append(ReportEntry(index, finding, recovered))
    return entries


def _finding_from(raw: Any) -> Finding | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("rule_id"), str) or raw["rule_id"] not in RULE_KINDS:
        return None
    try:
        commit = _commit_from(raw.get("commit"))
        return Finding(
            rule_id=raw["rule_id"],
            confidence=raw["confidence"] if raw.get("confidence") in ("low", "medium", "high") else "medium",
            path=path_from_text(str(raw.get("path", ""))),  # the report's printable form back to the name
            line=int(raw.get("line", 1)),
            column=int(raw.get("column", 1)),
            end_column=int(raw.get("end_column", 1)),
            secret=str(raw.get("secret", "")),
            secret_sha256=str(raw["secret_sha256"]).lower(),
            pair_sha256=raw.get("pair_sha256") if isinstance(raw.get("pair_sha256"), str) else None,
            commit=commit,
            in_head=raw.get("in_head") if isinstance(raw.get("in_head"), bool) else None,
            occurrences=int(raw.get("occurrences", 1)),
            # Which realm `--endpoint auto` asks first; anything but a realm name is ignored.
            environment_hint=next((r for r in REALM_NAMES if r == raw.get("environment_hint")), None),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _commit_from(raw: Any) -> CommitInfo | None:
    """The commit of a history finding; a malformed one is dropped rather than trusted (its sha is
    later handed to git)."""
    if not isinstance(raw, dict):
        return None
    commit = CommitInfo(**raw)  # TypeError on unknown or missing fields
    if not all(isinstance(getattr(commit, name), str) for name in CommitInfo.__dataclass_fields__):
        raise TypeError("commit fields must be strings")
    return commit


def _secrets_at(root: Path, path: str, commit: str | None) -> dict[str, str]:
    """secret_sha256 -> secret for everything the detectors find at that place today."""
    from binance_secrets.detectors import detect

    data = _read_blob(root, path, commit) if commit else _read_file(root, path)
    if data is None:
        return {}
    return {finding.secret_sha256: finding.secret for finding in detect(data, path)}


def _read_file(root: Path, path: str) -> bytes | None:
    target = (root / path).resolve()
    try:
        target.relative_to(root.resolve())  # a report must not make us read outside the scanned root
        return target.read_bytes()
    except (OSError, ValueError):
        return None


def _read_blob(root: Path, path: str, commit: str) -> bytes | None:
    if not all(c in "0123456789abcdef" for c in commit.lower()):
        return None
    completed = subprocess.run(
        ["git", "-C", str(root), "cat-file", "blob", f"{commit}:{path}"], capture_output=True, check=False
    )
    return completed.stdout if completed.returncode == 0 else None
