"""Verifying credentials: one pair from the command line, or every distinct pair among scan findings.

Pairs come from the detector's `pair_sha256` links and, for keys and secrets left unpaired, from the
candidate pairings inside one file or commit (capped, since each pairing costs a request). Each distinct
(key, secret) pair is checked once, a bounded number at a time. Each realm contacted gets its own HTTP
session, server clock and request-weight governor (realms are separate systems with separate limits),
created the first time a check needs it: without `auto`, exactly one realm is ever contacted. With
`auto`, a pair goes to the realm its finding's `environment_hint` names first, then to the others in
realms.AUTO_ORDER, and stops at the first live answer.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from binance_secrets.detectors.environment import value_hint
from binance_secrets.finding import Finding, Realm, Verification
from binance_secrets.result import ScanResult
from binance_secrets.rules import RULES_BY_ID, Role
from binance_secrets.verification import outcome
from binance_secrets.verification.endpoints import API_URL_ENV, Endpoint, resolve_plan
from binance_secrets.verification.ratelimit import DEFAULT_WEIGHT_BUDGET
from binance_secrets.verification.realms import REALM_NAMES, budget, env_variable
from binance_secrets.verification.signing import HmacSigner, KeyLoadError, Signer, load_private_key

if TYPE_CHECKING:
    import requests

    from binance_secrets.verification.client import BinanceClient

__all__ = ["API_URL_ENV", "VerifySettings", "verify_credentials", "verify_findings", "verify_result", "verify_settings"]

MAX_CANDIDATES_PER_GROUP = 4  # keys x secrets tried per file or commit: at most 16 requests
_STATUS_RANK = {"live": 2, "unknown": 1, "rejected": 0}


@dataclass(frozen=True)
class VerifySettings:
    endpoint: str = "binance"  # a realm (binance | binance-us | testnet | futures-testnet | demo) or auto
    api_url: str | None = None  # replaces the one realm's base URL; checked by endpoints.validate_api_url
    timeout: float = 10.0
    max_in_flight: int = 8
    weight_budget: int = DEFAULT_WEIGHT_BUDGET  # request weight per window we allow ourselves, per realm
    max_backoff: float = 30.0  # total seconds one check may wait on Retry-After and weight windows
    # (realm, base URL) from the BINANCE_SECRETS_API_URL_<REALM> variables, same policy as api_url.
    realm_urls: tuple[tuple[str, str], ...] = ()

    def plan(self) -> tuple[Endpoint, ...]:
        """Every endpoint this run may contact, validated: UsageError before any connection otherwise."""
        return resolve_plan(self.endpoint, self.api_url, dict(self.realm_urls))

    def label(self) -> str:
        """What a verdict reached without contacting anyone names as its endpoint."""
        plan = self.plan()
        return plan[0].name if len(plan) == 1 else "auto"


def realm_urls_from_env(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((realm, environ[env_variable(realm)]) for realm in REALM_NAMES if environ.get(env_variable(realm)))


def verify_settings(
    endpoint: str = "binance",
    api_url: str | None = None,
    timeout: float = 10.0,
    environ: Mapping[str, str] | None = None,
) -> VerifySettings:
    """Settings from the endpoint options, completed from the environment (BINANCE_SECRETS_API_URL when
    no --api-url was given, BINANCE_SECRETS_API_URL_<REALM>) and validated (UsageError, exit 2)."""
    environ = os.environ if environ is None else environ
    settings = VerifySettings(
        endpoint=endpoint,
        api_url=api_url if api_url is not None else environ.get(API_URL_ENV) or None,
        timeout=timeout,
        realm_urls=realm_urls_from_env(environ),
    )
    settings.plan()
    return settings


def verify_settings_from_env() -> VerifySettings:
    return verify_settings()


@dataclass(frozen=True)
class _Pair:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)  # an HMAC secret or a PEM private key
    passphrase: bytes | None = field(default=None, repr=False)
    hint: Realm | None = field(default=None, compare=False)  # the realm to try first with auto


class _Verifier:
    """The shared pieces of one run: the validated plan, and per realm an HTTP session, a server clock
    and a weight governor, each made when a check first needs that realm."""

    def __init__(self, settings: VerifySettings, *, learn_limits: bool) -> None:
        # Raises UsageError for a refused URL before anything touches the network.
        self.plan = settings.plan()
        self.name = settings.label()
        self._settings = settings
        self._learn_limits = learn_limits
        self._clients: dict[Realm, BinanceClient] = {}
        self._sessions: list[requests.Session] = []
        self._locks = {endpoint.realm: threading.Lock() for endpoint in self.plan}

    def check(self, pair: _Pair) -> Verification:
        from binance_secrets.verification.client import unsendable_key

        problem = unsendable_key(pair.api_key)
        if problem is not None:
            return outcome.result("unknown", problem, self.name)
        try:
            signer: Signer = (
                load_private_key(pair.secret, pair.passphrase)
                if pair.secret.lstrip().startswith("-----BEGIN")
                else HmacSigner(pair.secret)
            )
        except KeyLoadError as error:
            return outcome.result("unknown", f"{error}; nothing was sent", self.name)
        tried: list[tuple[Realm, Verification]] = []
        for endpoint in self._order(pair.hint):
            verdict = self._client(endpoint).verify(pair.api_key, signer)
            if verdict.status == "live":
                return verdict  # a key lives in one realm: the others are not asked
            tried.append((endpoint.realm, verdict))
        return outcome.across_realms(tried)

    def _order(self, hint: Realm | None) -> list[Endpoint]:
        return sorted(self.plan, key=lambda endpoint: endpoint.realm != hint)  # stable: the hinted one first

    def _client(self, endpoint: Endpoint) -> BinanceClient:
        from binance_secrets.verification.client import BinanceClient, ServerClock, make_session
        from binance_secrets.verification.ratelimit import WeightGovernor

        with self._locks[endpoint.realm]:
            client = self._clients.get(endpoint.realm)
            if client is None:
                session = make_session(endpoint, self._settings.max_in_flight)
                self._sessions.append(session)
                client = BinanceClient(
                    endpoint,
                    session,
                    WeightGovernor(budget(endpoint.realm, self._settings.weight_budget)),
                    ServerClock(),
                    timeout=self._settings.timeout,
                    max_backoff=self._settings.max_backoff,
                )
                if self._learn_limits:
                    client.learn_weight_limit()
                self._clients[endpoint.realm] = client
            return client

    def close(self) -> None:
        for session in self._sessions:
            session.close()


def verify_credentials(
    api_key: str,
    *,
    secret: str | None = None,
    private_key_pem: str | None = None,
    passphrase: bytes | None = None,
    settings: VerifySettings,
    hint: Realm | None = None,
) -> Verification:
    """Check one API key with its HMAC secret or its PEM private key (`hint`: the realm to try first
    with auto; by default what the values themselves suggest)."""
    label = settings.label()  # refuses a bad URL even without a secret
    signing_secret = private_key_pem if private_key_pem is not None else secret
    if not signing_secret:
        return outcome.result("unknown", outcome.NO_SECRET, label)
    verifier = _Verifier(settings, learn_limits=False)
    try:
        return verifier.check(_Pair(api_key, signing_secret, passphrase, hint or value_hint(api_key, secret)))
    finally:
        verifier.close()


def verify_result(result: ScanResult, settings: VerifySettings) -> ScanResult:
    """The verification stage of a scan (`--verify`): every finding checked, nothing else changed."""
    return dataclasses.replace(result, findings=verify_findings(result.findings, settings))


def verify_findings(findings: Sequence[Finding], settings: VerifySettings) -> tuple[Finding, ...]:
    """The same findings in the same order, with `verification` attached to every key and secret."""
    endpoint_name = settings.label()  # UsageError before any connection
    pairs_of = _candidate_pairs(findings)
    distinct = sorted({pair for pairs in pairs_of.values() for pair in pairs}, key=lambda p: p.api_key)
    verdicts: dict[tuple[str, str], Verification] = {}
    if distinct:
        verifier = _Verifier(settings, learn_limits=len(distinct) > 1)
        try:
            with ThreadPoolExecutor(max_workers=max(1, settings.max_in_flight)) as pool:
                for pair, verification in zip(distinct, pool.map(verifier.check, distinct), strict=True):
                    verdicts[(pair.api_key, pair.secret)] = verification
        finally:
            verifier.close()
    enriched: list[Finding] = []
    for index, finding in enumerate(findings):
        checked = [verdicts[(p.api_key, p.secret)] for p in pairs_of.get(index, ())]
        if finding.secret is None:  # read back from a redacted report and not recovered: nothing to sign with
            best = outcome.result("unknown", outcome.UNRECOVERED, endpoint_name)
        elif checked:
            best = max(checked, key=lambda v: _STATUS_RANK[v.status])
        elif _role(finding) == "key":
            best = outcome.result("unknown", outcome.NO_SECRET, endpoint_name)
        else:
            best = outcome.result("unknown", outcome.NO_KEY, endpoint_name)
        enriched.append(finding.with_changes(verification=best))
    return tuple(enriched)


def _role(finding: Finding) -> Role:
    return RULES_BY_ID[finding.rule_id].role


def _candidate_pairs(findings: Sequence[Finding]) -> dict[int, list[_Pair]]:
    """For each key or secret finding (by index), the pairs that involve it."""
    pairs_of: dict[int, list[_Pair]] = {}

    def link(key_index: int, secret_index: int) -> None:
        key, secret = findings[key_index], findings[secret_index]
        if key.secret is None or secret.secret is None:
            return  # a finding read back without its secret pairs with nothing
        hint = key.environment_hint or secret.environment_hint or value_hint(key.secret, secret.secret)
        pair = _Pair(key.secret, secret.secret, hint=hint)
        for index in (key_index, secret_index):
            if pair not in pairs_of.setdefault(index, []):
                pairs_of[index].append(pair)

    by_sha: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        by_sha.setdefault(finding.secret_sha256, []).append(index)
    linked: set[int] = set()
    for index, finding in enumerate(findings):
        if _role(finding) != "key" or finding.pair_sha256 is None:
            continue
        for partner in by_sha.get(finding.pair_sha256, []):
            # The link may cross commits in history (key and secret introduced separately).
            if _role(findings[partner]) == "secret":
                link(index, partner)
                linked.update((index, partner))
    # Unpaired keys and secrets of one file (or one file in one commit): try the combinations.
    groups: dict[tuple[str, str | None], tuple[list[int], list[int]]] = {}
    for index, finding in enumerate(findings):
        role = _role(finding)
        if index in linked or finding.secret is None:
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
