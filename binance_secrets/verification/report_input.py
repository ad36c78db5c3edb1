"""`verify --report`: the secrets of a report's findings, recovered where the report holds only their digest.

A report is redacted by default, so it holds `secret_sha256` rather than the secret (the reader,
`report.json_report`, gives such a finding `secret` None). The secret is recovered by scanning the same
place again (the file under `root`, or the blob of the finding's commit) and keeping the detected value
whose SHA-256 matches. A report made with `--show-secrets` needs no recovery.

A report is user input: the reader refuses a commit id that is not one (`json_report.COMMIT_ID`), and the
recovery checks again before it hands one to git, so that an empty or abbreviated id can never make git
read the index (`:path`) or resolve a prefix, nor a commit-less read fall back to the working tree.
"""

from __future__ import annotations

from pathlib import Path

from binance_secrets.finding import Finding
from binance_secrets.report.json_report import COMMIT_ID, ReadReport


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

    data = _read_file(root, path) if commit is None else _read_blob(root, path, commit)
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
    if not COMMIT_ID.fullmatch(commit):
        return None  # not a commit: nothing is read, the secret stays unrecovered
    from binance_secrets.git.process import run_git
    from binance_secrets.git.repository import GitFolder

    # `<commit>:<path>` is one argument that starts with a full commit id (checked above): a path in
    # a report never becomes an option, and the id never names the index (`:path`) or an abbreviation.
    completed = run_git(GitFolder(str(root)), "cat-file", "blob", f"{commit}:{path}")
    return completed.stdout if completed.returncode == 0 else None
