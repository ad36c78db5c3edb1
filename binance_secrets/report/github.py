"""GitHub Actions output: `::error` workflow commands and the job-summary markdown.

Both are built from the redacted JSON report (`json_report.report_to_dict(..., show_secrets=False)`),
never from `Finding.secret`, so no code path here can print a full secret. The action
(`binance_secrets.action`) feeds them the JSON file the scan wrote; `-f github` feeds them a live result.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from binance_secrets.finding import ScanResult
from binance_secrets.report.json_report import report_to_dict
from binance_secrets.report.rules import RULES

# GitHub shows at most 10 error annotations per step; more are dropped silently, so we stop at 10 and
# say where the rest are.
MAX_ANNOTATIONS = 10
# The job summary is capped at 1 MiB per step; a few hundred rows stay far below it.
MAX_SUMMARY_ROWS = 500

Report = Mapping[str, Any]


def render(result: ScanResult) -> str:
    """What `-f github` prints: the workflow commands a runner turns into annotations."""
    lines = annotation_lines(report_to_dict(result, show_secrets=False))
    return "".join(line + "\n" for line in lines)


def escape_data(value: str) -> str:
    # actions/toolkit `escapeData`: the runner decodes these three before showing the message.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    # actions/toolkit `escapeProperty`: `:` and `,` would otherwise end the property list.
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation_lines(report: Report, limit: int = MAX_ANNOTATIONS) -> list[str]:
    findings: Sequence[Mapping[str, Any]] = report["findings"]
    lines = [_annotation(finding) for finding in findings[:limit]]
    if len(findings) > limit:
        lines.append(
            "::notice title=binance-secrets::"
            + escape_data(
                f"{len(findings) - limit} more finding(s) are listed in the job summary and the SARIF file."
            )
        )
    return lines


def _annotation(finding: Mapping[str, Any]) -> str:
    properties = {
        "file": finding["path"],
        "line": str(finding["line"]),
        "endLine": str(finding["line"]),
        "col": str(finding["column"]),
        "endColumn": str(finding["end_column"]),
        "title": _title(finding),
    }
    rendered = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    return f"::error {rendered}::{escape_data(_message(finding))}"


def _title(finding: Mapping[str, Any]) -> str:
    info = RULES.get(finding["rule_id"])
    title = info.title if info else finding["rule_id"]
    verification = finding.get("verification")
    if verification and verification.get("status") == "live":
        return f"LIVE {title}"
    return title


def _message(finding: Mapping[str, Any]) -> str:
    parts = [f"{_title(finding)} found ({finding['confidence']} confidence): {finding['secret']}."]
    if finding.get("environment_hint"):
        parts.append(f"The code around it points to the {finding['environment_hint']} realm.")
    commit = finding.get("commit")
    if commit:
        parts.append(f"First added in {commit['sha'][:12]} by {commit['author_name']} on {commit['date']}.")
    verification = finding.get("verification")
    if verification:
        risk = f", risk {verification['risk']}" if verification.get("risk") else ""
        realm = f" on {verification['environment']}" if verification.get("environment") else ""
        parts.append(f"Verification: {verification['status']}{realm}{risk}.")
    parts.append("Revoke it in Binance API Management, then remove it from the code and the history.")
    return " ".join(parts)


def summary(
    report: Report, *, scope: str = "", link_base: str | None = None, head_sha: str | None = None
) -> str:
    """The `$GITHUB_STEP_SUMMARY` markdown: every finding, since annotations stop at 10.

    `link_base` is `https://github.com/OWNER/REPO`; with it, each file links to the line in the commit that
    introduced it (or `head_sha` for working-tree findings) instead of showing anything of the secret.
    """
    findings: Sequence[Mapping[str, Any]] = report["findings"]
    lines = ["## binance-secrets", ""]
    if scope:
        lines += [scope, ""]
    if not findings:
        lines.append("No Binance credentials found ✅")
        return "\n".join(lines) + "\n"
    live = sum(1 for f in findings if (f.get("verification") or {}).get("status") == "live")
    headline = f"❌ {len(findings)} finding(s) in {len({f['path'] for f in findings})} file(s)"
    if live:
        headline += f", **{live} confirmed live**"
    lines += [headline + ".", ""]
    verified = any(f.get("verification") for f in findings)
    hinted = any(f.get("environment_hint") for f in findings)
    header = ["File", "Line", "Rule", "Confidence", "Commit", "First author", "Secret (redacted)"]
    if hinted:
        header += ["Realm hint"]
    if verified:
        header += ["Verification", "Risk"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for finding in findings[:MAX_SUMMARY_ROWS]:
        lines.append("| " + " | ".join(_row(finding, verified, link_base, head_sha, hinted)) + " |")
    if len(findings) > MAX_SUMMARY_ROWS:
        lines += ["", f"{len(findings) - MAX_SUMMARY_ROWS} more finding(s) are in the SARIF file."]
    if len(findings) > MAX_ANNOTATIONS:
        lines += ["", f"GitHub shows annotations for the first {MAX_ANNOTATIONS} findings only."]
    lines += [
        "",
        "**What to do:** revoke each key in Binance API Management first (it is compromised from the moment "
        "it was pushed), then move it out of the code and purge it from the history (`git filter-repo`).",
    ]
    return "\n".join(lines) + "\n"


def _row(
    finding: Mapping[str, Any], verified: bool, link_base: str | None, head_sha: str | None, hinted: bool = False
) -> list[str]:
    commit = finding.get("commit")
    sha = commit["sha"] if commit else head_sha
    location = _cell(finding["path"])
    if link_base and sha:
        location = f"[{location}]({link_base}/blob/{sha}/{_url_path(finding['path'])}#L{finding['line']})"
    cells = [
        location,
        str(finding["line"]),
        f"`{finding['rule_id']}`",
        finding["confidence"],
        f"`{commit['sha'][:12]}`" if commit else "",
        _cell(f"{commit['author_name']} <{commit['author_email']}>") if commit else "",
        f"<code>{_cell(finding['secret'])}</code>",
    ]
    if hinted:
        cells.append(_cell(str(finding.get("environment_hint") or "")))
    if verified:
        verification = finding.get("verification") or {}
        status = verification.get("status", "not checked")
        if status == "live" and verification.get("environment"):
            status += f" ({_cell(str(verification['environment']))})"
        cells += [f"**{status}**" if status.startswith("live") else status, verification.get("risk") or ""]
    return cells


# Markdown punctuation that could turn a path or an author name into a link, emphasis or code span.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]~!])")


def _cell(text: str) -> str:
    # Paths, author names and redacted literals are attacker-controlled: no HTML, markdown or table breaks.
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(text, quote=False))
    return escaped.replace("|", "&#124;").replace("\n", " ").replace("\r", " ")


def _url_path(path: str) -> str:
    return quote(path)
