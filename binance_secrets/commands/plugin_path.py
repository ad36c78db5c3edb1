"""`binance-secrets detect-secrets-plugin-path`: the file to give `detect-secrets scan --plugin`.

detect-secrets loads custom plugins by file path and records that absolute path in the baseline, so
the path depends on where this package is installed. The module is located, never imported: it
imports detect-secrets, which the core install does not have.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from binance_secrets.errors import ScanFailure
from binance_secrets.exit_codes import ExitCode

PLUGIN_MODULE = "binance_secrets.detect_secrets_plugin"


def plugin_path() -> Path:
    spec = importlib.util.find_spec(PLUGIN_MODULE)
    if spec is None or spec.origin is None or not Path(spec.origin).is_file():
        raise ScanFailure(f"the detect-secrets plugin module {PLUGIN_MODULE} is missing from this install")
    return Path(spec.origin).resolve()


@click.command("detect-secrets-plugin-path")
def plugin_path_command() -> int:
    """Print the path of the detect-secrets plugin, for `detect-secrets scan --plugin`."""
    path = plugin_path()
    if importlib.util.find_spec("detect_secrets") is None:
        click.echo(
            "binance-secrets: warning: detect-secrets is not installed here; "
            "install it with: pip install 'binance-secrets[detect-secrets]'",
            err=True,
        )
    click.echo(str(path))
    return ExitCode.CLEAN
