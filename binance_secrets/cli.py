"""`binance-secrets`: the command line. Each command lives in `binance_secrets.commands`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import ClassVar

import click

from binance_secrets import __version__
from binance_secrets.errors import UserError
from binance_secrets.exit_codes import ExitCode
from binance_secrets.report.escaping import log_text


class _LazyGroup(click.Group):
    """Imports a command's module only when that command runs, so `scan` never loads GitPython."""

    COMMANDS: ClassVar[dict[str, tuple[str, str]]] = {
        "scan": ("binance_secrets.commands.scan", "scan_command"),
        "staged": ("binance_secrets.commands.staged", "staged_command"),
        "history": ("binance_secrets.commands.history", "history_command"),
        "verify": ("binance_secrets.commands.verify", "verify_command"),
        "merge-reports": ("binance_secrets.commands.merge_reports", "merge_reports_command"),
        "install-hooks": ("binance_secrets.commands.install_hooks", "install_hooks_command"),
        "detect-secrets-plugin-path": (
            "binance_secrets.commands.plugin_path",
            "plugin_path_command",
        ),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in self.COMMANDS if self._available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.COMMANDS or not self._available(cmd_name):
            return None
        import importlib

        module_name, attribute = self.COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command

    def _available(self, name: str) -> bool:
        import importlib.util

        return importlib.util.find_spec(self.COMMANDS[name][0]) is not None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="binance-secrets")
def cli() -> None:
    """Find Binance API credentials in files, staged changes and git history."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _run(list(sys.argv[1:] if argv is None else argv))
        if sys.stdout is not None:
            sys.stdout.flush()  # help or version text still buffered must reach its reader, or fail here
        return code
    except OSError as error:
        # Output that could not be delivered (`--help >/dev/full`, a message to a full stderr) or an
        # environment failure no command anticipated: an error, never a traceback, never a clean exit.
        _stop_writing_stdout()
        _print_error(f"binance-secrets: error: {log_text(str(error.strerror or error))}")
        return ExitCode.SCAN_ERROR


def _run(args: list[str]) -> int:
    try:
        result = cli.main(args=args, prog_name="binance-secrets", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else str(error), err=True)
        return ExitCode.USAGE
    except click.ClickException as error:
        _show_click_error(error)
        return ExitCode.USAGE if error.exit_code == 2 else int(error.exit_code)
    except click.exceptions.Exit as error:
        return int(error.exit_code)
    except click.exceptions.Abort:
        click.echo("binance-secrets: aborted", err=True)
        return ExitCode.INTERRUPTED
    except UserError as error:
        _print_error(f"binance-secrets: error: {log_text(str(error))}")
        return int(error.exit_code)
    except KeyboardInterrupt:
        click.echo("binance-secrets: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except SystemExit:
        # Even outside standalone mode, click turns a broken pipe while it prints (help, version) into
        # `sys.exit(1)`; 1 means findings here, so say what happened and exit 3 instead.
        _stop_writing_stdout()
        _print_error("binance-secrets: error: cannot write to standard output: the reader closed the pipe")
        return ExitCode.SCAN_ERROR
    if isinstance(result, int):
        return result
    return ExitCode.CLEAN


def _show_click_error(error: click.ClickException) -> None:
    """click's own `show()` (usage, hint, message), with the message made log-safe.

    The message quotes what the user typed (an option, a value, a command name), which may hold a line
    break, an escape sequence or a GitHub workflow command: it is escaped as warnings are (`log_text`).
    """
    message = log_text(error.format_message())
    error.format_message = lambda: message  # type: ignore[method-assign]
    with contextlib.suppress(OSError):  # stderr is gone: the exit code is all that is left
        error.show()


def _stop_writing_stdout() -> None:
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError:
        from binance_secrets.output import discard_stdout

        discard_stdout()


def _print_error(message: str) -> None:
    with contextlib.suppress(OSError):  # stderr is gone too: the exit code is all that is left
        click.echo(message, err=True)


if __name__ == "__main__":
    raise SystemExit(main())
