"""The pre-commit hook on 10 typical staged files: start-to-exit wall time, median of runs.

    .venv/bin/python benchmarks/hook.py [--runs 30] [--gitleaks PATH]

Builds a throwaway git repository holding 10 source files of typical size (4-40 KB, taken from the
Python standard library in a fixed order), stages them, and times each hook as pre-commit runs it:
`binance-secrets-hook FILES`, `binance-secrets staged` (the plain git hook), `detect-secrets-hook
FILES` and, when a gitleaks binary is given or on PATH, `gitleaks git --pre-commit --staged`.

For `binance-secrets-hook` it also reports the CPU time of the process (user + system, median: far
less disturbed than wall time when other work shares the machine) and its imports as
`python -X importtime` counts them: all of them, and the binance_secrets modules (the lowest of the
runs, the one least disturbed by other work), with the costliest package modules.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._timing import median_seconds
from testing.gitrepo import GitRepo

_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")

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


def cpu_seconds(command: list[str], cwd: Path, runs: int) -> float:
    """Median user + system CPU time of the process (os.wait4 reads the child's own usage)."""
    samples = []
    for _ in range(runs):
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0  # reaped by wait4
        samples.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(samples)


def import_times(names: list[str], cwd: Path, runs: int) -> tuple[float, float, list[tuple[str, int]]]:
    """(all imports, binance_secrets imports) in ms, lowest of `runs`; the costliest package modules (us)."""
    totals: list[tuple[float, float]] = []
    own: dict[str, int] = {}
    for _ in range(runs):
        completed = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "binance_secrets.hook", *names],
            cwd=cwd, capture_output=True, text=True, check=False,
        )  # fmt: skip
        everything = package = 0
        for line in completed.stderr.splitlines():
            match = _IMPORT_LINE.match(line)
            if match is None:
                continue
            self_us, name = int(match.group(1)), match.group(4)
            everything += self_us
            if name.split(".")[0] == "binance_secrets":
                package += self_us
                own[name] = min(own.get(name, self_us), self_us)
        totals.append((everything / 1000, package / 1000))
    best = min(totals)
    return best[0], min(total[1] for total in totals), sorted(own.items(), key=lambda item: -item[1])[:8]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--gitleaks", default=shutil.which("gitleaks"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        repo = GitRepo.create(Path(temp))
        names = []
        for source in typical_files():
            repo.write(source.name, source.read_bytes())
            names.append(source.name)
        size = sum((repo.path / name).stat().st_size for name in names)
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
            seconds = median_seconds(command, repo.path, args.runs)
            print(f"{label:40s} {seconds * 1000:7.1f} ms")
        hook = commands["binance-secrets-hook FILES"]
        print(f"{'binance-secrets-hook FILES, CPU time':40s} {cpu_seconds(hook, repo.path, args.runs) * 1000:7.1f} ms")
        everything, package, costliest = import_times(names, repo.path, args.runs)
        label = "binance-secrets-hook FILES, imports"
        print(f"{label:40s} {everything:7.1f} ms, of which binance_secrets {package:.1f} ms")
        print("  costliest package modules (self, us): " + ", ".join(f"{name} {us}" for name, us in costliest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
