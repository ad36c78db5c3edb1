"""The closed sets of values a finding's fields take, as `Literal` types.

Apart from `finding.py` because they need `typing`, which the pre-commit hook's clean run never imports;
`from binance_secrets.finding import Realm` still works (it loads this module).
"""

from __future__ import annotations

from typing import Literal

Confidence = Literal["low", "medium", "high"]
VerificationStatus = Literal["live", "rejected", "unknown"]
Risk = Literal["critical", "high", "medium", "low"]
# Where a key lives: Binance mainnet, spot testnet, USD-M futures testnet, spot demo trading, Binance.US.
Realm = Literal["binance", "testnet", "futures-testnet", "demo", "binance-us"]
