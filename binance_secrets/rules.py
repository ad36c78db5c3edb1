"""The rules binance-secrets reports: the one place where the facts of a rule live.

A `Rule` holds everything the rest of the package knows about a rule: the id that findings, reports
and baselines carry; the kind of credential it finds and the role that credential plays when a pair is
verified (the API key, or the secret that signs for it); the title and description the text, SARIF and
GitHub reports show; its SARIF name, help and security severity; and the secret type its detect-secrets
plugin class records in a baseline. Detection (`detectors/`) decides which rule a finding belongs to;
everything after it reads the rule from here: `Finding.kind`, the reporters, verification's pairing,
the report reader, the detect-secrets plugin classes. The report schema's `rule_id` and `kind` enums
are checked against `RULES` by a test (`tests/test_rules.py`).

A rule's examples (snippets it must report, look-alikes it must leave alone) are data tables beside
the detectors, `detectors/examples.RULE_EXAMPLES`, reached by `Rule.examples()`: only tests read them,
so they are imported on demand, never on the hook's path. This module is imported once there is a
finding to name (a clean hook run never loads it: `Finding.kind` and the text report import it where
they use it), and builds one small dataclass and four records, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from binance_secrets.detectors.examples import RuleExamples

Kind = Literal["api_key", "secret_key", "private_key", "credential"]
# In a pair to verify: the API key, or what signs requests for it (an HMAC secret, a private key, or a
# credential assigned to a secret-like name, which may be either and is tried as the secret).
Role = Literal["key", "secret"]

REMEDIATION = (
    "Revoke the key in Binance API Management (Profile > API Management > Delete) first: it is "
    "compromised from the moment it was pushed. Then create a new key with only the permissions "
    "you need and an IP restriction, store it outside the repository (environment variable or "
    "secret manager), and purge the old one from git history (git filter-repo)."
)


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    role: Role
    title: str
    description: str
    sarif_name: str
    # SARIF `properties.security-severity`, GitHub's 0.0-10.0 scale (9.0 and above: critical).
    security_severity: str
    # The detect-secrets plugin's `secret_type`, what its baselines record for the rule's secrets.
    secret_type: str
    sarif_help: str = REMEDIATION

    def examples(self) -> RuleExamples:
        """The rule's example templates: what it must report and which look-alikes it must not."""
        # Imported here: large tables that only the tests read, never on the hook's path.
        from binance_secrets.detectors.examples import RULE_EXAMPLES

        return next(examples for examples in RULE_EXAMPLES if examples.rule_id == self.id)


API_KEY = Rule(
    id="binance-api-key",
    kind="api_key",
    role="key",
    title="Binance API key",
    description=(
        "A 64-character Binance API key. With its secret it can read the account and, depending "
        "on its permissions, trade or withdraw."
    ),
    sarif_name="BinanceApiKey",
    security_severity="8.0",
    secret_type="Binance API Key",
)
SECRET_KEY = Rule(
    id="binance-secret-key",
    kind="secret_key",
    role="secret",
    title="Binance secret key",
    description=(
        "A 64-character Binance HMAC secret key: whoever holds it and the API key can sign "
        "requests as the account owner."
    ),
    sarif_name="BinanceSecretKey",
    security_severity="9.5",
    secret_type="Binance Secret Key",
)
PRIVATE_KEY = Rule(
    id="binance-private-key",
    kind="private_key",
    role="secret",
    title="Binance API private key (PEM)",
    description=(
        "The PEM private key of a self-generated Ed25519 or RSA Binance API key: it signs "
        "requests as the account owner."
    ),
    sarif_name="BinancePrivateKey",
    security_severity="9.5",
    secret_type="Binance Private Key",
)
CREDENTIAL = Rule(
    id="hardcoded-api-secret",
    kind="credential",
    role="secret",
    title="Hardcoded API secret",
    description=(
        "A literal value assigned to an API-secret-like name. Secrets belong in environment "
        "variables or a secret manager, not in source."
    ),
    sarif_name="HardcodedApiSecret",
    security_severity="7.5",
    secret_type="Hardcoded API Secret",
)

# Every rule, in the order reports list them (SARIF's `rules` array and its `ruleIndex` follow it).
RULES: tuple[Rule, ...] = (API_KEY, SECRET_KEY, PRIVATE_KEY, CREDENTIAL)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
