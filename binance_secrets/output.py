"""How a result is printed: the report on stdout (or `--output`), warnings on stderr.

Kept free of click so that the pre-commit hook, which runs on every commit, starts fast. What is
scanned and kept is `settings.py`; the stages between scan and report are `pipeline.py`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass

from binance_secrets.errors import UsageError, UserError
from binance_secrets.exit_codes import ExitCode
from binance_secrets.result import ScanResult

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

# What an ASCII stdout cannot take (see `_write_encoded`).
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class OutputOptions:
    """`-f/--format`, `-o/--output`, `--show-secrets`, `-q/--quiet`, `--no-progress`."""

    format: str = "text"
    output: str | None = None
    show_secrets: bool = False
    quiet: bool = False
    no_progress: bool = False


def show_progress(options: OutputOptions) -> bool:
    return not (options.quiet or options.no_progress) and sys.stderr.isatty()


def warn(message: str) -> None:
    """A line on stderr. A warning that cannot be shown (stderr closed or full) must not change the result."""
    if sys.stderr is None:  # print(file=None) would write into the report on stdout
        return
    from binance_secrets.report.escaping import log_text  # only when there is something to say

    # Warnings quote paths and messages from the scan: one line, no escape sequence, no workflow command.
    with contextlib.suppress(OSError):
        print(f"binance-secrets: {log_text(message)}", file=sys.stderr)


def warn_about_errors(result: ScanResult) -> None:
    """One warning line per input that was not scanned (or notice), before the report."""
    if not result.errors:
        return
    from binance_secrets.report.escaping import path_text  # regexes compiled only when there are errors

    for error in result.errors:
        where = path_text(error.path)
        if error.repository is not None and error.repository != error.path:
            where = f"{path_text(error.repository)}: {where}"
        warn(f"warning: {where}: {error.message}")


def wants_color(options: OutputOptions) -> bool:
    """Colour only on a terminal, never into a file, and never when NO_COLOR is set (no-color.org)."""
    return options.output is None and sys.stdout is not None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def render_report(result: ScanResult, options: OutputOptions) -> str:
    from binance_secrets.report import render

    return render(
        result, options.format, show_secrets=options.show_secrets, color=wants_color(options), quiet=options.quiet
    )


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
