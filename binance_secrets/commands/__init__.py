"""One module per CLI command; `binance_secrets.cli` assembles them."""
