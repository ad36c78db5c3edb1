"""Turn one chunk of text into findings: `detect()`, the driver of the detection pipeline.

`detect()` is the single entry point that every source (files, the staged index, git history) and the
detect-secrets plugin call, so there is exactly one copy of the detection logic. Its steps, one module
each, in the order it calls them:

1. `encoded`: base64 values whose decoding is text are read decoded (`decoded_view`);
2. `matches`: the few passes over the data that every chunk needs (64-character runs, secret names,
   armoured blocks), which say when there is nothing to analyse: most chunks end here;
3. `candidates`: every value that may be a credential, each classified by `classify` (rule, role,
   Binance or another exchange) from its context facts (`file_facts`, `value_context`,
   `binance_words`, `exchanges`);
4. `positions`: line and columns, allow-listed lines dropped;
5. `pairing`: keys with their secrets;
6. `findings`: confidence, the partner's digest, environment hints.

Steps 3 to 6 are imported only when step 2 leaves something to analyse: most files, and most pre-commit
runs, never load them. No step calls back into this module.
"""

from __future__ import annotations

from binance_secrets.detectors.encoded import decoded_view
from binance_secrets.detectors.matches import Triggers, find_matches

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.finding import Finding  # a clean run builds no Finding, nor its type



def load_analysis() -> None:
    """Import steps 3 to 6 now: in a process about to fork the processes that scan a history, which then
    inherit them instead of each importing them at its first candidate. The base64 decoder and the
    exchange attribution too: a history of any size meets both."""
    from binance_secrets.detectors import (  # noqa: F401
        candidates,
        encoded_values,
        exchanges,
        file_facts,
        findings,
        pairing,
        positions,
    )


def detect(
    data: bytes, path: str, *, first_line: int = 1, decode: bool = True, triggers: Triggers | None = None
) -> list[Finding]:
    """All Binance credentials in `data`, in order of position, unfiltered by confidence.

    `triggers`, if given, are those of `data` itself (not of a decoding of it): the passes that would
    find nothing are left out, and the secrets' names are taken from there.
    """
    # Base64 values whose decoding is text are read decoded, and reported where they are encoded
    # (`detectors/encoded.py`); `decode=False` reads `data` as written.
    view = decoded_view(data, path, first_line) if decode else None
    if view is not None:
        return view.map_back(detect(view.data, path, first_line=first_line, decode=False))
    found = find_matches(data, path, triggers)
    if found is None:
        return []
    from binance_secrets.detectors import candidates, file_facts, findings, pairing, positions

    kept = candidates.candidates(data, found, file_facts.FileFacts(data, path))
    if not kept:
        return []
    placed = positions.position_and_filter(data, kept, first_line)
    pairing.pair(placed)
    return findings.findings(data, path, placed)
