"""The candidates of one chunk: every value that may be a credential, each classified (`classify`).

From what the passes over the chunk matched (`matches.Matches`): 64-character runs that passed the
token checks (and, in compiled Python, string constants glued to the next type code), keys split in
pieces (`"abc" "def"`), PEM private keys, values assigned to secret names. Dropped here: what lies in
an armoured block, Binance's documentation keys and doctored PEM bodies, a credential value already
taken as a 64-character key, a value beside a documentation example, a hex value whose partner is
missing (`testnet_hex.with_hex_partners`).

Imported only when a chunk has something to analyse (`detect()`): most files, and most pre-commit
runs, never load it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from binance_secrets.detectors.classify import credential_candidate, private_key_candidate, token_candidate
from binance_secrets.detectors.documentation import is_documentation_example
from binance_secrets.detectors.testnet_hex import hex_shape, with_hex_partners
from binance_secrets.detectors.tokens import (
    HEX_REASON,
    TokenSpan,
    alphanumeric_runs,
    rejection_reason,
    run_marks,
    value_rejection_reason,
)
from binance_secrets.triggers import TOKEN_LENGTH

if TYPE_CHECKING:
    from binance_secrets.detectors.candidate import Candidate
    from binance_secrets.detectors.credentials import CredentialMatch
    from binance_secrets.detectors.file_facts import FileFacts
    from binance_secrets.detectors.matches import Matches
    from binance_secrets.detectors.private_keys import PemMatch


def candidates(data: bytes, found: Matches, facts: FileFacts) -> list[Candidate]:
    """Every candidate of the chunk, classified, in order of position."""
    # Armoured bodies (keys, certificates, PGP) are base64 wrapped at 64 columns: some of their lines
    # are 64-character runs, and none of their text is an assignment.
    armoured = [(block.start, block.end) for block in found.blocks]
    previous_by_end: dict[int, Candidate] = {}
    kept = [
        c
        for c in _token_candidates(data, found.marks, found.runs, facts, previous_by_end)
        if not _inside(c.start, armoured)
    ]
    # Split keys are looked for where a credential is likely (a secret's name, a key, a path that says
    # so): the search is one more pass over the data, which most files (and the hook) need not pay.
    if kept or found.secret_named or facts.may_hold_credentials:
        split = _split_candidates(data, found.marks, found.quotes, facts, previous_by_end)
        kept += [c for c in split if not _inside(c.start, armoured)]
    kept = with_hex_partners(data, kept)
    token_spans = sorted((c.start, c.end) for c in kept)
    kept += _private_key_candidates(data, found.pems, facts)
    kept += [
        c for c in _credential_candidates(data, found.credentials, token_spans, facts) if not _inside(c.start, armoured)
    ]
    kept.sort(key=lambda c: c.start)
    return kept


_AFTER_ANY_OFFSET = 1 << 62


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether `position` falls in one of the sorted, disjoint `spans`."""
    index = bisect.bisect_right(spans, (position, _AFTER_ANY_OFFSET)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def _token_candidates(
    data: bytes,
    marks: bytes | None,
    runs: list[tuple[TokenSpan, bool]],
    facts: FileFacts,
    previous_by_end: dict[int, Candidate],
) -> list[Candidate]:
    candidates: list[Candidate] = []
    spans: Iterable[tuple[TokenSpan, bool]] = runs
    if facts.compiled:
        # A compiled module is always mapped whole (`matches.find_matches`): its strings are found there.
        spans = itertools.chain(runs, _checked(data, _marshalled_strings(data, marks or run_marks(data))))
    for span, hex_value in spans:
        if hex_value and not hex_shape(data, span, facts.lock_file):
            continue
        secret = data[span.start : span.end].decode("ascii")
        candidate = token_candidate(data, span.start, span.end, secret, facts, previous_by_end, hex_value=hex_value)
        if candidate is not None:
            candidates.append(candidate)
            previous_by_end[span.end] = candidate
    return candidates


def _checked(data: bytes, spans: Iterable[TokenSpan]) -> Iterator[tuple[TokenSpan, bool]]:
    """The spans that pass the token checks, each with whether it is hex."""
    for span in spans:
        reason = rejection_reason(data, span)
        if reason is None or reason == HEX_REASON:
            yield span, reason == HEX_REASON


# marshal writes a short string as its length byte, then the text, then the next object's type
# code, often a letter (`N` for None, `T`, `F`, `i`, `r`, `z`...): a 64-character constant is `@`
# (64), the text, and one to four more alphanumerics glued to it.
_MARSHAL_LENGTH_64 = ord("@")
_MARSHAL_GLUE = 4


def _marshalled_strings(data: bytes, marks: bytes) -> Iterator[TokenSpan]:
    """64-character string constants of compiled Python (`.pyc`) glued to the next type code."""
    needle = b"a" * (TOKEN_LENGTH + 1)
    position = marks.find(needle)
    while position != -1:
        end = marks.find(b" ", position + TOKEN_LENGTH + 1)
        if end == -1:
            end = len(data)
        if position > 0 and data[position - 1] == _MARSHAL_LENGTH_64 and end - position <= TOKEN_LENGTH + _MARSHAL_GLUE:
            yield TokenSpan(position, position + TOKEN_LENGTH)
        position = marks.find(needle, end)


def _split_candidates(
    data: bytes, marks: bytes | None, quotes: list[int] | None, facts: FileFacts, previous_by_end: dict[int, Candidate]
) -> list[Candidate]:
    """Keys split in pieces (`("abc" "def")`), reported at the first piece with the joined value; found
    in the chunk's map, or from the quotes a native pass located when there is none (`Matches`)."""
    from binance_secrets.detectors.split_literals import split_literals

    candidates = []
    for literal in split_literals(data, marks, quotes):
        joined = literal.value.encode("ascii")
        if len(joined) != len(_RUN_PROBE):
            continue
        span = TokenSpan(0, len(joined))
        reason = rejection_reason(joined, span)
        hex_value = reason == HEX_REASON
        if reason is not None and not (hex_value and hex_shape(joined, span, facts.lock_file)):
            continue
        candidate = token_candidate(
            data, literal.start, literal.end, literal.value, facts, previous_by_end, hex_value=hex_value
        )
        if candidate is not None:
            candidate.display_length = literal.end - literal.start
            candidates.append(candidate)
    return candidates


_RUN_PROBE = "x" * 64


def _private_key_candidates(data: bytes, pems: list[PemMatch], facts: FileFacts) -> list[Candidate]:
    candidates: list[Candidate] = []
    for pem in pems:
        if is_documentation_example(pem.canonical):
            continue  # a test key published in Binance's docs or connectors
        if _doctored_pem(pem.canonical):
            continue  # `…EEEEXAMPLE…` written into the body: an illustration, no key
        candidates.append(private_key_candidate(data, pem, facts))
    return candidates


# Words written into a PEM body to say it is an illustration (`MIIJ…EEEEXAMPLE5ipw…`). Six letters or
# more: a random base64 body of 4,000 characters holds one of them about once in a million keys.
_PEM_PLACEHOLDER_WORDS = ("example", "placeholder", "redacted", "changeme", "sample", "yourkey", "notreal")


def _doctored_pem(canonical: str) -> bool:
    """A placeholder word written into the base64 body of a PEM (the canonical form: header, body)."""
    body = canonical.lower()
    return any(word in body for word in _PEM_PLACEHOLDER_WORDS)


def _credential_candidates(
    data: bytes, matches: list[CredentialMatch], token_spans: list[tuple[int, int]], facts: FileFacts
) -> list[Candidate]:
    candidates = []
    for match in matches:
        if _overlaps(match.value_start, match.value_end, token_spans):
            continue  # already reported as a 64-character key or secret: one finding per value
        if value_rejection_reason(match.value, check_entropy=False) is not None:
            continue  # a placeholder, a sequential run or Binance's documentation key
        if _beside_documentation_example(data, match.value_start, match.value_end):
            continue  # the secret of a documentation example whose key is known (cut or retyped)
        candidates.append(credential_candidate(data, match, facts))
    return candidates


# Lines above and below a credential where the key of the same documentation example would stand.
_DOCUMENTATION_NEIGHBOUR_LINES = 3
_DOCUMENTATION_NEIGHBOUR_BYTES = 512


def _beside_documentation_example(data: bytes, start: int, end: int) -> bool:
    """A 64-character example key of Binance's documentation within a few lines: the value is the
    rest of that example (`"apikey": "<docs key>", "secretkey": "<docs secret cut by one>"`), copied
    into a comment or a test, whatever was done to it since."""
    low = start
    for _ in range(_DOCUMENTATION_NEIGHBOUR_LINES + 1):
        low = data.rfind(b"\n", max(0, start - _DOCUMENTATION_NEIGHBOUR_BYTES), low)
        if low == -1:
            low = max(0, start - _DOCUMENTATION_NEIGHBOUR_BYTES)
            break
    high = end - 1
    for _ in range(_DOCUMENTATION_NEIGHBOUR_LINES + 1):
        high = data.find(b"\n", high + 1, end + _DOCUMENTATION_NEIGHBOUR_BYTES)
        if high == -1:
            high = min(len(data), end + _DOCUMENTATION_NEIGHBOUR_BYTES)
            break
    window = data[low:high]
    return any(
        is_documentation_example(window[span.start : span.end].decode("ascii")) for span in alphanumeric_runs(window)
    )


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether [start, end) overlaps one of the sorted, disjoint `spans`."""
    index = bisect.bisect_right(spans, (start, _AFTER_ANY_OFFSET)) - 1
    if index >= 0 and spans[index][1] > start:
        return True
    return index + 1 < len(spans) and spans[index + 1][0] < end
