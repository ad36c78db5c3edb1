"""The one `Finding` type that flows from detectors to reports.

A finding carries the raw secret because verification needs it, but the raw value is kept out of
`repr`, out of equality and out of every default output: reports print `redacted` unless the user
asked for `--show-secrets`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from binance_secrets.rules import Kind

Confidence = Literal["low", "medium", "high"]
VerificationStatus = Literal["live", "rejected", "unknown"]
Risk = Literal["critical", "high", "medium", "low"]
# Where a key lives: Binance mainnet, spot testnet, USD-M futures testnet, spot demo trading, Binance.US.
Realm = Literal["binance", "testnet", "futures-testnet", "demo", "binance-us"]


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def redact(secret: str) -> str:
    """Keep enough to recognise a key in API Management, never enough to use it."""
    if secret.startswith("-----BEGIN"):
        header_end = secret.find("-----", 10)
        return secret[: header_end + 5] + "…" if header_end > 0 else "-----BEGIN…"
    if len(secret) <= 8:
        return "*" * len(secret)
    return secret[:4] + "…" + secret[-2:] if len(secret) >= 32 else secret[:2] + "…"


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author_name: str
    author_email: str
    date: str  # ISO 8601
    summary: str


@dataclass(frozen=True)
class Permissions:
    reading: bool = False
    spot_margin_trading: bool = False
    margin: bool = False
    futures: bool = False
    options: bool = False
    withdrawals: bool = False
    internal_transfer: bool = False
    universal_transfer: bool = False
    portfolio_margin: bool = False

    @property
    def can_trade(self) -> bool:
        return (
            self.spot_margin_trading or self.margin or self.futures or self.options or self.portfolio_margin
        )

    @property
    def can_move_funds(self) -> bool:
        return self.withdrawals or self.internal_transfer or self.universal_transfer


@dataclass(frozen=True)
class Verification:
    status: VerificationStatus
    reason: str
    endpoint: str
    checked_at: str  # ISO 8601
    permissions: Permissions | None = None
    ip_restricted: bool | None = None
    risk: Risk | None = None
    environment: Realm | None = None  # the realm that answered live


@dataclass(frozen=True)
class Finding:
    rule_id: str
    confidence: Confidence
    path: str  # relative to the scanned root, POSIX separators
    line: int  # 1-based
    column: int  # 1-based, first character of the secret
    end_column: int  # 1-based, the column after the secret
    # The secret itself. None only for a finding read back from a report that held its redacted form
    # (`json_report.parse_report`): then `secret_sha256` identifies it and `recorded_redaction` shows it.
    secret: str | None = field(repr=False, compare=False)
    secret_sha256: str = ""
    pair_sha256: str | None = None
    commit: CommitInfo | None = None
    in_head: bool | None = None
    occurrences: int = 1
    verification: Verification | None = None
    environment_hint: Realm | None = None  # the realm the surrounding code points to (no network)
    # Multi-repository audits: the repository as given (a path, or a URL without its credentials).
    repository: str | None = None
    # The redacted form a report recorded, for a finding read back without its secret (secret is None).
    recorded_redaction: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.secret_sha256:
            if self.secret is None:
                raise ValueError("a finding without its secret needs its secret_sha256")
            object.__setattr__(self, "secret_sha256", sha256_hex(self.secret))

    @property
    def kind(self) -> Kind:
        # Imported here: a clean hook run never asks for a kind, so the rules stay off its path.
        from binance_secrets.rules import RULES_BY_ID

        return RULES_BY_ID[self.rule_id].kind

    @property
    def fingerprint(self) -> str:
        # No line, commit or verification in it: the identity of a leak survives edits and re-checks.
        # surrogateescape: a file name that is not UTF-8 is hashed as its bytes instead of raising.
        identity = f"{self.rule_id}:{self.path}:{self.secret_sha256}".encode("utf-8", "surrogateescape")
        return hashlib.sha256(identity).hexdigest()

    @property
    def redacted(self) -> str:
        if self.secret is None:
            return self.recorded_redaction or ""
        return redact(self.secret)

    def shown(self, show_secrets: bool) -> str:
        """The secret as a report prints it: in full when asked for (and known), else redacted."""
        return self.secret if show_secrets and self.secret is not None else self.redacted

    def with_changes(self, **changes: object) -> Finding:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
