"""binance-secrets: find Binance API credentials before attackers do."""

__version__ = "0.1.0"
