"""An organisation-wide audit of generated repositories: one `history` run against one run per repository.

    .venv/bin/python benchmarks/org_audit.py [--repos 50] [--commits 400] [--jobs 2] [--runs 3]

Generates --repos repositories (--commits commits each, a few keys in each, `benchmarks/history.py`'s
generator) and measures, whole process, median of --runs after a warm-up:

- one audit of every repository as local paths: `history --jobs J --repos-file LIST`;
- the same repositories as file:// URLs (each cloned as a bare mirror into a temporary folder first);
- one `history --jobs J REPO` per repository, one after the other (a shell loop).

Peak memory is the largest single process's maximum RSS (as in `benchmarks/history.py`); the findings are
checked to be the same whichever way the repositories were audited.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.history import generate, measure  # noqa: E402

BINARY = str(ROOT / ".venv" / "bin" / "binance-secrets")


def findings(command: list[str]) -> set[tuple[str, str]]:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{shlex.join(command[:4])}… exited {completed.returncode}: {completed.stderr[-400:]}")
    return {(f["path"], f["secret_sha256"]) for f in json.loads(completed.stdout)["findings"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--commits", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="org-audit-bench-") as temporary:
        folder = Path(temporary)
        repos = [generate(folder / f"repo-{index:03}", arguments.commits) for index in range(arguments.repos)]
        paths = folder / "paths.txt"
        paths.write_text("".join(f"{repo}\n" for repo in repos))
        urls = folder / "urls.txt"
        urls.write_text("".join(f"{repo.as_uri()}\n" for repo in repos))
        jobs = ["--jobs", str(arguments.jobs)]
        common = ["history", "--no-progress", "-f", "json", *jobs]
        together = [BINARY, *common, "--repos-file", str(paths)]
        cloned = [BINARY, *common, "--repos-file", str(urls)]
        loop = "; ".join(shlex.join([BINARY, *common, str(repo)]) + " >/dev/null" for repo in repos)
        one_by_one: set[tuple[str, str]] = set()
        for repo in repos:
            one_by_one |= findings([BINARY, *common, str(repo)])
        if findings(together) != one_by_one:
            raise SystemExit("the multi-repository audit found something else than the runs one by one")
        total_commits = arguments.repos * arguments.commits
        print(f"{arguments.repos} repositories x {arguments.commits} commits, {len(one_by_one)} findings, "
              f"--jobs {arguments.jobs}, median of {arguments.runs}")  # fmt: skip
        print(f"{'how':52} {'wall s':>8} {'commits/s':>10} {'peak MB':>8}")
        rows = [
            ("one audit, local paths (--repos-file)", [*together], False),
            ("one audit, file:// URLs (bare mirrors cloned first)", [*cloned], False),
            ("one history run per repository, one after the other", [loop], True),
        ]
        for name, command, shell in rows:
            wall, peak = measure(command, arguments.runs, shell)
            print(f"{name:52} {wall:8.2f} {total_commits / wall:10.0f} {peak:8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
