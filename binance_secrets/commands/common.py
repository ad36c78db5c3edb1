"""Options shared by `scan`, `staged` and `history`; the one way a result becomes output and an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from binance_secrets.baseline import Baseline, load_baseline
from binance_secrets.config import Config, load_config
from binance_secrets.errors import UsageError
from binance_secrets.exit_codes import ExitCode
from binance_secrets.filters import DEFAULT_MIN_CONFIDENCE, FindingFilter
from binance_secrets.finding import ScanResult
from binance_secrets.paths import PathFilter

F = TypeVar("F", bound=Callable[..., Any])
OUTPUT_FORMATS = ("text", "json", "sarif", "github")


@dataclass(frozen=True)
class ReportOptions:
    format: str = "text"
    output: str | None = None
    show_secrets: bool = False
    verify: bool = False
    baseline: str | None = None
    min_confidence: str | None = None
    config: str | None = None
    exclude: tuple[str, ...] = ()
    quiet: bool = False
    no_progress: bool = False

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> ReportOptions:
        names = {field for field in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in kwargs.items() if key in names})


def report_options(command: F) -> F:
    """The common options of DESIGN.md, in the order `--help` shows them."""
    decorators = [
        click.option(
            "-f", "--format", "format", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True,
            help="Report format.",
        ),
        click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE."),
        click.option("--show-secrets", is_flag=True, help="Print full secrets instead of redacted ones."),
        click.option("--verify", is_flag=True, help="Check found credentials live against Binance (network)."),
        click.option("--baseline", type=str, help="Skip secrets recorded in this report or detect-secrets baseline."),
        click.option(
            "--min-confidence", type=click.Choice(["low", "medium", "high"]), help="Report threshold [default: medium]."
        ),
        click.option("--config", type=str, help="Config file (default: .binance-secrets.toml or pyproject.toml)."),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable)."),
        click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary, no progress."),
        click.option("--no-progress", is_flag=True, help="Never show a progress bar."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@dataclass(frozen=True)
class ResolvedSettings:
    config: Config
    path_filter: PathFilter
    finding_filter: FindingFilter


def resolve_settings(options: ReportOptions, config_directory: Path) -> ResolvedSettings:
    config = load_config(options.config, config_directory)
    baseline = load_baseline(options.baseline) if options.baseline else Baseline()
    min_confidence = options.min_confidence or config.min_confidence or DEFAULT_MIN_CONFIDENCE
    return ResolvedSettings(
        config=config,
        path_filter=PathFilter.of([*config.exclude, *options.exclude]),
        finding_filter=FindingFilter(min_confidence=min_confidence, allow=config.allow, baseline=baseline),
    )


def show_progress(options: ReportOptions) -> bool:
    return not (options.quiet or options.no_progress) and sys.stderr.isatty()


def finish(result: ScanResult, options: ReportOptions) -> int:
    """Verify if asked, report, warn about unreadable input, and choose the exit code."""
    if options.verify and result.findings:
        from binance_secrets.verification.batch import verify_findings, verify_settings_from_env

        result = ScanResult(
            verify_findings(result.findings, verify_settings_from_env()),
            result.errors,
            result.stats,
            result.failed,
        )
    for error in result.errors:
        click.echo(f"binance-secrets: warning: {error.path}: {error.message}", err=True)
    if result.failed:
        click.echo("binance-secrets: error: nothing could be scanned", err=True)
        if options.format != "text":
            write_report(render_report(result, options), options.output)
        return ExitCode.SCAN_ERROR
    write_report(render_report(result, options), options.output)
    return ExitCode.FINDINGS if result.findings else ExitCode.CLEAN


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

    color = options.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return text.render(result, show_secrets=options.show_secrets, color=color, quiet=options.quiet)


def write_report(report: str, output: str | None) -> None:
    if output is None:
        click.echo(report, nl=False)
        return
    try:
        Path(output).write_text(report, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write report to {output}: {error.strerror or error}") from None
