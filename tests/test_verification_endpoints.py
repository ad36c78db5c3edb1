"""Where a secret may go: official Binance hosts over https, or loopback; anything else is refused."""

from __future__ import annotations

import pytest

from binance_secrets.errors import UsageError
from binance_secrets.verification.endpoints import resolve_endpoint, validate_api_url


@pytest.mark.parametrize(
    "url",
    [
        "https://api.binance.com",
        "https://api4.binance.com/",
        "https://api-gcp.binance.com",
        "https://api.binance.us",
        "https://testnet.binance.vision",
        "http://127.0.0.1:8080",
        "http://127.5.6.7",
        "http://[::1]:9000",
        "http://localhost:1234",
        "https://127.0.0.1:8443",
    ],
)
def test_official_https_hosts_and_loopback_are_accepted(url: str) -> None:
    assert validate_api_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://api.binance.com", "only over https"),
        ("https://binance.com.evil.example", "not an official Binance host"),
        ("https://evilbinance.com", "not an official Binance host"),
        ("https://api.binance.com@evil.example", "credentials"),
        ("https://example.com", "not an official Binance host"),
        ("http://10.0.0.1", "not an official Binance host"),
        ("ftp://127.0.0.1", "http(s) URL"),
        ("127.0.0.1:8080", "http(s) URL"),
        ("https://api.binance.com/?x=1", "query"),
        ("http://127.0.0.1:notaport", "not a valid URL"),
    ],
)
def test_other_urls_are_refused_as_usage_errors(url: str, why: str) -> None:
    with pytest.raises(UsageError, match="api-url") as raised:
        validate_api_url(url)
    assert why in str(raised.value)


def test_named_endpoints_know_which_realms_lack_sapi() -> None:
    assert resolve_endpoint("binance", None).has_sapi
    assert not resolve_endpoint("testnet", None).has_sapi
    assert not resolve_endpoint("binance-us", None).has_sapi
    assert not resolve_endpoint("binance", "https://testnet.binance.vision").has_sapi
    assert resolve_endpoint("testnet", "http://127.0.0.1:1").base_url == "http://127.0.0.1:1"
