"""The report a person reads: live keys first, then findings grouped by file, then what to do.

It goes to terminals and CI logs: every text it did not write itself (paths, author names, dates,
verification reasons and endpoints, literal secrets) passes through `escaping.log_text`, so a file name
cannot break a line, colour the terminal or issue a workflow command.
"""

from __future__ import annotations

from itertools import groupby

from binance_secrets.clean_shortcut import clean_summary
from binance_secrets.result import ScanResult

# typing (for Protocol) without importing it: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from binance_secrets.finding import Finding, Permissions, Verification

    class _Style(Protocol):
        """Colours and bold for a terminal; the identity when colour is off."""

        def __call__(self, text: str, fg: str | None = None, bold: bool = False) -> str: ...


_ANSI_COLOURS = {"red": "31", "yellow": "33", "white": "37"}
_PERMISSION_LABELS = (
    ("reading", "read"),
    ("spot_margin_trading", "spot & margin trading"),
    ("margin", "margin"),
    ("futures", "futures"),
    ("options", "options"),
    ("portfolio_margin", "portfolio margin"),
    ("withdrawals", "WITHDRAWALS"),
    ("internal_transfer", "internal transfer"),
    ("universal_transfer", "universal transfer"),
)


def render(result: ScanResult, *, show_secrets: bool = False, color: bool = False, quiet: bool = False) -> str:
    def style(text: str, fg: str | None = None, bold: bool = False) -> str:
        if not color:
            return text
        codes = ([_ANSI_COLOURS[fg]] if fg else []) + (["1"] if bold else [])
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m" if codes else text

    lines: list[str] = []
    live = [f for f in result.findings if f.verification is not None and f.verification.status == "live"]
    for finding in sorted(live, key=_test_realm_last):  # mainnet keys move real money: they come first
        lines.extend(_live_block(finding, show_secrets, style))
    if result.findings:
        lines.extend(_file_blocks(result.findings, show_secrets, style))
    if quiet:
        return "\n".join(lines) + ("\n" if lines else "")
    lines.append(_summary(result))
    if result.findings:
        # The rule texts only when something was found: a clean pre-commit run never imports them.
        from binance_secrets.rules import REMEDIATION

        lines.append("")
        lines.append(style("What to do: ", bold=True) + REMEDIATION)
        lines.append(
            "False positive? Add `# pragma: allowlist secret` to the line, or its secret_sha256 "
            "(shown by `-f json`) to `allow` in [tool.binance-secrets]."
        )
    return "\n".join(lines) + "\n"


def _file_blocks(findings: tuple[Finding, ...], show_secrets: bool, style: _Style) -> list[str]:
    """The findings grouped by file, each file's block ending with an empty line."""
    # Escaping (and the regexes it compiles) only when there is something to print: a clean pre-commit
    # run prints the summary alone.
    from binance_secrets.report.escaping import log_path, log_text

    lines: list[str] = []
    for (repository, path), group in groupby(findings, key=lambda f: (f.repository, f.path)):
        heading = log_path(path) if repository is None else f"{log_text(repository)}  {log_path(path)}"
        lines.append(style(heading, bold=True))
        for finding in group:
            lines.append(_finding_line(finding, show_secrets, style))
            if finding.commit is not None:
                head = {True: "still in HEAD", False: "not in HEAD", None: ""}[finding.in_head]
                commit = finding.commit
                lines.append(
                    f"      first added in {log_text(commit.sha[:12])} by {log_text(commit.author_name)} "
                    f"<{log_text(commit.author_email)}> on {log_text(commit.date)}"
                    + (f", {finding.occurrences} commit(s)" if finding.occurrences > 1 else "")
                    + (f", {head}" if head else "")
                )
            if finding.verification is not None and finding.verification.status != "live":
                lines.append(
                    f"      verification: {finding.verification.status}: {log_text(finding.verification.reason)}"
                )
        lines.append("")
    return lines


def _finding_line(finding: Finding, show_secrets: bool, style: _Style) -> str:
    from binance_secrets.report.escaping import log_text

    secret = finding.shown(show_secrets)
    if finding.kind == "private_key" and show_secrets and finding.secret is not None:
        secret = secret.splitlines()[0] + " …"
    secret = log_text(secret)
    paired = "  (paired)" if finding.pair_sha256 else ""
    if finding.environment_hint is not None:
        paired += f"  (hint: {finding.environment_hint})"
    colour = {"high": "red", "medium": "yellow", "low": "white"}[finding.confidence]
    return (
        f"  {finding.line}:{finding.column}  {finding.rule_id}  "
        f"{style(finding.confidence, fg=colour)}  {secret}{paired}"
    )


def _live_block(finding: Finding, show_secrets: bool, style: _Style) -> list[str]:
    from binance_secrets.report.escaping import log_path, log_text

    verification = finding.verification
    assert verification is not None
    secret = log_text(finding.shown(show_secrets))
    risk = (verification.risk or "unknown").upper()
    where = f"{log_path(finding.path)}:{finding.line}"
    if finding.repository is not None:
        where = f"{log_text(finding.repository)}  {where}"
    from binance_secrets.rules import RULES_BY_ID

    header = f"LIVE {RULES_BY_ID[finding.rule_id].title}: {where}  {secret}  risk {risk}"
    return [
        style("!" * 72, fg="red", bold=True),
        style(header, fg="red", bold=True),
        f"  permissions: {_permissions_text(verification.permissions)}",
        f"  IP restricted: {_ip_text(verification)}   endpoint: {log_text(verification.endpoint)}"
        + (f"   environment: {log_text(verification.environment)}" if verification.environment else ""),
        # Every live reason `verification.outcome` writes ends with what to do (revoke it, in which realm).
        f"  {log_text(verification.reason)}",
        style("!" * 72, fg="red", bold=True),
        "",
    ]


def _test_realm_last(finding: Finding) -> bool:
    environment = finding.verification.environment if finding.verification else None
    return environment in ("testnet", "futures-testnet", "demo")


def _permissions_text(permissions: Permissions | None) -> str:
    if permissions is None:
        return "unknown"
    enabled = [label for attribute, label in _PERMISSION_LABELS if getattr(permissions, attribute)]
    return ", ".join(enabled) if enabled else "none"


def _ip_text(verification: Verification) -> str:
    return {True: "yes", False: "NO", None: "unknown"}[verification.ip_restricted]


def _summary(result: ScanResult) -> str:
    stats = result.stats
    scope = f"{stats.commits} commits, {stats.blobs} blobs" if stats.commits else f"{stats.files} files"
    if not result.findings and result.incomplete:
        return (
            f"Scan incomplete: nothing found in what could be read ({scope}, {stats.seconds:.2f}s); "
            "see the warnings."
        )
    if not result.findings:
        return clean_summary(scope, stats.seconds)  # also what the hook's clean shortcut prints
    files = len({(f.repository, f.path) for f in result.findings})
    repositories = {f.repository for f in result.findings} - {None}
    if repositories:
        where = f"{files} file(s) of {len(repositories)} repositor{'y' if len(repositories) == 1 else 'ies'}"
        return f"{len(result.findings)} finding(s) in {where} ({scope}, {stats.seconds:.2f}s)."
    return f"{len(result.findings)} finding(s) in {files} file(s) ({scope}, {stats.seconds:.2f}s)."
