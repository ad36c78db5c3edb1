"""Options shared by `scan`, `staged` and `history`, turned into the typed `pipeline.RunOptions` in one place."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from binance_secrets.output import OutputOptions
from binance_secrets.pipeline import RunOptions
from binance_secrets.report import FORMATS
from binance_secrets.settings import ScanSettings
from binance_secrets.verification.endpoints import API_URL_ENV, ENDPOINT_CHOICES

if TYPE_CHECKING:
    from binance_secrets.verification.batch import VerifySettings

__all__ = ["RunOptions", "endpoint_options", "report_options", "run_options", "run_options_from"]

P = ParamSpec("P")
R = TypeVar("R")
# The click parameter names `report_options` adds, by the part of `RunOptions` they belong to.
_SETTINGS_NAMES = ("baseline", "min_confidence", "config", "exclude")
_OUTPUT_NAMES = ("format", "output", "show_secrets", "quiet", "no_progress")
_VERIFY_NAMES = ("verify", "endpoint", "api_url", "timeout")


def endpoint_options(command: Callable[P, R]) -> Callable[P, R]:
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


def _endpoints_checked_first(command: Callable[P, R]) -> Callable[P, R]:
    """With --verify, a refused endpoint stops the command before it scans anything (exit 2)."""

    @functools.wraps(command)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs.get("verify"):
            _verify_settings(kwargs)
        return command(*args, **kwargs)

    return checked


def report_options(command: Callable[P, R]) -> Callable[P, R]:
    """The common options of the README, in the order `--help` shows them, as click's keyword arguments:
    `run_options` gathers them into the one `RunOptions` every scanning command takes."""
    command = endpoint_options(_endpoints_checked_first(command))
    decorators = [
        click.option(
            "-f", "--format", "format", type=click.Choice(FORMATS), default="text", show_default=True,
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


def run_options(command: Callable[..., int]) -> Callable[..., int]:
    """`report_options`, handed to the command as one keyword argument, `options: RunOptions`."""

    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> int:
        names = (*_SETTINGS_NAMES, *_OUTPUT_NAMES, *_VERIFY_NAMES)
        options = run_options_from({name: kwargs.pop(name) for name in names})
        return command(*args, options=options, **kwargs)

    return report_options(with_options)


def run_options_from(values: dict[str, Any]) -> RunOptions:
    """click's values of the common options as `RunOptions`; the endpoint is validated (exit 2) when
    `--verify` asks for it. Other keyword arguments in `values` are ignored."""
    return RunOptions(
        settings=ScanSettings(
            baseline=values["baseline"],
            min_confidence=values["min_confidence"],
            config=values["config"],
            exclude=tuple(values["exclude"]),
        ),
        output=OutputOptions(
            format=values["format"],
            output=values["output"],
            show_secrets=values["show_secrets"],
            quiet=values["quiet"],
            no_progress=values["no_progress"],
        ),
        verify=_verify_settings(values) if values["verify"] else None,
    )


def _verify_settings(values: Mapping[str, object]) -> VerifySettings:
    from binance_secrets.verification.batch import verify_settings

    endpoint, api_url, timeout = values["endpoint"], values["api_url"], values["timeout"]
    # click's types (Choice, str, FloatRange) guarantee these; the check documents it for mypy.
    assert isinstance(endpoint, str) and isinstance(api_url, (str, type(None))) and isinstance(timeout, float)
    return verify_settings(endpoint, api_url, timeout)
