"""`binance-secrets scan` on hostile files, whole process, pinned to one core: each must cost seconds.

    .venv/bin/python benchmarks/hostile_files.py [--runs 3] [--line-mb 200] [--keep DIR]

Cases (all built at run time):
- one alphanumeric line of 200 MB (69 s before block cuts were found with `translate` + `rfind`);
- an overlapping-entry zip bomb of about 120 KB that inflates to about 20 GB (319 s for a 122 KB one
  before overlapping entries were refused);
- 300 members of 20 MiB of zeros (48 s before the ratio limit);
- 40 members of 8 MiB of log-like text at about 60:1, under the ratio limit (the inflated budget stops it);
- a 100 MB UTF-16 file with a key at its end (skipped before: only 8 MiB were decoded).

The tests check what each case reports (tests/test_files_hostile.py); this script measures the time.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing import keys
from testing.hostile_zips import deflated_member, overlapping_zip, raw_zip, repetitive_text

BIN = Path(sys.executable).parent
MIB = 1024 * 1024


def alphanumeric_line(path: Path, size: int) -> None:
    rnd = random.Random(7)
    block = "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(MIB)).encode()
    with path.open("wb") as handle:
        for _ in range(size // MIB):
            handle.write(block)
        handle.write(b"\n")


def overlap_bomb(path: Path) -> None:
    path.write_bytes(overlapping_zip(members=1000, kernel_bytes=20 * MIB))


def ratio_bomb(path: Path) -> None:
    path.write_bytes(raw_zip([deflated_member("zeros.bin", b"\0" * (20 * MIB))] * 300))


def budget_archive(path: Path) -> None:
    path.write_bytes(raw_zip([deflated_member("log.txt", repetitive_text(8 * MIB))] * 40))


def large_utf16(path: Path) -> None:
    line = "# filler line of a large UTF-16 file, nothing to see here\r\n"
    with path.open("wb") as handle:
        handle.write(b"\xff\xfe")
        chunk = (line * (MIB // len(line))).encode("utf-16-le")
        for _ in range(50):
            handle.write(chunk)
        handle.write(f'$BinanceApiKey = "{keys.api_key()}"\r\n'.encode("utf-16-le"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--line-mb", type=int, default=200)
    parser.add_argument("--keep", help="build the files here and keep them")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="binance-secrets-hostile-"))
    root.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[str, Callable[[Path], None]]] = {
        f"{args.line_mb} MB alphanumeric line": ("line.txt", lambda p: alphanumeric_line(p, args.line_mb * MIB)),
        "overlapping-entry zip bomb": ("overlap.zip", overlap_bomb),
        "300 x 20 MiB of zeros": ("zeros.zip", ratio_bomb),
        "40 x 8 MiB at 60:1": ("budget.zip", budget_archive),
        "100 MB UTF-16": ("utf16.ps1", large_utf16),
    }
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    try:
        print(f"one core ({'taskset -c 0' if pin else 'unpinned'}), median of {args.runs} runs, whole process")
        for label, (name, build) in cases.items():
            path = root / name
            if not path.exists():
                build(path)
            command = [*pin, str(BIN / "binance-secrets"), "scan", "-f", "json", "--no-progress", str(path)]
            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                completed = subprocess.run(command, capture_output=True, check=False)
                samples.append(time.perf_counter() - started)
            report = json.loads(completed.stdout)
            samples.sort()
            print(
                f"{label:30} {path.stat().st_size / 1e6:8.2f} MB  {samples[len(samples) // 2]:6.2f} s  "
                f"exit {completed.returncode}  scanned {report['stats']['bytes'] / 1e6:7.1f} MB  "
                f"{len(report['findings'])} finding(s)  {len(report['errors'])} error(s)"
            )
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
