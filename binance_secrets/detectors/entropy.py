"""Shannon entropy of a value, in bits per character: how random a candidate looks."""

from __future__ import annotations

import functools
import math
from collections import Counter


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    return sum(map(_entropy_terms(len(value)).__getitem__, Counter(value).values()))


@functools.lru_cache(maxsize=128)
def _entropy_terms(length: int) -> tuple[float, ...]:
    """-p*log2(p) for every count 0..length of a string of this length, computed once per length."""
    return (0.0, *(-count / length * math.log2(count / length) for count in range(1, length + 1)))
