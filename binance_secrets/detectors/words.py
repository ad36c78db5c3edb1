"""Identifiers as words: `binanceApiSecret`, `BINANCE_API_SECRET`, `x-mbx-apikey` -> lower-case words.

On the hook's import path (`credentials`, `file_kinds`): nothing here is built at import but one regex.
"""

from __future__ import annotations

import functools
import re

_CAMEL_OR_SEPARATED = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@functools.lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """`binanceApiSecret` / `BINANCE_API_SECRET` / `x-mbx-apikey` -> lower-case words. Remembered:
    a history meets the same few names (`SECRET_KEY`, `api_secret`) in every version of every file."""
    return tuple(word.lower() for word in _CAMEL_OR_SEPARATED.findall(name))
