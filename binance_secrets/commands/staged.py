from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from types import FrameType

import click

from binance_secrets.commands.common import RunOptions, run_options
from binance_secrets.exit_codes import ExitCode
from binance_secrets.pipeline import conclude
from binance_secrets.result import ScanError, ScanResult, ScanStats
from binance_secrets.scanning import ChunkScan
from binance_secrets.settings import resolve_settings
from binance_secrets.sources.staged import read_staged_chunks, repository_root, staged_blobs


class _Terminated(BaseException):
    """SIGTERM, raised where the scan stands so that every `finally` (the git child's included) runs."""


@click.command("staged")
@click.argument("repo", required=False, default=".", type=str)
@run_options
def staged_command(repo: str, options: RunOptions) -> int:
    """Scan what is staged in the index of REPO (default: the current repository)."""
    try:
        with _sigterm_unwinds():
            return _scan_staged(repo, options)
    except _Terminated:
        click.echo("binance-secrets: terminated", err=True)
        return ExitCode.TERMINATED


def _scan_staged(repo: str, options: RunOptions) -> int:
    started = time.perf_counter()
    root = repository_root(repo)
    settings = resolve_settings(options.settings, root)
    errors: list[ScanError] = []
    blobs = staged_blobs(root, settings.path_filter, errors)
    scan = ChunkScan(settings.finding_filter)
    # closing(): an interrupt between two chunks still stops `git cat-file` now, not at garbage collection.
    with closing(read_staged_chunks(root, blobs, errors)) as chunks:
        scan.chunks(chunks)
    stats = ScanStats(files=len(blobs), bytes=scan.bytes, seconds=time.perf_counter() - started)
    return conclude(ScanResult(tuple(scan.findings), tuple(errors), stats), options)


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM unwinds the scan like Ctrl-C does (SIGINT is already KeyboardInterrupt, exit 130)."""

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up short
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread (an embedding caller): leave signals to it
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
