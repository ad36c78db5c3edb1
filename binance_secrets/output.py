"""From a `ScanResult` to output and an exit code: verify if asked, report, warn, choose the code.

Kept free of click so that the pre-commit hook, which runs on every commit, starts fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from binance_secrets.errors import UsageError, UserError
from binance_secrets.exit_codes import ExitCode
from binance_secrets.finding import ScanResult
from binance_secrets.report.escaping import log_text, path_text

# What an ASCII stdout cannot take (see `_write_encoded`).
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class ReportOptions:
    format: str = "text"
    output: str | None = None
    show_secrets: bool = False
    verify: bool = False
    endpoint: str = "binance"  # with verify: a realm or `auto` (verification/endpoints.py)
    api_url: str | None = None  # with verify: None reads BINANCE_SECRETS_API_URL
    timeout: float = 10.0
    baseline: str | None = None
    min_confidence: str | None = None
    config: str | None = None
    exclude: tuple[str, ...] = ()
    quiet: bool = False
    no_progress: bool = False

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> ReportOptions:
        """The options among a click command's keyword arguments."""
        names = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in kwargs.items() if key in names})


def show_progress(options: ReportOptions) -> bool:
    return not (options.quiet or options.no_progress) and sys.stderr.isatty()


def warn(message: str) -> None:
    """A line on stderr. A warning that cannot be shown (stderr closed or full) must not change the result."""
    if sys.stderr is None:  # print(file=None) would write into the report on stdout
        return
    # Warnings quote paths and messages from the scan: one line, no escape sequence, no workflow command.
    with contextlib.suppress(OSError):
        print(f"binance-secrets: {log_text(message)}", file=sys.stderr)


def finish(
    result: ScanResult, options: ReportOptions, before_report: Callable[[ScanResult], None] | None = None
) -> int:
    """Verify if asked, report, warn about unreadable input, and choose the exit code.

    `before_report` sees the final result (verified when asked) before the report is written
    (`history --remediation` writes its plan from it).
    """
    # One order for every source and format: by repository (multi-repository audits), by file, then
    # position (history finds them blob by blob).
    ordered = tuple(
        sorted(result.findings, key=lambda f: (f.repository or "", f.path, f.line, f.column, f.rule_id))
    )
    result = dataclasses.replace(result, findings=ordered)
    if options.verify and result.findings:
        from binance_secrets.verification.batch import verify_findings, verify_settings

        result = ScanResult(
            verify_findings(result.findings, verify_settings(options.endpoint, options.api_url, options.timeout)),
            result.errors,
            result.stats,
            result.failed,
        )
    for error in result.errors:
        where = path_text(error.path)
        if error.repository is not None and error.repository != error.path:
            where = f"{path_text(error.repository)}: {where}"
        warn(f"warning: {where}: {error.message}")
    if before_report is not None:
        before_report(result)
    if result.failed:
        warn("error: nothing could be scanned")
        if options.format != "text":
            write_report(render_report(result, options), options.output)
        return ExitCode.SCAN_ERROR
    write_report(render_report(result, options), options.output)
    if result.findings:
        return ExitCode.FINDINGS
    if result.incomplete:
        # The partial-scan rule: what could not be read may hold a key, so "nothing found" is not clean.
        unscanned = sum(1 for error in result.errors if error.unscanned)
        warn(f"error: the scan is incomplete ({unscanned} item(s) not scanned); not reporting clean")
        return ExitCode.SCAN_ERROR
    return ExitCode.CLEAN


def render_report(result: ScanResult, options: ReportOptions) -> str:
    if options.format == "json":
        from binance_secrets.report import json_report

        return json_report.render(result, show_secrets=options.show_secrets)
    if options.format == "sarif":
        from binance_secrets.report import sarif

        return sarif.render(result)
    if options.format == "github":
        from binance_secrets.report import github

        return github.render(result)
    from binance_secrets.report import text

    color = options.output is None and sys.stdout is not None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return text.render(result, show_secrets=options.show_secrets, color=color, quiet=options.quiet)


class ReportNotWritten(UserError):
    """The report could not be delivered (stdout closed, full, or a reader that left): exit 3.

    Whatever the scan found, a run whose report was lost is never clean; exit 3 also covers findings,
    because nobody saw them.
    """

    exit_code = ExitCode.SCAN_ERROR


def write_report(report: str, output: str | None) -> None:
    """Write the report to `output` or stdout; ReportNotWritten when it could not be delivered."""
    if output is not None:
        _write_file(report, output)
        return
    stdout = sys.stdout
    if stdout is None:  # started with stdout closed (`>&-`)
        raise ReportNotWritten("cannot write the report: standard output is closed")
    try:
        _write_encoded(stdout, report)
    except OSError as error:
        discard_stdout()
        raise ReportNotWritten(f"cannot write the report to standard output: {_reason(error)}") from None


def _write_encoded(stream: IO[str], report: str) -> None:
    """Write `report` in the stream's own encoding, never failing on it.

    stdout may be ASCII (`LC_ALL=C` without UTF-8 mode, `PYTHONIOENCODING=ascii`, some CI runners) while a
    report holds `…` (redacted secrets) or a non-ASCII file name. Then every non-ASCII character is written
    `\\uNNNN` (`\\UNNNNNNNN` past U+FFFF), the form the reports already use for characters they escape,
    so a name stays distinct from the `\\xNN` of a byte that is not UTF-8. JSON and SARIF are ASCII
    already (`json.dumps` escapes the rest).
    """
    try:
        report.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        report = _NON_ASCII.sub(_unicode_escape, report)
    stream.write(report)
    stream.flush()


def _unicode_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _write_file(report: str, output: str) -> None:
    try:
        handle = open(output, "w", encoding="utf-8")  # noqa: SIM115 - opening and writing fail differently
    except OSError as error:
        # A path that cannot be created is a bad argument (exit 2), like any other bad option value.
        raise UsageError(f"cannot write report to {output}: {error.strerror or error}") from None
    try:
        with handle:
            handle.write(report)
    except OSError as error:
        raise ReportNotWritten(f"cannot write the report to {output}: {_reason(error)}") from None


def _reason(error: OSError) -> str:
    if isinstance(error, BrokenPipeError):
        return "the reader closed the pipe before reading it all"
    return error.strerror or str(error)


def discard_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's own flush at exit fails no more.

    Without this, Python prints "Exception ignored ... BrokenPipeError" after our message.
    """
    if sys.stdout is None:
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
