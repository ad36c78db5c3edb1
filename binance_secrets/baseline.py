"""Secrets already recorded in a baseline: a previous JSON report of ours, or a detect-secrets baseline.

Our reports carry `secret_sha256`; detect-secrets baselines carry `hashed_secret` (SHA-1 of the
secret). Both identify a secret without holding it, so a baseline is safe to commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from binance_secrets.errors import UsageError
from binance_secrets.finding import Finding
from binance_secrets.jsonfile import read_json_file


@dataclass(frozen=True)
class Baseline:
    sha256: frozenset[str] = frozenset()
    sha1: frozenset[str] = frozenset()

    def contains(self, finding: Finding) -> bool:
        if finding.secret_sha256 in self.sha256:
            return True
        if not self.sha1 or finding.secret is None:
            return False
        # SHA-1 because detect-secrets identifies secrets by it; it is a lookup key here, not a protection.
        secret_bytes = finding.secret.encode("utf-8", "surrogateescape")
        return hashlib.sha1(secret_bytes, usedforsecurity=False).hexdigest() in self.sha1


def load_baseline(path: str) -> Baseline:
    document = read_json_file(path, "baseline")
    if isinstance(document, dict) and isinstance(document.get("findings"), list):
        from binance_secrets.report.json_report import parse_report

        # Read as every report is read; a finding the reader refuses makes the baseline a usage error
        # (exit 2) rather than silently suppressing less than the user recorded.
        result = parse_report(document, f"baseline {path}").checked()
        return Baseline(sha256=frozenset(finding.secret_sha256 for finding in result.findings))
    if isinstance(document, dict) and isinstance(document.get("results"), dict):
        sha1 = {
            entry["hashed_secret"].lower()
            for entries in document["results"].values()
            if isinstance(entries, list)
            for entry in entries
            if isinstance(entry, dict) and isinstance(entry.get("hashed_secret"), str)
        }
        return Baseline(sha1=frozenset(sha1))
    raise UsageError(
        f"baseline {path} is neither a binance-secrets JSON report nor a detect-secrets baseline"
    )
