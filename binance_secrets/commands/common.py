"""Options shared by `scan`, `staged` and `history`; the one way a result becomes output and an exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from binance_secrets.output import ReportOptions, finish, render_report, show_progress, write_report
from binance_secrets.settings import ResolvedSettings, resolve_settings
from binance_secrets.verification.endpoints import API_URL_ENV, ENDPOINT_CHOICES

__all__ = [
    "OUTPUT_FORMATS",
    "ReportOptions",
    "ResolvedSettings",
    "endpoint_options",
    "finish",
    "render_report",
    "report_options",
    "resolve_settings",
    "show_progress",
    "write_report",
]

F = TypeVar("F", bound=Callable[..., Any])
OUTPUT_FORMATS = ("text", "json", "sarif", "github")


def endpoint_options(command: F) -> F:
    """Where credentials are checked: `verify`, and `scan`/`staged`/`history --verify`. One definition, so
    that every command offers the same choices and refuses the same URLs (exit 2, before any connection)."""
    decorators = [
        click.option(
            "--endpoint", type=click.Choice(ENDPOINT_CHOICES), default="binance", show_default=True,
            help="The realm to check keys in; `auto` tries the one the code hints at first, then the others, "
            "stopping at the first live answer (at most five official hosts per key).",
        ),
        click.option(
            "--api-url", envvar=API_URL_ENV, metavar="URL",
            help="Replace the endpoint's base URL with scheme://host[:port]: https on an official Binance host, or "
            f"a test server on a literal loopback address (127.0.0.1, [::1]) [env: {API_URL_ENV}; per realm: "
            f"{API_URL_ENV}_<REALM>].",
        ),
        click.option(
            "--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
            help="Seconds to wait for each answer.",
        ),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _endpoints_checked_first(command: F) -> F:
    """With --verify, a refused endpoint stops the command before it scans anything (exit 2)."""

    @functools.wraps(command)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("verify"):
            from binance_secrets.verification.batch import verify_settings

            verify_settings(kwargs["endpoint"], kwargs["api_url"], kwargs["timeout"])
        return command(*args, **kwargs)

    return checked  # type: ignore[return-value]


def report_options(command: F) -> F:
    """The common options of DESIGN.md, in the order `--help` shows them."""
    command = endpoint_options(_endpoints_checked_first(command))
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
