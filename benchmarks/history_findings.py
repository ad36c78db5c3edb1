"""History audit of one blob holding many findings, beside `scan` of the same file.

    .venv/bin/python benchmarks/history_findings.py [--findings 16000] [--commits 3] [--runs 3]

Attribution (which commit introduced each secret) must stay linear in the findings of a blob: a
blob of 16,000 keys once took 20.8 s to attribute against 3.5 s to scan. The generated repository
holds one file of `--findings` generated keys, edited in `--commits` commits (each edit keeps every
key, so each commit's blob holds them all). Prints the median whole-process time of
`binance-secrets history` and of `binance-secrets scan` on the checked-out file: history should cost
a small multiple of scan (it scans each of the blobs once), not grow with the square of the findings.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._timing import median_seconds  # noqa: E402
from testing.gitrepo import commit_file, git_env, init_repo  # noqa: E402
from testing.keys import random_token  # noqa: E402


def generate(path: Path, findings: int, commits: int) -> Path:
    init_repo(path)
    lines = [f'BINANCE_API_KEY_{index} = "{random_token()}"\n' for index in range(findings)]
    for number in range(commits):
        commit_file(path, "keys.py", f"# revision {number}\n" + "".join(lines), f"revision {number}")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=16000)
    parser.add_argument("--commits", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = str(Path(sys.executable).parent / "binance-secrets")
    with tempfile.TemporaryDirectory(prefix="bench-history-findings-") as folder:
        repo = generate(Path(folder) / "repo", args.findings, args.commits)
        subprocess.run(["git", "gc", "-q"], cwd=repo, env=git_env(), check=True)
        history = median_seconds(
            [binary, "history", ".", "-q", "--no-progress", "-f", "json", "--jobs", "1"], repo, args.runs, warmup=1
        )
        scan = median_seconds([binary, "scan", "keys.py", "-q", "-f", "json"], repo, args.runs, warmup=1)
    print(f"{args.findings} findings in one blob, {args.commits} commits")
    print(f"  history (--jobs 1)  {history:7.2f} s")
    print(f"  scan of the file    {scan:7.2f} s")
    print(f"  ratio               {history / scan:7.1f}x  (the blobs scanned: {args.commits})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
