"""The pre-commit hook on 10 typical staged files: start-to-exit wall time, median of runs.

    .venv/bin/python benchmarks/hook.py [--runs 30] [--gitleaks PATH]

Builds a throwaway git repository holding 10 source files of typical size (4-40 KB, taken from the
Python standard library in a fixed order), stages them, and times each hook as pre-commit runs it:
`binance-secrets-hook FILES`, `binance-secrets staged` (the plain git hook), `detect-secrets-hook
FILES` and, when a gitleaks binary is given or on PATH, `gitleaks git --pre-commit --staged`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._timing import median_seconds

BIN = Path(sys.executable).parent


def typical_files(count: int = 10) -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    chosen = []
    for path in sorted(stdlib.glob("*.py")):
        if 4_000 <= path.stat().st_size <= 40_000:
            chosen.append(path)
        if len(chosen) == count:
            break
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--gitleaks", default=shutil.which("gitleaks"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        repo = Path(temp)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        names = []
        for source in typical_files():
            shutil.copy(source, repo / source.name)
            names.append(source.name)
        subprocess.run(["git", "add", *names], cwd=repo, check=True)
        size = sum((repo / name).stat().st_size for name in names)
        print(f"10 staged files, {size / 1024:.0f} KB in all; median of {args.runs} runs after 2 warm-ups")
        commands = {
            "binance-secrets-hook FILES": [str(BIN / "binance-secrets-hook"), *names],
            "binance-secrets staged": [str(BIN / "binance-secrets"), "staged", "-q"],
            "detect-secrets-hook FILES": [str(BIN / "detect-secrets-hook"), *names],
        }
        if args.gitleaks:
            commands["gitleaks git --pre-commit --staged"] = [
                args.gitleaks, "git", "--pre-commit", "--staged", "--no-banner", "--log-level", "error", ".",
            ]  # fmt: skip
        for label, command in commands.items():
            if not Path(command[0]).exists():
                print(f"{label:40s} not installed")
                continue
            seconds = median_seconds(command, repo, args.runs)
            print(f"{label:40s} {seconds * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
