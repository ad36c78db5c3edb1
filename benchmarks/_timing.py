"""Whole-process timing shared by the benchmark scripts: warm-up runs, then the median of N."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def median_seconds(
    command: Sequence[str], cwd: Path, runs: int, warmup: int = 2, ok_codes: Sequence[int] = (0, 1)
) -> float:
    for _ in range(warmup):
        _run(command, cwd, ok_codes)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        _run(command, cwd, ok_codes)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _run(command: Sequence[str], cwd: Path, ok_codes: Sequence[int]) -> None:
    completed = subprocess.run(
        list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=os.environ
    )
    if completed.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(command)} exited {completed.returncode}: {completed.stderr.decode()[-400:]}")
