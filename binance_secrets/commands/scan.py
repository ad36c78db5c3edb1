from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from binance_secrets.commands.common import ReportOptions, finish, report_options, resolve_settings
from binance_secrets.scanning import scan_files


@click.command("scan")
@click.argument("paths", nargs=-1, type=str)
@report_options
def scan_command(paths: tuple[str, ...], **kwargs: Any) -> int:
    """Scan files and folders of the working tree (default: the current folder)."""
    options = ReportOptions.from_kwargs(kwargs)
    settings = resolve_settings(options, Path.cwd())
    result = scan_files(paths or (".",), settings.path_filter, settings.finding_filter)
    return finish(result, options)
