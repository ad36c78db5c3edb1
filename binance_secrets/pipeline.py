"""From a `ScanResult` to a report and an exit code: the stages every scanning command ends with.

    order -> verify (only when asked: network) -> warn -> report -> exit code

Each stage lives in its own home (`finding.ScanResult.in_report_order`, `verification.batch.verify_result`,
`output.warn_about_errors`, `output.render_report`/`write_report`, `exit_codes.for_result`); `conclude` only
calls them in order. Kept free of click: the pre-commit hook ends here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from binance_secrets.exit_codes import ExitCode, for_result
from binance_secrets.output import OutputOptions, render_report, warn, warn_about_errors, write_report
from binance_secrets.result import ScanResult
from binance_secrets.settings import ScanSettings

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.verification.batch import VerifySettings


@dataclass(frozen=True)
class RunOptions:
    """Everything a scanning command was asked: what to scan and keep, whether and where to verify, how to print."""

    settings: ScanSettings
    output: OutputOptions
    verify: VerifySettings | None = None  # None: no verification, no network (the default)


def conclude(
    result: ScanResult, options: RunOptions, before_report: Callable[[ScanResult], None] | None = None
) -> int:
    """Order, verify if asked, warn about what was not scanned, report, and choose the exit code.

    `before_report` sees the final result (verified when asked) before the report is written
    (`history --remediation` writes its plan from it).
    """
    result = result.in_report_order()
    if options.verify is not None and result.findings:
        from binance_secrets.verification.batch import verify_result

        result = verify_result(result, options.verify)
    warn_about_errors(result)
    if before_report is not None:
        before_report(result)
    code = for_result(result)
    if result.failed:
        warn("error: nothing could be scanned")
        if options.output.format != "text":  # a machine reader still gets a report that says so
            write_report(render_report(result, options.output), options.output.output)
        return code
    write_report(render_report(result, options.output), options.output.output)
    if code == ExitCode.SCAN_ERROR:
        # The partial-scan rule: what could not be read may hold a key, so "nothing found" is not clean.
        unscanned = sum(1 for error in result.errors if error.unscanned)
        warn(f"error: the scan is incomplete ({unscanned} item(s) not scanned); not reporting clean")
    return code
