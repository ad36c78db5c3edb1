"""What a run scans and keeps: command-line options over the config file over defaults.

How the result is printed is `output.OutputOptions`; where credentials are checked is
`verification.batch.VerifySettings`. Nothing here knows about either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from binance_secrets.config import Config, load_config
from binance_secrets.filters import DEFAULT_MIN_CONFIDENCE, FindingFilter
from binance_secrets.paths import PathFilter


@dataclass(frozen=True)
class ScanSettings:
    """The options that choose what is scanned and which findings are kept (`--baseline`, `--min-confidence`,
    `--config`, `--exclude`)."""

    baseline: str | None = None
    min_confidence: str | None = None
    config: str | None = None  # None: the config file found in the scanned root, if any
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolvedSettings:
    config: Config
    path_filter: PathFilter
    finding_filter: FindingFilter


def resolve_settings(settings: ScanSettings, config_directory: str | os.PathLike[str]) -> ResolvedSettings:
    """The settings with the config file and the baseline read (UsageError, exit 2, when either is bad)."""
    config = load_config(settings.config, config_directory)
    baseline = None
    if settings.baseline:
        from binance_secrets.baseline import load_baseline

        baseline = load_baseline(settings.baseline)
    min_confidence = settings.min_confidence or config.min_confidence or DEFAULT_MIN_CONFIDENCE
    path_filter = PathFilter.of([*config.exclude, *settings.exclude])
    return ResolvedSettings(
        config=config,
        path_filter=path_filter,
        # The excludes twice: sources leave an excluded file unread, and the filter stage drops what a file
        # they read reports under an excluded name (an archive member), the same in every driver.
        finding_filter=FindingFilter(
            min_confidence=min_confidence, allow=config.allow, baseline=baseline, excluded=path_filter
        ),
    )
