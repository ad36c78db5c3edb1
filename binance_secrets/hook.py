"""`binance-secrets-hook FILE...`: the pre-commit framework's entry point.

pre-commit stashes unstaged changes before running hooks, so the files it passes hold exactly what is
about to be committed. This path imports only the scanning core: no GitPython, no HTTP client.

pre-commit runs `entry args... FILE...`: the file names, which anyone who sends a branch chooses, come
after the user's `args:` with nothing in between. So an argument that names an existing path is always a
file, whatever it looks like (`--help`, `-h`, `--exclude=*`): such a file is scanned, never obeyed. Only
the other arguments are options, and `--` ends them.

A run without options whose files hold none of detection's triggers is answered by `clean_shortcut`
before the scanner is imported at all; any other run is the full scan (README "Performance").
"""

from __future__ import annotations

import os
import sys
import time

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from binance_secrets.pipeline import RunOptions
    from binance_secrets.verification.batch import VerifySettings


# The options that take a value (`_parser` defines them; a test keeps the two in step). Kept here so that
# a run without options, the usual one, splits its arguments without importing argparse.
VALUE_OPTIONS = frozenset({"--baseline", "--min-confidence", "--config", "--exclude", "-f", "--format"})


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    option_arguments, filenames = split_arguments(list(sys.argv[1:] if argv is None else argv))
    # argparse (and its help, gettext, shutil) only when there is an option to parse.
    args = _parser().parse_args(option_arguments) if option_arguments else None
    if not filenames:
        return 0  # ExitCode.CLEAN, without importing enum for it
    if args is None and _answered_clean(filenames, started):
        return 0
    from binance_secrets.errors import UserError

    try:
        options = _run_options(args)
        from binance_secrets.pipeline import conclude
        from binance_secrets.scanning import scan_files
        from binance_secrets.settings import resolve_settings

        settings = resolve_settings(options.settings, os.getcwd())
        result = scan_files(filenames, settings.path_filter, settings.finding_filter)
        return conclude(result, options)
    except UserError as error:
        from binance_secrets.report.escaping import log_text

        # The message may quote an `args:` value (a path): one line, no escape sequence (README).
        print(f"binance-secrets-hook: error: {log_text(str(error))}", file=sys.stderr)
        return int(error.exit_code)


def _answered_clean(filenames: list[str], started: float) -> bool:
    """Whether the files were found clean without the scanner, and the clean report written."""
    from binance_secrets.clean_shortcut import clean_file_count, clean_summary

    files = clean_file_count(filenames, os.getcwd())
    if files is None or sys.stdout is None:
        return False  # the full run decides, and reports a closed stdout as it reports it
    try:
        sys.stdout.write(clean_summary(f"{files} files", time.perf_counter() - started) + "\n")
        sys.stdout.flush()
    except OSError:
        return False
    return True


def _run_options(args: argparse.Namespace | None) -> RunOptions:
    """The run's options: the defaults, or what `args:` in the pre-commit config set."""
    from binance_secrets.output import OutputOptions
    from binance_secrets.pipeline import RunOptions
    from binance_secrets.settings import ScanSettings

    if args is None:
        return RunOptions(ScanSettings(), OutputOptions(no_progress=True))
    return RunOptions(
        settings=ScanSettings(
            baseline=args.baseline,
            min_confidence=args.min_confidence,
            config=args.config,
            exclude=tuple(args.exclude),
        ),
        output=OutputOptions(format=args.format, show_secrets=args.show_secrets, quiet=args.quiet, no_progress=True),
        verify=_verify_settings() if args.verify else None,
    )


def _verify_settings() -> VerifySettings:
    """`--verify`: the default endpoint, or BINANCE_SECRETS_API_URL (refused before any scan, exit 2)."""
    from binance_secrets.verification.batch import verify_settings

    return verify_settings()


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """(option arguments for the parser, file names). Fail-closed: when a name is both an existing path
    and an option, it is a file, so the worst a hostile name achieves is being scanned."""
    options: list[str] = []
    files: list[str] = []
    index = 0
    while index < len(argv):
        argument = argv[index]
        index += 1
        if os.path.lexists(argument):
            files.append(argument)
        elif argument == "--":
            files.extend(argv[index:])
            break
        elif argument.startswith("-") and argument != "-":
            options.append(argument)
            if _takes_next_value(argument, VALUE_OPTIONS) and index < len(argv):
                options.append(argv[index])  # a value given in `args:`, never a file name
                index += 1
        else:
            files.append(argument)
    return options, list(dict.fromkeys(files))  # a name given twice is scanned once


def _takes_next_value(argument: str, value_options: frozenset[str]) -> bool:
    if argument.startswith("--"):
        return argument in value_options  # `--name=value` carries its own
    # A cluster of short options (`-qf json`): the first one that takes a value takes the rest of the
    # cluster, or the next argument when it ends the cluster.
    for position, letter in enumerate(argument[1:], start=1):
        if f"-{letter}" in value_options:
            return position == len(argument) - 1
    return False


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="binance-secrets-hook",
        usage="%(prog)s [options] [--] FILE...",
        description="Refuse commits that add Binance API credentials in FILE... (pre-commit passes the "
        "staged files). An argument that names an existing path is always a file.",
        allow_abbrev=False,  # `--exc` must not silently mean `--exclude`: options are spelled in full
    )
    parser.add_argument("--baseline", help="Skip secrets recorded in this report or detect-secrets baseline.")
    parser.add_argument("--min-confidence", choices=("low", "medium", "high"))
    parser.add_argument("--config", help="Config file (default: .binance-secrets.toml or pyproject.toml).")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    parser.add_argument("-f", "--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--show-secrets", action="store_true")
    parser.add_argument("--verify", action="store_true", help="Also check found credentials live (network).")
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
