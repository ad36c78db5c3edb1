"""Where a secret may go: official Binance hosts over https, or literal loopback; anything else is refused.

README promise protected: "`--api-url` / `BINANCE_SECRETS_API_URL` ... must be https on an official
Binance host or a loopback test server; anything else is refused (exit 2) before any connection."
The CLI-level table of hostile URLs is in test_verification_hostile.py.
"""

from __future__ import annotations

import pytest

from binance_secrets.errors import UsageError
from binance_secrets.verification.endpoints import (
    ENDPOINT_CHOICES,
    OFFICIAL_DOMAINS,
    resolve_endpoint,
    resolve_plan,
    validate_api_url,
)
from binance_secrets.verification.realms import AUTO_ORDER, REALMS, budget, env_variable


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
    for realm in ("testnet", "binance-us", "demo", "futures-testnet"):
        assert not resolve_endpoint(realm, None).has_sapi
    assert not resolve_endpoint("binance", "https://testnet.binance.vision").has_sapi
    assert resolve_endpoint("testnet", "http://127.0.0.1:1").base_url == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("url", "realm"),
    [
        ("https://testnet.binance.vision", "testnet"),
        ("https://api1.testnet.binance.vision", "testnet"),
        ("https://testnet.binancefuture.com", "futures-testnet"),
        ("https://demo-api.binance.com", "demo"),
        ("https://api.binance.us", "binance-us"),
        ("https://api3.binance.com", "binance"),
    ],
)
def test_an_official_api_url_is_checked_as_the_realm_its_host_serves(url: str, realm: str) -> None:
    """README: "an official host is checked the way the realm it serves is checked"."""
    for named in ("binance", "testnet"):
        endpoint = resolve_endpoint(named, url)
        assert (endpoint.realm, endpoint.name) == (realm, url)


def test_a_loopback_api_url_stands_for_the_realm_named() -> None:
    assert resolve_endpoint("futures-testnet", "http://127.0.0.1:9").realm == "futures-testnet"
    assert resolve_endpoint("binance", "http://127.0.0.1:9").realm == "binance"


def test_auto_plans_five_official_https_hosts_one_per_realm_in_the_documented_order() -> None:
    """README: "one key goes to at most five official hosts, only with `auto`"."""
    plan = resolve_plan("auto", None, {})
    assert [endpoint.realm for endpoint in plan] == list(AUTO_ORDER) == [
        "binance", "testnet", "futures-testnet", "demo", "binance-us",
    ]  # fmt: skip
    assert len({endpoint.host for endpoint in plan}) == 5
    for endpoint in plan:
        assert (endpoint.scheme, endpoint.port) == ("https", 443)
        assert any(endpoint.host == d or endpoint.host.endswith("." + d) for d in OFFICIAL_DOMAINS)
    for name in ENDPOINT_CHOICES[:-1]:
        assert len(resolve_plan(name, None, {})) == 1


def test_realm_variables_are_named_after_the_realm() -> None:
    assert [env_variable(realm) for realm in AUTO_ORDER] == [
        "BINANCE_SECRETS_API_URL_BINANCE",
        "BINANCE_SECRETS_API_URL_TESTNET",
        "BINANCE_SECRETS_API_URL_FUTURES_TESTNET",
        "BINANCE_SECRETS_API_URL_DEMO",
        "BINANCE_SECRETS_API_URL_BINANCE_US",
    ]


def test_realm_variable_replaces_only_its_realm_and_api_url_wins_over_it() -> None:
    plan = resolve_plan("auto", None, {"demo": "http://127.0.0.1:7"})
    assert {e.realm: e.base_url for e in plan}["demo"] == "http://127.0.0.1:7"
    assert {e.realm: e.base_url for e in plan}["testnet"] == REALMS["testnet"].base_url
    assert resolve_plan("demo", None, {"demo": "http://127.0.0.1:7"})[0].base_url == "http://127.0.0.1:7"
    assert resolve_plan("demo", "http://127.0.0.1:8", {"demo": "http://127.0.0.1:7"})[0].base_url == "http://127.0.0.1:8"


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"testnet": "https://api.binance.com"}, "BINANCE_SECRETS_API_URL_TESTNET is refused"),
        ({"binance": "https://testnet.binancefuture.com"}, "serves the futures-testnet realm, not binance"),
        ({"futures-testnet": "https://evil.example"}, "BINANCE_SECRETS_API_URL_FUTURES_TESTNET"),
        ({"binance-us": "ftp://api.binance.us"}, "must be an http(s) URL"),
    ],
)
def test_realm_variables_follow_the_same_policy(variables: dict[str, str], says: str) -> None:
    with pytest.raises(UsageError) as refused:
        resolve_plan("auto", None, variables)
    assert says in str(refused.value)


def test_api_url_with_auto_is_refused() -> None:
    with pytest.raises(UsageError, match="--endpoint auto tries five realms"):
        resolve_plan("auto", "http://127.0.0.1:1", {})


def test_weight_budget_stays_under_half_of_each_realms_published_limit() -> None:
    assert {realm: budget(realm, 1000) for realm in AUTO_ORDER} == {
        "binance": 1000, "testnet": 1000, "futures-testnet": 1000, "demo": 1000, "binance-us": 600,
    }  # fmt: skip
    assert budget("futures-testnet", 5000) == 1200


def test_resolved_endpoint_records_the_validated_origin_the_client_must_send_to() -> None:
    endpoint = resolve_endpoint("binance", "http://[::1]:8080/")
    assert (endpoint.scheme, endpoint.host, endpoint.port) == ("http", "::1", 8080)
    endpoint = resolve_endpoint("binance", None)
    assert (endpoint.scheme, endpoint.host, endpoint.port) == ("https", "api.binance.com", 443)
