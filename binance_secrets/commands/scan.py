from __future__ import annotations

from pathlib import Path

import click

from binance_secrets.commands.common import RunOptions, run_options
from binance_secrets.pipeline import conclude
from binance_secrets.scanning import scan_files
from binance_secrets.settings import resolve_settings


@click.command("scan")
@click.argument("paths", nargs=-1, type=str)
@run_options
def scan_command(paths: tuple[str, ...], options: RunOptions) -> int:
    """Scan files and folders of the working tree (default: the current folder)."""
    settings = resolve_settings(options.settings, Path.cwd())
    from binance_secrets.sources.prefilter import load_prefilter  # the `fast` extra, if installed

    result = scan_files(paths or (".",), settings.path_filter, settings.finding_filter, load_prefilter())
    return conclude(result, options)
