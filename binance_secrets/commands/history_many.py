"""`history REPO_OR_URL... / --repos-file FILE`: the multi-repository audit behind the `history` command."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from binance_secrets.audit import AuditProgress, AuditRequest, audit_repositories
from binance_secrets.errors import UsageError
from binance_secrets.output import show_progress
from binance_secrets.pipeline import RunOptions, conclude
from binance_secrets.progress_line import ProgressLine
from binance_secrets.settings import resolve_settings
from binance_secrets.sources.repositories import MirrorStore, RepositorySource, parse_source, read_repos_file

if TYPE_CHECKING:
    from binance_secrets.remediation import RemediationWriter

# Redraw the progress line at most this often.


def history_many(
    repos: tuple[str, ...],
    repos_file: str | None,
    keep_clones: str | None,
    since_commit: str | None,
    range_: str | None,
    branch: str | None,
    from_env: bool,
    jobs: int | None,
    max_blob_size: str | None,
    options: RunOptions,
    plan: RemediationWriter | None,
) -> int:
    ranged = [name for name, value in (("--range", range_), ("--from-env", from_env), ("--since-commit", since_commit))
              if value]  # fmt: skip
    if ranged:
        # A revision names a commit of one repository; across repositories it means nothing.
        raise UsageError(f"{ranged[0]} takes one local repository, not several or a URL (--branch works for all)")
    texts = list(repos) + (read_repos_file(repos_file) if repos_file is not None else [])
    if not texts:
        raise UsageError(f"--repos-file: {repos_file} lists no repository")
    sources = _distinct([parse_source(text) for text in texts])
    if max_blob_size:
        from binance_secrets.commands.history import parse_size

        parse_size(max_blob_size)  # a bad size is exit 2 before anything is fetched
    store = MirrorStore.kept(keep_clones) if keep_clones is not None else MirrorStore.temporary()
    try:
        # --config and --baseline are read once here, so that a bad one is exit 2 before any fetch.
        resolve_settings(options.settings, store.root)
    except BaseException:
        store.remove()
        raise
    request = AuditRequest(
        settings=options.settings, branch=branch, max_blob_size=max_blob_size, jobs=jobs or os.cpu_count() or 1
    )
    bar = AuditProgressLine() if show_progress(options.output) else None
    try:
        result = audit_repositories(sources, request, store, bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    if plan is not None:
        plan = plan.for_repositories({source.display: _origin(source) for source in sources})
    return conclude(result, options, plan.write if plan is not None else None)


def _distinct(sources: list[RepositorySource]) -> list[RepositorySource]:
    """Each repository once, in the order first given (a repos file and the command line may overlap)."""
    seen: set[str] = set()
    kept = []
    for source in sources:
        if source.display not in seen:
            seen.add(source.display)
            kept.append(source)
    return kept


def _origin(source: RepositorySource) -> str:
    """Where the remediation plan clones from: the URL without credentials, or the absolute path."""
    return source.display if source.is_url else os.path.abspath(source.given)


class AuditProgressLine(ProgressLine):
    """The whole audit's line: repositories done, objects, MB/s, ETA.

    It shows counts only: no repository name (a URL could hold credentials), no path.
    """

    def update(self, progress: AuditProgress) -> None:
        now = self.due(force=progress.done >= progress.repositories)
        if now is None:
            return
        elapsed = max(now - progress.started, 1e-6)
        line = (
            f"history: {progress.done}/{progress.repositories} repositories, {progress.objects} objects, "
            f"{progress.bytes / 1e6:.0f} MB, {progress.bytes / elapsed / 1e6:.1f} MB/s"
        )
        eta = progress.eta_seconds()
        if eta is not None:
            line += f", ETA {eta:.0f}s"
        self.draw(line)
