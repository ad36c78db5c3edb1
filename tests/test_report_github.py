"""The GitHub report: workflow-command escaping, the 10-annotation cap, the summary table; never a secret.

README promise protected ("GitHub Action"): annotations on the lines, a job summary table, full secrets in
none of them; hostile names can neither issue workflow commands nor add markup to the summary.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from binance_secrets.finding import CommitInfo, Finding, Permissions, Verification
from binance_secrets.report import github
from binance_secrets.report.json_report import report_to_dict
from binance_secrets.result import ScanError, ScanResult, ScanStats
from testing import keys
from testing.runner_commands import commands
from testing.step_summary import OUR_TAGS, render

# cmark-gfm comes with the dev extra (`pytest --core` leaves this out).
pytestmark = pytest.mark.dev_extra

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
    # The line break is shown escaped (`\x0a`), the property separators are workflow-command escaped.
    assert "file=a%2Ctitle=x%3Ay\\x0a%3A%3Awarning%3A%3Az.py," in line
    [command] = commands(line)
    assert (command.name, command.properties["file"]) == ("error", "a,title=x:y\\x0a::warning::z.py")


def test_commit_and_live_verification_appear_in_the_annotation() -> None:
    live = Verification("live", "accepted", "https://api.binance.com", "2026-11-21T10:00:00+00:00",
                        Permissions(reading=True, withdrawals=True), False, "critical")  # fmt: skip
    [line] = github.annotation_lines(_report(_finding(keys.secret_key(), commit=COMMIT, verification=live)))
    assert "title=LIVE Binance secret key::" in line
    assert "First added in cccccccccccc by Mallory" in line
    assert "Verification: live, risk critical." in line


def test_every_finding_is_annotated_and_a_notice_tells_the_cap_truthfully() -> None:
    """README: `-f github` prints every finding; GitHub keeps 10 error annotations per step, and says so."""
    findings = [_finding(keys.secret_key(), line=n) for n in range(1, 14)]
    lines = github.annotation_lines(_report(*findings))
    assert len(lines) == 14
    assert all(line.startswith("::error ") for line in lines[1:])
    assert [int(line.split(",line=")[1].split(",")[0]) for line in lines[1:]] == list(range(1, 14))
    # Outside the action nothing else is written: no job summary, no SARIF file is mentioned.
    assert lines[0] == (
        "::notice title=binance-secrets::GitHub makes annotations of the first 10 errors and warnings of a step "
        "only: all 13 findings are listed below as error lines."
    )


def test_cap_notice_names_the_summary_and_sarif_file_only_when_they_are_written() -> None:
    findings = [_finding(keys.secret_key(), line=n) for n in range(1, 12)]
    lines = github.annotation_lines(_report(*findings), summary_written=True, sarif_file="out/scan.sarif")
    assert lines[0].endswith(
        "all 11 findings are listed below as error lines and in the job summary and in the SARIF file "
        "out/scan.sarif."
    )
    lines = github.annotation_lines(_report(*findings), sarif_file="scan.sarif")
    assert "job summary" not in lines[0] and lines[0].endswith("and in the SARIF file scan.sarif.")
    ten = github.annotation_lines(_report(*findings[:10]), summary_written=True, sarif_file="scan.sarif")
    assert len(ten) == 10 and all(line.startswith("::error ") for line in ten)


def test_unscanned_inputs_are_warnings_and_notices_are_notices() -> None:
    errors = (ScanError("big.zip", "over the archive limit"), ScanError("vendor/lib", "submodule: not scanned", False))
    result = ScanResult((), errors, ScanStats())
    found = commands("".join(github.render(result)))
    assert [(c.name, c.properties.get("file"), c.data) for c in found] == [
        ("warning", "big.zip", "over the archive limit"),
        ("notice", None, "vendor/lib: submodule: not scanned"),
    ]


def test_summary_of_a_clean_scan_says_so() -> None:
    text = github.summary(_report(), scope="Scanned the commits `a..b`.")
    assert text == "## binance-secrets\n\nScanned the commits `a..b`.\n\nNo Binance credentials found ✅\n"


def test_summary_table_lists_every_finding_with_commit_author_and_redacted_secret() -> None:
    secrets = [keys.secret_key() for _ in range(12)]
    findings = [_finding(s, line=n + 1, commit=COMMIT) for n, s in enumerate(secrets)]
    text = github.summary(_report(*findings), link_base="https://github.com/octo/app")
    rendered = render(text)
    header, *rows = rendered.rows
    assert header == ["File", "Line", "Rule", "Confidence", "Commit", "First author", "Secret (redacted)"]
    assert len(rows) == 12  # all of them, not only the ten annotated ones
    assert rendered.links[0] == f"https://github.com/octo/app/blob/{'c' * 40}/config/settings.py#L1"
    assert rows[0][:5] == ["config/settings.py", "1", "binance-secret-key", "high", "cccccccccccc"]
    # The author name is attacker-controlled: shown as text, no HTML, no extra table cell.
    assert rows[0][5] == "Mallory | <b>x</b> <m@example.invalid>"
    assert rows[0][6] == f"{secrets[0][:4]}…{secrets[0][-2:]}"
    assert rendered.tags <= OUR_TAGS and "b" not in rendered.tags
    assert "GitHub shows the first 10 findings as annotations; the step's log lists all 12." in rendered.paragraphs
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
    assert render(text).links == [f"https://x/o/r/blob/{'d' * 40}/config/settings.py#L12"]


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


def test_summary_of_an_incomplete_scan_is_never_clean() -> None:
    """README "Partial scans are never reported clean": the summary lists what was not scanned instead."""
    errors = (ScanError("big<b>.zip", "over the archive limit"), ScanError("sub", "submodule", unscanned=False))
    report = report_to_dict(ScanResult((), errors, ScanStats(files=3)), show_secrets=False)
    rendered = render(github.summary(report))
    assert "No Binance credentials found ✅" not in rendered.text
    assert "⚠️ Scan incomplete: nothing found in what could be read." in rendered.paragraphs
    assert rendered.items == ["big<b>.zip: over the archive limit"]
    assert rendered.tags <= OUR_TAGS


def test_summary_stays_under_githubs_size_limit_and_says_where_the_rest_is() -> None:
    """GitHub drops a step summary over 1 MiB: the table stops before, and says how many rows are missing."""
    findings = [_finding(keys.secret_key(), path=f"{n:04d}/" + "d" * 3000 + ".py") for n in range(600)]
    text = github.summary(_report(*findings), sarif_file="scan.sarif")
    assert len(text.encode()) < 1024 * 1024
    rendered = render(text)
    shown = len(rendered.rows) - 1
    assert 0 < shown < 600
    assert (
        f"{600 - shown} more finding(s) do not fit in a job summary: all 600 are printed in this step's log and "
        "in the SARIF file scan.sarif."
    ) in rendered.paragraphs
