"""`binance-secrets scan` throughput on a generated tree, whole process, pinned to one core.

    .venv/bin/python benchmarks/scan_throughput.py [--size-mb 200] [--runs 3] [--keep DIR]

The tree mixes what real repositories hold: Python standard-library sources copied over and over,
lock files full of SHA-256 digests, minified JSON, and a few configuration files holding generated
Binance key pairs (so that the detectors do real work, and the count of findings is checked).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing import keys

BIN = Path(sys.executable).parent
PLANTED_PAIRS = 20


def build_tree(root: Path, size_bytes: int) -> int:
    sources = [p for p in Path(sysconfig.get_paths()["stdlib"]).rglob("*.py") if p.stat().st_size < 400_000]
    written = 0
    copy = 0
    while written < size_bytes:
        folder = root / f"copy{copy:03d}"
        for index, source in enumerate(sources):
            target = folder / f"pkg{index % 50}" / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written += target.stat().st_size
            if written >= size_bytes * 0.9:
                break
        copy += 1
    lock = root / "locks"
    lock.mkdir()
    while written < size_bytes:
        digests = [hashlib.sha256(f"{written}-{i}".encode()).hexdigest() for i in range(5000)]
        body = "\n".join(f'name = "pkg{i}"\nhash = "sha256:{d}"' for i, d in enumerate(digests))
        path = lock / f"poetry{written}.lock"
        path.write_text(body)
        (lock / f"package{written}.json").write_text(json.dumps({"integrity": digests}))
        written += path.stat().st_size + (lock / f"package{written}.json").stat().st_size
    for index in range(PLANTED_PAIRS):
        (root / f"copy000/bot{index}.env").write_text(
            f"BINANCE_API_KEY={keys.api_key()}\nBINANCE_API_SECRET={keys.secret_key()}\n"
        )
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="build the tree here and keep it")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="binance-secrets-bench-"))
    try:
        size = build_tree(root, args.size_mb * 1024 * 1024)
        pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
        command = [*pin, str(BIN / "binance-secrets"), "scan", str(root), "-f", "json", "--no-progress"]
        samples = []
        findings = 0
        for _ in range(args.runs):
            # Drop nothing from the page cache: this measures the scanner, not the disk.
            started = time.perf_counter()
            completed = subprocess.run(command, capture_output=True, check=False, env=os.environ)
            samples.append(time.perf_counter() - started)
            findings = len(json.loads(completed.stdout)["findings"])
        samples.sort()
        median = samples[len(samples) // 2]
        files = sum(1 for p in root.rglob("*") if p.is_file())
        print(f"tree: {files} files, {size / 1e6:.0f} MB; one core ({'taskset -c 0' if pin else 'unpinned'})")
        print(f"scan: median {median:.2f} s over {args.runs} runs -> {size / 1e6 / median:.0f} MB/s")
        print(f"findings: {findings} (expected {2 * PLANTED_PAIRS})")
        return 0 if findings == 2 * PLANTED_PAIRS else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
