"""Where a secret may go: official Binance hosts over https, or literal loopback; anything else is refused.

README promise protected: "`--api-url` / `BINANCE_SECRETS_API_URL` ... must be https on an official
Binance host or a loopback test server; anything else is refused (exit 2) before any connection."
The CLI-level table of hostile URLs is in test_verification_hostile.py.
"""

from __future__ import annotations

import pytest

from binance_secrets.errors import UsageError
from binance_secrets.verification.endpoints import resolve_endpoint, validate_api_url


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://api.binance.com", "https://api.binance.com"),
        ("https://api4.binance.com/", "https://api4.binance.com"),
        ("https://api-gcp.binance.com", "https://api-gcp.binance.com"),
        ("https://API.Binance.COM", "https://api.binance.com"),
        ("https://api.binance.com:443", "https://api.binance.com:443"),
        ("https://api.binance.us", "https://api.binance.us"),
        ("https://testnet.binance.vision", "https://testnet.binance.vision"),
        ("https://api1.testnet.binance.vision", "https://api1.testnet.binance.vision"),
        ("https://demo-api.binance.com", "https://demo-api.binance.com"),
        ("https://testnet.binancefuture.com", "https://testnet.binancefuture.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.5.6.7", "http://127.5.6.7"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://127.0.0.1:8443/", "https://127.0.0.1:8443"),
    ],
)
def test_official_https_hosts_and_literal_loopback_are_accepted(url: str, normalised: str) -> None:
    assert validate_api_url(url) == normalised


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://api.binance.com", "only over https"),
        ("https://binance.com.evil.example", "not an official Binance host"),
        ("https://evilbinance.com", "not an official Binance host"),
        ("https://api.binance.com@evil.example", "user@"),
        ("https://example.com", "not an official Binance host"),
        ("http://localhost:1234", "localhost is resolved"),
        ("http://10.0.0.1", "only on loopback"),
        ("ftp://127.0.0.1", "http(s) URL"),
        ("127.0.0.1:8080", "scheme://host[:port]"),
        ("https://api.binance.com/?x=1", "a query"),
        ("https://api.binance.com/api", "nothing after it"),
        ("http://127.0.0.1:notaport", "nothing after it"),
        ("http://127.0.0.1:70000", "port must be a number"),
        ("https://api.binance.com:8443", "port 443 only"),
        ("https://evil.example\\.binance.com", "backslashes"),
        ("https://api.binance.com.", "no empty label"),
        ("http://0x7f.0.0.1", "four decimal numbers"),
        ("http://[::ffff:127.0.0.1]", "only IPv6 address"),
    ],
)
def test_other_urls_are_refused_as_usage_errors(url: str, why: str) -> None:
    with pytest.raises(UsageError, match="api-url") as raised:
        validate_api_url(url)
    assert why in str(raised.value)


def test_refusal_never_shows_a_user_part_that_may_hold_a_password() -> None:
    with pytest.raises(UsageError) as raised:
        validate_api_url("https://someone:hunter2@api.binance.com")
    assert "hunter2" not in str(raised.value)


def test_named_endpoints_know_which_realms_lack_sapi() -> None:
    assert resolve_endpoint("binance", None).has_sapi
    assert not resolve_endpoint("testnet", None).has_sapi
    assert not resolve_endpoint("binance-us", None).has_sapi
    assert not resolve_endpoint("binance", "https://testnet.binance.vision").has_sapi
    assert resolve_endpoint("testnet", "http://127.0.0.1:1").base_url == "http://127.0.0.1:1"


def test_resolved_endpoint_records_the_validated_origin_the_client_must_send_to() -> None:
    endpoint = resolve_endpoint("binance", "http://[::1]:8080/")
    assert (endpoint.scheme, endpoint.host, endpoint.port) == ("http", "::1", 8080)
    endpoint = resolve_endpoint("binance", None)
    assert (endpoint.scheme, endpoint.host, endpoint.port) == ("https", "api.binance.com", 443)
