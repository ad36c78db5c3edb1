"""The exit codes of every command (README "Exit codes"), and the one rule that picks a scan's code."""

from __future__ import annotations

import enum

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.result import ScanResult


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    SCAN_ERROR = 3
    # Stopped by a signal: the shell's 128 + signal number, which `timeout`, CI runners and shells expect.
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143  # SIGTERM


def for_result(result: ScanResult) -> ExitCode:
    """3 when nothing could be scanned; else 1 for findings; else 3 when something asked for was not
    scanned (a partial scan is never reported clean); else 0."""
    if result.failed:
        return ExitCode.SCAN_ERROR
    if result.findings:
        return ExitCode.FINDINGS
    if result.incomplete:
        return ExitCode.SCAN_ERROR
    return ExitCode.CLEAN
