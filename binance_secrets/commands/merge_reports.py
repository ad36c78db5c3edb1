"""`binance-secrets merge-reports REPORT...`: the JSON reports of several runs as one report, in any format."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import click

from binance_secrets.exit_codes import ExitCode, for_result
from binance_secrets.merging import MergedReport, merge, read_report
from binance_secrets.output import OutputOptions, wants_color, warn, warn_about_errors, write_report
from binance_secrets.report import FORMATS
from binance_secrets.report.escaping import path_text
from binance_secrets.settings import ScanSettings, resolve_settings


@click.command("merge-reports")
@click.argument("reports", nargs=-1, required=True, type=str)
@click.option(
    "-f", "--format", "format", type=click.Choice(FORMATS), default="text", show_default=True,
    help="Report format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option(
    "--summary", "summary_file", metavar="FILE",
    help="Also append the GitHub job summary (markdown) to FILE, e.g. \"$GITHUB_STEP_SUMMARY\".",
)
@click.option("--show-secrets", is_flag=True, help="Print the full secrets the reports hold instead of redacted ones.")
@click.option("--baseline", type=str, help="Skip secrets recorded in this report or detect-secrets baseline.")
@click.option(
    "--min-confidence", type=click.Choice(["low", "medium", "high"]), help="Report threshold [default: medium]."
)
@click.option("--config", type=str, help="Config file (default: .binance-secrets.toml or pyproject.toml).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary.")
def merge_reports_command(
    reports: tuple[str, ...],
    summary_file: str | None,
    format: str,
    output: str | None,
    show_secrets: bool,
    baseline: str | None,
    min_confidence: str | None,
    config: str | None,
    exclude: tuple[str, ...],
    quiet: bool,
) -> int:
    """Merge the JSON reports of several runs (one per repository, say) into one report.

    Each (repository, path, secret) is kept once; `seen_in` lists every repository and path where the same
    secret was found. Errors are merged and stats summed. Exit codes as for the scans: 1 findings, 3 an
    incomplete audit with nothing found, 0 clean.
    """
    scan_settings = ScanSettings(baseline=baseline, min_confidence=min_confidence, config=config, exclude=exclude)
    options = OutputOptions(format=format, output=output, show_secrets=show_secrets, quiet=quiet)
    results = [read_report(path) for path in reports]  # every report checked before anything is written
    settings = resolve_settings(scan_settings, os.getcwd())
    merged = merge(results, settings.finding_filter, settings.path_filter)
    merged = dataclasses.replace(merged, result=merged.result.in_report_order())
    warn_about_errors(merged.result)
    document = report_document(merged, show_secrets=options.show_secrets)
    if summary_file is not None:
        _append_summary(summary_file, document)
    write_report(_render(merged, document, options), options.output)
    code = for_result(merged.result)
    if code == ExitCode.SCAN_ERROR:
        warn("error: the merged audit is incomplete (see the warnings); not reporting clean")
    return code


def report_document(merged: MergedReport, *, show_secrets: bool) -> dict[str, Any]:
    """The JSON report, each finding with `seen_in`; full secrets only with --show-secrets, and only those an
    input report held."""
    from binance_secrets.report.json_report import report_to_dict

    document = report_to_dict(merged.result, show_secrets=show_secrets)
    for entry, finding in zip(document["findings"], merged.result.findings, strict=True):
        entry["seen_in"] = [
            {"repository": place.repository, "path": path_text(place.path)}
            for place in merged.seen_in[finding.secret_sha256]
        ]
    return document


def _render(merged: MergedReport, document: dict[str, Any], options: OutputOptions) -> str:
    if options.format == "json":
        return json.dumps(document, indent=2) + "\n"
    if options.format == "sarif":
        from binance_secrets.report import sarif

        return sarif.render(merged.result)
    if options.format == "github":
        from binance_secrets.report import github

        return "".join(line + "\n" for line in github.annotation_lines(document))
    from binance_secrets.report import text

    return text.render(
        merged.result, show_secrets=options.show_secrets, color=wants_color(options), quiet=options.quiet
    )


def _append_summary(path: str, document: dict[str, Any]) -> None:
    from binance_secrets.errors import UsageError
    from binance_secrets.report import github

    repositories = {f.get("repository") for f in document["findings"]} | {
        e.get("repository") for e in document["errors"]
    }
    scope = f"Merged report of {len(repositories - {None}) or 'several'} repositories."
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(github.summary(document, scope=scope))
    except OSError as error:
        raise UsageError(f"--summary: cannot write to {path}: {error.strerror or error}") from None
