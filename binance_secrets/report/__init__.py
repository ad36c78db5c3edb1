"""One reporter per format; each turns a `ScanResult` into text and never sees anything else.

`FORMATS` is the list `-f/--format` offers; `render` is the one place a format name picks its reporter,
each imported only when it is used (the pre-commit hook never loads SARIF or JSON code for a text report).
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.result import ScanResult

FORMATS = ("text", "json", "sarif", "github")


def render(
    result: ScanResult, format: str, *, show_secrets: bool = False, color: bool = False, quiet: bool = False
) -> str:
    """The report of `result` in `format` (one of FORMATS). Secrets are redacted unless `show_secrets`;
    SARIF and GitHub annotations never hold them. `color` and `quiet` are the text report's."""
    if format == "json":
        from binance_secrets.report import json_report

        return json_report.render(result, show_secrets=show_secrets)
    if format == "sarif":
        from binance_secrets.report import sarif

        return sarif.render(result)
    if format == "github":
        from binance_secrets.report import github

        return github.render(result)
    if format != "text":
        raise ValueError(f"unknown report format {format!r}")
    from binance_secrets.report import text

    return text.render(result, show_secrets=show_secrets, color=color, quiet=quiet)
