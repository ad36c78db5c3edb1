"""Pairing: each API key with the secret (or private key) that belongs with it, by role and distance.

A key takes the nearest secret (or unnamed value) within `PAIR_WINDOW_LINES`, a secret the nearest
unnamed value; two unnamed values left a few lines apart are read as key then secret; what is still
unknown is a key. A 64-character value settled as a secret becomes `binance-secret-key`.
`hardcoded-api-secret` values never pair. Each search looks at a bounded number of neighbours, so a
file of thousands of tokens costs linear time.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from binance_secrets import rules

if TYPE_CHECKING:
    from binance_secrets.detectors.candidate import Candidate, Role

# Lines within which an API key and a secret are taken to belong together.
PAIR_WINDOW_LINES = 12
# Two unnamed tokens this close (a key file, a CSV row) are read as key then secret.
UNNAMED_PAIR_WINDOW_LINES = 3
# Neighbours examined when looking for a partner; keeps a file of thousands of tokens linear.
PAIR_SEARCH_LIMIT = 16


def pair(candidates: list[Candidate]) -> None:
    """Pairs the placed candidates (in order of position) in place: partners, settled roles, rules."""
    pairable = [c for c in candidates if c.rule_id != rules.CREDENTIAL.id]
    for index, candidate in enumerate(pairable):
        if candidate.role == "key" and candidate.partner is None:
            _pair_with_nearest(pairable, index, wanted=("secret", "unknown"), window=PAIR_WINDOW_LINES)
    for index, candidate in enumerate(pairable):
        if candidate.role == "secret" and candidate.partner is None:
            _pair_with_nearest(pairable, index, wanted=("unknown",), window=PAIR_WINDOW_LINES)
    unknown = [c for c in pairable if c.role == "unknown" and c.partner is None and not c.other_name]
    for first, second in itertools.pairwise(unknown):
        close = second.line - first.line <= UNNAMED_PAIR_WINDOW_LINES
        if first.partner is None and second.partner is None and close:
            first.role, second.role = "key", "secret"
            first.partner, second.partner = second, first
    for candidate in pairable:
        if candidate.role == "unknown":
            candidate.role = "key"
        if candidate.rule_id == rules.API_KEY.id and candidate.role == "secret":
            candidate.rule_id = rules.SECRET_KEY.id


def _pair_with_nearest(pairable: list[Candidate], index: int, wanted: tuple[Role, ...], window: int) -> None:
    candidate = pairable[index]
    best: Candidate | None = None
    best_distance = window + 1
    neighbours = (
        pairable[max(0, index - PAIR_SEARCH_LIMIT) : index] + pairable[index + 1 : index + 1 + PAIR_SEARCH_LIMIT]
    )
    for other in neighbours:
        if other.partner is not None or other.role not in wanted or other.other_name:
            continue
        distance = abs(other.line - candidate.line)
        # An explicit secret beats an unnamed token at the same distance.
        if distance < best_distance or (
            distance == best_distance and best is not None and best.role == "unknown" and other.role == "secret"
        ):
            best, best_distance = other, distance
    if best is None:
        return
    if candidate.role == "key":
        best.role = "secret"
    else:
        best.role = "key"
    candidate.partner, best.partner = best, candidate
