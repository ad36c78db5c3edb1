"""`verify --report`: the secrets of a report's findings, recovered where the report holds only their digest.

A report is redacted by default, so it holds `secret_sha256` rather than the secret (the reader,
`report.json_report`, gives such a finding `secret` None). The secret is recovered by scanning the same
place again (the file under `root`, or the blob of the finding's commit) and keeping the detected value
whose SHA-256 matches. A report made with `--show-secrets` needs no recovery.
"""

from __future__ import annotations

from pathlib import Path

from binance_secrets.finding import Finding
from binance_secrets.report.json_report import ReadReport


def recover_secrets(report: ReadReport, root: Path) -> list[tuple[int, Finding]]:
    """Each finding the reader accepted, by its position in the report, with its secret wherever it could be
    recovered (still None where it could not)."""
    entries: list[tuple[int, Finding]] = []
    rescans: dict[tuple[str, str | None], dict[str, str]] = {}
    for index, finding in report.findings:
        if finding.secret is None:
            place = (finding.path, finding.commit.sha if finding.commit else None)
            if place not in rescans:
                rescans[place] = _secrets_at(root, *place)
            secret = rescans[place].get(finding.secret_sha256)
            if secret is not None:
                finding = finding.with_changes(secret=secret, recorded_redaction=None)
        entries.append((index, finding))
    return entries


def _secrets_at(root: Path, path: str, commit: str | None) -> dict[str, str]:
    """secret_sha256 -> secret for everything the detectors find at that place today."""
    from binance_secrets.detectors import detect

    data = _read_blob(root, path, commit) if commit else _read_file(root, path)
    if data is None:
        return {}
    return {finding.secret_sha256: finding.secret for finding in detect(data, path) if finding.secret is not None}


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
    from binance_secrets.git.process import run_git
    from binance_secrets.git.repository import GitFolder

    # `<commit>:<path>` is one argument that starts with hex digits: a path in a report never becomes an option.
    completed = run_git(GitFolder(str(root)), "cat-file", "blob", f"{commit}:{path}")
    return completed.stdout if completed.returncode == 0 else None
