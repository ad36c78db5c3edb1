"""Options shared by `scan`, `staged` and `history`; the one way a result becomes output and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from binance_secrets.output import ReportOptions, finish, render_report, show_progress, write_report
from binance_secrets.settings import ResolvedSettings, resolve_settings

__all__ = [
    "OUTPUT_FORMATS",
    "ReportOptions",
    "ResolvedSettings",
    "finish",
    "render_report",
    "report_options",
    "resolve_settings",
    "show_progress",
    "write_report",
]

F = TypeVar("F", bound=Callable[..., Any])
OUTPUT_FORMATS = ("text", "json", "sarif", "github")


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
