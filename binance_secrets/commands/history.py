"""`binance-secrets history`: audit every commit of every ref, or a range for CI and pre-push."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from binance_secrets.commands.common import RunOptions, run_options
from binance_secrets.errors import UsageError
from binance_secrets.output import show_progress
from binance_secrets.pipeline import conclude
from binance_secrets.progress_line import ProgressLine
from binance_secrets.result import ScanResult, ScanStats
from binance_secrets.settings import resolve_settings
from binance_secrets.sources.git_objects import open_repository
from binance_secrets.sources.git_revisions import (
    all_tips,
    commit_or_usage_error,
    from_environment,
    parse_range,
)
from binance_secrets.sources.history import DEFAULT_MAX_BLOB_BYTES, HistoryRequest, Progress, audit_history

if TYPE_CHECKING:
    from binance_secrets.remediation import RemediationWriter

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# Redraw the progress line at most this often.


def parse_size(text: str) -> int:
    """`20M`, `512k`, `1G` or a number of bytes."""
    match = _SIZE.match(text)
    if match is None:
        raise UsageError(f"--max-blob-size: {text!r} is not a size (examples: 20M, 512k, 1000000)")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


@click.command("history")
@click.argument("repo", nargs=-1, type=str)
@click.option("--since-commit", metavar="REV", help="Only commits after REV (reachable from the refs, not from REV).")
@click.option("--range", "range_", metavar="BASE..HEAD", help="Only the commits of BASE..HEAD.")
@click.option("--branch", metavar="REF", help="Only commits reachable from REF instead of every ref.")
@click.option(
    "--from-env", is_flag=True,
    help="Scan the pre-commit framework's pre-push range (PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF).",
)
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes to scan with [default: all cores].")
@click.option(
    "--max-blob-size", metavar="SIZE",
    help=f"Skip blobs larger than SIZE, with a warning [default: config max-file-size, else "
    f"{DEFAULT_MAX_BLOB_BYTES // 1024 // 1024}M].",
)
@click.option(
    "--repos-file", metavar="FILE",
    help="Audit the repositories listed in FILE too: paths or clone URLs, one a line, `#` comments.",
)
@click.option(
    "--keep-clones", metavar="DIR",
    help="Keep the bare mirrors of URLs in DIR and fetch them again on the next run [default: a temporary "
    "folder, removed afterwards].",
)
@click.option(
    "--cache", "cache", metavar="FILE",
    help="Keep what was scanned in FILE (no secrets: digests only, signed) and scan only new objects next time.",
)
@click.option(
    "--remediation", metavar="DIR",
    help="Write REMEDIATION.md and replacements.txt (it holds the secrets, mode 0600) for git filter-repo to DIR.",
)
@run_options
def history_command(
    repo: tuple[str, ...],
    since_commit: str | None,
    range_: str | None,
    branch: str | None,
    from_env: bool,
    jobs: int | None,
    max_blob_size: str | None,
    repos_file: str | None,
    keep_clones: str | None,
    cache: str | None,
    remediation: str | None,
    options: RunOptions,
) -> int:
    """Audit git history: every commit of every ref (default), or a range.

    REPO... are local repositories or clone URLs (https://, ssh://, git@host:path, file://); several at
    once, or a URL, make a multi-repository audit in which each finding names its repository.
    Each secret is reported once per path it was ever at, with the commit that first brought it there.
    """
    try:
        with _stopped_by_signals():
            plan = _remediation_plan(remediation)
            if repos_file is not None or len(repo) > 1 or keep_clones is not None or _any_url(repo):
                if cache is not None:
                    raise UsageError("--cache works with one local repository (one cache file per repository)")
                from binance_secrets.commands.history_many import history_many

                return history_many(
                    repo, repos_file, keep_clones, since_commit, range_, branch, from_env, jobs, max_blob_size,
                    options, plan,
                )  # fmt: skip
            return _history(
                repo[0] if repo else ".", since_commit, range_, branch, from_env, jobs, max_blob_size, options, plan,
                cache,
            )  # fmt: skip
    except _Stopped as stopped:
        # Everything the audit started has ended by now (workers, git): nothing holds stdout.
        click.echo(f"binance-secrets: {'interrupted' if stopped.signum == signal.SIGINT else 'terminated'}", err=True)
        return 128 + stopped.signum


class _Stopped(BaseException):
    """SIGTERM or SIGINT: unwinds the audit like an exception, so every `finally` stops its processes."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Turn SIGTERM, and SIGINT sent to this process alone (`timeout`, CI runners), into `_Stopped`.

    Python's default for SIGTERM is to die on the spot, leaving scan workers and git running and
    holding stdout open. SIGINT is taken over only where Python would raise KeyboardInterrupt (not
    when the caller chose to ignore it). The first signal wins; later ones are ignored so that they
    cannot cut the stopping of processes short.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (an embedding program keeps its own)
        return
    handled = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        handled.append(signal.SIGINT)
    previous = {signum: signal.getsignal(signum) for signum in handled}

    def stop(signum: int, frame: FrameType | None) -> None:
        for other in handled:
            signal.signal(other, signal.SIG_IGN)
        raise _Stopped(signum)

    for signum in handled:
        signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _any_url(repos: tuple[str, ...]) -> bool:
    from binance_secrets.sources.repositories import parse_source

    return any(parse_source(text).is_url for text in repos)


def _remediation_plan(folder: str | None) -> RemediationWriter | None:
    """`--remediation DIR`, checked (and DIR made) before anything is scanned: a bad DIR is exit 2."""
    if folder is None:
        return None
    from binance_secrets.remediation import RemediationWriter

    return RemediationWriter.open(folder)


def _history(
    repo: str,
    since_commit: str | None,
    range_: str | None,
    branch: str | None,
    from_env: bool,
    jobs: int | None,
    max_blob_size: str | None,
    options: RunOptions,
    plan: RemediationWriter | None = None,
    cache: str | None = None,
) -> int:
    chosen = [name for name, value in (("--range", range_), ("--from-env", from_env)) if value]
    if len(chosen) > 1 or (chosen and (since_commit or branch)):
        raise UsageError(f"{' and '.join(chosen or ['--range'])} cannot be combined with other range options")
    repository = open_repository(repo)
    settings = resolve_settings(options.settings, Path(repository.root))
    if range_:
        revisions = parse_range(repository, range_)
    elif from_env:
        revisions, _ = from_environment(repository, os.environ)
    else:
        revisions = [commit_or_usage_error(repository, branch, "--branch")] if branch else all_tips(repository)
        if since_commit:
            revisions.append("^" + commit_or_usage_error(repository, since_commit, "--since-commit"))
    max_bytes = parse_size(max_blob_size) if max_blob_size else settings.config.max_file_size
    request = HistoryRequest(
        revisions=tuple(revisions),
        jobs=jobs or os.cpu_count() or 1,
        max_blob_bytes=max_bytes or DEFAULT_MAX_BLOB_BYTES,
        cache=cache,
    )
    if plan is not None:
        plan = plan.for_repositories({None: repository.root})
    writer = plan.write if plan is not None else None
    if not revisions:
        return conclude(ScanResult((), (), ScanStats()), options, writer)
    bar = HistoryProgressLine() if show_progress(options.output) else None
    try:
        result = audit_history(
            repository,
            request,
            settings.finding_filter,
            settings.path_filter,
            bar.update if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
    return conclude(result, options, writer)


class HistoryProgressLine(ProgressLine):
    """Objects done, MB/s and, once the listing is complete, ETA."""

    def update(self, progress: Progress) -> None:
        now = self.due()
        if now is None:
            return
        elapsed = max(now - progress.started, 1e-6)
        rate = progress.bytes / elapsed
        total = f"/{progress.listed_objects}" if progress.listing_done else "/…"
        line = (
            f"history: {progress.commits} commits, {progress.objects}{total} objects, "
            f"{progress.bytes / 1e6:.0f} MB, {rate / 1e6:.1f} MB/s"
        )
        if progress.listing_done and rate > 0:
            remaining = max(progress.listed_bytes - progress.bytes, 0) / rate
            line += f", ETA {remaining:.0f}s"
        self.draw(line)
