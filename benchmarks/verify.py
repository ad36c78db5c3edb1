"""Benchmark: verify 200 distinct key/secret pairs against the local Binance API with a 50 ms delay.

    .venv/bin/python benchmarks/verify.py [--pairs 200] [--delay 0.05] [--no-hints]

Runs the batch path `scan --verify` uses (`verify_findings`):

1. one realm (the default `--endpoint binance`), under Binance's own announced limit (6000 weight per
   minute) and under a tight one (100 weight per second) that forces the weight governor to wait for
   new windows;
2. `--endpoint auto` against five loopback realms at once (testing/fake_binance.FakeRealms), each with
   Binance's published REQUEST_WEIGHT limit (mainnet, spot testnet, demo 6000 per minute, futures
   testnet 2400, Binance.US 1200), the pairs spread evenly over the realms (futures-testnet pairs are
   hex, as that realm issues them), every finding carrying the `environment_hint` the detector would
   give it; with `--no-hints` also without hints, the worst case (each pair walks the fixed order until
   its realm answers).

Prints wall time, requests, peak concurrency, the peak weight each server counted in one window against
its limit, and how many requests it refused for weight (must be 0). Target: under 5 s for run 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binance_secrets.finding import Finding, sha256_hex
from binance_secrets.rules import API_KEY, SECRET_KEY
from binance_secrets.verification.batch import VerifySettings, verify_findings, verify_settings
from binance_secrets.verification.ratelimit import DEFAULT_WEIGHT_BUDGET
from binance_secrets.verification.realms import AUTO_ORDER, budget
from testing import keys
from testing.fake_binance import FakeBinance, FakeRealms


def findings_for(pairs: list[tuple[str, str]], hints: list[str | None] | None = None) -> list[Finding]:
    findings = []
    for number, (api_key, secret) in enumerate(pairs):
        path = f"service{number}/settings.py"
        hint = hints[number] if hints else None
        findings.append(
            Finding(
                API_KEY.id,
                "high",
                path,
                1,
                15,
                79,
                api_key,
                pair_sha256=sha256_hex(secret),
                environment_hint=hint,
            )  # type: ignore[arg-type]
        )
        findings.append(
            Finding(SECRET_KEY.id, "high", path, 2, 15, 79, secret, pair_sha256=sha256_hex(api_key),
                    environment_hint=hint)  # type: ignore[arg-type]
        )  # fmt: skip
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


def run_auto(label: str, count: int, delay: float, *, hinted: bool) -> bool:
    realm_of = [AUTO_ORDER[number % len(AUTO_ORDER)] for number in range(count)]
    pairs = [
        (keys.random_hex(), keys.random_hex()) if realm == "futures-testnet" else (keys.api_key(), keys.secret_key())
        for realm in realm_of
    ]
    with FakeRealms(delay=delay) as realms:
        for realm, (api_key, secret) in zip(realm_of, pairs, strict=True):
            realms[realm].add_hmac_key(api_key, secret)
        findings = findings_for(pairs, list(realm_of) if hinted else None)
        with mock.patch.dict(os.environ, realms.env()):
            settings = verify_settings("auto")
        started = time.perf_counter()
        verified = verify_findings(findings, settings)
        elapsed = time.perf_counter() - started
    found = [f.verification.environment for f in verified if f.verification is not None]
    right = sum(1 for realm, environment in zip([r for r in realm_of for _ in (0, 1)], found, strict=True)
                if realm == environment)  # fmt: skip
    print(f"{label}: {count} pairs over {len(AUTO_ORDER)} realms, {right}/{len(findings)} findings live in "
          f"their own realm, {elapsed:.2f} s")  # fmt: skip
    ok = right == len(findings)
    for realm in AUTO_ORDER:
        server = realms[realm]
        log = server.log
        signed = len(log.api_keys)
        print(
            f"  {realm:16s} {len(log.requests):4d} requests ({signed} signed), peak weight "
            f"{log.max_window_weight:5d}/{server.weight_limit} per minute (our budget "
            f"{budget(realm, DEFAULT_WEIGHT_BUDGET)}), {log.weight_rejections} refused, "
            f"peak {log.max_concurrent} in flight"
        )
        ok &= log.weight_rejections == 0 and log.max_window_weight <= server.weight_limit
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--no-hints", action="store_true", help="Also run auto without hints (takes minutes).")
    args = parser.parse_args()
    pairs = [(keys.api_key(), keys.secret_key()) for _ in range(args.pairs)]
    ok = run("Binance limit (6000/min)", pairs, args.delay, limit=6000, window=60)
    ok &= run("tight limit (100/s)   ", pairs, args.delay, limit=100, window=1)
    ok &= run_auto("auto, hinted", args.pairs, args.delay, hinted=True)
    if args.no_hints:
        ok &= run_auto("auto, no hints", args.pairs, args.delay, hinted=False)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
