"""Hostile endpoints and hostile answers (issue #9), through the real CLI and the loopback fake Binance.

README promises protected (section "Live verification", "What is sent where"):
- the endpoint URL "must be `scheme://host[:port]` and nothing else ... Anything else ... is refused
  (exit 2) before any connection, and every request is checked again, just before it is sent";
- "the server's own message text is never shown" (reasons use a fixed wording per error code);
- "anything malformed, oversized, deeply nested or not shaped like Binance's answer is unknown";
- "`Retry-After` honoured, waiting at most 30 s in total";
- "Secrets are redacted in every output and never written to logs, errors or files."

Two independent witnesses prove that a refused URL causes no connection: real listening sockets where
each hostile URL would have connected (see `Trap`), and a Python audit hook that records every name
lookup and connect of this process (and blocks any that would leave the machine, so a regression can
never reach the internet from a test).
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.errors import UsageError
from binance_secrets.verification.client import BinanceClient, ServerClock, make_session
from binance_secrets.verification.endpoints import Endpoint
from binance_secrets.verification.ratelimit import WeightGovernor
from binance_secrets.verification.signing import HmacSigner
from testing import keys, network_guard
from testing.fake_binance import FakeBinance, default_restrictions

from .conftest import CliRun, KeyPair, run_subprocess

RESTRICTIONS = "/sapi/v1/account/apiRestrictions"
EXCHANGE_INFO = "/api/v3/exchangeInfo"
TIME = "/api/v3/time"
NESTED = b"[" * 200_000


# --------------------------------------------------------------------------- the two witnesses
@pytest.fixture
def network() -> Iterator[network_guard.Watch]:
    """Name lookups and connects this process attempts during the test (the suite's network guard,
    testing/network_guard.py, refuses everything outside loopback and lists it here)."""
    with network_guard.watching() as watch:
        yield watch


class Trap:
    """Real listening sockets where a bypassed check would connect: a free port on 127.0.0.1 (URLs that
    name a port) and, where the system lets us bind them, ports 443 and 80 on a random 127.x.y.z (URLs
    that rely on the scheme's default port). `connections()` drains the accept queue without blocking:
    a connect() that returned has already put its connection there."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.default_host = f"127.{secrets.randbelow(250) + 2}.{secrets.randbelow(256)}.{secrets.randbelow(250) + 2}"
        self._sockets = [socket.create_server((self.host, 0))]
        self.port = self._sockets[0].getsockname()[1]
        self.default_ports: list[int] = []
        for port in (443, 80):
            try:
                self._sockets.append(socket.create_server((self.default_host, port)))
                self.default_ports.append(port)
            except OSError:  # not allowed to bind a privileged port: the audit hook still watches
                pass
        for listening in self._sockets:
            listening.setblocking(False)

    def url(self, template: str) -> str:
        return template.replace("{H}", self.host).replace("{P}", str(self.port)).replace("{D}", self.default_host)

    def connections(self) -> list[Any]:
        peers = []
        for listening in self._sockets:
            while True:
                try:
                    connection, peer = listening.accept()
                except (BlockingIOError, InterruptedError):
                    break
                connection.close()
                peers.append(peer)
        return peers

    def close(self) -> None:
        for listening in self._sockets:
            listening.close()


@pytest.fixture(scope="module")
def trap() -> Iterator[Trap]:
    listening = Trap()
    try:
        yield listening
    finally:
        listening.close()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the environment: requests go (or are refused) exactly where the URL says."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


def test_the_trap_and_the_audit_hook_do_see_a_real_connection(trap: Trap, network: network_guard.Watch) -> None:
    """Control: both witnesses would notice a connection, so their silence below means something."""
    with socket.create_connection((trap.host, trap.port), timeout=2):
        pass
    assert len(trap.connections()) == 1
    assert ("socket.connect", trap.host, trap.port) in network.attempts


# --------------------------------------------------------------------------- hostile endpoint URLs
# {H} 127.0.0.1, {P} the trap's port, {D} the trap's address listening on 443/80. Each URL is what a
# lax check could read as Binance (or as loopback) while a client connects elsewhere, or is merely
# outside the grammar. All must be refused before any connection.
HOSTILE_URLS = [
    # backslash: urlsplit reads the host up to "/", urllib3 (the sender) up to "\"
    "https://{D}\\.binance.com",
    "https://{D}\\api.binance.com",
    "https://{D}\\\\api.binance.com",
    "http://{H}:{P}\\.binance.com",
    "http://{H}:{P}\\@api.binance.com",
    "https://api.binance.com\\@{H}:{P}",
    # user@ in every position
    "https://api.binance.com@{H}:{P}",
    "https://api.binance.com:443@{H}:{P}",
    "http://{H}:{P}@api.binance.com",
    "https://user:password@api.binance.com",
    "https://@{H}:{P}",
    "https://api.binance.com%40{H}:{P}",
    # fragment and query tricks
    "http://{H}:{P}#@api.binance.com",
    "http://{H}:{P}?@api.binance.com",
    "http://{H}:{P}#.binance.com",
    "http://{H}:{P}?.binance.com",
    "http://{H}:{P}/?x=.binance.com",
    "https://api.binance.com/#{H}:{P}",
    "https://api.binance.com?{H}:{P}",
    "http://{H}:{P};.binance.com",
    # look-alike names
    "https://binance.com.evil.example",
    "https://api.binance.com.127.0.0.1.nip.io",
    "https://evilbinance.com",
    "https://binance.com-evil.example",
    "https://api-binance.com",
    "https://api.binance.co",
    "https://api.binance.com.",
    "https://api..binance.com",
    "https://.binance.com",
    "https://-api.binance.com",
    "https://api.binance.com:443.evil.example",
    "https://xn--bnance-k4a.com",
    # non-ASCII dots and homographs
    "https://api.binance.com\u3002evil.example",
    "https://evil.example\u2024binance.com",
    "https://api.b\u0456nance.com",
    "https://api.binance.com\uff0e",
    "https://api.binance\u200b.com",
    # percent-encoding in the host
    "https://evil.example%2eapi.binance.com",
    "https://{H}%2f.binance.com",
    # numeric IP spellings (loopback or not, only canonical literals are allowed)
    "http://2130706433:{P}",
    "http://0x7f000001:{P}",
    "http://0x7f.0.0.1:{P}",
    "http://0177.0.0.1:{P}",
    "http://017700000001:{P}",
    "http://127.1:{P}",
    "http://127.0.1:{P}",
    "http://127.000.000.001:{P}",
    "http://0:{P}",
    "http://0.0.0.0:{P}",
    "http://10.0.0.1:{P}",
    "http://256.0.0.1:{P}",
    "http://localhost:{P}",
    # IPv6 forms
    "http://[::ffff:127.0.0.1]:{P}",
    "http://[::ffff:7f00:1]:{P}",
    "http://[0:0:0:0:0:0:0:1]:{P}",
    "http://[::1%25lo]:{P}",
    "http://[::]:{P}",
    "http://[::127.0.0.1]:{P}",
    "http://::1:{P}",
    "http://[::1]:{P}\\.binance.com",
    "https://[2001:db8::1]",
    # schemes, ports, paths, trailing garbage
    "http://api.binance.com",
    "https://api.binance.com:80",
    "https://api.binance.com:8443",
    "https://api.binance.com:0443",
    "https://api.binance.com:65536",
    "https://api.binance.com:-1",
    "http://{H}:0",
    "ws://{H}:{P}",
    "file:///etc/passwd",
    "https:/api.binance.com",
    "//api.binance.com",
    "https://api.binance.com/api",
    "https://api.binance.com//{H}:{P}",
    "https://api.binance.com/..%2f..%2f",
    # whitespace, control characters, terminal escapes and workflow commands
    " https://api.binance.com",
    "https://api.binance.com\n",
    "http://{H}:{P}\t.binance.com",
    "https://api.binance.com\r\nX-Injected: 1",
    "https://\x1b[31mapi.binance.com",
    "https://api.binance.com/\n::error::injected",
]
ROUTES = ["verify --api-url", "verify + BINANCE_SECRETS_API_URL", "scan --verify + BINANCE_SECRETS_API_URL"]


def run_route(run_cli, route: str, url: str, pair: KeyPair, folder: Path, monkeypatch) -> CliRun:  # type: ignore[no-untyped-def]
    credentials = ["--api-key", pair.api_key, "--secret", pair.secret]
    if route == "verify --api-url":
        return run_cli("verify", *credentials, "--api-url", url)  # type: ignore[no-any-return]
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", url)
    if route == "verify + BINANCE_SECRETS_API_URL":
        return run_cli("verify", *credentials)  # type: ignore[no-any-return]
    (folder / ".env").write_text(f"BINANCE_API_KEY={pair.api_key}\nBINANCE_API_SECRET={pair.secret}\n")
    return run_cli("scan", str(folder), "--verify", "-f", "json")  # type: ignore[no-any-return]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("template", HOSTILE_URLS)
def test_hostile_endpoint_url_is_a_usage_error_before_any_connection(
    run_cli, trap, network, offline, key_pair, tmp_path, monkeypatch, route, template
) -> None:
    """README: "Anything else ... is refused (exit 2) before any connection"."""
    url = trap.url(template)
    result = run_route(run_cli, route, url, key_pair, tmp_path, monkeypatch)  # run_cli: no traceback
    assert result.exit_code == 2, result.output
    assert "api-url" in result.stderr
    assert network.attempts == []
    assert trap.connections() == []
    # The refusal is one line, with the URL escaped: no raw newline, escape or workflow command.
    assert len(result.stderr.strip().splitlines()) == 1
    assert "\x1b" not in result.output and not any(line.startswith("::") for line in result.output.splitlines())
    assert key_pair.api_key not in result.output and key_pair.secret not in result.output


def test_hostile_url_count_covers_the_issue_table() -> None:
    assert len(HOSTILE_URLS) >= 50
    assert "https://{D}\\.binance.com" in HOSTILE_URLS  # the bypass the red team found


def test_backslash_bypass_refused_by_the_installed_command_in_a_fresh_process(trap, key_pair, tmp_path) -> None:
    """The issue's exact form, through `python -m binance_secrets` with the environment variable too."""
    url = trap.url("https://{D}\\.binance.com")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINANCE")}
    credentials = ["--api-key", key_pair.api_key, "--secret", key_pair.secret]
    by_option = run_subprocess(["verify", *credentials, "--api-url", url], tmp_path, env)
    by_env = run_subprocess(["verify", *credentials], tmp_path, {**env, "BINANCE_SECRETS_API_URL": url})
    for result in (by_option, by_env):
        assert result.exit_code == 2, result.output
        assert "backslash" in result.stderr
    assert trap.connections() == []


@pytest.mark.parametrize(
    "host",
    [
        "api.binance.com",
        "api1.binance.com",
        "api-gcp.binance.com",
        "api.binance.us",
        "testnet.binance.vision",
        "demo-api.binance.com",
        "testnet.binancefuture.com",
    ],
)
def test_official_https_hosts_are_accepted_and_only_they_are_contacted(
    run_cli, network, offline, key_pair, host
) -> None:
    """README: https on an official Binance host is allowed. The audit hook stops the lookup (tests never
    touch the internet), which proves where the request was going."""
    result = run_cli(
        "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret,
        "--api-url", f"https://{host.upper()}/", "-f", "json", "--timeout", "1",
    )  # fmt: skip
    assert result.exit_code == 0
    verification = json.loads(result.stdout)["findings"][0]["verification"]
    assert verification["status"] == "unknown" and "could not connect" in verification["reason"]
    assert verification["endpoint"] == f"https://{host}"
    assert network.hosts() == {(host, 443)}


def test_loopback_ipv4_and_ipv6_test_servers_are_accepted(run_cli, network, key_pair) -> None:
    for host in ("127.0.0.1", "::1"):
        with FakeBinance(host=host) as fake:
            fake.add_hmac_key(key_pair.api_key, key_pair.secret)
            result = run_cli(
                "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", fake.url + "/",
                "-f", "json",
            )  # fmt: skip
            assert result.exit_code == 1, result.output
            assert json.loads(result.stdout)["findings"][0]["verification"]["status"] == "live"
            assert fake.log.requests == [(RESTRICTIONS, "live")]
    assert {host for _, host, _ in network.attempts} == {"127.0.0.1", "::1"}


# --------------------------------------------------------------------------- the send-time check
@pytest.mark.parametrize(
    ("base_url", "believed"),
    [
        # What the old urlsplit-based check read from each URL, the client's parser reads otherwise.
        ("http://{H}:{P}\\@api.binance.com", ("https", "api.binance.com", 443)),
        ("http://{H}:{P}\\.binance.com", ("http", "{H}\\.binance.com", 80)),
        ("http://{H}:{P}", ("http", "{H}", 1)),  # same host, another port
        ("https://{H}:{P}", ("http", "{H}", "{P}")),  # same host and port, another scheme
    ],
)
def test_client_refuses_to_send_when_the_request_would_not_go_to_the_validated_origin(
    trap, network, key_pair, base_url, believed
) -> None:
    """README: "every request is checked again, just before it is sent, to go to that host". An Endpoint
    built by hand stands for any URL a future validation bug might let through."""
    scheme, host, port = (trap.url(str(part)) for part in believed)
    endpoint = Endpoint(
        name="hand-made", base_url=trap.url(base_url), has_sapi=True, scheme=scheme, host=host, port=int(port)
    )
    session = make_session(endpoint, 1)
    client = BinanceClient(endpoint, session, WeightGovernor(), ServerClock(), timeout=1.0, max_backoff=1.0)
    try:
        with pytest.raises(UsageError, match="refusing to send") as refused:
            client.verify(key_pair.api_key, HmacSigner(key_pair.secret))
        with pytest.raises(UsageError, match="refusing to send"):
            client.learn_weight_limit()
    finally:
        session.close()
    assert key_pair.api_key not in str(refused.value) and "signature" not in str(refused.value)
    assert network.attempts == []
    assert trap.connections() == []


def test_refused_send_is_an_exit_2_usage_error_not_a_verdict(run_cli, tmp_path, key_pair) -> None:
    """The policy's own refusal is reported like a refused --api-url (exit 2), never as a key verdict."""
    with FakeBinance() as fake:
        fake.add_hmac_key(key_pair.api_key, key_pair.secret)
        result = run_cli(
            "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", fake.url + "\\x"
        )
        assert result.exit_code == 2
        assert fake.log.requests == []


# --------------------------------------------------------------------------- answers: Binance's msg
@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance(hang_seconds=1.0) as server:
        yield server


def hostile_message(pair: KeyPair) -> str:
    return f"key {pair.api_key} secret {pair.secret}\n::error::INJECTED \x1b[31mred\x1b[0m\r\nTAIL-OF-MESSAGE"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"code": -2015}, "rejected", "-2015 (invalid API-key, IP, or permissions)"),
        ({"code": -1022}, "rejected", "-1022 (signature not valid)"),
        ({"code": -2014}, "rejected", "-2014 (API-key format invalid)"),
        ({"code": -1002}, "unknown", "code -1002: not authorized to execute this request"),
        ({"code": -1102}, "unknown", "code -1102: a mandatory parameter was not sent or was malformed"),
        ({"code": -4242}, "unknown", "code -4242 (not a code this tool knows)"),
        ({}, "unknown", "without a Binance error code"),
        ({"code": True}, "unknown", "without a Binance error code"),
        ({"code": "-2015"}, "unknown", "without a Binance error code"),
        ({"code": 10**40}, "unknown", "without a Binance error code"),
    ],
)
def test_server_message_never_reaches_any_output_only_a_fixed_wording_of_its_code(
    run_cli, fake, key_pair, tmp_path, monkeypatch, body, status, says
) -> None:
    """README: "the server's own message text is never shown". The message echoes the key and the
    secret and carries newlines, an ANSI escape and a workflow command."""
    message = hostile_message(key_pair)
    raw = json.dumps({**body, "msg": message}).encode()
    fake.answer_next(400, raw, times=50, paths=(RESTRICTIONS,))
    (tmp_path / ".env").write_text(f"BINANCE_API_KEY={key_pair.api_key}\nBINANCE_API_SECRET={key_pair.secret}\n")
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    credentials = ["--api-key", key_pair.api_key, "--secret", key_pair.secret]
    runs = [run_cli("verify", *credentials, "-f", format) for format in ("text", "json")]
    runs += [run_cli("scan", str(tmp_path), "--verify", "-f", format) for format in ("text", "json", "sarif")]
    written = tmp_path / "report.json"
    runs.append(run_cli("scan", str(tmp_path), "--verify", "-f", "json", "-o", str(written)))
    everything = "\n".join([*(run.output for run in runs), written.read_text()])
    for leaked in (key_pair.api_key, key_pair.secret, "INJECTED", "::error::", "\x1b", "\r", "TAIL-OF-MESSAGE"):
        assert leaked not in everything
    verification = json.loads(runs[1].stdout)["findings"][0]["verification"]
    assert verification["status"] == status
    assert says in verification["reason"]
    assert [run.exit_code for run in runs] == [0, 0, 1, 1, 1, 1]  # verify: nothing live; scan: a finding


# --------------------------------------------------------------------------- answers: malformed bodies
def _gzip_bomb() -> bytes:
    return gzip.compress(b"{" + b" " * (16 << 20) + b"}")


@pytest.mark.parametrize(
    ("status", "body", "options", "says"),
    [
        (200, NESTED, {}, "malformed JSON"),
        (400, NESTED, {}, "body malformed JSON"),
        (200, b'{"ipRestrict": ' + NESTED, {}, "malformed JSON"),
        (200, b"\xff\xfe{", {}, "malformed JSON"),
        (200, b"1" + b"0" * 5000, {}, "malformed JSON"),
        (200, b'{"x": "' + b"a" * (2 << 20) + b'"}', {}, "larger than 1024 KiB"),
        (200, b'{"x": "' + b"a" * (2 << 20) + b'"}', {"declared_length": -1}, "larger than 1024 KiB"),
        (200, b'{"ipRestrict": false}', {"declared_length": 4096}, "cut off or unreadable"),
        (200, json.dumps(default_restrictions()).encode(), {"drip_seconds": 0.02}, "still arriving"),
        (200, b"", {"gzip": True}, "compressed although no compression was asked for"),
        (200, b"[]", {}, "not a JSON object"),
        (200, b"{}", {}, "not shaped like Binance's answer"),
        (200, b'{"code": -2015, "msg": "x", "ipRestrict": false}', {}, "not shaped like Binance's answer"),
        (200, b'{"ipRestrict": "yes", "enableReading": 1}', {}, "not shaped like Binance's answer"),
    ],
)
def test_malformed_oversized_nested_or_odd_answers_are_unknown_with_a_fixed_reason(
    run_cli, fake, key_pair, status, body, options, says
) -> None:
    """README: "anything malformed, oversized, deeply nested or not shaped like Binance's answer is
    unknown" (a RecursionError used to exit 1, which for `verify` means live)."""
    fake.add_hmac_key(key_pair.api_key, key_pair.secret, enableWithdrawals=True)
    headers = {}
    if options.pop("gzip", False):
        body, headers = _gzip_bomb(), {"Content-Encoding": "gzip"}
    fake.answer_next(status, body, headers=headers, times=2, paths=(RESTRICTIONS,), **options)
    result = run_cli(
        "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", fake.url,
        "-f", "json", "--timeout", "0.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    verification = json.loads(result.stdout)["findings"][0]["verification"]
    assert verification["status"] == "unknown"
    assert says in verification["reason"]


@pytest.mark.parametrize(
    "headers",
    [{f"X-Filler-{index}": "v" for index in range(150)}, {"X-Long": "v" * 70_000}],
    ids=["150 headers", "a 70 kB header"],
)
def test_answers_with_too_many_or_too_long_headers_are_unknown(run_cli, fake, key_pair, headers) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    live_body = json.dumps(default_restrictions()).encode()
    fake.answer_next(200, live_body, headers=headers, times=2, paths=(RESTRICTIONS,))
    result = run_cli(
        "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", fake.url,
        "-f", "json", "--timeout", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    verification = json.loads(result.stdout)["findings"][0]["verification"]
    assert verification["status"] == "unknown" and "could not connect" in verification["reason"]


def test_hostile_exchange_info_and_weight_headers_do_not_crash_or_stall_a_batch(
    run_cli, fake, tmp_path, monkeypatch
) -> None:
    """exchangeInfo (read before a batch) answers nested JSON, then a used-weight header with a
    non-ASCII digit and one claiming a 9999-day window already spent: all ignored, both keys still live."""
    pairs = [KeyPair(keys.api_key(), keys.secret_key()) for _ in range(2)]
    for index, pair in enumerate(pairs):
        fake.add_hmac_key(pair.api_key, pair.secret)
        (tmp_path / f"{index}.env").write_text(f"BINANCE_API_KEY={pair.api_key}\nBINANCE_API_SECRET={pair.secret}\n")
    fake.answer_next(200, NESTED, paths=(EXCHANGE_INFO,))
    monkeypatch.setenv("BINANCE_SECRETS_API_URL", fake.url)
    first = run_cli("scan", str(tmp_path), "--verify", "-f", "json")
    hostile_headers = {"X-MBX-USED-WEIGHT-1m": "\u00b2", "X-MBX-USED-WEIGHT-9999d": "999999"}
    info = json.dumps({"rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "limit": 6000}]})
    fake.answer_next(200, info.encode(), headers=hostile_headers, paths=(EXCHANGE_INFO,))
    second = run_cli("scan", str(tmp_path), "--verify", "-f", "json")
    for result in (first, second):
        assert result.exit_code == 1, result.output
        statuses = [f["verification"]["status"] for f in json.loads(result.stdout)["findings"]]
        assert statuses == ["live"] * 4  # two keys, two secrets


def test_hostile_server_time_during_a_clock_resync_is_ignored(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.fail_next("skew", times=2, paths=(RESTRICTIONS,))
    fake.answer_next(200, b'{"serverTime": ' + NESTED, paths=(TIME,))
    result = run_cli(
        "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", fake.url, "-f", "json"
    )
    assert result.exit_code == 0, result.output
    verification = json.loads(result.stdout)["findings"][0]["verification"]
    assert verification["status"] == "unknown" and "-1021" in verification["reason"]


# --------------------------------------------------------------------------- answers: Retry-After
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("999999999", "259200"),  # capped at Binance's longest ban, 3 days
        ("1e308", "60"),  # not delta-seconds: the documented default
        ("inf", "60"),
        ("nan", "60"),
        ("-5", "60"),
        ("9" * 5000, "60"),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "60"),
    ],
)
def test_retry_after_is_parsed_strictly_and_capped(run_cli, fake, key_pair, value, shown) -> None:
    """README: "`Retry-After` honoured, waiting at most 30 s in total": a huge or odd value gives up at
    once with a bounded number in the reason."""
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.answer_next(429, b'{"code": -1003, "msg": "x"}', headers={"Retry-After": value}, paths=(RESTRICTIONS,))
    result = run_cli(
        "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", fake.url, "-f", "json"
    )
    assert result.exit_code == 0, result.output
    reason = json.loads(result.stdout)["findings"][0]["verification"]["reason"]
    assert f"(Retry-After {shown} s)" in reason
    assert fake.log.requests == [(RESTRICTIONS, "scripted-429")]


def test_retry_after_zero_does_not_become_a_request_loop(run_cli, fake, key_pair) -> None:
    fake.add_hmac_key(key_pair.api_key, key_pair.secret)
    fake.answer_next(429, b"{}", headers={"Retry-After": "0"}, times=100, paths=(RESTRICTIONS,))
    result = run_cli(
        "verify", "--api-key", key_pair.api_key, "--secret", key_pair.secret, "--api-url", fake.url, "-f", "json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"][0]["verification"]["status"] == "unknown"
    assert len(fake.log.requests) == 4  # the first answer and three retries, each after at least 1 s


# --------------------------------------------------------------------------- verify --report FILE
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"findings": ' + NESTED, "nested too deeply"),
        (b'{"findings": [], "x": ' + b"[" * 500 + b"]" * 500 + b"}", "nested too deeply"),
        (b'{"findings": [], "x": 1' + b"0" * 5000 + b"}", "a value out of range"),
        (b'{"findings": [', "is not JSON"),
        (b"[]", "no findings list"),
    ],
)
def test_malformed_or_deeply_nested_report_is_a_usage_error(run_cli, fake, tmp_path, content, says) -> None:
    """README (exit codes): 2 for usage errors, and no traceback for any user error."""
    report = tmp_path / "report.json"
    report.write_bytes(content)
    result = run_cli("verify", "--report", str(report), "--api-url", fake.url)
    assert result.exit_code == 2
    assert says in result.stderr
    assert fake.log.requests == []


def test_report_findings_of_unexpected_shape_are_skipped_not_trusted(run_cli, fake, tmp_path) -> None:
    """README (JSON report): `verify --report` reads a report as every command reads one; a finding the
    reader refuses is left as it is, unverified, and nothing is sent for it."""
    digest = "0" * 64
    findings = [
        {"rule_id": ["binance-api-key"], "secret_sha256": digest},
        {"rule_id": "binance-api-key", "secret_sha256": digest, "commit": {"sha": ["x"], "author_name": "a",
         "author_email": "e", "date": "d", "summary": "s"}},
        {"rule_id": "binance-api-key", "secret_sha256": digest, "confidence": ["high"], "path": "missing.txt"},
    ]  # fmt: skip
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"version": 1, "findings": findings}))
    result = run_cli("verify", "--report", str(report), "--api-url", fake.url, "--root", str(tmp_path), "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [f.get("verification") is not None for f in document["findings"]] == [False, False, False]
    assert document["findings"] == findings  # written back exactly as they were
    assert fake.log.requests == []
