from __future__ import annotations

import time
from typing import Any

import click

from binance_secrets.commands.common import ReportOptions, finish, report_options, resolve_settings
from binance_secrets.detectors import detect
from binance_secrets.finding import Finding, ScanError, ScanResult, ScanStats
from binance_secrets.sources.staged import read_staged_chunks, repository_root, staged_blobs


@click.command("staged")
@click.argument("repo", required=False, default=".", type=str)
@report_options
def staged_command(repo: str, **kwargs: Any) -> int:
    """Scan what is staged in the index of REPO (default: the current repository)."""
    started = time.perf_counter()
    options = ReportOptions.from_kwargs(kwargs)
    root = repository_root(repo)
    settings = resolve_settings(options, root)
    errors: list[ScanError] = []
    blobs = staged_blobs(root, settings.path_filter, errors)
    findings: list[Finding] = []
    scanned_bytes = 0
    for chunk in read_staged_chunks(root, blobs):
        scanned_bytes += len(chunk.data)
        findings.extend(f for f in detect(chunk.data, chunk.path) if settings.finding_filter.keep(f))
    stats = ScanStats(files=len(blobs), bytes=scanned_bytes, seconds=time.perf_counter() - started)
    return finish(ScanResult(tuple(findings), tuple(errors), stats), options)
