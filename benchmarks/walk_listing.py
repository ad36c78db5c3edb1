"""The walk listing (`git_walk.WalkListing`) against `rev-list --objects` (`ObjectListing`) on real repositories.

    .venv/bin/python benchmarks/walk_listing.py REPO ... [--mirrors DIR] [--skip NAME ...] [-v]

For each repository (a path, or every `DIR/*/repo` of `--mirrors`, as `benchmarks/realworld.py` keeps
them), a whole-history listing of every ref both ways. Prints, per repository where anything differs
(every one with `-v`): the blobs and tags each lists (they must be the same set; `SETS DIFFER`
otherwise), whether the walk went through or gave way to `rev-list`, how many blobs each names after
a different path (the walk names a blob after the newest change that brings it, `rev-list` after the
first path of the newest commit holding it: only a blob at several paths can differ), and how many of
those blobs the detectors read differently under the two paths (`blob_findings`, every finding at
every confidence: a path is detection context). Then the totals, and the CPU time of each listing
(this process and git, summed over the repositories). Exit 1 when a set or a detection differs.
No secret is printed: a difference is named by blob id and paths.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from binance_secrets.git.cat_file import CatFileBatch  # noqa: E402
from binance_secrets.git.repository import GitRepository  # noqa: E402
from binance_secrets.sources.git_objects import ListedObject, ObjectListing, open_repository  # noqa: E402
from binance_secrets.sources.git_revisions import all_tips  # noqa: E402
from binance_secrets.sources.git_scan import blob_findings  # noqa: E402
from binance_secrets.sources.git_walk import WalkListing  # noqa: E402

MAX_BLOB_BYTES = 20 * 1024 * 1024


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed(listing: WalkListing | ObjectListing) -> tuple[list[ListedObject], float]:
    started = cpu_seconds()
    try:
        listed = list(listing)
    finally:
        listing.close()
    return listed, cpu_seconds() - started


def detection(repo: GitRepository, shas: list[str], old: dict[str, str], new: dict[str, str]) -> list[str]:
    """The blobs whose findings differ under their two paths."""
    differ = []
    with CatFileBatch(repo) as cat_file:
        for read in cat_file.read(shas):
            if read.sha is None or len(read.data) > MAX_BLOB_BYTES:
                continue
            before = sorted(
                (f.rule_id, f.confidence, f.line, f.column, f.secret_sha256)
                for _, f in blob_findings(read.data, old[read.sha], [])
            )
            after = sorted(
                (f.rule_id, f.confidence, f.line, f.column, f.secret_sha256)
                for _, f in blob_findings(read.data, new[read.sha], [])
            )
            if before != after:
                differ.append(read.sha)
    return differ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--mirrors", type=Path, help="also every DIR/*/repo")
    parser.add_argument("--skip", nargs="*", default=[], help="mirror names (OWNER+NAME) to leave out")
    parser.add_argument("-v", "--verbose", action="store_true")
    arguments = parser.parse_args()
    repos = list(arguments.repos)
    if arguments.mirrors is not None:
        repos += [path for path in sorted(arguments.mirrors.glob("*/repo")) if path.parent.name not in arguments.skip]
    totals = {"blobs": 0, "paths": 0, "detection": 0, "sets": 0, "fallbacks": 0}
    cpu = {"rev-list": 0.0, "walk": 0.0}
    started = time.perf_counter()
    for path in repos:
        repo = open_repository(str(path))
        tips = all_tips(repo)
        listed, cpu_old = timed(ObjectListing(repo, tips))
        walk = WalkListing(repo, tips, whole=True)
        walked, cpu_new = timed(walk)
        cpu["rev-list"] += cpu_old
        cpu["walk"] += cpu_new
        old = {item.sha: item.path for item in listed if item.type == "blob"}
        new = {item.sha: item.path for item in walked if item.type == "blob"}
        same = {(item.sha, item.type) for item in listed} == {(item.sha, item.type) for item in walked}
        moved = [sha for sha in old if sha in new and old[sha] != new[sha]]
        differ = detection(repo, moved, old, new)
        totals["blobs"] += len(old)
        totals["paths"] += len(moved)
        totals["detection"] += len(differ)
        totals["sets"] += not same
        totals["fallbacks"] += not walk.walked
        if arguments.verbose or moved or not same or not walk.walked:
            name = path.parent.name if path.name == "repo" else str(path)
            print(
                f"{name}: {len(old)} blobs, {len(moved)} under another path, {len(differ)} read differently; "
                f"CPU rev-list {cpu_old:.2f} s, walk {cpu_new:.2f} s"
                f"{'' if walk.walked else ', the walk gave way to rev-list'}{'' if same else ', SETS DIFFER'}"
            )
            for sha in differ:
                print(f"    {sha[:12]}: {old[sha]!r} -> {new[sha]!r}")
    print(
        f"{len(repos)} repositories, {totals['blobs']} blobs: {totals['paths']} under another path, "
        f"{totals['detection']} read differently, {totals['sets']} listings differ, {totals['fallbacks']} fallbacks; "
        f"CPU rev-list {cpu['rev-list']:.2f} s, walk {cpu['walk']:.2f} s ({time.perf_counter() - started:.0f} s)"
    )
    return 1 if totals["detection"] or totals["sets"] else 0


if __name__ == "__main__":
    sys.exit(main())
