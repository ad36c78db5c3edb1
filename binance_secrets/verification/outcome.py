"""From a Binance answer to a `Verification`: permissions, IP restriction, risk, and an honest reason.

Every reason says what the answer proves and what it does not, and what to do next, because a user
reads "rejected" as "safe" unless told otherwise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from binance_secrets.finding import Permissions, Realm, Risk, Verification, VerificationStatus
from binance_secrets.verification.realms import REALMS, TEST_REALMS

REVOKE = "Revoke it in Binance API Management regardless."

# apiRestrictions field -> Permissions attribute. Every field is optional in Binance's own connector.
_RESTRICTION_FIELDS = {
    "enableReading": "reading",
    "enableSpotAndMarginTrading": "spot_margin_trading",
    "enableMargin": "margin",
    "enableFutures": "futures",
    "enableVanillaOptions": "options",
    "enableWithdrawals": "withdrawals",
    "enableInternalTransfer": "internal_transfer",
    "permitsUniversalTransfer": "universal_transfer",
    "enablePortfolioMarginTrading": "portfolio_margin",
}

REASONS: dict[int, str] = {
    -2014: (
        "Binance answered -2014 (API-key format invalid): this string is not a Binance API key, or the "
        "key and secret were paired the wrong way round. It proves nothing about other pairings."
    ),
    -2015: (
        "Binance answered -2015 (invalid API-key, IP, or permissions): the key is revoked, or it is live "
        "but restricted to other IP addresses (keys that can withdraw always are), or it belongs to "
        "another realm (mainnet, testnet, futures testnet, demo, Binance.US: `--endpoint auto` tries them all). "
        "This does not prove the key is dead. " + REVOKE
    ),
    -1022: (
        "Binance answered -1022 (signature not valid): this secret does not belong to this key. The key "
        "itself may still be live with its real secret. " + REVOKE
    ),
}

WAF_403 = (
    "HTTP 403: Binance's web application firewall blocked the request (a rate or security rule about "
    "this client). It says nothing about the key; retry later or from another network. " + REVOKE
)
GEO_451 = (
    "HTTP 451: Binance refuses service from a restricted location (its terms of use; cloud and CI runners "
    "often get this). It says nothing about the key; verify from an eligible location. " + REVOKE
)
UNEXPECTED_SHAPE = (
    "HTTP 200, but the body is not shaped like Binance's answer to this request (its fields are "
    "missing or of the wrong type): a proxy or another service may have answered. It says nothing "
    "certain about the key. " + REVOKE
)

# Documented error codes (Binance spot errors.md) that say nothing certain about the key, each with a
# fixed wording. The server's own `msg` is never copied into a reason: it is text the server chose.
CODE_WORDING: dict[int, str] = {
    -1000: "an unknown error on Binance's side",
    -1001: "Binance's internal error (disconnected)",
    -1002: "not authorized to execute this request",
    -1003: "too many requests or too much request weight (rate limit)",
    -1006: "an unexpected response from Binance's message bus; execution status unknown",
    -1007: "timeout waiting for Binance's backend; execution status unknown",
    -1008: "Binance's server is busy",
    -1016: "this service is no longer available",
    -1020: "this operation is not supported",
    -1021: "the timestamp is outside recvWindow (a clock problem)",
    -1100: "illegal characters in a parameter",
    -1101: "too many parameters",
    -1102: "a mandatory parameter was not sent or was malformed",
    -1103: "an unknown parameter was sent",
    -1104: "not all sent parameters were read",
    -1105: "a parameter was empty",
    -1106: "a parameter was sent when not required",
    -1131: "recvWindow must be less than 60000",
    -2008: "invalid API-key ID",
}
_CODE_RANGE = (-99_999, 99_999)  # Binance's codes are small negative numbers; others are not printed

NO_SECRET = "no secret found to sign with; no key-only check exists"
NO_KEY = "no API key found to use this secret with; a secret alone cannot be checked"
UNRECOVERED = (
    "the report holds only the redacted secret and the scanned file could not be read to recover it; "
    "run `verify --report` from the scanned folder (or --root), or re-run the scan with --verify"
)


def error_code(body: object) -> int | None:
    """The integer `code` of an error body, if it has one in a plausible range (never a bool)."""
    code = body.get("code") if isinstance(body, dict) else None
    if isinstance(code, int) and not isinstance(code, bool) and _CODE_RANGE[0] <= code <= _CODE_RANGE[1]:
        return code
    return None


def unexpected_answer(status: int, code: int | None, body_problem: str | None) -> str:
    """A fixed-wording reason for an answer that is neither success nor a documented rejection."""
    if code is None:
        detail = f", body {body_problem}" if body_problem else ", without a Binance error code"
    elif code in CODE_WORDING:
        detail = f", code {code}: {CODE_WORDING[code]}"
    else:
        detail = f", code {code} (not a code this tool knows)"
    return f"unexpected answer: HTTP {status}{detail}. It says nothing certain about the key. " + REVOKE


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def result(
    status: VerificationStatus,
    reason: str,
    endpoint: str,
    *,
    permissions: Permissions | None = None,
    ip_restricted: bool | None = None,
    environment: Realm | None = None,
) -> Verification:
    """A verdict. `environment` is the realm of a live answer (ignored otherwise): on a test realm the
    risk is `low` whatever the key may do, since no real funds are there."""
    if status != "live":
        return Verification(status, reason, endpoint, now_iso())
    risk = "low" if environment in TEST_REALMS else risk_level(permissions, ip_restricted)
    return Verification(status, reason, endpoint, now_iso(), permissions, ip_restricted, risk, environment)


def _live_reason(realm: Realm, source: str) -> str:
    """What a live answer proves, ending with what to do: the text report prints no advice of its own."""
    spec = REALMS[realm]
    text = f"Binance accepted a signed request (HTTP 200): the key and secret are live on {spec.title}. {source}"
    if realm in TEST_REALMS:
        return (
            text + f" Risk is low whatever it may do: the {spec.title} realm holds no real funds. Revoke it anyway in "
            "that realm's API management."
        )
    return text + " Revoke the key in Binance API Management now."


def from_api_restrictions(body: dict[str, Any], endpoint: str, realm: Realm = "binance") -> Verification:
    if not _shaped_like(body, ("ipRestrict", *_RESTRICTION_FIELDS)):
        return result("unknown", UNEXPECTED_SHAPE, endpoint)
    permissions = Permissions(
        **{attribute: body.get(field) is True for field, attribute in _RESTRICTION_FIELDS.items()}
    )
    ip_restricted = body["ipRestrict"] if isinstance(body.get("ipRestrict"), bool) else None
    reason = _live_reason(realm, "Permissions from /sapi/v1/account/apiRestrictions.")
    return result("live", reason, endpoint, permissions=permissions, ip_restricted=ip_restricted, environment=realm)


def from_account(body: dict[str, Any], endpoint: str, realm: Realm = "binance") -> Verification:
    # /api/v3/account carries balances and the uid: only the three capability flags are read here,
    # and the rest of the body is dropped on the floor.
    return _from_capability_flags(
        body,
        endpoint,
        realm,
        Permissions(reading=True, spot_margin_trading=body.get("canTrade") is True),
        "This realm has no per-key restrictions endpoint, so permissions are the account-level flags of "
        "/api/v3/account and the IP restriction is unknown.",
    )


def from_futures_account(body: dict[str, Any], endpoint: str, realm: Realm = "futures-testnet") -> Verification:
    # /fapi/v2/account carries assets and positions: only the capability flags are read.
    return _from_capability_flags(
        body,
        endpoint,
        realm,
        Permissions(reading=True, futures=body.get("canTrade") is True),
        "Permissions are the account-level flags of /fapi/v2/account (canTrade is futures trading); the IP "
        "restriction is unknown.",
    )


def _from_capability_flags(
    body: dict[str, Any], endpoint: str, realm: Realm, trading: Permissions, note: str
) -> Verification:
    """A live answer from an account endpoint's flags: `trading` says what canTrade grants there; the
    IP restriction is unknown (only /sapi/v1/account/apiRestrictions tells it)."""
    if not _shaped_like(body, ("canTrade", "canWithdraw", "canDeposit")):
        return result("unknown", UNEXPECTED_SHAPE, endpoint)
    permissions = dataclasses.replace(trading, withdrawals=body.get("canWithdraw") is True)
    return result(
        "live", _live_reason(realm, note), endpoint, permissions=permissions, ip_restricted=None, environment=realm
    )


INTERPRETERS = {
    "restrictions": from_api_restrictions,
    "spot_account": from_account,
    "futures_account": from_futures_account,
}

# The head of one of our fixed reasons ("Binance answered -2015 (...)", "HTTP 451", "no answer from
# testnet within 10 s (timeout)"): up to its first ": ", ". " or "; ".
_HEAD = re.compile(r"(.{1,160}?)(?::|\.|;) ")


def brief(reason: str) -> str:
    match = _HEAD.match(reason)
    return match.group(1) if match else reason[:160]


def across_realms(tried: Sequence[tuple[Realm, Verification]]) -> Verification:
    """No realm answered live: what each said, `unknown` if any could not tell, else `rejected`.

    `tried` is never empty. A single realm's own verdict is returned unchanged."""
    if len(tried) == 1:
        return tried[0][1]
    status: VerificationStatus = "unknown" if any(v.status == "unknown" for _, v in tried) else "rejected"
    said = "; ".join(f"{realm}: {verdict.status} ({brief(verdict.reason)})" for realm, verdict in tried)
    if status == "unknown":
        meaning = (
            "A realm that could not answer may still hold the key live, and a rejection proves nothing for a "
            "key restricted to other IP addresses."
        )
    else:
        meaning = (
            "The key is not live from here in any realm: it is revoked, or restricted to other IP addresses "
            "(keys that can withdraw always are). This does not prove it is dead."
        )
    return result(status, f"No realm answered live. {said}. {meaning} {REVOKE}", "auto")


def _shaped_like(body: dict[str, Any], flags: tuple[str, ...]) -> bool:
    """An answer, not an error: no error code, and at least one of the expected flags as a boolean."""
    return "code" not in body and any(isinstance(body.get(flag), bool) for flag in flags)


def risk_level(permissions: Permissions | None, ip_restricted: bool | None) -> Risk:
    """The README's risk levels ("Live verification"); an unknown IP restriction counts as unrestricted
    (the worse case)."""
    if permissions is None:
        return "high"
    if permissions.can_move_funds:
        return "critical"
    restricted = ip_restricted is True
    if permissions.can_trade:
        return "medium" if restricted else "high"
    return "low" if restricted else "medium"
