"""Benchmark: verify 200 distinct key/secret pairs against the local Binance API with a 50 ms delay.

    .venv/bin/python benchmarks/verify.py [--pairs 200] [--delay 0.05]

Runs the batch path `scan --verify` uses (`verify_findings`) twice: under Binance's own announced
limit (6000 weight per minute) and under a tight one (100 weight per second) that forces the weight
governor to wait for new windows. Prints wall time, peak concurrency, the peak weight the server
counted in one window against its announced limit, and how many requests it had to refuse (must be 0).
Target: under 5 s for the first run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binance_secrets.finding import Finding, sha256_hex
from binance_secrets.verification.batch import VerifySettings, verify_findings
from testing import keys
from testing.fake_binance import FakeBinance


def findings_for(pairs: list[tuple[str, str]]) -> list[Finding]:
    findings = []
    for number, (api_key, secret) in enumerate(pairs):
        path = f"service{number}/settings.py"
        findings.append(Finding("binance-api-key", "high", path, 1, 15, 79, api_key, pair_sha256=sha256_hex(secret)))
        findings.append(Finding("binance-secret-key", "high", path, 2, 15, 79, secret, pair_sha256=sha256_hex(api_key)))
    return findings


def run(label: str, pairs: list[tuple[str, str]], delay: float, limit: int, window: int) -> bool:
    with FakeBinance(delay=delay, weight_limit=limit, window_seconds=window) as server:
        for api_key, secret in pairs:
            server.add_hmac_key(api_key, secret)
        findings = findings_for(pairs)
        started = time.perf_counter()
        verified = verify_findings(findings, VerifySettings(api_url=server.url))
        elapsed = time.perf_counter() - started
        log = server.log
    live = sum(1 for f in verified if f.verification is not None and f.verification.status == "live")
    print(
        f"{label}: {len(pairs)} pairs, {live}/{len(findings)} findings live in {elapsed:.2f} s; "
        f"{len(log.requests)} requests, peak {log.max_concurrent} in flight, "
        f"peak weight {log.max_window_weight}/{limit} per {window} s window, "
        f"{log.weight_rejections} refused for weight"
    )
    return live == len(findings) and log.weight_rejections == 0 and log.max_window_weight <= limit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    pairs = [(keys.api_key(), keys.secret_key()) for _ in range(args.pairs)]
    ok = run("Binance limit (6000/min)", pairs, args.delay, limit=6000, window=60)
    ok &= run("tight limit (100/s)   ", pairs, args.delay, limit=100, window=1)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
