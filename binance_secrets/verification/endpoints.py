"""Where a secret may be sent: the official Binance REST hosts over HTTPS, or a loopback test server.

Checked before any connection, so a typo or a hostile `BINANCE_SECRETS_API_URL` can never ship a
secret to a third party or over plain HTTP.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from binance_secrets.errors import UsageError

ENDPOINTS: dict[str, str] = {
    "binance": "https://api.binance.com",
    "binance-us": "https://api.binance.us",
    "testnet": "https://testnet.binance.vision",
}

# Registered domains Binance serves its REST APIs from (api*.binance.com, api.binance.us,
# testnet.binance.vision, ...). A host must be one of these or a subdomain of one.
OFFICIAL_DOMAINS = ("binance.com", "binance.us", "binance.vision")

# Realms without /sapi: spot testnet ("only the /api endpoints are available") and Binance.US
# (no documented apiRestrictions); there /api/v3/account is the check.
_NO_SAPI_DOMAINS = ("testnet.binance.vision", "binance.us")


@dataclass(frozen=True)
class Endpoint:
    name: str  # what reports show: "binance", "testnet", or the URL given
    base_url: str  # no trailing slash
    has_sapi: bool


def resolve_endpoint(name: str, api_url: str | None) -> Endpoint:
    if api_url is not None:
        base = validate_api_url(api_url)
        host = (urlsplit(base).hostname or "").lower()
        return Endpoint(name=base, base_url=base, has_sapi=not _is_or_under(host, _NO_SAPI_DOMAINS))
    if name not in ENDPOINTS:
        raise UsageError(f"unknown endpoint {name!r}: choose one of {', '.join(ENDPOINTS)}")
    return Endpoint(name=name, base_url=ENDPOINTS[name], has_sapi=name == "binance")


def validate_api_url(url: str) -> str:
    """The URL without a trailing slash, or UsageError if a secret must not go there."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise UsageError(f"--api-url {url!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"--api-url {url!r} must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise UsageError(f"--api-url {url!r} must not contain credentials, a query or a fragment")
    if is_loopback(host):
        return url.strip().rstrip("/")
    if not _is_or_under(host.lower(), OFFICIAL_DOMAINS):
        raise UsageError(
            f"--api-url {url!r} is not an official Binance host ({', '.join(OFFICIAL_DOMAINS)}) "
            "or a loopback address: refusing to send a secret there"
        )
    if parts.scheme != "https":
        raise UsageError(f"--api-url {url!r}: secrets are sent to Binance only over https")
    return url.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_or_under(host: str, domains: tuple[str, ...]) -> bool:
    host = host.rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)
