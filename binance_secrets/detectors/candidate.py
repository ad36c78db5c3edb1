"""The record of one candidate value, as the steps of the analysis fill it in.

`classify` creates it for each value `candidates` finds (rule, role, Binance context, the flags below),
`positions` gives it a line and columns, `pairing` a partner (and the role the pair settles), and
`findings` turns it into a `Finding`. Imported with the analysis only: the hook's usual files never
build one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["key", "secret", "unknown"]


@dataclass
class Candidate:
    """A value that may be a credential: where it is, what it is, and what was found around it."""

    rule_id: str
    start: int
    end: int
    secret: str
    role: Role
    named: bool
    binance_context: bool
    display_length: int = 0  # characters on the first line, for end_column; 0 = len(secret)
    line: int = 0
    column: int = 0
    end_column: int = 0
    partner: Candidate | None = field(default=None, repr=False)
    # Private keys that are not PKCS#8 Ed25519/RSA are not Binance's format: reported at low only.
    weak_shape: bool = False
    # Named only generically (`SECRET_KEY`, `secret`): enough for a pair, not enough alone.
    generic_name: bool = False
    # Named, sectioned or passed to another exchange: reported as `hardcoded-api-secret` at `low`.
    other_exchange: bool = False
    # Named as something else (`orderId`, `tx_hash`): never a key's partner.
    other_name: bool = False
    hex_value: bool = False
    # A hex value with a generic name (`secret`, `key`) and no Binance word around: kept only beside a
    # hex partner of the other role.
    hex_partner_needed: bool = False
    # Reported at `medium` at most, whatever its partner (a hex value with no Binance word around).
    at_most_medium: bool = False
