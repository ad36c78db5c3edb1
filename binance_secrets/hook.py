"""`binance-secrets-hook FILE...`: the pre-commit framework's entry point.

pre-commit stashes unstaged changes before running hooks, so the files it passes hold exactly what is
about to be committed. This path imports only the scanning core: no GitPython, no HTTP client.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from binance_secrets.errors import UserError
from binance_secrets.exit_codes import ExitCode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="binance-secrets-hook", description="Refuse commits that add Binance API credentials."
    )
    parser.add_argument("filenames", nargs="*", help="Files to check (pre-commit passes the staged ones).")
    parser.add_argument("--baseline", help="Skip secrets recorded in this report or detect-secrets baseline.")
    parser.add_argument("--min-confidence", choices=("low", "medium", "high"))
    parser.add_argument("--config", help="Config file (default: .binance-secrets.toml or pyproject.toml).")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    parser.add_argument("-f", "--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--show-secrets", action="store_true")
    parser.add_argument("--verify", action="store_true", help="Also check found credentials live (network).")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not args.filenames:
        return ExitCode.CLEAN

    from binance_secrets.output import ReportOptions, finish
    from binance_secrets.scanning import scan_files
    from binance_secrets.settings import resolve_settings

    options = ReportOptions(
        format=args.format,
        show_secrets=args.show_secrets,
        verify=args.verify,
        baseline=args.baseline,
        min_confidence=args.min_confidence,
        config=args.config,
        exclude=tuple(args.exclude),
        quiet=args.quiet,
        no_progress=True,
    )
    try:
        settings = resolve_settings(options, os.getcwd())
        result = scan_files(args.filenames, settings.path_filter, settings.finding_filter)
        return finish(result, options)
    except UserError as error:
        print(f"binance-secrets-hook: error: {error}", file=sys.stderr)
        return int(error.exit_code)


if __name__ == "__main__":
    raise SystemExit(main())
