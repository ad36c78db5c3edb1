"""Safety of live verification: no network unless asked, and the secret never written anywhere."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import keys
from testing.fake_binance import FakeBinance

from .conftest import PROJECT_ROOT, KeyPair

# Runs the real CLI in a fresh interpreter with an audit hook that records every socket connect
# and name lookup, then reports them on stderr after the command's own output.
_AUDITED_CLI = """
import json, sys
attempts = []
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.bind"):
        attempts.append([event, repr(args[1:] if event != "socket.getaddrinfo" else args[:2])])
sys.addaudithook(hook)
from binance_secrets.cli import main
code = main(sys.argv[1:])
sys.stderr.write("\\nAUDIT " + json.dumps(attempts) + "\\n")
sys.exit(code)
"""


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance(hang_seconds=1.0) as server:
        yield server


def audited(args: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> tuple[int, list[list[str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env.update(extra_env or {})
    completed = subprocess.run(
        [sys.executable, "-c", _AUDITED_CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    audit_line = [line for line in completed.stderr.splitlines() if line.startswith("AUDIT ")][-1]
    return completed.returncode, json.loads(audit_line[len("AUDIT ") :])


def test_scan_without_verify_opens_no_socket_and_with_verify_only_the_loopback_one(fake, tmp_path, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    (tmp_path / ".env").write_text(f"BINANCE_API_KEY={key_pair.api_key}\nBINANCE_API_SECRET={key_pair.secret}\n")
    for format in ("text", "json", "sarif"):
        code, attempts = audited(["scan", ".", "-f", format], tmp_path, {"BINANCE_SECRETS_API_URL": fake.url})
        assert code == 1
        assert attempts == [], format
    # The same harness does see sockets when verification is asked for: the hook is real.
    code, attempts = audited(["scan", ".", "--verify"], tmp_path, {"BINANCE_SECRETS_API_URL": fake.url})
    assert code == 1
    port = fake.url.rsplit(":", 1)[1]
    connects = [target for event, target in attempts if event == "socket.connect"]
    assert connects and all("127.0.0.1" in target and port in target for target in connects)


def test_refused_api_url_opens_no_socket(tmp_path, key_pair) -> None:
    code, attempts = audited(
        ["verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", "http://example.com"],
        tmp_path,
    )
    assert code == 2
    assert attempts == []


def _scenarios(fake: FakeBinance, pair: KeyPair, pem_file: Path) -> list[tuple[str, list[str]]]:
    """(failure to script, verify arguments) covering every outcome and error path."""
    hmac = ["--api-key", pair.api_key, "--secret", pair.secret, "--api-url", fake.url, "--timeout", "0.3"]
    return [
        ("", hmac),  # live
        ("", ["--api-key", pair.api_key, "--secret", pair.secret[::-1], "--api-url", fake.url]),  # -1022
        ("", ["--api-key", keys.api_key(), "--secret", pair.secret, "--api-url", fake.url]),  # -2015
        ("", ["--api-key", pair.api_key[:20], "--secret", pair.secret, "--api-url", fake.url]),  # -2014
        *[(failure, hmac) for failure in ("403", "451", "500", "timeout", "malformed", "418", "redirect")],
        ("", ["--api-key", pair.api_key, "--secret", pair.secret, "--api-url", "http://attacker.example"]),
        ("", ["--api-key", pair.api_key, "--secret", pair.secret, "--api-url", "http://127.0.0.1:9"]),
        ("", ["--api-key", pair.api_key, "--private-key", str(pem_file), "--api-url", fake.url]),  # no passphrase
        (
            "",
            [
                "--api-key",
                pair.api_key,
                "--private-key",
                str(pem_file),
                "--private-key-passphrase-env",
                "WRONG_PW",
                "--api-url",
                fake.url,
            ],
        ),
    ]


@pytest.mark.parametrize("format", ["text", "json"])
def test_secret_never_appears_in_output_files_logs_or_requests(
    run_cli, fake, tmp_path, key_pair, format, caplog, monkeypatch
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs every request line at DEBUG
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True)
    right, wrong = secrets.token_hex(12), secrets.token_hex(12)
    pem = keys.ed25519_pem(passphrase=right.encode())
    pem_file = tmp_path / "key.pem"
    pem_file.write_text(pem)
    monkeypatch.setenv("WRONG_PW", wrong)
    pem_body = [line for line in pem.splitlines() if not line.startswith("-----")]
    outputs: list[str] = []
    for failure, args in _scenarios(fake, key_pair, pem_file):
        if failure:
            fake.fail_next(failure, times=2, retry_after=600 if failure == "418" else None)
        report = tmp_path / f"report-{len(outputs)}.{format}"
        for extra in ([], ["-o", str(report)]):
            result = run_cli("verify", "-f", format, *args, *extra)
            assert result.exit_code in (0, 1, 2), (args, result.stderr)
            outputs += [result.stdout, result.stderr]
        if report.exists():
            outputs.append(report.read_text())
    outputs.append(caplog.text)
    everything = "\n".join(outputs)
    assert "LIVE" in everything or '"live"' in everything  # the scenarios did run
    for secret in (key_pair.secret, key_pair.secret[::-1], key_pair.api_key, *pem_body, wrong, right):
        assert secret not in everything
    # The HMAC secret itself never leaves the process: only its signature does.
    assert all(key_pair.secret not in raw for raw in fake.log.raw)


@pytest.mark.parametrize("format", ["text", "json", "sarif"])
def test_scan_verify_reports_never_contain_the_secret(run_cli, fake, tmp_path, key_pair, format, monkeypatch) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True)
    (tmp_path / "config.yaml").write_text(f"binance:\n  apiKey: {key_pair.api_key}\n  secret: {key_pair.secret}\n")
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    result = run_cli("scan", str(tmp_path), "--verify", "-f", format, "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    written = (tmp_path / "out").read_text()
    for text in (written, result.stdout, result.stderr):
        assert key_pair.secret not in text and key_pair.api_key not in text
