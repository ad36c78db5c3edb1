"""Every verification outcome through the real CLI against the local Binance API of testing/fake_binance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import keys
from testing.fake_binance import FakeBinance

from .conftest import KeyPair

RESTRICTIONS = "/sapi/v1/account/apiRestrictions"


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance(hang_seconds=2.0) as server:
        yield server


def verify_json(run_cli, fake: FakeBinance, *args: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = run_cli("verify", "--api-url", fake.url, "-f", "json", *args)
    document = json.loads(result.stdout)
    assert len(document["findings"]) == 1
    return result.exit_code, document["findings"][0]["verification"]


def test_live_hmac_key_with_withdrawals_is_critical_and_exits_1(run_cli, fake, key_pair: KeyPair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True, allowed_ips=["127.0.0.1"])
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert code == 1
    assert verification["status"] == "live"
    assert verification["risk"] == "critical"
    assert verification["ip_restricted"] is True
    assert verification["permissions"]["withdrawals"] is True
    assert verification["endpoint"] == fake.url
    assert verification["checked_at"].endswith("Z")


@pytest.mark.parametrize(
    ("restrictions", "risk"),
    [
        ({"enableSpotAndMarginTrading": True}, "high"),
        ({"enableFutures": True, "allowed_ips": ["127.0.0.1"]}, "medium"),
        ({}, "medium"),
        ({"allowed_ips": ["127.0.0.1"]}, "low"),
        ({"permitsUniversalTransfer": True}, "critical"),
    ],
)
def test_risk_level_follows_permissions_and_ip_restriction(run_cli, fake, key_pair, restrictions, risk) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, **restrictions)
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"], verification["risk"]) == (1, "live", risk)


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_live_asymmetric_key_from_pem_file(run_cli, fake, tmp_path: Path, kind: str) -> None:
    api_key = keys.api_key()
    pem = keys.ed25519_pem() if kind == "ed25519" else keys.rsa_pem()
    fake.add_private_key(api_key, pem, enableSpotAndMarginTrading=True)
    pem_file = tmp_path / "key.pem"
    pem_file.write_text(pem)
    code, verification = verify_json(run_cli, fake, "--api-key", api_key, "--private-key", str(pem_file))
    assert (code, verification["status"], verification["risk"]) == (1, "live", "high")


def test_encrypted_pem_with_passphrase_from_environment(run_cli, fake, tmp_path, monkeypatch) -> None:
    api_key = keys.api_key()
    pem = keys.rsa_pem(passphrase=b"s3cret phrase")
    fake.add_private_key(api_key, pem, passphrase=b"s3cret phrase")
    (tmp_path / "key.pem").write_text(pem)
    monkeypatch.setenv("MY_PASSPHRASE", "s3cret phrase")
    code, verification = verify_json(
        run_cli, fake, "--api-key", api_key, "--private-key", str(tmp_path / "key.pem"),
        "--private-key-passphrase-env", "MY_PASSPHRASE",
    )  # fmt: skip
    assert (code, verification["status"]) == (1, "live")


def test_encrypted_pem_without_passphrase_off_a_terminal_is_a_usage_error(run_cli, fake, tmp_path) -> None:
    (tmp_path / "key.pem").write_text(keys.ed25519_pem(passphrase=b"pw"))
    result = run_cli(
        "verify", "--api-url", fake.url, "--api-key", keys.api_key(), "--private-key", str(tmp_path / "key.pem")
    )
    assert result.exit_code == 2
    assert "--private-key-passphrase-env" in result.stderr
    assert fake.log.requests == []


def test_credentials_from_environment_variables(run_cli, fake, key_pair, monkeypatch) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    monkeypatch.setenv("BINANCE_API_KEY", key_pair.api_key)
    monkeypatch.setenv("BINANCE_API_SECRET", key_pair.secret)
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("verify", "-f", "json")
    finding = json.loads(result.stdout)["findings"][0]
    assert result.exit_code == 1
    assert finding["path"] == "<environment>"
    assert finding["verification"]["status"] == "live"


def test_wrong_secret_is_rejected_with_an_honest_reason(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", keys.secret_key())
    assert (code, verification["status"]) == (0, "rejected")
    assert "-1022" in verification["reason"] and "may still be live" in verification["reason"]
    assert verification["risk"] is None and verification["permissions"] is None


def test_unknown_key_is_rejected_but_not_called_dead(run_cli, fake, key_pair) -> None:
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (0, "rejected")
    reason = verification["reason"]
    assert "-2015" in reason and "does not prove the key is dead" in reason and "Revoke" in reason


def test_key_whitelisted_for_another_ip_is_rejected_with_ip_explanation(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True, allowed_ips=["203.0.113.7"])
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (0, "rejected")
    assert "restricted to other IP addresses" in verification["reason"]


def test_malformed_key_is_rejected_as_bad_format(run_cli, fake, key_pair) -> None:
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key[:40], "--secret", key_pair.secret)
    assert (code, verification["status"]) == (0, "rejected")
    assert "-2014" in verification["reason"]


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        ("403", "web application firewall"),
        ("451", "restricted location"),
        ("500", "HTTP 500"),
        ("503", "HTTP 503"),
        ("malformed", "not a JSON object"),
        ("html200", "not a JSON object"),
        ("redirect", "redirect, not followed"),
    ],
)
def test_answers_that_say_nothing_about_the_key_are_unknown(run_cli, fake, key_pair, failure, says) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.fail_next(failure, times=2)  # 5xx is retried once
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (0, "unknown")
    assert says in verification["reason"]
    assert "nothing" in verification["reason"]


def test_a_single_5xx_is_retried_and_the_key_found_live(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.fail_next("500")
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (1, "live")
    assert [outcome for _, outcome in fake.log.requests] == ["500", "live"]


def test_timeout_is_unknown(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.fail_next("timeout", times=2)
    code, verification = verify_json(
        run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--timeout", "0.3"
    )
    assert (code, verification["status"]) == (0, "unknown")
    assert "timeout" in verification["reason"]


def test_connection_refused_is_unknown(run_cli, key_pair) -> None:
    result = run_cli("verify", "--api-url", "http://127.0.0.1:9", "-f", "json", "--timeout", "1",
                     "--api-key", key_pair.api_key, "--secret", key_pair.secret)  # fmt: skip
    verification = json.loads(result.stdout)["findings"][0]["verification"]
    assert (result.exit_code, verification["status"]) == (0, "unknown")
    assert "could not connect" in verification["reason"]


def test_429_with_retry_after_is_honoured_then_live(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.fail_next("429", retry_after=1)
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (1, "live")
    assert [outcome for _, outcome in fake.log.requests] == ["429", "live"]


@pytest.mark.parametrize("status", ["429", "418"])
def test_retry_after_beyond_the_backoff_budget_gives_up_as_unknown(run_cli, fake, key_pair, status) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.fail_next(status, retry_after=600)
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (0, "unknown")
    assert f"HTTP {status}" in verification["reason"] and "Retry-After 600" in verification["reason"]
    assert len(fake.log.requests) == 1  # nothing more is sent while the ban runs


def test_clock_skew_is_fixed_by_syncing_with_server_time(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.clock_offset_ms = -45_000  # the server is 45 s behind us: our timestamps look like the future
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (1, "live")
    assert [path for path, _ in fake.log.requests] == [RESTRICTIONS, "/api/v3/time", RESTRICTIONS]
    assert fake.log.requests[0][1] == "-1021"


def test_persistent_timestamp_rejection_is_unknown_after_one_resync(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.fail_next("skew", times=2, paths=(RESTRICTIONS,))
    code, verification = verify_json(run_cli, fake, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert (code, verification["status"]) == (0, "unknown")
    assert "-1021" in verification["reason"]


def test_realm_without_sapi_falls_back_to_account_and_never_outputs_balances(run_cli, key_pair) -> None:
    with FakeBinance(sapi=False) as testnet:
        testnet.add_hmac_key(key_pair.api_key, key_pair.secret, enableSpotAndMarginTrading=True)
        result = run_cli("verify", "--api-url", testnet.url, "-f", "json",
                         "--api-key", key_pair.api_key, "--secret", key_pair.secret)  # fmt: skip
        text = run_cli("verify", "--api-url", testnet.url, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
        paths = [path for path, _ in testnet.log.requests]
    verification = json.loads(result.stdout)["findings"][0]["verification"]
    assert (result.exit_code, verification["status"]) == (1, "live")
    assert verification["permissions"]["spot_margin_trading"] is True
    assert verification["ip_restricted"] is None
    assert paths[:2] == [RESTRICTIONS, "/api/v3/account"]
    for output in (result.output, text.output):
        assert "4723846" not in output and "354937868" not in output  # balance and uid of the fake account


def test_text_report_shows_a_live_key_first_in_a_block(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True, allowed_ips=["127.0.0.1"])
    result = run_cli("verify", "--api-url", fake.url, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[1].startswith("LIVE ") and "risk CRITICAL" in lines[1]
    assert "WITHDRAWALS" in result.stdout
    assert result.stdout.count("Revoke the key in Binance API Management now.") == 1  # the reason says it, once
    assert "Verified 1 credential(s): 1 live, 0 rejected, 0 unknown." in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--api-url", "http://example.com"),
        ("--api-url", "http://api.binance.com"),
        ("--api-url", "https://binance.com.attacker.example"),
        ("--endpoint", "mainnet"),
        ("--timeout", "0"),
    ],
)
def test_bad_options_are_usage_errors_before_any_connection(run_cli, fake, key_pair, args) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    result = run_cli("verify", *args, "--api-key", key_pair.api_key, "--secret", key_pair.secret)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert fake.log.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to verify"),
        (("--api-key", "K"), "needs its secret"),
        (("--api-key", "K", "--secret", "S", "--private-key", "x.pem"), "not both"),
        (("--api-key", "K", "--private-key", "/nonexistent/key.pem"), "does not exist"),
        (("--report", "/nonexistent/report.json"), "does not exist"),
    ],
)
def test_incomplete_input_is_a_usage_error(run_cli, fake, args, message) -> None:
    result = run_cli("verify", "--api-url", fake.url, *args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("api_key", ["ключ-не-бинанс", "two words", "line\nbreak"])
def test_api_key_no_header_can_carry_is_unknown_without_sending(run_cli, fake, api_key: str) -> None:
    result = run_cli("verify", "--api-url", fake.url, "-f", "json", "--api-key", api_key, "--secret", keys.secret_key())
    verification = json.loads(result.stdout)["findings"][0]["verification"]
    assert (result.exit_code, verification["status"]) == (0, "unknown")
    assert "nothing was sent" in verification["reason"]
    assert fake.log.requests == []
