"""The pre-commit hook on 10 typical staged files: start to exit, imports, and what the rest costs.

    .venv/bin/python benchmarks/hook.py [--runs 30] [--against REV] [--ours-only] [--gitleaks PATH]

Builds a throwaway git repository holding 10 source files of typical size (4-40 KB, taken from the
Python standard library in a fixed order), stages them, and times each hook as pre-commit runs it:
`binance-secrets-hook FILES`, `binance-secrets staged` (the plain git hook), `detect-secrets-hook
FILES` and, when a gitleaks binary is given or on PATH, `gitleaks git --pre-commit --staged`.
None of the 10 files holds a trigger of detection, so the hook answers them with its clean shortcut
(`binance_secrets/clean_shortcut.py`); `binance-secrets-hook FILES, one names a secret` runs it on the
same files with one comment line naming a secret added to the last, which takes the full scan.

The machine may be shared: the commands are run in turn, one of each per round, so that a busy spell
slows them all alike, and each is given as the minimum (the run least disturbed by other work) and the
median of its wall times, and the same two of its CPU time (user + system of the process and of the
children it waited for), which other work disturbs far less.

`--against REV` also runs the hook of another revision of this repository, in the same rounds: its
`binance_secrets` package (`git archive REV binance_secrets`, byte-compiled as pip leaves it) is put in
front of the installed one with PYTHONPATH, with the same interpreter and dependencies. The installed
package is byte-compiled first too: an editable install under PYTHONDONTWRITEBYTECODE would otherwise
compile every changed module from source on each run.

For `binance-secrets-hook` (and the `--against` one) it then reports:
- imports as `python -X importtime` counts them, lowest total of the runs: all of them (the interpreter's
  own start-up included) and the binance_secrets modules, with the costliest of those;
- the dataclasses a clean run builds (each costs a few hundred microseconds to create);
- in one process, lowest of the runs: the imports, then reading and detecting the 10 files
  (`scanning.scan_files`), so that the two are not confused.
The hook is run as its console script is (`python BIN/binance-secrets-hook FILES`): with `-m` or `-c`
the current folder would come first on sys.path, and the standard-library files staged there would
shadow the modules of the same name (`__future__`...).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOOK = "binance-secrets-hook FILES"
TRIGGERED = ", one names a secret"
TRIGGERED_FOLDER = "triggered"
TRIGGER_LINE = b"# The API secret comes from the environment, never from this file.\n"
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")

# Run in a process of its own: the hook's imports, then `scan_files` on the files, timed apart; and the
# dataclasses the run built. A file outside the staged folder, so that sys.path[0] is not that folder.
# The imports are those of the full scan: the clean shortcut's are measured by `python -X importtime`.
_SPLIT_PROBE = """\
import sys, time
started, cpu_started = time.perf_counter(), time.process_time()
from binance_secrets.hook import main
import binance_secrets.pipeline, binance_secrets.report.text, binance_secrets.scanning, binance_secrets.settings
imported, cpu_imported = time.perf_counter(), time.process_time()
from binance_secrets.filters import FindingFilter
from binance_secrets.paths import PathFilter
from binance_secrets.scanning import scan_files
result = scan_files(sys.argv[1:], PathFilter(), FindingFilter())
scanned, cpu_scanned = time.perf_counter(), time.process_time()
main(sys.argv[1:])
built = sorted(
    f"{name}.{value.__name__}"
    for name, module in list(sys.modules.items()) if name.split(".")[0] == "binance_secrets"
    for value in list(vars(module).values())
    if isinstance(value, type) and "__dataclass_fields__" in vars(value) and value.__module__ == name
)
import json
print(json.dumps([imported - started, scanned - imported, cpu_imported - cpu_started, cpu_scanned - cpu_imported,
                  len(result.findings), built]), file=sys.stderr)
"""


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Hook:
    """A binance-secrets-hook to measure: the installed one, or another revision's package via PYTHONPATH."""

    label: str
    pythonpath: str | None = None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.pythonpath is not None:
            env["PYTHONPATH"] = self.pythonpath
        return env


def typical_files(count: int = 10) -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    chosen = []
    for path in sorted(stdlib.glob("*.py")):
        if 4_000 <= path.stat().st_size <= 40_000:
            chosen.append(path)
        if len(chosen) == count:
            break
    return chosen


def run_once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; os.wait4 reads the child's own usage."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        failed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {failed.stderr[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime


def in_turns(commands: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, runs: int) -> dict[str, Samples]:
    """Every command once per round, `runs` rounds after 2 warm-up rounds (which also byte-compile)."""
    samples = {label: Samples() for label in commands}
    for round_number in range(runs + 2):
        for label, (command, env) in commands.items():
            wall, cpu = run_once(command, cwd, env)
            if round_number >= 2:
                samples[label].wall.append(wall)
                samples[label].cpu.append(cpu)
    return samples


@dataclass
class Profile:
    """What the import and split runs of one hook measured: lowest totals, lowest per module."""

    totals: list[tuple[float, float]] = field(default_factory=list)  # (all imports, binance_secrets) in ms
    own: dict[str, int] = field(default_factory=dict)  # us, per binance_secrets module
    split: list[list[float]] = field(default_factory=list)  # seconds: imports, scan (wall, then CPU)
    split_error: str = ""  # why the split probe could not run this revision
    findings: int = 0
    built: list[str] = field(default_factory=list)

    def add_importtime(self, stderr: str) -> None:
        everything = package = 0
        for line in stderr.splitlines():
            match = _IMPORT_LINE.match(line)
            if match is None:
                continue
            self_us, name = int(match.group(1)), match.group(4)
            everything += self_us
            if name.split(".")[0] == "binance_secrets":
                package += self_us
                self.own[name] = min(self.own.get(name, self_us), self_us)
        self.totals.append((everything / 1000, package / 1000))

    def add_split(self, stderr: str) -> None:
        """One split-probe run; a revision whose scanning API the probe does not know (an older one)
        gives no split, and its why is kept for the report instead of stopping the benchmark."""
        lines = stderr.strip().splitlines()
        try:
            imports, scan, imports_cpu, scan_cpu, self.findings, self.built = json.loads(lines[-1])
        except (IndexError, ValueError):
            self.split_error = lines[-1] if lines else "no output"
            return
        self.split.append([imports, scan, imports_cpu, scan_cpu])


def profiles(hooks: list[Hook], names: list[str], cwd: Path, probe: Path, runs: int) -> list[Profile]:
    """`python -X importtime` runs and split-probe runs of each hook, the hooks in turn."""
    found = [Profile() for _ in hooks]
    importtime = [sys.executable, "-X", "importtime", str(BIN / "binance-secrets-hook"), *names]
    split = [sys.executable, str(probe), *names]
    for _ in range(runs):
        for hook, profile in zip(hooks, found, strict=True):
            completed = subprocess.run(importtime, cwd=cwd, env=hook.env(), capture_output=True, text=True, check=False)
            profile.add_importtime(completed.stderr)
            completed = subprocess.run(split, cwd=cwd, env=hook.env(), capture_output=True, text=True, check=False)
            profile.add_split(completed.stderr)
    return found


def package_of(revision: str, folder: Path) -> Path:
    """The binance_secrets package of `revision`, written under `folder` and byte-compiled."""
    command = ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "binance_secrets"]
    archive = subprocess.run(command, capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"git archive {revision}: {archive.stderr.decode(errors='replace').strip()}")
    folder.mkdir()
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / "binance_secrets")], check=True)
    return folder


def peers(names: list[str], gitleaks: str | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The plain git hook and the other tools' hooks, on the same staged files."""
    commands = {"binance-secrets staged": ([str(BIN / "binance-secrets"), "staged", "-q"], dict(os.environ))}
    if (BIN / "detect-secrets-hook").exists():
        commands["detect-secrets-hook FILES"] = ([str(BIN / "detect-secrets-hook"), *names], dict(os.environ))
    if gitleaks:
        command = [gitleaks, "git", "--pre-commit", "--staged", "--no-banner", "--log-level", "error", "."]
        commands["gitleaks git --pre-commit --staged"] = (command, dict(os.environ))
    return commands


def report_profile(label: str, profile: Profile, runs: int) -> None:
    everything, package = (min(total[index] for total in profile.totals) for index in range(2))
    costliest = sorted(profile.own.items(), key=lambda item: -item[1])[:8]
    print(f"\n{label}:")
    print(f"  imports (python -X importtime, lowest of {runs}): {everything:.1f} ms, binance_secrets {package:.1f} ms")
    print("  costliest package modules (self, us): " + ", ".join(f"{name} {us}" for name, us in costliest))
    if not profile.split:
        print(f"  in one process: not measured ({profile.split_error})")
        return
    imports, scan, imports_cpu, scan_cpu = (min(row[index] for row in profile.split) * 1000 for index in range(4))
    print(
        f"  in one process, lowest of {runs}: imports {imports:.1f} ms ({imports_cpu:.1f} CPU), "
        f"reading and detecting the files {scan:.1f} ms ({scan_cpu:.1f} CPU), {profile.findings} findings"
    )
    print(f"  {len(profile.built)} dataclasses built: {', '.join(profile.built)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--against", metavar="REV", help="also time the hook of this revision, in the same rounds")
    parser.add_argument("--ours-only", action="store_true", help="only binance-secrets-hook (no staged, no peers)")
    parser.add_argument("--gitleaks", default=shutil.which("gitleaks"))
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "binance_secrets")], check=True)
    with tempfile.TemporaryDirectory() as temp:
        repo = GitRepo.create(Path(temp) / "repo")
        names = []
        for source in typical_files():
            repo.write(source.name, source.read_bytes())
            names.append(source.name)
        # The same files, the last of which names a secret: a trigger, so the hook runs the full scan.
        triggered = [f"{TRIGGERED_FOLDER}/{name}" for name in names]
        for name, copy in zip(names, triggered, strict=True):
            (repo.path / copy).parent.mkdir(exist_ok=True)
            (repo.path / copy).write_bytes((repo.path / name).read_bytes())
        with open(repo.path / triggered[-1], "ab") as handle:
            handle.write(TRIGGER_LINE)
        probe = Path(temp) / "split_probe.py"
        probe.write_text(_SPLIT_PROBE)
        hooks = [Hook(HOOK)]
        if args.against:
            hooks.append(Hook(f"{HOOK} ({args.against})", str(package_of(args.against, Path(temp) / "against"))))
        commands = {hook.label: ([str(BIN / "binance-secrets-hook"), *names], hook.env()) for hook in hooks}
        for hook in hooks:
            commands[hook.label + TRIGGERED] = ([str(BIN / "binance-secrets-hook"), *triggered], hook.env())
        if not args.ours_only:
            commands.update(peers(names, args.gitleaks))
        size = sum((repo.path / name).stat().st_size for name in names)
        print(
            f"10 staged files, {size / 1024:.0f} KB in all; {args.runs} rounds after 2 warm-ups, the commands in "
            f"turn; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before"
        )
        samples = in_turns(commands, repo.path, args.runs)
        print(f"{'':58s} {'wall min':>9s} {'median':>8s} {'CPU min':>9s} {'median':>8s}  (ms)")
        for label, sample in samples.items():
            wall, cpu = [value * 1000 for value in sample.wall], [value * 1000 for value in sample.cpu]
            print(
                f"{label:58s} {min(wall):9.1f} {statistics.median(wall):8.1f} "
                f"{min(cpu):9.1f} {statistics.median(cpu):8.1f}"
            )
        for hook, profile in zip(hooks, profiles(hooks, names, repo.path, probe, args.runs), strict=True):
            report_profile(hook.label, profile, args.runs)
        for hook, profile in zip(hooks, profiles(hooks, triggered, repo.path, probe, args.runs), strict=True):
            report_profile(hook.label + TRIGGERED, profile, args.runs)
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
