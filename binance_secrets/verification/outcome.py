"""From a Binance answer to a `Verification`: permissions, IP restriction, risk, and an honest reason.

Every reason says what the answer proves and what it does not, and what to do next, because a user
reads "rejected" as "safe" unless told otherwise.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from binance_secrets.finding import Permissions, Risk, Verification, VerificationStatus

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
        "another realm (testnet, Binance.US). This does not prove the key is dead. " + REVOKE
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
NO_SECRET = "no secret found to sign with; no key-only check exists"
NO_KEY = "no API key found to use this secret with; a secret alone cannot be checked"


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def result(
    status: VerificationStatus,
    reason: str,
    endpoint: str,
    *,
    permissions: Permissions | None = None,
    ip_restricted: bool | None = None,
) -> Verification:
    risk = risk_level(permissions, ip_restricted) if status == "live" else None
    return Verification(status, reason, endpoint, now_iso(), permissions, ip_restricted, risk)


def from_api_restrictions(body: dict[str, Any], endpoint: str) -> Verification:
    permissions = Permissions(
        **{attribute: body.get(field) is True for field, attribute in _RESTRICTION_FIELDS.items()}
    )
    ip_restricted = body["ipRestrict"] if isinstance(body.get("ipRestrict"), bool) else None
    reason = (
        "Binance accepted a signed request (HTTP 200): the key and secret are live. "
        "Permissions from /sapi/v1/account/apiRestrictions. Revoke the key in Binance API Management now."
    )
    return result("live", reason, endpoint, permissions=permissions, ip_restricted=ip_restricted)


def from_account(body: dict[str, Any], endpoint: str) -> Verification:
    # /api/v3/account carries balances and the uid: only the three capability flags are read here,
    # and the rest of the body is dropped on the floor.
    permissions = Permissions(
        reading=True,
        spot_margin_trading=body.get("canTrade") is True,
        withdrawals=body.get("canWithdraw") is True,
    )
    reason = (
        "Binance accepted a signed request (HTTP 200): the key and secret are live. This realm has no "
        "per-key restrictions endpoint, so permissions are the account-level flags of /api/v3/account "
        "and the IP restriction is unknown. Revoke the key in API Management now."
    )
    return result("live", reason, endpoint, permissions=permissions, ip_restricted=None)


def risk_level(permissions: Permissions | None, ip_restricted: bool | None) -> Risk:
    """DESIGN.md risk levels; an unknown IP restriction counts as unrestricted (the worse case)."""
    if permissions is None:
        return "high"
    if permissions.can_move_funds:
        return "critical"
    restricted = ip_restricted is True
    if permissions.can_trade:
        return "medium" if restricted else "high"
    return "low" if restricted else "medium"
