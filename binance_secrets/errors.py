"""Errors a user can cause, each mapped to its exit code and printed without a traceback."""

from __future__ import annotations

from binance_secrets.exit_codes import ExitCode


class UserError(Exception):
    exit_code = ExitCode.SCAN_ERROR


class UsageError(UserError):
    """A bad option, argument, config file or baseline: exit 2."""

    exit_code = ExitCode.USAGE


class ScanFailure(UserError):
    """Nothing could be scanned (not a repository, unreadable target): exit 3."""

    exit_code = ExitCode.SCAN_ERROR
