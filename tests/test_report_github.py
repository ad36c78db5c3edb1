"""The GitHub report: workflow-command escaping, the 10-annotation cap, the summary table; never a secret."""

from __future__ import annotations

from pathlib import Path

from binance_secrets.finding import CommitInfo, Finding, Permissions, ScanResult, ScanStats, Verification
from binance_secrets.report import github
from binance_secrets.report.json_report import report_to_dict
from testing import keys

COMMIT = CommitInfo("c" * 40, "Mallory | <b>x</b>", "m@example.invalid", "2026-01-02T03:04:05+00:00", "add")


def _finding(secret: str, path: str = "config/settings.py", line: int = 12, **changes: object) -> Finding:
    return Finding("binance-secret-key", "high", path, line, 15, 79, secret).with_changes(**changes)


def _report(*findings: Finding) -> dict[str, object]:
    return report_to_dict(ScanResult(findings, (), ScanStats(files=1)), show_secrets=False)


def test_escape_data_encodes_percent_and_line_breaks() -> None:
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"


def test_escape_property_also_encodes_colon_and_comma() -> None:
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotation_has_location_title_and_redacted_secret_only() -> None:
    secret = keys.secret_key()
    [line] = github.annotation_lines(_report(_finding(secret)))
    assert line.startswith(
        "::error file=config/settings.py,line=12,endLine=12,col=15,endColumn=79,title=Binance secret key::"
    )
    assert secret not in line
    assert f"{secret[:4]}…{secret[-2:]}" in line


def test_hostile_path_cannot_inject_properties_or_a_second_command() -> None:
    secret = keys.secret_key()
    [line] = github.annotation_lines(_report(_finding(secret, path="a,title=x:y\n::warning::z.py")))
    assert line.count("\n") == 0
    assert "file=a%2Ctitle=x%3Ay%0A%3A%3Awarning%3A%3Az.py," in line


def test_commit_and_live_verification_appear_in_the_annotation() -> None:
    live = Verification("live", "accepted", "https://api.binance.com", "2026-11-21T10:00:00+00:00",
                        Permissions(reading=True, withdrawals=True), False, "critical")  # fmt: skip
    [line] = github.annotation_lines(_report(_finding(keys.secret_key(), commit=COMMIT, verification=live)))
    assert "title=LIVE Binance secret key::" in line
    assert "First added in cccccccccccc by Mallory" in line
    assert "Verification: live, risk critical." in line


def test_only_ten_annotations_and_a_notice_pointing_to_the_summary() -> None:
    findings = [_finding(keys.secret_key(), line=n) for n in range(1, 14)]
    lines = github.annotation_lines(_report(*findings))
    assert len(lines) == 11
    assert all(line.startswith("::error ") for line in lines[:10])
    assert lines[10] == (
        "::notice title=binance-secrets::3 more finding(s) are listed in the job summary and the SARIF file."
    )


def test_summary_of_a_clean_scan_says_so() -> None:
    text = github.summary(_report(), scope="Scanned the commits `a..b`.")
    assert text == "## binance-secrets\n\nScanned the commits `a..b`.\n\nNo Binance credentials found ✅\n"


def test_summary_table_lists_every_finding_with_commit_author_and_redacted_secret() -> None:
    secrets = [keys.secret_key() for _ in range(12)]
    findings = [_finding(s, line=n + 1, commit=COMMIT) for n, s in enumerate(secrets)]
    text = github.summary(_report(*findings), link_base="https://github.com/octo/app")
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert len(rows) == 12  # all of them, not only the ten annotated ones
    assert "| File | Line | Rule | Confidence | Commit | First author | Secret (redacted) |" in text
    assert "Verification" not in text.split("\n\n**What to do")[0].split("|---")[0]  # nothing was verified
    assert f"(https://github.com/octo/app/blob/{'c' * 40}/config/settings.py#L1)" in rows[0]
    assert "`cccccccccccc`" in rows[0]
    # The author name is attacker-controlled: no raw HTML, no extra table cell.
    assert "Mallory &#124; &lt;b&gt;x&lt;/b&gt; &lt;m@example.invalid&gt;" in rows[0]
    assert f"<code>{secrets[0][:4]}…{secrets[0][-2:]}</code>" in rows[0]
    assert "GitHub shows annotations for the first 10 findings only." in text
    assert not any(secret in text for secret in secrets)


def test_summary_shows_verification_status_and_risk_when_verified() -> None:
    live = Verification("live", "accepted", "https://api.binance.com", "2026-11-21T10:00:00+00:00",
                        Permissions(reading=True, spot_margin_trading=True), False, "high")  # fmt: skip
    text = github.summary(_report(_finding(keys.secret_key(), verification=live), _finding(keys.secret_key())))
    assert "| Verification | Risk |" in text
    assert "| **live** | high |" in text
    assert "| not checked |  |" in text
    assert "**1 confirmed live**" in text


def test_working_tree_findings_link_to_the_head_commit() -> None:
    text = github.summary(_report(_finding(keys.secret_key())), link_base="https://x/o/r", head_sha="d" * 40)
    assert f"[config/settings.py](https://x/o/r/blob/{'d' * 40}/config/settings.py#L12)" in text


def test_cli_format_github_prints_annotations(run_cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    api_key, secret = keys.api_key(), keys.secret_key()
    (in_tmp / "config.py").write_text(f'BINANCE_API_KEY = "{api_key}"\nBINANCE_API_SECRET = "{secret}"\n')
    result = run_cli("scan", "-f", "github", ".")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::error file=config.py,line=1,endLine=1,col=20,endColumn=84,title=Binance API key::")
    assert lines[1].startswith("::error file=config.py,line=2,")
    assert api_key not in result.output and secret not in result.output


def test_cli_format_github_prints_nothing_for_a_clean_tree(run_cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    (in_tmp / "app.py").write_text("print('hello')\n")
    result = run_cli("scan", "-f", "github", ".")
    assert (result.exit_code, result.stdout) == (0, "")
