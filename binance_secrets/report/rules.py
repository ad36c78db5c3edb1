"""Human descriptions of each rule, shared by the text, SARIF and GitHub reporters."""

from __future__ import annotations

from dataclasses import dataclass

REMEDIATION = (
    "Revoke the key in Binance API Management (Profile > API Management > Delete) first: it is "
    "compromised from the moment it was pushed. Then create a new key with only the permissions "
    "you need and an IP restriction, store it outside the repository (environment variable or "
    "secret manager), and purge the old one from git history (git filter-repo)."
)


@dataclass(frozen=True)
class RuleInfo:
    rule_id: str
    name: str
    title: str
    description: str
    security_severity: str


RULES: dict[str, RuleInfo] = {
    info.rule_id: info
    for info in (
        RuleInfo(
            "binance-api-key",
            "BinanceApiKey",
            "Binance API key",
            "A 64-character Binance API key. With its secret it can read the account and, depending "
            "on its permissions, trade or withdraw.",
            "8.0",
        ),
        RuleInfo(
            "binance-secret-key",
            "BinanceSecretKey",
            "Binance secret key",
            "A 64-character Binance HMAC secret key: whoever holds it and the API key can sign "
            "requests as the account owner.",
            "9.5",
        ),
        RuleInfo(
            "binance-private-key",
            "BinancePrivateKey",
            "Binance API private key (PEM)",
            "The PEM private key of a self-generated Ed25519 or RSA Binance API key: it signs "
            "requests as the account owner.",
            "9.5",
        ),
        RuleInfo(
            "hardcoded-api-secret",
            "HardcodedApiSecret",
            "Hardcoded API secret",
            "A literal value assigned to an API-secret-like name. Secrets belong in environment "
            "variables or a secret manager, not in source.",
            "7.5",
        ),
    )
}
