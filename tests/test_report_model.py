"""One report model (issue #15 item 5): `report/json_report.py` writes the JSON report and is the one reader
of it, with one set of defaults, for `--baseline`, `verify --report`, `merge-reports` and the GitHub Action.

README "JSON report and exit codes": the schema in the package, what a reader requires and what it
defaults, and what each command does with a finding it refuses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.finding import redact, sha256_hex
from binance_secrets.report.json_report import load_report, render, schema_path
from binance_secrets.verification.realms import REALM_NAMES
from testing import keys

from .conftest import KeyPair


def write_tree(root: Path, pair: KeyPair) -> None:
    """`root/src` with a Binance pair and a short hardcoded secret; reports are written beside `src`."""
    (root / "src").mkdir()
    (root / "src" / "bot.py").write_text(
        f'from binance.client import Client\nclient = Client("{pair.api_key}", "{pair.secret}")\n'
    )
    name = "API_SECRET"  # this file holds no assignment of a literal itself
    (root / "src" / "settings.py").write_text(f'{name} = "{keys.random_token(20)}"\n')


@pytest.mark.parametrize("show_secrets", [False, True])
def test_a_report_read_back_and_written_again_is_the_same_report(
    run_cli, in_tmp: Path, key_pair: KeyPair, show_secrets: bool
) -> None:
    write_tree(in_tmp, key_pair)
    args = ["scan", "src", "-f", "json", "-o", "report.json", *(["--show-secrets"] if show_secrets else [])]
    assert run_cli(*args).exit_code == 1
    written = (in_tmp / "report.json").read_text()
    result = load_report("report.json").checked()
    assert render(result, show_secrets=show_secrets) == written


def test_a_redacted_report_gives_findings_without_their_secret_not_the_redacted_text(
    run_cli, in_tmp: Path, key_pair: KeyPair
) -> None:
    """`Finding.secret` always means the secret: read back from a redacted report it is None, and the
    redacted form is kept apart (`recorded_redaction`)."""
    write_tree(in_tmp, key_pair)
    run_cli("scan", "src", "-f", "json", "-o", "redacted.json")
    run_cli("scan", "src", "-f", "json", "-o", "full.json", "--show-secrets")
    redacted = load_report("redacted.json").checked().findings
    full = load_report("full.json").checked().findings
    assert [f.secret for f in redacted] == [None] * len(redacted)
    assert {f.secret for f in full} >= {key_pair.api_key, key_pair.secret}
    for shown, known in zip(redacted, full, strict=True):
        assert shown.recorded_redaction == redact(known.secret or "") == shown.redacted
        assert shown.secret_sha256 == known.secret_sha256 == sha256_hex(known.secret or "")


def test_the_schema_knows_every_realm_the_tool_does() -> None:
    # Its rules and kinds: tests/test_rules.py.
    schema = json.loads(schema_path().read_text())
    assert schema["$defs"]["realm"]["enum"] == list(REALM_NAMES)


def report_with(**changes: Any) -> dict[str, Any]:
    finding = {
        "rule_id": "binance-api-key", "confidence": "high", "path": "bot.py", "line": 1, "column": 1,
        "end_column": 65, "secret": "AbCd…yz", "secret_sha256": keys.random_hex(),
    }  # fmt: skip
    finding.update(changes)
    return {"version": 1, "findings": [finding]}


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"line": "1"}, "findings[0].line must be int"),
        ({"confidence": "certain"}, "findings[0].confidence must be one of low, medium, high"),
        ({"environment_hint": "https://evil.example"}, "findings[0].environment_hint must be one of"),
        ({"secret_sha256": "../../etc/passwd"}, "findings[0].secret_sha256 must be 64 lowercase hex digits"),
    ],
)
def test_every_reader_refuses_the_same_finding_for_the_same_reason(
    run_cli, in_tmp: Path, changes: dict[str, Any], says: str
) -> None:
    (in_tmp / "src").mkdir()
    (in_tmp / "src" / "bot.py").write_text("print('clean')\n")
    (in_tmp / "report.json").write_text(json.dumps(report_with(**changes)))
    as_baseline = run_cli("scan", "src", "--baseline", "report.json")
    merged = run_cli("merge-reports", "report.json", "-f", "json")
    verified = run_cli("verify", "--report", "report.json", "-f", "json", "--api-url", "http://127.0.0.1:9")
    assert (as_baseline.exit_code, merged.exit_code, verified.exit_code) == (2, 2, 0)
    assert says in as_baseline.stderr and says in merged.stderr and says in verified.stderr
    assert json.loads(verified.stdout)["findings"][0].get("verification") is None  # left as it was


def test_a_finding_may_leave_out_the_optional_fields_and_every_reader_takes_the_same_defaults(
    run_cli, in_tmp: Path
) -> None:
    (in_tmp / "src").mkdir()
    (in_tmp / "report.json").write_text(json.dumps(report_with()))
    [finding] = load_report("report.json").checked().findings
    assert (finding.pair_sha256, finding.commit, finding.in_head, finding.environment_hint) == (None,) * 4
    assert (finding.repository, finding.verification, finding.occurrences) == (None, None, 1)
    merged = json.loads(run_cli("merge-reports", "report.json", "-f", "json").stdout)
    assert merged["findings"][0]["occurrences"] == 1 and merged["findings"][0]["commit"] is None
    assert run_cli("scan", "src", "--baseline", "report.json").exit_code == 0


def test_settings_know_nothing_of_output() -> None:
    """Issue #15 item 3: what to scan and keep (settings.py) is apart from how to print (output.py)."""
    probe = "import sys, binance_secrets.settings; print('binance_secrets.output' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
