"""The one `Finding` type that flows from detectors to reports.

A finding carries the raw secret because verification needs it, but the raw value is kept out of
`repr`, out of equality and out of every default output: reports print `redacted` unless the user
asked for `--show-secrets`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

# typing.TYPE_CHECKING without importing typing (and hashlib below only when something is hashed): the
# pre-commit hook imports this module on every commit, and a clean run needs neither (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.rules import Kind
    from binance_secrets.vocabulary import Confidence as Confidence
    from binance_secrets.vocabulary import Realm as Realm
    from binance_secrets.vocabulary import Risk as Risk
    from binance_secrets.vocabulary import VerificationStatus as VerificationStatus

CONFIDENCE_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}

# The Literal types of a finding's fields live in `vocabulary` (which imports typing); importing them
# from here still works, and loads that module then.
_VOCABULARY = frozenset({"Confidence", "Realm", "Risk", "VerificationStatus"})


def __getattr__(name: str) -> object:
    if name in _VOCABULARY:
        from binance_secrets import vocabulary

        return getattr(vocabulary, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sha256_hex(value: str) -> str:
    import hashlib

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
        import hashlib

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


@dataclass(frozen=True)
class ScanError:
    path: str
    message: str
    # True when something the user asked to scan was not scanned (unreadable, missing, over a limit):
    # a result holding one is incomplete and is never reported as clean. False for notices about what
    # lies outside the scan by design (a submodule is another repository).
    unscanned: bool = True
    # Multi-repository audits: the repository the entry is about (as `Finding.repository`).
    repository: str | None = None


@dataclass(frozen=True)
class ScanStats:
    files: int = 0
    commits: int = 0
    blobs: int = 0
    bytes: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    errors: tuple[ScanError, ...]
    stats: ScanStats
    # True when nothing at all could be scanned (exit code 3).
    failed: bool = False

    @property
    def incomplete(self) -> bool:
        """Something asked for was not scanned: without findings this is exit 3, never a clean 0."""
        return any(error.unscanned for error in self.errors)

    def in_report_order(self) -> ScanResult:
        """The findings in the one order every source and format reports them in (see `report_order`)."""
        return dataclasses.replace(self, findings=tuple(sorted(self.findings, key=report_order)))


def report_order(finding: Finding) -> tuple[str, str, int, int, str]:
    """By repository (multi-repository audits), by file, then position: history finds them blob by blob and
    several workers at once, so the order they arrive in means nothing."""
    return (finding.repository or "", finding.path, finding.line, finding.column, finding.rule_id)
