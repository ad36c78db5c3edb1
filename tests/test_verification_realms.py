"""Which Binance a key lives in (issue #12) and the endpoint options of every command (issue #11 item 3),
through the real CLI and the real HTTP client against five loopback realms (testing/fake_binance.FakeRealms).

README promises protected (section "Live verification", "Which Binance a key belongs to", "What is sent
where"):
- `--endpoint auto` tries the realm the code hints at first, then binance, testnet, futures-testnet, demo,
  binance-us, stopping at the first live answer; `environment` records the realm that answered live, or the
  reason says what each realm said;
- "one key goes to at most five official hosts, only with `auto`"; without `auto` exactly one realm is
  contacted;
- a live key on a test realm is `low` risk whatever it may do, and the reason says why; the text report's
  live block lists mainnet keys first;
- `BINANCE_SECRETS_API_URL_<REALM>` replaces one realm's base URL under the same policy as
  `BINANCE_SECRETS_API_URL`: anything else is refused (exit 2) before any connection;
- `scan`, `staged` and `history --verify` take `--endpoint`, `--api-url` and `--timeout` like `verify`,
  with the same refusal rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import keys, network_guard
from testing.fake_binance import REALM_NAMES, FakeRealms
from testing.gitrepo import commit_file, git, init_repo

from .conftest import KeyPair
from .test_verification_hostile import network  # noqa: F401  (the audit-hook fixture)

AUTO_ORDER = ["binance", "testnet", "futures-testnet", "demo", "binance-us"]
TEST_REALMS = {"testnet", "futures-testnet", "demo"}


@pytest.fixture(autouse=True)
def _no_realm_urls_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for realm in REALM_NAMES:
        monkeypatch.delenv(_variable(realm), raising=False)


@pytest.fixture
def realms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRealms]:
    """Five realms on loopback, each named to the tool by its BINANCE_SECRETS_API_URL_<REALM>."""
    with FakeRealms(hang_seconds=1.0) as served:
        for name, url in served.env().items():
            monkeypatch.setenv(name, url)
        yield served


def _variable(realm: str) -> str:
    return "BINANCE_SECRETS_API_URL_" + realm.upper().replace("-", "_")


def verify(run_cli, pair: KeyPair, *options: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = run_cli("verify", "-f", "json", "--api-key", pair.api_key, "--secret", pair.secret, *options)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"][0]["verification"]


def hex_pair() -> KeyPair:
    return KeyPair(keys.random_hex(), keys.random_hex())


# --------------------------------------------------------------------------- auto: one key, each realm
def test_mainnet_key_is_live_on_binance_and_no_other_realm_hears_of_it(run_cli, realms, key_pair) -> None:
    realms["binance"].add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True, allowed_ips=["127.0.0.1"])
    code, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert (code, verification["status"], verification["environment"]) == (1, "live", "binance")
    assert verification["risk"] == "critical"
    assert verification["endpoint"] == realms["binance"].url
    assert realms.contacted() == {"binance"}


def test_spot_testnet_key_is_found_after_mainnet_rejects_it_and_is_low_risk(run_cli, realms, key_pair) -> None:
    # Withdrawals and trading on: critical on mainnet, but the testnet holds no real funds.
    realms["testnet"].add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True,
                                   enableSpotAndMarginTrading=True)  # fmt: skip
    code, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert (code, verification["status"], verification["environment"]) == (1, "live", "testnet")
    assert verification["risk"] == "low"
    assert "spot testnet" in verification["reason"] and "no real funds" in verification["reason"]
    assert verification["permissions"]["withdrawals"] is True
    assert realms.realms_seeing(key_pair.api_key) == ["binance", "testnet"]
    assert realms.contacted() == {"binance", "testnet"}
    assert [path for path, _ in realms["testnet"].log.requests] == ["/api/v3/account"]


def test_futures_testnet_hex_pair_is_asked_first_where_its_hex_points(run_cli, realms) -> None:
    pair = hex_pair()
    realms["futures-testnet"].add_hmac_key(pair.api_key, pair.secret, enableFutures=True)
    code, verification = verify(run_cli, pair, "--endpoint", "auto")
    assert (code, verification["status"], verification["environment"]) == (1, "live", "futures-testnet")
    assert verification["risk"] == "low" and verification["permissions"]["futures"] is True
    assert realms.contacted() == {"futures-testnet"}
    assert [path for path, _ in realms["futures-testnet"].log.requests] == ["/fapi/v2/account"]


def test_demo_key_is_live_on_demo_after_three_rejections(run_cli, realms, key_pair) -> None:
    realms["demo"].add_hmac_key(key_pair.api_key, key_pair.secret, enableSpotAndMarginTrading=True)
    code, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert (code, verification["status"], verification["environment"]) == (1, "live", "demo")
    assert verification["risk"] == "low" and "spot demo trading" in verification["reason"]
    assert realms.realms_seeing(key_pair.api_key) == ["binance", "testnet", "futures-testnet", "demo"]
    assert "binance-us" not in realms.contacted()


def test_binance_us_key_is_last_in_line_and_keeps_its_real_risk(run_cli, realms, key_pair) -> None:
    realms["binance-us"].add_hmac_key(key_pair.api_key, key_pair.secret, enableSpotAndMarginTrading=True)
    code, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert (code, verification["status"], verification["environment"]) == (1, "live", "binance-us")
    assert verification["risk"] == "high"  # can trade, IP restriction unknown, real funds
    assert realms.realms_seeing(key_pair.api_key) == AUTO_ORDER


def test_key_live_nowhere_is_rejected_after_at_most_five_hosts_each_asked_once(run_cli, realms, key_pair) -> None:
    code, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert (code, verification["status"], verification["environment"]) == (0, "rejected", None)
    assert verification["endpoint"] == "auto"
    reason = verification["reason"]
    assert reason.startswith("No realm answered live.")
    for realm in AUTO_ORDER:
        assert f"{realm}: rejected (Binance answered -2015" in reason
    assert "does not prove it is dead" in reason
    for realm in AUTO_ORDER:
        assert realms[realm].log.api_keys == [key_pair.api_key]
    assert key_pair.secret not in reason


def test_realm_answering_451_leaves_the_key_unknown_not_rejected(run_cli, realms, key_pair) -> None:
    realms["binance"].geo_blocked = True
    code, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert (code, verification["status"]) == (0, "unknown")
    assert "binance: unknown (HTTP 451)" in verification["reason"]
    assert "testnet: rejected" in verification["reason"]
    assert realms.contacted() == set(AUTO_ORDER)


def test_a_geo_blocked_mainnet_does_not_hide_a_live_testnet_key(run_cli, realms, key_pair) -> None:
    realms["binance"].geo_blocked = True
    realms["testnet"].add_hmac_key(key_pair.api_key, key_pair.secret)
    code, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert (code, verification["status"], verification["environment"]) == (1, "live", "testnet")


def test_wrong_secret_in_every_realm_says_so_per_realm(run_cli, realms, key_pair) -> None:
    realms["demo"].add_hmac_key(key_pair.api_key, keys.secret_key())
    _, verification = verify(run_cli, key_pair, "--endpoint", "auto")
    assert verification["status"] == "rejected"
    assert "demo: rejected (Binance answered -1022" in verification["reason"]


# --------------------------------------------------------------------------- without auto: one realm
@pytest.mark.parametrize("realm", [*REALM_NAMES, None])
def test_without_auto_exactly_one_realm_is_contacted(run_cli, realms, key_pair, realm) -> None:
    """Without `auto`, the key goes to the realm asked for (default binance) and to no other, whether it
    is live there or not."""
    for name in REALM_NAMES:
        realms[name].add_hmac_key(key_pair.api_key, key_pair.secret)
    option = ["--endpoint", realm] if realm else []
    code, verification = verify(run_cli, key_pair, *option)
    assert (code, verification["status"], verification["environment"]) == (1, "live", realm or "binance")
    assert realms.contacted() == {realm or "binance"}

    other = KeyPair(keys.api_key(), keys.secret_key())
    realms["demo" if realm != "demo" else "testnet"].add_hmac_key(other.api_key, other.secret)
    code, verification = verify(run_cli, other, *option)
    assert (code, verification["status"]) == (0, "rejected")
    assert realms.contacted() == {realm or "binance"}


def test_scan_verify_without_auto_contacts_one_realm(run_cli, realms, in_tmp: Path) -> None:
    pair = KeyPair(keys.api_key(), keys.secret_key())
    realms["testnet"].add_hmac_key(pair.api_key, pair.secret)
    (in_tmp / "bot.py").write_text(
        f'import binance\nclient = Client("{pair.api_key}", "{pair.secret}", testnet=True)\n'
    )
    result = run_cli("scan", ".", "--verify", "-f", "json")
    statuses = {f["verification"]["status"] for f in json.loads(result.stdout)["findings"]}
    assert statuses == {"rejected"}  # the hint says testnet, but without auto only mainnet is asked
    assert realms.contacted() == {"binance"}


# --------------------------------------------------------------------------- scan / staged / history
def _testnet_bot(pair: KeyPair) -> str:
    assignments = f'import binance\napi_key = "{pair.api_key}"\napi_secret = "{pair.secret}"\n'
    return assignments + "client = Client(api_key, api_secret, testnet=True)\n"


def test_scan_verify_auto_asks_the_hinted_realm_first(run_cli, realms, key_pair, in_tmp: Path) -> None:
    realms["testnet"].add_hmac_key(key_pair.api_key, key_pair.secret)
    (in_tmp / "bot.py").write_text(_testnet_bot(key_pair))
    result = run_cli("scan", ".", "--verify", "--endpoint", "auto", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert result.exit_code == 1
    assert [(f["environment_hint"], f["verification"]["environment"]) for f in findings] == [("testnet", "testnet")] * 2
    assert realms.contacted() == {"testnet"}  # hinted, live: mainnet never hears of it


def test_staged_verify_takes_the_endpoint_options(run_cli, realms, key_pair, tmp_path: Path) -> None:
    realms["demo"].add_hmac_key(key_pair.api_key, key_pair.secret)
    repo = init_repo(tmp_path / "repo")
    (repo / "bot.py").write_text(_testnet_bot(key_pair))
    git(repo, "add", "bot.py")
    result = run_cli("staged", str(repo), "--verify", "--endpoint", "demo", "--timeout", "3", "-f", "json")
    assert {f["verification"]["environment"] for f in json.loads(result.stdout)["findings"]} == {"demo"}
    assert realms.contacted() == {"demo"}


def test_history_verify_auto_finds_a_removed_futures_key(run_cli, realms, tmp_path: Path) -> None:
    pair = KeyPair(keys.api_key(), keys.secret_key())
    realms["futures-testnet"].add_hmac_key(pair.api_key, pair.secret)
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "bot.py", f'client = UMFutures(key="{pair.api_key}", secret="{pair.secret}", '
                                'base_url="https://testnet.binancefuture.com")\n')  # fmt: skip
    commit_file(repo, "bot.py", "# moved to the vault\n")
    result = run_cli("history", str(repo), "--verify", "--endpoint", "auto", "-f", "json", "--no-progress")
    findings = json.loads(result.stdout)["findings"]
    assert {f["verification"]["environment"] for f in findings} == {"futures-testnet"}
    assert realms.contacted() == {"futures-testnet"}


def test_api_url_of_scan_verify_goes_to_that_server_only(run_cli, realms, key_pair, in_tmp: Path) -> None:
    realms["binance"].add_hmac_key(key_pair.api_key, key_pair.secret)
    (in_tmp / "bot.py").write_text(_testnet_bot(key_pair))
    result = run_cli("scan", ".", "--verify", "--api-url", realms["binance"].url, "--endpoint", "testnet")
    # A loopback --api-url stands for the realm named: testnet paths, so /api/v3/account is asked.
    assert [path for path, _ in realms["binance"].log.requests] == ["/api/v3/account"]
    assert result.exit_code == 1 and "environment: testnet" in result.stdout


def _bad_option_runs(tmp_path: Path, pair: KeyPair) -> dict[str, list[str]]:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "bot.py", _testnet_bot(pair))
    (repo / "staged.py").write_text(_testnet_bot(pair))
    git(repo, "add", "staged.py")
    return {
        "verify": ["verify", "--api-key", pair.api_key, "--secret", pair.secret],
        "scan": ["scan", str(repo), "--verify"],
        "staged": ["staged", str(repo), "--verify"],
        "history": ["history", str(repo), "--verify", "--no-progress"],
    }


@pytest.mark.parametrize("command", ["verify", "scan", "staged", "history"])
@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--api-url", "https://api.binance.com.evil.example"], "not an official Binance host"),
        (["--api-url", "http://api.binance.com"], "only over https"),
        (["--api-url", "http://localhost:8080"], "localhost is resolved"),
        (["--endpoint", "auto", "--api-url", "http://127.0.0.1:9"], "--endpoint auto tries five realms"),
        (["--endpoint", "mars"], "Invalid value for '--endpoint'"),
        (["--timeout", "0"], "Invalid value for '--timeout'"),
    ],
)
def test_every_command_refuses_the_same_endpoint_choices_before_any_connection(
    run_cli,
    realms,
    network: network_guard.Watch,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    key_pair,
    command,
    options,
    says,
) -> None:
    """Issue #11 item 3: one option definition, the same refusals (exit 2) for verify and --verify."""
    argv = _bad_option_runs(tmp_path, key_pair)[command]
    network.attempts.clear()
    result = run_cli(*argv, *options)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert result.stdout == ""
    assert network.attempts == [] and realms.contacted() == set()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("https://demo-api.binance.com.evil.example", "not an official Binance host"),
        ("http://demo-api.binance.com", "only over https"),
        ("https://demo-api.binance.com:8443", "port 443 only"),
        ("https://demo-api.binance.com/api", "nothing after it"),
        ("https://localhost", "localhost is resolved"),
        ("http://10.0.0.1:8080", "only on loopback"),
        ("https://user@demo-api.binance.com", "user@"),
        ("https://api.binance.com", "serves the binance realm, not demo"),
    ],
)
@pytest.mark.parametrize("command", ["verify", "scan"])
def test_no_secret_reaches_a_realm_outside_the_policy(
    run_cli,
    realms,
    network: network_guard.Watch,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    monkeypatch,
    key_pair,
    value,
    says,
    command,
) -> None:
    """A refused BINANCE_SECRETS_API_URL_DEMO stops `auto` before any realm, the allowed ones included,
    hears of any key: exit 2, and neither the audit hook nor the five loopback realms saw a connection."""
    monkeypatch.setenv("BINANCE_SECRETS_API_URL_DEMO", value)
    argv = _bad_option_runs(tmp_path, key_pair)[command]
    network.attempts.clear()
    for endpoint in ("auto", "demo"):
        result = run_cli(*argv, "--endpoint", endpoint)
        assert result.exit_code == 2, result.output
        assert "BINANCE_SECRETS_API_URL_DEMO" in result.stderr and says in result.stderr
        assert key_pair.api_key not in result.output and key_pair.secret not in result.output
    assert network.attempts == [] and realms.contacted() == set()


def test_a_refused_variable_of_a_realm_not_asked_is_not_read(run_cli, realms, monkeypatch, key_pair) -> None:
    monkeypatch.setenv("BINANCE_SECRETS_API_URL_DEMO", "https://evil.example")
    realms["binance"].add_hmac_key(key_pair.api_key, key_pair.secret)
    code, verification = verify(run_cli, key_pair)
    assert (code, verification["status"]) == (1, "live")
    assert realms.contacted() == {"binance"}


# --------------------------------------------------------------------------- reports
def test_text_report_lists_mainnet_keys_first(run_cli, realms, in_tmp: Path) -> None:
    testnet, mainnet = KeyPair(keys.api_key(), keys.secret_key()), KeyPair(keys.api_key(), keys.secret_key())
    realms["testnet"].add_hmac_key(testnet.api_key, testnet.secret, enableWithdrawals=True)
    realms["binance"].add_hmac_key(mainnet.api_key, mainnet.secret)
    (in_tmp / "a_testnet.py").write_text(_testnet_bot(testnet))  # sorts first by path
    (in_tmp / "b_mainnet.py").write_text(f'import binance\nclient = Client("{mainnet.api_key}", "{mainnet.secret}")\n')
    result = run_cli("scan", ".", "--verify", "--endpoint", "auto")
    headers = [line for line in result.stdout.splitlines() if line.startswith("LIVE ")]
    assert [header.split(":")[1].strip().split(" ")[0].split(":")[0] for header in headers] == [
        "b_mainnet.py", "b_mainnet.py", "a_testnet.py", "a_testnet.py",
    ]  # fmt: skip
    assert "risk MEDIUM" in headers[0] and "risk LOW" in headers[2]
    assert "environment: testnet" in result.stdout and "environment: binance" in result.stdout


def test_sarif_and_github_show_the_live_environment(run_cli, realms, key_pair, in_tmp: Path) -> None:
    realms["testnet"].add_hmac_key(key_pair.api_key, key_pair.secret)
    (in_tmp / "bot.py").write_text(_testnet_bot(key_pair))
    sarif = json.loads(run_cli("scan", ".", "--verify", "--endpoint", "auto", "-f", "sarif").stdout)
    properties = [result["properties"] for result in sarif["runs"][0]["results"]]
    assert [(p["environment"], p["risk"], p["environmentHint"]) for p in properties] == [
        ("testnet", "low", "testnet")
    ] * 2
    annotations = run_cli("scan", ".", "--verify", "--endpoint", "auto", "-f", "github").stdout
    assert annotations.count("Verification: live on testnet, risk low.") == 2


def test_verify_report_asks_the_realm_the_report_hints_at_first(run_cli, realms, key_pair, in_tmp: Path) -> None:
    realms["testnet"].add_hmac_key(key_pair.api_key, key_pair.secret)
    (in_tmp / "bot.py").write_text(_testnet_bot(key_pair))
    run_cli("scan", ".", "-f", "json", "-o", "report.json")
    result = run_cli("verify", "--report", "report.json", "--endpoint", "auto", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert {f["verification"]["environment"] for f in findings} == {"testnet"}
    assert realms.contacted() == {"testnet"}


def test_report_hint_that_is_not_a_realm_never_becomes_a_host(run_cli, realms, key_pair, in_tmp: Path) -> None:
    """README (verify --report): a report is read as every report is read; a finding whose hint is not a realm
    is refused by the reader and left unverified, so nothing is contacted for it."""
    realms["testnet"].add_hmac_key(key_pair.api_key, key_pair.secret)
    (in_tmp / "bot.py").write_text(_testnet_bot(key_pair))
    run_cli("scan", ".", "-f", "json", "-o", "report.json")
    document = json.loads((in_tmp / "report.json").read_text())
    for finding in document["findings"]:
        finding["environment_hint"] = "https://evil.example"
    (in_tmp / "report.json").write_text(json.dumps(document))
    result = run_cli("verify", "--report", "report.json", "--endpoint", "auto", "-f", "json")
    assert result.exit_code == 0, result.output
    assert [f["verification"] for f in json.loads(result.stdout)["findings"]] == [None, None]
    assert realms.contacted() == set()


# --------------------------------------------------------------------------- per-realm clock and limits
def test_futures_testnet_clock_skew_is_resynced_on_its_own_time_path(run_cli, realms) -> None:
    pair = hex_pair()
    realms["futures-testnet"].add_hmac_key(pair.api_key, pair.secret)
    realms["futures-testnet"].clock_offset_ms = -45_000  # our timestamps look like the future there
    code, verification = verify(run_cli, pair, "--endpoint", "futures-testnet")
    assert (code, verification["status"]) == (1, "live")
    assert realms["futures-testnet"].log.requests == [
        ("/fapi/v2/account", "-1021"), ("/fapi/v1/time", "time"), ("/fapi/v2/account", "futures-account"),
    ]  # fmt: skip


def test_each_realm_contacted_learns_its_own_weight_limit_once(run_cli, realms, in_tmp: Path) -> None:
    """Several pairs: every realm contacted is asked for its announced limit once (the futures testnet's
    exchangeInfo is too big to read, its published limit is used instead); realms not needed are not."""
    pairs = [KeyPair(keys.api_key(), keys.secret_key()) for _ in range(3)]
    realms["binance"].add_hmac_key(pairs[0].api_key, pairs[0].secret)
    realms["testnet"].add_hmac_key(pairs[1].api_key, pairs[1].secret)
    realms["testnet"].add_hmac_key(pairs[2].api_key, pairs[2].secret)
    for number, pair in enumerate(pairs):
        (in_tmp / f"bot{number}.py").write_text(f'import binance\nclient = Client("{pair.api_key}", "{pair.secret}")\n')
    result = run_cli("scan", ".", "--verify", "--endpoint", "auto", "-f", "json")
    assert {f["verification"]["environment"] for f in json.loads(result.stdout)["findings"]} == {"binance", "testnet"}
    assert realms.contacted() == {"binance", "testnet"}
    for realm in ("binance", "testnet"):
        paths = [path for path, _ in realms[realm].log.requests]
        assert paths.count("/api/v3/exchangeInfo") == 1 and paths[0] == "/api/v3/exchangeInfo"
