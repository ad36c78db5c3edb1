"""The passes over a chunk that every chunk needs: what in it may be a credential, before any analysis.

64-character alphanumeric runs that pass the token checks (and 64-digit hex runs that may be a testnet
key), values assigned to secret names (`credentials`), armoured blocks and the private keys among them
(`private_keys`). `find_matches` makes these passes, leaving out those the triggers of a native
prefilter (`Triggers`) say would find nothing, and says when nothing is left to analyse: most files,
and most pre-commit runs, end here.

On the hook's import path: plain classes only (no `typing`, no dataclass built at import, README
"Performance").
"""

from __future__ import annotations

from binance_secrets.detectors.credentials import credential_assignments
from binance_secrets.detectors.file_kinds import is_compiled, is_lock_file, may_hold_credentials
from binance_secrets.detectors.private_keys import armoured_blocks, private_keys
from binance_secrets.detectors.tokens import (
    HEX_REASON,
    TokenSpan,
    alphanumeric_runs,
    hex_rejection_reason,
    rejection_reason,
    run_marks,
    runs_as_tokens,
)

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Protocol

    from binance_secrets.detectors.credentials import CredentialMatch
    from binance_secrets.detectors.private_keys import ArmouredBlock, PemMatch

    class Locator(Protocol):
        """Second native passes over a chunk (`sources/prefilter.py`), asked by `find_matches` only for
        what it needs, so that the chunk need not be mapped whole (`tokens.run_marks`) to find it. Each
        answers None when it cannot tell (then the chunk is mapped, as without a locator)."""

        def runs(self, data: bytes) -> list[tuple[int, int]] | None:
            """Every whole run of 64 alphanumerics or more, as `start, end`, in order: the runs
            `tokens.alphanumeric_runs` finds in the map."""
            ...  # pragma: no cover - a protocol

        def quotes(self, data: bytes) -> list[int] | None:
            """In order, the offset of every quote that closes 24 to 63 alphanumerics opened by a quote,
            with only glue (`split_literals`) between it and a quote after it, or between the opening
            quote and a quote before it: the hits of `split_literals`' needle that may pass its tests of
            the quotes and the glue around a piece, without the many that cannot."""
            ...  # pragma: no cover - a protocol


# What `split_literals` looks for first (`MIN_PIECE` alphanumerics and a quote, in the `run_marks` map):
# without it a chunk holds no split key. Spelt out here so that the passes need not import that module.
_SPLIT_NEEDLE = b"a" * 24 + b"q"


class Triggers:
    """What one native pass over a chunk found of `detect`'s triggers (`sources/prefilter.py`), so that
    `detect` need not search the chunk for them again: the offset of every `ecret` and of every `ECRET`
    (`triggers.SECRET_NEEDLES`), in order; whether it holds `-----BEGIN` (armour); whether it holds
    a run of 64 alphanumerics. `locator`, if given, finds the runs and the split keys' needles when
    `find_matches` needs them (`Locator`).

    A plain class, not a NamedTuple or a dataclass: this module is on the hook's import path, and
    neither `typing` nor building a record class belongs there (README "Performance")."""

    __slots__ = ("armour", "locator", "runs", "secret_hits")

    def __init__(
        self, secret_hits: tuple[list[int], list[int]], armour: bool, runs: bool, locator: Locator | None = None
    ) -> None:
        self.secret_hits = secret_hits
        self.armour = armour
        self.runs = runs
        self.locator = locator

    def found(self) -> bool:
        """Any trigger at all (`Prefilter.may_match`)."""
        return self.armour or self.runs or bool(self.secret_hits[0] or self.secret_hits[1])


class Matches:
    """What the passes over one chunk found, for the analysis (`candidates`): the `run_marks` map of the
    chunk (or, when a `Locator` spared mapping it, the split keys' needles it located), its armoured
    blocks, the 64-character runs that passed the token checks (each with whether it is hex), the
    values assigned to secret names, the private keys, and whether a secret's name was seen at all
    (even without a value the credential rule takes). A plain class: see `Triggers`."""

    __slots__ = ("blocks", "credentials", "marks", "pems", "quotes", "runs", "secret_named")

    def __init__(
        self,
        marks: bytes | None,
        blocks: list[ArmouredBlock],
        runs: list[tuple[TokenSpan, bool]],
        credentials: list[CredentialMatch],
        pems: list[PemMatch],
        secret_named: bool,
        quotes: list[int] | None = None,
    ) -> None:
        # `marks`, or when the chunk was not mapped whole, the quotes a native pass located (`Locator`).
        self.marks = marks
        self.quotes = quotes
        self.blocks = blocks
        self.runs = runs
        self.credentials = credentials
        self.pems = pems
        self.secret_named = secret_named


def find_matches(data: bytes, path: str, triggers: Triggers | None = None) -> Matches | None:
    """The matches of `data`, or None when nothing in it is left to analyse.

    `triggers`, if given, are those of `data` itself: the passes that would find nothing are left out,
    and the secrets' names are taken from there.
    """
    compiled = is_compiled(path)
    blocks = list(armoured_blocks(data)) if triggers is None or triggers.armour else []
    marks = None
    # A compiled module's marshalled strings are looked for in the map (`candidates`): it is made whole.
    locator = triggers.locator if triggers is not None and not compiled else None
    lock_file = None
    runs: list[tuple[TokenSpan, bool]] = []
    spans: Iterable[TokenSpan] = ()
    if triggers is None or triggers.runs or compiled:
        located = locator.runs(data) if locator is not None else None
        if located is not None:
            spans = runs_as_tokens(data, located)
        else:
            marks = run_marks(data)
            spans = alphanumeric_runs(data, marks)
    for span in spans:
        reason = rejection_reason(data, span)
        hex_value = reason == HEX_REASON
        if hex_value:
            # Only a lowercase hex run with a letter, outside lock files, can be a futures-testnet key
            # (`testnet_hex.hex_shape`): the digests of lock files and checksum lists, by the thousand,
            # are let go here, before the checks that look around them.
            raw = data[span.start : span.end]
            if not raw.islower() or raw.isalpha():
                continue
            if lock_file is None:
                lock_file = is_lock_file(path)
            if lock_file:
                continue
            reason = hex_rejection_reason(data, span)
        if reason is None:
            runs.append((span, hex_value))
    secret_names: list[int] = []
    quotes: list[int] | None = None
    credentials = list(credential_assignments(data, secret_names, triggers.secret_hits if triggers else None))
    # No armour, no key: spares `private_keys` its pass over the data.
    pems = list(private_keys(data, blocks)) if blocks else []
    if not (runs or credentials or pems) and not compiled:
        # Nothing left but keys split in pieces, looked for where a secret is named or the path says
        # credentials may be (a commit message: every one of them); none without their first piece (or,
        # as the locator finds them, without a first piece that glue joins to a quote on one side).
        if not (secret_names or may_hold_credentials(path)):
            return None
        if marks is None and locator is not None:
            quotes = locator.quotes(data)
            if quotes is not None and not quotes:
                return None
        if marks is None and quotes is None:
            marks = run_marks(data)
        if marks is not None and marks.find(_SPLIT_NEEDLE) == -1:
            return None
    if marks is None and quotes is None:
        quotes = locator.quotes(data) if locator is not None else None
        if quotes is None:
            marks = run_marks(data)
    # The analysis reads the split keys' needles in the map when there is one, else where they were located.
    return Matches(marks, blocks, runs, credentials, pems, bool(secret_names), quotes)
