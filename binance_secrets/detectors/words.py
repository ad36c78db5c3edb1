"""Identifiers as words: `binanceApiSecret`, `BINANCE_API_SECRET`, `x-mbx-apikey` -> lower-case words.

The split itself is `triggers.name_words` (the pre-commit hook's clean runs read it there); this is
the remembered one the detectors use. On the hook's import path (`credentials`).
"""

from __future__ import annotations

import functools

from binance_secrets.triggers import name_words as split_name_words


@functools.lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """`binanceApiSecret` / `BINANCE_API_SECRET` / `x-mbx-apikey` -> lower-case words. Remembered:
    a history meets the same few names (`SECRET_KEY`, `api_secret`) in every version of every file."""
    return split_name_words(name)
