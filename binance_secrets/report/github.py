"""GitHub Actions output: `::error` workflow commands and the job-summary markdown.

Both are built from the redacted JSON report (`json_report.report_to_dict(..., show_secrets=False)`),
never from `Finding.secret`, so no code path here can print a full secret. The action
(`binance_secrets.action`) feeds them the JSON file the scan wrote; `-f github` feeds them a live result.

Every text that comes from the scan (paths, author names, redacted literals, error messages) goes through
`escaping.log_text` before the workflow-command escaping, and through `markdown_text` in the summary: a
file name can neither end a command, start one, colour the log, nor add markup to the summary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from binance_secrets.report.escaping import log_text, path_bytes, path_from_text
from binance_secrets.report.json_report import report_to_dict
from binance_secrets.result import ScanResult
from binance_secrets.rules import RULES_BY_ID

# The runner keeps the first 10 error annotations of a step (and 10 warnings, 10 notices) and only counts
# the rest; it still prints every one of them in the step's log (`_maxIssueCount` in actions/runner's
# ExecutionContext). So every finding is printed, and a notice says how many will not be annotations.
MAX_ANNOTATIONS = 10
# GitHub refuses a step summary over 1 MiB; the table stops early enough to stay under it.
MAX_SUMMARY_BYTES = 1024 * 1024 - 16 * 1024
# Inputs that could not be scanned, listed under the table (all of them are warnings in the log).
MAX_NOT_SCANNED = 50
_SHA = re.compile(r"[0-9a-f]{7,64}")

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


def command(name: str, message: str, **properties: str) -> str:
    """One workflow command line; every value is made one printable line first, then escaped."""
    rendered = ",".join(f"{key}={escape_property(log_text(value))}" for key, value in properties.items())
    return f"::{name}{' ' + rendered if rendered else ''}::{escape_data(log_text(message))}"


def annotation_lines(report: Report, *, summary_written: bool = False, sarif_file: str | None = None) -> list[str]:
    """An `::error` per finding and a `::warning` per input not scanned, all of them.

    `summary_written` and `sarif_file` say where else the findings are being written (the action writes
    both); the notice about GitHub's annotation cap mentions only those.
    """
    findings: Sequence[Mapping[str, Any]] = report["findings"]
    errors: Sequence[Mapping[str, Any]] = report.get("errors", [])
    unscanned = [error for error in errors if not error.get("notice")]
    lines = []
    # First, so that it is never itself beyond the notice cap.
    if len(findings) > MAX_ANNOTATIONS or len(unscanned) > MAX_ANNOTATIONS:
        notice = _cap_notice(len(findings), len(unscanned), summary_written, sarif_file)
        lines.append(command("notice", notice, title="binance-secrets"))
    lines += [_annotation(finding) for finding in findings]
    for error in errors:
        if error.get("notice"):
            lines.append(command("notice", f"{error['path']}: {error['message']}", title="binance-secrets"))
        elif error.get("repository"):
            # Another repository's file: no `file=`, which would point into the checked-out one.
            message = f"{error['repository']}: {error['path']}: {error['message']}"
            if error["path"] == error["repository"]:
                message = f"{error['repository']}: {error['message']}"
            lines.append(command("warning", message, title="binance-secrets: not scanned"))
        else:
            title = "binance-secrets: not scanned"
            lines.append(command("warning", error["message"], file=error["path"], title=title))
    return lines


def _cap_notice(findings: int, unscanned: int, summary_written: bool, sarif_file: str | None) -> str:
    cap = f"GitHub makes annotations of the first {MAX_ANNOTATIONS} errors and warnings of a step only"
    parts = []
    if findings > MAX_ANNOTATIONS:
        elsewhere = (["the job summary"] if summary_written else []) + (
            [f"the SARIF file {sarif_file}"] if sarif_file else []
        )
        parts.append(
            f"all {findings} findings are listed below as error lines"
            + "".join(f" and in {place}" for place in elsewhere)
        )
    if unscanned > MAX_ANNOTATIONS:
        parts.append(f"all {unscanned} inputs that were not scanned are listed below as warning lines")
    return f"{cap}: {'; '.join(parts)}."


def _annotation(finding: Mapping[str, Any]) -> str:
    if finding.get("repository"):
        # A multi-repository audit: the file is in another repository than the checked-out one, so the
        # location goes in the message, not in `file=` (GitHub would annotate the wrong file).
        where = f"{finding['repository']}: {finding['path']}:{finding['line']}: "
        return command("error", where + _message(finding), title=_title(finding))
    return command(
        "error",
        _message(finding),
        file=finding["path"],
        line=str(finding["line"]),
        endLine=str(finding["line"]),
        col=str(finding["column"]),
        endColumn=str(finding["end_column"]),
        title=_title(finding),
    )


def _title(finding: Mapping[str, Any]) -> str:
    rule = RULES_BY_ID.get(finding["rule_id"])
    title = rule.title if rule else finding["rule_id"]
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
    report: Report,
    *,
    scope: str = "",
    link_base: str | None = None,
    head_sha: str | None = None,
    sarif_file: str | None = None,
) -> str:
    """The `$GITHUB_STEP_SUMMARY` markdown, written by the action after it printed every annotation.

    `scope` is markdown (build its variable parts with `markdown_text` / `markdown_code`). `link_base` is
    `https://github.com/OWNER/REPO`; with it, each file links to the line in the commit that introduced it
    (or `head_sha` for working-tree findings) instead of showing anything of the secret. `sarif_file` is
    the SARIF file the action writes, named when the table cannot hold every finding.
    """
    findings: Sequence[Mapping[str, Any]] = report["findings"]
    unscanned = [error for error in report.get("errors", []) if not error.get("notice")]
    lines = ["## binance-secrets", ""]
    if scope:
        lines += [scope, ""]
    if not findings:
        if unscanned:
            # The partial-scan rule: what could not be read may hold a key, so this is never "clean".
            lines += ["⚠️ Scan incomplete: nothing found in what could be read.", ""]
            lines += _not_scanned(unscanned)
        else:
            lines.append("No Binance credentials found ✅")
        return "\n".join(lines) + "\n"
    live = sum(1 for f in findings if (f.get("verification") or {}).get("status") == "live")
    files = len({(f.get("repository"), f["path"]) for f in findings})
    headline = f"❌ {len(findings)} finding(s) in {files} file(s)"
    repositories = {f.get("repository") for f in findings} - {None}
    if repositories:
        headline += f" of {len(repositories)} repositor{'y' if len(repositories) == 1 else 'ies'}"
    if live:
        headline += f", **{live} confirmed live**"
    lines += [headline + ".", ""]
    verified = any(f.get("verification") for f in findings)
    hinted = any(f.get("environment_hint") for f in findings)
    header = ["File", "Line", "Rule", "Confidence", "Commit", "First author", "Secret (redacted)"]
    if repositories:
        header.insert(0, "Repository")
    seen = any(len(f.get("seen_in") or ()) > 1 for f in findings)
    if seen:
        header += ["Also in"]
    if hinted:
        header += ["Realm hint"]
    if verified:
        header += ["Verification", "Risk"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    size = len("\n".join(lines).encode())
    shown = 0
    for finding in findings:
        cells = _row(finding, verified, link_base, head_sha, hinted)
        if repositories:
            cells.insert(0, markdown_text(str(finding.get("repository") or "")))
        if seen:
            cells.append(_elsewhere(finding))
        row = "| " + " | ".join(cells) + " |"
        size += len(row.encode()) + 1
        if size > MAX_SUMMARY_BYTES:
            break
        lines.append(row)
        shown += 1
    if shown < len(findings):
        where = f" and in the SARIF file {markdown_code(sarif_file)}" if sarif_file else ""
        lines += [
            "",
            f"{len(findings) - shown} more finding(s) do not fit in a job summary: all {len(findings)} are "
            f"printed in this step's log{where}.",
        ]
    if len(findings) > MAX_ANNOTATIONS:
        lines += [
            "",
            f"GitHub shows the first {MAX_ANNOTATIONS} findings as annotations; the step's log lists all "
            f"{len(findings)}.",
        ]
    if unscanned:
        lines += ["", *_not_scanned(unscanned)]
    lines += [
        "",
        "**What to do:** revoke each key in Binance API Management first (it is compromised from the moment "
        "it was pushed), then move it out of the code and purge it from the history (`git filter-repo`).",
    ]
    return "\n".join(lines) + "\n"


def _elsewhere(finding: Mapping[str, Any], limit: int = 5) -> str:
    """`merge-reports`: the other places the same secret was found (its `seen_in` list)."""
    others = [
        place
        for place in finding.get("seen_in") or ()
        if (place.get("repository"), place.get("path")) != (finding.get("repository"), finding["path"])
    ]
    shown = [markdown_text(f"{place.get('repository') or ''} {place.get('path', '')}".strip()) for place in others]
    text = "<br>".join(shown[:limit])
    return text + (f"<br>… and {len(shown) - limit} more" if len(shown) > limit else "")


def _not_scanned(errors: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [f"**Not scanned** ({len(errors)}):", ""]
    for error in errors[:MAX_NOT_SCANNED]:
        lines.append(f"- {markdown_text(error['path'])}: {markdown_text(error['message'])}")
    if len(errors) > MAX_NOT_SCANNED:
        lines.append(f"- … and {len(errors) - MAX_NOT_SCANNED} more, printed as warnings in this step's log")
    return lines


def _row(
    finding: Mapping[str, Any], verified: bool, link_base: str | None, head_sha: str | None, hinted: bool = False
) -> list[str]:
    commit = finding.get("commit")
    sha = commit["sha"] if commit else head_sha
    location = markdown_text(finding["path"])
    if link_base and sha and _SHA.fullmatch(sha):
        location = f"[{location}]({link_base}/blob/{sha}/{_url_path(finding['path'])}#L{int(finding['line'])})"
    cells = [
        location,
        str(finding["line"]),
        markdown_code(finding["rule_id"]),
        markdown_text(finding["confidence"]),
        markdown_code(commit["sha"][:12]) if commit else "",
        markdown_text(f"{commit['author_name']} <{commit['author_email']}>") if commit else "",
        markdown_code(finding["secret"]),
    ]
    if hinted:
        cells.append(markdown_text(str(finding.get("environment_hint") or "")))
    if verified:
        verification = finding.get("verification") or {}
        status = verification.get("status", "not checked")
        if status == "live" and verification.get("environment"):
            status += f" ({verification['environment']})"
        risk = markdown_text(verification.get("risk") or "")
        cells += [f"**{markdown_text(status)}**" if status.startswith("live") else markdown_text(status), risk]
    return cells


# Every ASCII punctuation character may be backslash-escaped in CommonMark, and then is only itself: no
# emphasis, link, code span, HTML tag, entity, autolink (`www.`, `http:`) or table cell break (`|`).
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_text(text: str) -> str:
    """Any text as literal inline markdown: one line, printable, every markup character escaped."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", log_text(text))


def markdown_code(text: str) -> str:
    """Literal text in code style. `<code>` rather than backticks: backslash escapes work inside it."""
    return f"<code>{markdown_text(text)}</code>" if text else ""


def _url_path(path: str) -> str:
    # The report's path back to the file's bytes, percent-encoded: `(`, `)` and spaces cannot end the link.
    return quote(path_bytes(path_from_text(path)), safe="/")
