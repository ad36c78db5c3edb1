"""The parts of a whole-history audit that cannot be left out, each timed alone: the floor under the
figures of `benchmarks/history.py`.

    .venv/bin/python benchmarks/history_parts.py REPO ... [--runs 3] [--peer-wall SECONDS ...]

For each repository (every ref, as `binance-secrets history REPO` audits it), the CPU time (user and
system) of each part run on its own, the best of `--runs`:

- git: the walk (`git log --raw`, which lists the blobs and places the secrets), the commit messages'
  `git log`, the parents-first order (`rev-list --topo-order`, which the attribution reads once a
  secret is found: counted only when a blob holds a finding at the default confidence), and every
  blob read by one `cat-file --batch` in the audit's order (windows sorted by path, `git_scan.by_path`)
  into the pipe the reading below empties;
- Python: a fresh interpreter importing what `history` imports, then loading the detectors and the
  native databases; reading every blob through `CatFileBatch`; detecting in every blob
  (`blob_findings` with the prefilter), in one process with no other work beside it.

Then their sum: what an audit costs before listing, handing work and results between processes,
attribution and the report; and, for comparison, the audit itself (`binance-secrets history REPO`, the
best of `--runs`) and how much CPU it spends over the parts. With `--peer-wall` (a peer's wall time for
each repository, in order), what half of that time allows in CPU on this machine's cores, and how much
of it the parts leave.

Blobs over the audit's default size limit are left out, as the audit leaves them. No finding is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.history import run_once  # noqa: E402
from binance_secrets.detectors import load_analysis  # noqa: E402
from binance_secrets.filters import CONFIDENCE_ORDER, DEFAULT_MIN_CONFIDENCE  # noqa: E402
from binance_secrets.git.cat_file import CatFileBatch  # noqa: E402
from binance_secrets.git.process import READ_BUFFER_BYTES, GitProcess, start_git, stop_process  # noqa: E402
from binance_secrets.git.repository import GitRepository  # noqa: E402
from binance_secrets.sources.git_attribution import LOG_ARGUMENTS, ChangeLog  # noqa: E402
from binance_secrets.sources.git_objects import open_repository  # noqa: E402
from binance_secrets.sources.git_revisions import all_tips, present_revisions  # noqa: E402
from binance_secrets.sources.git_scan import ScanTask, blob_findings, by_path, start_messages  # noqa: E402
from binance_secrets.sources.git_walk import WalkListing  # noqa: E402
from binance_secrets.sources.history import DEFAULT_MAX_BLOB_BYTES  # noqa: E402
from binance_secrets.sources.prefilter import compile_native, load_prefilter  # noqa: E402

ORDER_PART = "git: parents-first order (rev-list --topo-order)"
READ_PART = "git: reading every blob (cat-file --batch)"
MIN_ORDER = CONFIDENCE_ORDER[DEFAULT_MIN_CONFIDENCE]

# What `binance-secrets history` imports and loads before its first blob, in a fresh interpreter; it
# prints the CPU seconds of the imports and of the loading.
START_UP = """
import json, os
import binance_secrets.cli, binance_secrets.commands.history, binance_secrets.sources.history
times = os.times(); imported = times.user + times.system
from binance_secrets.detectors import load_analysis
from binance_secrets.sources.prefilter import compile_native, load_prefilter
load_prefilter(); load_analysis(); compile_native()
times = os.times()
print(json.dumps([imported, times.user + times.system - imported]))
"""


def children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def drained(process: GitProcess) -> float:
    """git's CPU seconds once it has written everything (read and dropped here) and ended."""
    before = children_cpu()
    try:
        assert process.stdout is not None
        while process.stdout.read(READ_BUFFER_BYTES):
            pass
        process.wait()
    finally:
        stop_process(process)
    return children_cpu() - before


def git_parts(repo: GitRepository, revisions: list[str]) -> dict[str, float]:
    return {
        "git: the walk (log --raw)": drained(start_git(repo, *LOG_ARGUMENTS, lines=revisions, buffered=True)),
        "git: the messages (log --format=%B)": drained(start_messages(repo, revisions)),
        ORDER_PART: drained(ChangeLog.fed(repo, revisions).take_graph()),  # the attribution's own command
    }


def start_up() -> dict[str, float]:
    before = children_cpu()
    output = subprocess.run([sys.executable, "-c", START_UP], capture_output=True, check=True, cwd=ROOT).stdout
    total = children_cpu() - before
    _, loading = json.loads(output)
    return {"Python: interpreter and imports": total - loading, "Python: loading the detectors": loading}


def read_and_detect(repo: GitRepository, blobs: list[ScanTask]) -> tuple[dict[str, float], bool]:
    """Reading and detection in one pass (a large history's blobs do not fit in memory), each timed,
    with what the audit's scanning processes have loaded before their first blob; and whether a blob
    holds a finding at the default confidence (the audit then attributes it)."""
    prefilter = load_prefilter()
    load_analysis()
    compile_native()
    paths = [task.path for task in blobs]
    reading = detecting = 0.0
    reported = False
    git_before = children_cpu()  # `cat-file` is waited for when the `with` ends
    with CatFileBatch(repo) as cat_file:
        answers = iter(cat_file.read([task.sha for task in blobs]))
        for path in paths:
            started = time.process_time()
            read = next(answers)
            between = time.process_time()
            found = blob_findings(read.data, path, [], prefilter) if read.sha is not None else []
            reading += between - started
            detecting += time.process_time() - between
            reported = reported or any(CONFIDENCE_ORDER[finding.confidence] >= MIN_ORDER for _, finding in found)
    parts = {
        READ_PART: children_cpu() - git_before,
        "Python: reading the blobs (CatFileBatch)": reading,
        "Python: detection (blob_findings)": detecting,
    }
    return parts, reported


def listed_blobs(repo: GitRepository, revisions: list[str], types: dict[str, str]) -> list[ScanTask]:
    listing = WalkListing(repo, revisions, whole=True, types=types)
    try:
        tasks = [
            ScanTask(listed.sha, "blob", listed.path, listed.size)
            for listed in listing
            if listed.type == "blob" and listed.size <= DEFAULT_MAX_BLOB_BYTES
        ]
    finally:
        listing.close()
    return list(by_path(tasks))


def audit(path: Path) -> dict[str, float]:
    """The whole audit, for comparison: `binance-secrets history PATH`, its CPU (every process) and wall
    time, measured as `benchmarks/history.py` measures it."""
    sample = run_once([sys.executable, "-m", "binance_secrets", "history", str(path), "--no-progress", "-f", "json"])
    return {"cpu": sample.cpu, "wall": sample.wall}


def best(results: list[dict[str, float]]) -> dict[str, float]:
    return {part: min(result[part] for result in results) for part in results[0]}


def measured(path: Path, runs: int) -> tuple[dict[str, float], list[ScanTask], dict[str, float]]:
    """The best of `runs` for each part, the blobs they read, and the whole audit (the best of `runs`)."""
    repo = open_repository(str(path))
    revisions, _, types = present_revisions(repo, all_tips(repo))
    blobs = listed_blobs(repo, revisions, types)
    scans = [read_and_detect(repo, blobs) for _ in range(runs)]
    scanned = best([scan for scan, _ in scans])
    parts = {
        **best([git_parts(repo, revisions) for _ in range(runs)]),
        READ_PART: scanned.pop(READ_PART),
        **best([start_up() for _ in range(runs)]),
        **scanned,
    }
    if not scans[0][1]:
        parts.pop(ORDER_PART)  # nothing to attribute: the audit never asks for the order
    return parts, blobs, best([audit(path) for _ in range(runs)])


def report(
    name: str, parts: dict[str, float], blobs: list[ScanTask], whole: dict[str, float], peer_wall: float | None
) -> None:
    total = sum(parts.values())
    print(f"\n{name}: {len(blobs)} blobs, {sum(task.size for task in blobs) / 1e6:.0f} MB")
    for part, seconds in parts.items():
        print(f"  {part:<52} {seconds:6.2f} s")
    print(f"  {'sum of the parts':<52} {total:6.2f} s of CPU")
    print(
        f"  {'the audit itself':<52} {whole['cpu']:6.2f} s of CPU, {whole['wall']:.2f} s wall: "
        f"{whole['cpu'] - total:.2f} s over the parts"
    )
    if peer_wall is not None:
        cores = os.cpu_count() or 1
        budget = peer_wall / 2 * cores
        print(
            f"  half of the peer's {peer_wall:.2f} s on {cores} cores allows {budget:.2f} s of CPU: "
            f"{budget - total:+.2f} s left for everything else"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-wall", type=float, nargs="*", default=[], help="a peer's wall time per repository")
    arguments = parser.parse_args(argv)
    if arguments.peer_wall and len(arguments.peer_wall) != len(arguments.repos):
        parser.error("--peer-wall takes one time per repository")
    print(f"{os.cpu_count()} cores; load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    for index, path in enumerate(arguments.repos):
        parts, blobs, whole = measured(path, arguments.runs)
        report(str(path), parts, blobs, whole, arguments.peer_wall[index] if arguments.peer_wall else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
