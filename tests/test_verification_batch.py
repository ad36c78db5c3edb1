"""`--verify` on scans and `verify --report`: pairing, distinct pairs once, weight limits, all for real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_secrets.finding import Finding, sha256_hex
from binance_secrets.verification import outcome
from binance_secrets.verification.batch import VerifySettings, verify_findings
from testing import keys
from testing.fake_binance import FakeBinance

from .conftest import KeyPair

RESTRICTIONS = "/sapi/v1/account/apiRestrictions"


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        yield server


def write_config(folder: Path, pair: KeyPair, name: str = "settings.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'BINANCE_API_KEY = "{pair.api_key}"\nBINANCE_API_SECRET = "{pair.secret}"\n')
    return path


def signed_requests(server: FakeBinance) -> int:
    return sum(1 for path, _ in server.log.requests if path == RESTRICTIONS)


def test_scan_verify_marks_a_live_pair_and_exits_1(run_cli, fake, tmp_path, key_pair, monkeypatch) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableSpotAndMarginTrading=True)
    write_config(tmp_path / "repo", key_pair)
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("scan", str(tmp_path / "repo"), "--verify", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert result.exit_code == 1
    assert [f["kind"] for f in findings] == ["api_key", "secret_key"]
    assert {f["verification"]["status"] for f in findings} == {"live"}
    assert {f["verification"]["risk"] for f in findings} == {"high"}
    text = run_cli("scan", str(tmp_path / "repo"), "--verify")
    assert text.stdout.splitlines()[1].startswith("LIVE ")


def test_scan_without_verify_sends_nothing(run_cli, fake, tmp_path, key_pair, monkeypatch) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    write_config(tmp_path, key_pair)
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("scan", str(tmp_path), "-f", "json")
    assert result.exit_code == 1
    assert all(f["verification"] is None for f in json.loads(result.stdout)["findings"])
    assert fake.log.requests == []


def test_scan_verify_with_a_refused_api_url_is_a_usage_error(run_cli, tmp_path, key_pair, monkeypatch) -> None:
    write_config(tmp_path, key_pair)
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", "http://attacker.example")
    result = run_cli("scan", str(tmp_path), "--verify")
    assert result.exit_code == 2
    assert "refusing to send a secret" in result.stderr


def test_the_same_pair_in_many_files_is_verified_once(run_cli, fake, tmp_path, key_pair, monkeypatch) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    for number in range(5):
        write_config(tmp_path / f"service{number}", key_pair)
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("scan", str(tmp_path), "--verify", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert len(findings) == 10
    assert {f["verification"]["status"] for f in findings} == {"live"}
    assert signed_requests(fake) == 1


def test_a_key_without_a_secret_is_unknown_and_nothing_is_sent(run_cli, fake, tmp_path, monkeypatch) -> None:
    (tmp_path / "client.py").write_text(f'binance_client = Client(api_key="{keys.api_key()}")\n')
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("scan", str(tmp_path), "--verify", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert [f["verification"]["status"] for f in findings] == ["unknown"]
    assert findings[0]["verification"]["reason"] == "no secret found to sign with; no key-only check exists"
    assert fake.log.requests == []


def finding(rule_id: str, path: str, line: int, secret: str, pair: str | None = None) -> Finding:
    return Finding(rule_id, "high", path, line, 1, 65, secret, pair_sha256=sha256_hex(pair) if pair else None)


def test_unpaired_keys_and_secrets_of_one_file_are_tried_in_combination(fake) -> None:
    live, other = KeyPair(keys.api_key(), keys.secret_key()), KeyPair(keys.api_key(), keys.secret_key())
    fake.add_hmac_key(live.api_key, live.secret)
    findings = [
        finding("binance-api-key", "a.py", 1, other.api_key),
        finding("binance-api-key", "a.py", 40, live.api_key),
        finding("binance-secret-key", "a.py", 80, other.secret),
        finding("binance-secret-key", "a.py", 120, live.secret),
        finding("binance-secret-key", "b.py", 1, keys.secret_key()),  # another file: never combined
    ]
    verified = verify_findings(findings, VerifySettings(api_url=fake.url))
    statuses = [f.verification.status for f in verified if f.verification]
    assert statuses == ["rejected", "live", "rejected", "live", "unknown"]
    assert verified[4].verification is not None and verified[4].verification.reason == outcome.NO_KEY
    assert signed_requests(fake) == 4  # 2 keys x 2 secrets of a.py
    assert [f.path for f in verified] == [f.path for f in findings]


def test_pair_links_are_used_instead_of_combinations(fake) -> None:
    first, second = KeyPair(keys.api_key(), keys.secret_key()), KeyPair(keys.api_key(), keys.secret_key())
    fake.add_hmac_key(second.api_key, second.secret)
    findings = [
        finding("binance-api-key", "a.py", 1, first.api_key, first.secret),
        finding("binance-secret-key", "a.py", 2, first.secret, first.api_key),
        finding("binance-api-key", "a.py", 10, second.api_key, second.secret),
        finding("binance-secret-key", "a.py", 11, second.secret, second.api_key),
    ]
    verified = verify_findings(findings, VerifySettings(api_url=fake.url))
    assert [f.verification.status for f in verified if f.verification] == ["rejected", "rejected", "live", "live"]
    assert signed_requests(fake) == 2


def test_ed25519_private_key_finding_is_verified_with_its_key(fake) -> None:
    api_key, pem = keys.api_key(), keys.ed25519_pem()
    fake.add_private_key(api_key, pem, enableReading=True)
    findings = [
        finding("binance-api-key", "k.py", 1, api_key, pem),
        finding("binance-private-key", "k.py", 2, pem, api_key),
    ]
    verified = verify_findings(findings, VerifySettings(api_url=fake.url))
    assert [f.verification.status for f in verified if f.verification] == ["live", "live"]


def test_batch_never_exceeds_the_announced_weight_limit(fake) -> None:
    pairs = [KeyPair(keys.api_key(), keys.secret_key()) for _ in range(30)]
    with FakeBinance(weight_limit=32, window_seconds=1) as tight:
        for pair in pairs:
            tight.add_hmac_key(pair.api_key, pair.secret)
        findings = [
            item
            for n, pair in enumerate(pairs)
            for item in (
                finding("binance-api-key", f"{n}.py", 1, pair.api_key, pair.secret),
                finding("binance-secret-key", f"{n}.py", 2, pair.secret, pair.api_key),
            )
        ]
        verified = verify_findings(findings, VerifySettings(api_url=tight.url, max_in_flight=6))
        log = tight.log
    assert {f.verification.status for f in verified if f.verification} == {"live"}
    assert log.weight_rejections == 0
    assert log.max_window_weight <= 32
    assert log.max_concurrent <= 6
    assert log.requests[0] == ("/api/v3/exchangeInfo", "exchangeInfo")


def test_verify_report_recovers_redacted_secrets_and_writes_the_enriched_report(
    run_cli, fake, tmp_path, key_pair, monkeypatch
) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True)
    write_config(tmp_path / "repo", key_pair)
    monkeypatch.chdir(tmp_path / "repo")
    scan = run_cli("scan", ".", "-f", "json", "-o", str(tmp_path / "report.json"))
    assert scan.exit_code == 1
    assert key_pair.secret not in (tmp_path / "report.json").read_text()
    result = run_cli(
        "verify", "--report", str(tmp_path / "report.json"), "--api-url", fake.url,
        "-f", "json", "-o", str(tmp_path / "enriched.json"),
    )  # fmt: skip
    assert result.exit_code == 1
    enriched = (tmp_path / "enriched.json").read_text()
    assert key_pair.secret not in enriched and key_pair.api_key not in enriched
    findings = json.loads(enriched)["findings"]
    assert [f["verification"]["status"] for f in findings] == ["live", "live"]
    assert findings[0]["verification"]["risk"] == "critical"
    original = json.loads((tmp_path / "report.json").read_text())["findings"]
    assert [f["fingerprint"] for f in findings] == [f["fingerprint"] for f in original]


def test_verify_report_from_elsewhere_cannot_recover_and_says_so(run_cli, fake, tmp_path, key_pair) -> None:
    write_config(tmp_path / "repo", key_pair)
    scan = run_cli("scan", str(tmp_path / "repo"), "-f", "json", "-o", str(tmp_path / "report.json"))
    assert scan.exit_code == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("verify", "--report", str(tmp_path / "report.json"), "--root", str(empty), "--api-url", fake.url)
    assert result.exit_code == 0
    assert "only the redacted secret" in result.stdout
    assert "0 live, 0 rejected, 2 unknown" in result.stdout
    assert fake.log.requests == []


def test_verify_report_with_full_secrets_needs_no_recovery(run_cli, fake, tmp_path, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    write_config(tmp_path / "repo", key_pair)
    run_cli("scan", str(tmp_path / "repo"), "-f", "json", "--show-secrets", "-o", str(tmp_path / "report.json"))
    (tmp_path / "repo" / "settings.py").unlink()
    result = run_cli("verify", "--report", str(tmp_path / "report.json"), "--api-url", fake.url, "-f", "json")
    assert result.exit_code == 1
    assert key_pair.secret not in result.stdout  # redacted again unless --show-secrets


def test_verify_report_rejects_a_file_that_is_not_a_report(run_cli, fake, tmp_path) -> None:
    (tmp_path / "x.json").write_text('{"results": {}}')
    result = run_cli("verify", "--report", str(tmp_path / "x.json"), "--api-url", fake.url)
    assert result.exit_code == 2
    assert "not a binance-secrets JSON report" in result.stderr


@pytest.mark.slow
def test_history_verify_and_report_recovery_from_commits(run_cli, fake, tmp_path, key_pair, monkeypatch) -> None:
    from testing.gitrepo import commit_file, git, init_repo

    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableFutures=True)
    repo = init_repo(tmp_path / "repo")
    commit_file(
        repo, "bot/config.py", f'BINANCE_API_KEY = "{key_pair.api_key}"\nBINANCE_API_SECRET = "{key_pair.secret}"\n'
    )
    git(repo, "rm", "-q", "bot/config.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "remove leaked key")
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("history", str(repo), "--verify", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert result.exit_code == 1
    assert {f["verification"]["status"] for f in findings} == {"live"}
    assert {f["in_head"] for f in findings} == {False}
    # A redacted history report is verified later: the secrets come back from the commits' blobs.
    run_cli("history", str(repo), "-f", "json", "-o", str(tmp_path / "history.json"))
    monkeypatch.delenv("BINANCE_SECRETS_API_URL")
    later = run_cli("verify", "--report", str(tmp_path / "history.json"), "--root", str(repo), "--api-url", fake.url)
    assert later.exit_code == 1
    assert "Verified 2 credential(s): 2 live" in later.stdout


@pytest.mark.slow
def test_staged_verify(run_cli, fake, tmp_path, key_pair, monkeypatch) -> None:
    from testing.gitrepo import git, init_repo

    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    repo = init_repo(tmp_path / "repo")
    write_config(repo, key_pair)
    git(repo, "add", "settings.py")
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("staged", str(repo), "--verify", "-f", "json")
    assert result.exit_code == 1
    assert {f["verification"]["status"] for f in json.loads(result.stdout)["findings"]} == {"live"}
