"""Throughput of `detect()` on adversarial inputs (the tests run the same inputs at 1-2 MB).

CPU time (`time.process_time`), so that other load on the machine does not count.

Usage: python benchmarks/adversarial.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import time

from binance_secrets.detectors import detect
from testing.adversarial import CASES

MB = 1024 * 1024
SIZES = {
    "one alphanumeric line": 10 * MB,
    "= and quotes": 1 * MB,
    "= and quotes with secret": 1 * MB,
    "secretsecret...": 1 * MB,
    "tokens, one line": 10 * MB,
    "tokens, one per line": 10 * MB,
    "named tokens, one per line": 2 * MB,
    "BEGIN without END": 10 * MB,
    "many BEGIN, one END": 10 * MB,
    "binance words": 10 * MB,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    args = parser.parse_args()
    for name, build in CASES.items():
        data = build(int(SIZES[name] * args.scale))
        started = time.process_time()
        findings = detect(data, "adversarial.txt")
        seconds = time.process_time() - started
        print(
            f"{name:28} {len(data) / MB:6.1f} MB {seconds:7.2f} s {len(data) / MB / seconds:8.1f} MB/s "
            f"{len(findings):7} findings"
        )


if __name__ == "__main__":
    main()
