"""Verifying credentials: one pair from the command line, or every distinct pair among scan findings.

Pairs come from the detector's `pair_sha256` links and, for keys and secrets left unpaired, from the
candidate pairings inside one file or commit (capped, since each pairing costs a request). Each distinct
(key, secret) pair is checked once, a bounded number at a time, under one request-weight governor.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from binance_secrets.finding import Finding, Verification
from binance_secrets.verification import outcome
from binance_secrets.verification.endpoints import resolve_endpoint
from binance_secrets.verification.ratelimit import DEFAULT_WEIGHT_BUDGET
from binance_secrets.verification.signing import HmacSigner, KeyLoadError, Signer, load_private_key

API_URL_ENV = "BINANCE_SECRETS_API_URL"
MAX_CANDIDATES_PER_GROUP = 4  # keys x secrets tried per file or commit: at most 16 requests
_STATUS_RANK = {"live": 2, "unknown": 1, "rejected": 0}


@dataclass(frozen=True)
class VerifySettings:
    endpoint: str = "binance"  # binance | binance-us | testnet
    api_url: str | None = None  # overrides endpoint; checked by endpoints.validate_api_url
    timeout: float = 10.0
    max_in_flight: int = 8
    weight_budget: int = DEFAULT_WEIGHT_BUDGET  # request weight per window we allow ourselves
    max_backoff: float = 30.0  # total seconds one check may wait on Retry-After and weight windows


def verify_settings_from_env() -> VerifySettings:
    api_url = os.environ.get(API_URL_ENV) or None
    return VerifySettings(api_url=api_url)


@dataclass(frozen=True)
class _Pair:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)  # an HMAC secret or a PEM private key
    passphrase: bytes | None = field(default=None, repr=False)


class _Verifier:
    """The shared pieces of one run: endpoint, HTTP session, clock and weight governor."""

    def __init__(self, settings: VerifySettings) -> None:
        from binance_secrets.verification.client import BinanceClient, ServerClock, make_session
        from binance_secrets.verification.ratelimit import WeightGovernor

        # Raises UsageError for a refused --api-url before anything touches the network.
        self.endpoint = resolve_endpoint(settings.endpoint, settings.api_url)
        self.session = make_session(self.endpoint, settings.max_in_flight)
        self.client = BinanceClient(
            self.endpoint,
            self.session,
            WeightGovernor(settings.weight_budget),
            ServerClock(),
            timeout=settings.timeout,
            max_backoff=settings.max_backoff,
        )

    def check(self, pair: _Pair) -> Verification:
        try:
            signer: Signer = (
                load_private_key(pair.secret, pair.passphrase)
                if pair.secret.lstrip().startswith("-----BEGIN")
                else HmacSigner(pair.secret)
            )
        except KeyLoadError as error:
            return outcome.result("unknown", f"{error}; nothing was sent", self.endpoint.name)
        return self.client.verify(pair.api_key, signer)

    def close(self) -> None:
        self.session.close()


def verify_credentials(
    api_key: str,
    *,
    secret: str | None = None,
    private_key_pem: str | None = None,
    passphrase: bytes | None = None,
    settings: VerifySettings,
) -> Verification:
    """Check one API key with its HMAC secret or its PEM private key."""
    resolve_endpoint(settings.endpoint, settings.api_url)  # refuse a bad URL even without a secret
    signing_secret = private_key_pem if private_key_pem is not None else secret
    if not signing_secret:
        endpoint = resolve_endpoint(settings.endpoint, settings.api_url).name
        return outcome.result("unknown", outcome.NO_SECRET, endpoint)
    verifier = _Verifier(settings)
    try:
        return verifier.check(_Pair(api_key, signing_secret, passphrase))
    finally:
        verifier.close()


def verify_findings(findings: Sequence[Finding], settings: VerifySettings) -> tuple[Finding, ...]:
    """The same findings in the same order, with `verification` attached to every key and secret."""
    endpoint_name = resolve_endpoint(settings.endpoint, settings.api_url).name
    pairs_of = _candidate_pairs(findings)
    distinct = sorted({pair for pairs in pairs_of.values() for pair in pairs}, key=lambda p: p.api_key)
    verdicts: dict[tuple[str, str], Verification] = {}
    if distinct:
        verifier = _Verifier(settings)
        try:
            if len(distinct) > 1:
                verifier.client.learn_weight_limit()
            with ThreadPoolExecutor(max_workers=max(1, settings.max_in_flight)) as pool:
                for pair, verification in zip(distinct, pool.map(verifier.check, distinct), strict=True):
                    verdicts[(pair.api_key, pair.secret)] = verification
        finally:
            verifier.close()
    enriched: list[Finding] = []
    for index, finding in enumerate(findings):
        if finding.kind not in _ROLES:
            enriched.append(finding)
            continue
        checked = [verdicts[(p.api_key, p.secret)] for p in pairs_of.get(index, ())]
        if checked:
            best = max(checked, key=lambda v: _STATUS_RANK[v.status])
        elif _ROLES[finding.kind] == "key":
            best = outcome.result("unknown", outcome.NO_SECRET, endpoint_name)
        else:
            best = outcome.result("unknown", outcome.NO_KEY, endpoint_name)
        enriched.append(finding.with_changes(verification=best))
    return tuple(enriched)


_ROLES = {"api_key": "key", "secret_key": "secret", "private_key": "secret", "credential": "secret"}


def _candidate_pairs(findings: Sequence[Finding]) -> dict[int, list[_Pair]]:
    """For each key or secret finding (by index), the pairs that involve it."""
    pairs_of: dict[int, list[_Pair]] = {}

    def link(key_index: int, secret_index: int) -> None:
        pair = _Pair(findings[key_index].secret, findings[secret_index].secret)
        for index in (key_index, secret_index):
            if pair not in pairs_of.setdefault(index, []):
                pairs_of[index].append(pair)

    by_sha: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        by_sha.setdefault(finding.secret_sha256, []).append(index)
    linked: set[int] = set()
    for index, finding in enumerate(findings):
        if _ROLES.get(finding.kind) != "key" or finding.pair_sha256 is None:
            continue
        for partner in by_sha.get(finding.pair_sha256, []):
            # The link may cross commits in history (key and secret introduced separately).
            if _ROLES.get(findings[partner].kind) == "secret":
                link(index, partner)
                linked.update((index, partner))
    # Unpaired keys and secrets of one file (or one file in one commit): try the combinations.
    groups: dict[tuple[str, str | None], tuple[list[int], list[int]]] = {}
    for index, finding in enumerate(findings):
        role = _ROLES.get(finding.kind)
        if role is None or index in linked:
            continue
        keys, secrets = groups.setdefault(_place(finding), ([], []))
        (keys if role == "key" else secrets).append(index)
    for keys, secrets in groups.values():
        for key_index in keys[:MAX_CANDIDATES_PER_GROUP]:
            for secret_index in secrets[:MAX_CANDIDATES_PER_GROUP]:
                link(key_index, secret_index)
    return pairs_of


def _place(finding: Finding) -> tuple[str, str | None]:
    return finding.path, finding.commit.sha if finding.commit else None
