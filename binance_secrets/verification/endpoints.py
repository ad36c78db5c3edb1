"""Where a secret may be sent: the official Binance REST hosts over HTTPS, or a loopback test server.

Checked before any connection, so a typo or a hostile `BINANCE_SECRETS_API_URL` can never ship a
secret to a third party or over plain HTTP. URL parsers disagree on odd input (`urlsplit` reads
`https://evil.example\\.binance.com` as a Binance host, urllib3, which sends the request, connects to
`evil.example`), so a base URL must fit a strict grammar that leaves nothing to interpret: scheme,
host, optional port, nothing else. The parser that sends (urllib3's `parse_url`) and `urlsplit` must
then both read the same host and port from it, and the client checks the prepared request against
them again before sending (see client.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

from binance_secrets.errors import UsageError
from binance_secrets.finding import Realm
from binance_secrets.verification.realms import (
    AUTO_ORDER,
    REALMS,
    RESTRICTIONS,
    env_variable,
    realm_of_host,
)

# Sets --api-url; BINANCE_SECRETS_API_URL_<REALM> (realms.env_variable) replaces one realm's base URL.
API_URL_ENV = "BINANCE_SECRETS_API_URL"
# What --endpoint accepts: one realm, or `auto` (the hinted realm first, then the others in AUTO_ORDER).
ENDPOINT_CHOICES: tuple[str, ...] = ("binance", "binance-us", "testnet", "futures-testnet", "demo", "auto")

# Registered domains Binance serves its REST APIs from (api*.binance.com, demo-api.binance.com,
# api.binance.us, testnet.binance.vision, testnet.binancefuture.com, ...). A host must be one of these
# or a subdomain of one: the registered domain is Binance's, so every name under it is too.
OFFICIAL_DOMAINS = ("binance.com", "binance.us", "binance.vision", "binancefuture.com")

# A base URL is scheme://host[:port] and at most a trailing slash. The character set leaves out
# everything parsers disagree on: backslash, `@`, `%`, `?`, `#`, whitespace, controls, non-ASCII.
_ALLOWED_CHARACTERS = re.compile(r"[A-Za-z0-9.:/\[\]-]*\Z")
_BASE_URL = re.compile(r"(?P<scheme>[a-z]+)://(?P<host>\[[0-9a-f:.]*\]|[a-z0-9.-]*)(?::(?P<port>[0-9]*))?/?\Z")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_IPV4 = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}\Z")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SHOWN_LENGTH = 80


@dataclass(frozen=True)
class Endpoint:
    name: str  # what reports show: the realm ("binance", "testnet", ...), or the URL given (normalised)
    base_url: str  # scheme://host[:port], no trailing slash
    has_sapi: bool
    # Where requests must go, as validated: the client refuses to send anywhere else.
    scheme: str = ""
    host: str = ""  # lower case; an IPv6 literal without brackets
    port: int = 0
    realm: Realm = "binance"  # which paths to call, and which realm a live answer proves


def resolve_endpoint(name: str, api_url: str | None) -> Endpoint:
    """One realm's endpoint: its official base URL, or `api_url` in its place.

    An official host that serves one known realm is checked as that realm (`--api-url
    https://testnet.binance.vision` needs no `--endpoint testnet`); a loopback server stands for `name`.
    """
    if name not in REALMS:
        raise UsageError(f"unknown endpoint {name!r}: choose one of {', '.join(ENDPOINT_CHOICES)}")
    realm: Realm = name  # narrowed by the check above
    if api_url is None:
        return _endpoint(realm, REALMS[realm].base_url, shown_as=realm)
    base = validate_api_url(api_url)
    return _endpoint(realm_of_host(_origin(base)[1]) or realm, base, shown_as=base)


def resolve_plan(name: str, api_url: str | None, realm_urls: Mapping[str, str]) -> tuple[Endpoint, ...]:
    """Every endpoint a run may contact, validated before any connection (UsageError otherwise).

    One realm unless `name` is `auto`: then all five, in AUTO_ORDER. `api_url` (--api-url or
    BINANCE_SECRETS_API_URL) replaces the one realm's base URL; `realm_urls` (from the
    BINANCE_SECRETS_API_URL_<REALM> variables) replace the base URLs of the realms they name.
    """
    if name == "auto":
        if api_url is not None:
            raise UsageError(
                "--api-url (or BINANCE_SECRETS_API_URL) names one server, and --endpoint auto tries five realms: "
                "point single realms elsewhere with BINANCE_SECRETS_API_URL_<REALM> instead"
            )
        return tuple(_realm_endpoint(realm, realm_urls.get(realm)) for realm in AUTO_ORDER)
    if api_url is not None or name not in REALMS:
        return (resolve_endpoint(name, api_url),)
    realm: Realm = name  # narrowed by the check above
    return (_realm_endpoint(realm, realm_urls.get(realm)),)


def _realm_endpoint(realm: Realm, override: str | None) -> Endpoint:
    if override is None:
        return _endpoint(realm, REALMS[realm].base_url, shown_as=realm)
    variable = env_variable(realm)
    base = validate_api_url(override, what=variable)
    served = realm_of_host(_origin(base)[1])
    if served is not None and served != realm:
        # A mainnet host in the testnet's place would have a real key reported as a test key.
        raise UsageError(f"{variable} is refused: {_shown(override)} serves the {served} realm, not {realm}")
    return _endpoint(realm, base, shown_as=base)


def _endpoint(realm: Realm, base: str, *, shown_as: str) -> Endpoint:
    scheme, host, port = _origin(base)
    has_sapi = REALMS[realm].checks[0] == RESTRICTIONS
    return Endpoint(shown_as, base, has_sapi, scheme, host, port, realm)


def validate_api_url(url: str, *, what: str = "--api-url") -> str:
    """The normalised base URL (lower case, no trailing slash), or UsageError if a secret must not go there.

    `what` names the setting in error messages (the option, or a BINANCE_SECRETS_API_URL_<REALM> variable)."""
    shown = f"{what} {_shown(url)}"
    if not _ALLOWED_CHARACTERS.match(url):
        raise UsageError(
            f"{shown} is refused: a base URL is scheme://host[:port] in plain ASCII, without "
            "spaces, control characters, backslashes, user@, percent-encoding, a query or a fragment"
        )
    match = _BASE_URL.match(url.lower())
    if match is None:
        raise UsageError(f"{shown} is refused: give scheme://host[:port] and nothing after it")
    scheme, host, port_text = match.group("scheme", "host", "port")
    if scheme not in _DEFAULT_PORTS:
        raise UsageError(f"{shown} is refused: it must be an http(s) URL")
    port = _port(port_text, shown) if port_text is not None else None
    if host.startswith("["):
        if host != "[::1]":
            raise UsageError(f"{shown} is refused: the only IPv6 address allowed is the loopback [::1]")
    elif _IPV4.match(host):
        if not _is_loopback_ipv4(host):
            raise UsageError(f"{shown} is refused: an IP address is allowed only on loopback (127.0.0.0/8)")
    else:
        _check_host_name(host, shown)
        # Loopback may be a plain-http test server; anything else is Binance and only over https.
        if scheme != "https":
            raise UsageError(f"{shown} is refused: secrets are sent to Binance only over https")
        if port not in (None, 443):
            raise UsageError(f"{shown} is refused: Binance is reached on port 443 only")
    base = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    _check_parsers_agree(url, (scheme, host.strip("[]"), port), shown)
    return base


def _is_loopback_ipv4(host: str) -> bool:
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:  # 256.0.0.1
        return False


def _port(text: str, shown: str) -> int:
    if not re.fullmatch(r"[1-9][0-9]{0,4}", text) or int(text) > 65535:
        raise UsageError(f"{shown} is refused: the port must be a number from 1 to 65535")
    return int(text)


def _check_host_name(host: str, shown: str) -> None:
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UsageError(
            f"{shown} is refused: the host name must be dot-separated labels of letters, "
            "digits and inner hyphens, with no empty label (no leading, trailing or doubled dot)"
        )
    if labels[-1].isdigit() or labels[-1].startswith("0x"):
        # 127.1, 2130706433, 0x7f.1, 0177.0.0.1: numeric forms some resolvers read as IPv4 addresses.
        raise UsageError(f"{shown} is refused: write an IP address as four decimal numbers")
    if not _is_or_under(host, OFFICIAL_DOMAINS):
        hint = " (a name such as localhost is resolved and could point anywhere)" if len(labels) == 1 else ""
        raise UsageError(
            f"{shown} is not an official Binance host ({', '.join(OFFICIAL_DOMAINS)}) "
            f"or a literal loopback address (127.0.0.1, [::1]){hint}: refusing to send a secret there"
        )


def _check_parsers_agree(url: str, expected: tuple[str, str, int | None], shown: str) -> None:
    """The sender's parser (urllib3) and urllib's must read the scheme, host and port we validated."""
    from urllib.parse import urlsplit

    from urllib3.util import parse_url

    try:
        sent = parse_url(url)
        split = urlsplit(url)
        readings = {
            ((sent.scheme or "").lower(), (sent.host or "").lower().strip("[]"), sent.port),
            (split.scheme.lower(), (split.hostname or "").lower(), split.port),
        }
    except ValueError:
        raise UsageError(f"{shown} is not a valid URL") from None
    if readings != {expected} or sent.auth or sent.query or sent.fragment:
        raise UsageError(f"{shown} is refused: URL parsers disagree about where it points")


def require_destination(url: str, endpoint: Endpoint) -> None:
    """Refuse (UsageError) to send `url` unless both parsers read the endpoint's validated origin from it.

    Called on every prepared request just before it is sent: a second line behind validate_api_url.
    """
    from urllib.parse import urlsplit

    from urllib3.util import parse_url

    expected = (endpoint.scheme, endpoint.host, endpoint.port)
    try:
        sent = parse_url(url)
        split = urlsplit(url)
        readings = {
            _with_default_port(sent.scheme, (sent.host or "").strip("[]"), sent.port),
            _with_default_port(split.scheme, split.hostname or "", split.port),
        }
    except ValueError:
        readings = set()
    if readings != {expected}:
        # The URL itself holds the signed query and the key header's neighbours: only the hosts are named.
        hosts = ", ".join(sorted(_shown(host) for _, host, _ in readings)) or "an unreadable URL"
        raise UsageError(
            f"refusing to send: the request would go to {hosts}, not to the validated endpoint "
            f"{_shown(endpoint.host)}; nothing was sent"
        )


def _with_default_port(scheme: str | None, host: str, port: int | None) -> tuple[str, str, int]:
    scheme = (scheme or "").lower()
    return scheme, host.lower(), port if port is not None else _DEFAULT_PORTS.get(scheme, 0)


def _origin(base: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a base URL that passed validate_api_url or is a realm's own base URL."""
    match = _BASE_URL.match(base)
    if match is None:  # pragma: no cover - both callers pass validated URLs
        raise UsageError(f"{base!r} is not a valid base URL")
    scheme, host, port = match.group("scheme", "host", "port")
    return scheme, host.strip("[]"), int(port) if port else _DEFAULT_PORTS.get(scheme, 0)


def _shown(url: str) -> str:
    """The URL as an error message may show it: escaped, shortened, and without any user@ part."""
    if "@" in url:
        return "(a URL with a user@ part, not shown)"
    text = ascii(url)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 4] + "...'"


def is_loopback(host: str) -> bool:
    """True for a literal loopback address (127.0.0.0/8 or ::1), brackets allowed; never for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_or_under(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)
