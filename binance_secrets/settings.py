"""The effective settings of a run: command-line options over the config file over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

from binance_secrets.baseline import Baseline, load_baseline
from binance_secrets.config import Config, load_config
from binance_secrets.filters import DEFAULT_MIN_CONFIDENCE, FindingFilter
from binance_secrets.output import ReportOptions
from binance_secrets.paths import PathFilter


@dataclass(frozen=True)
class ResolvedSettings:
    config: Config
    path_filter: PathFilter
    finding_filter: FindingFilter


def resolve_settings(options: ReportOptions, config_directory: str | os.PathLike[str]) -> ResolvedSettings:
    config = load_config(options.config, config_directory)
    baseline = load_baseline(options.baseline) if options.baseline else Baseline()
    min_confidence = options.min_confidence or config.min_confidence or DEFAULT_MIN_CONFIDENCE
    return ResolvedSettings(
        config=config,
        path_filter=PathFilter.of([*config.exclude, *options.exclude]),
        finding_filter=FindingFilter(min_confidence=min_confidence, allow=config.allow, baseline=baseline),
    )
