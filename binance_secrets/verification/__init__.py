"""Live verification: is a found Binance credential still usable, and what may it do?

Everything here is opt-in network use (`verify`, `--verify`). Nothing in this package is imported on
the scan or hook path; `requests` and `cryptography` are imported inside the functions that use them.
"""
