"""The five Binance realms a key can live in, and how each is asked whether a key is live.

A key belongs to exactly one realm and the realms share no keys: a mainnet key is unknown (-2015) to the
testnet and the other way round, and nothing in a key's format tells them apart. Each realm has its own
host, its own paths and its own request-weight limit:

| realm | host | signed call (weight) | limit per minute |
|---|---|---|---|
| binance | api.binance.com | GET /sapi/v1/account/apiRestrictions (1) | 6000 |
| testnet | testnet.binance.vision | GET /api/v3/account (20); no /sapi there | 6000 |
| futures-testnet | testnet.binancefuture.com | GET /fapi/v2/account (5) | 2400 |
| demo | demo-api.binance.com | GET /api/v3/account (20); only /api is served | 6000 |
| binance-us | api.binance.us | GET /api/v3/account (10); apiRestrictions not documented | 1200 |

Sources: binance-spot-api-docs (rest-api.md, testnet/, demo-mode/), developers.binance.com (USD-M futures
"Account Information V2", weight 5, REQUEST_WEIGHT 2400 per minute), binance-us-api-docs rest-api.md
(`/api/v3/account` weight 10, REQUEST_WEIGHT 1200 per minute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from binance_secrets.finding import Realm

Interpretation = Literal["restrictions", "spot_account", "futures_account"]

# `--endpoint auto` tries the hinted realm first, then these in order. Mainnet first: it is where a key
# moves real money and its check is the cheapest (weight 1 of 6000). Then the test realms, where most
# keys found in public code live, and Binance.US last: its check costs the most against the smallest
# limit (10 of 1200).
AUTO_ORDER: tuple[Realm, ...] = ("binance", "testnet", "futures-testnet", "demo", "binance-us")
REALM_NAMES: tuple[Realm, ...] = get_args(Realm)


@dataclass(frozen=True)
class Check:
    """One signed, read-only GET that tells whether a key is live in a realm."""

    path: str
    weight: int
    params: tuple[tuple[str, str], ...]
    interpretation: Interpretation


@dataclass(frozen=True)
class RealmSpec:
    name: Realm
    title: str  # how reports name it
    base_url: str
    # Tried in order; the next one only when the server answers 404 (the path does not exist there).
    checks: tuple[Check, ...]
    time_path: str  # public, weight 1: the server clock, for -1021
    exchange_info: tuple[str, int] | None  # public call announcing REQUEST_WEIGHT, and its weight
    weight_limit: int  # Binance's published REQUEST_WEIGHT per minute per IP
    real_funds: bool  # False for the test realms: a live key there is risk `low` whatever it may do


RESTRICTIONS = Check("/sapi/v1/account/apiRestrictions", 1, (), "restrictions")  # per-key flags, no balances
# Balances and the uid come with it: only the capability flags are read, the rest is dropped.
SPOT_ACCOUNT = Check("/api/v3/account", 20, (("omitZeroBalances", "true"),), "spot_account")
US_ACCOUNT = Check("/api/v3/account", 10, (("omitZeroBalances", "true"),), "spot_account")
FUTURES_ACCOUNT = Check("/fapi/v2/account", 5, (), "futures_account")
_SPOT_EXCHANGE_INFO = ("/api/v3/exchangeInfo?symbol=BTCUSDT", 20)

REALMS: dict[Realm, RealmSpec] = {
    "binance": RealmSpec(
        "binance", "Binance (mainnet)", "https://api.binance.com", (RESTRICTIONS, SPOT_ACCOUNT),
        "/api/v3/time", _SPOT_EXCHANGE_INFO, 6000, real_funds=True,
    ),
    "testnet": RealmSpec(
        "testnet", "spot testnet", "https://testnet.binance.vision", (SPOT_ACCOUNT,),
        "/api/v3/time", _SPOT_EXCHANGE_INFO, 6000, real_funds=False,
    ),
    "futures-testnet": RealmSpec(
        # Its exchangeInfo lists every contract (far over the 1 MiB an answer may have), so the published
        # limit is used instead of the announced one.
        "futures-testnet", "USD-M futures testnet", "https://testnet.binancefuture.com", (FUTURES_ACCOUNT,),
        "/fapi/v1/time", None, 2400, real_funds=False,
    ),
    "demo": RealmSpec(
        "demo", "spot demo trading", "https://demo-api.binance.com", (SPOT_ACCOUNT,),
        "/api/v3/time", _SPOT_EXCHANGE_INFO, 6000, real_funds=False,
    ),
    "binance-us": RealmSpec(
        "binance-us", "Binance.US", "https://api.binance.us", (US_ACCOUNT,),
        "/api/v3/time", ("/api/v3/exchangeInfo?symbol=BTCUSDT", 10), 1200, real_funds=True,
    ),
}  # fmt: skip
TEST_REALMS: frozenset[Realm] = frozenset(name for name, spec in REALMS.items() if not spec.real_funds)

# Official REST hosts and the realm each serves (rest-api.md, testnet/, demo-mode/, docs.binance.us).
_HOST_REALMS: dict[str, Realm] = {
    "api.binance.com": "binance",
    "api-gcp.binance.com": "binance",
    "api1.binance.com": "binance",
    "api2.binance.com": "binance",
    "api3.binance.com": "binance",
    "api4.binance.com": "binance",
    "testnet.binance.vision": "testnet",
    "api1.testnet.binance.vision": "testnet",
    "testnet.binancefuture.com": "futures-testnet",
    "demo-api.binance.com": "demo",
    "api.binance.us": "binance-us",
}


def realm_of_host(host: str) -> Realm | None:
    """The realm an official REST host serves; None for a host we do not know (loopback included)."""
    if host in _HOST_REALMS:
        return _HOST_REALMS[host]
    if host == "binancefuture.com" or host.endswith(".binancefuture.com"):
        return "futures-testnet"  # the futures testnet's own domain
    if host == "binance.us" or host.endswith(".binance.us"):
        return "binance-us"
    return None


def env_variable(realm: Realm) -> str:
    """`BINANCE_SECRETS_API_URL_<REALM>`: the realm upper-cased, `-` as `_`."""
    return "BINANCE_SECRETS_API_URL_" + realm.upper().replace("-", "_")


def budget(realm: Realm, own_budget: int) -> int:
    """The weight per minute we allow ourselves in a realm: our own budget, and never more than half of
    the realm's published limit, so that trading bots sharing the IP keep working."""
    return max(1, min(own_budget, REALMS[realm].weight_limit // 2))
