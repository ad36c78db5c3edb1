"""Turn one chunk of text into findings: candidates from each rule, their roles, confidence and pairs.

`detect()` is the single entry point that every source (files, the staged index, git history) and the
detect-secrets plugin call, so there is exactly one copy of the detection logic. It makes the few
passes over the data that every chunk needs (64-character runs, secret names, armoured blocks) and
hands what they found to `candidates`, which is imported only when there is something to analyse:
most files, and most pre-commit runs, never load it.
"""

from __future__ import annotations

import functools

from binance_secrets.detectors.credentials import credential_assignments
from binance_secrets.detectors.encoded import decoded_view
from binance_secrets.detectors.private_keys import armoured_blocks, private_keys
from binance_secrets.detectors.tokens import (
    HEX_REASON,
    TokenSpan,
    alphanumeric_runs,
    hex_rejection_reason,
    rejection_reason,
    run_marks,
)
from binance_secrets.triggers import MESSAGE_PATHS as MESSAGE_PATHS
from binance_secrets.triggers import credential_path, file_name

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from binance_secrets.finding import Finding  # a clean run builds no Finding, nor its type

# Lines within which an API key and a secret are taken to belong together.
PAIR_WINDOW_LINES = 12
# Lock files and checksum lists hold hex digests by the thousand, never a testnet key.
LOCK_FILE_SUFFIXES = (".lock", "-lock.json", "-lock.yaml", ".sum", ".sha256", "sha256sums", ".md5")
# What `split_literals` looks for first (`MIN_PIECE` alphanumerics and a quote, in the `run_marks` map):
# without it a chunk holds no split key. Spelt out here so that `detect` need not import that module.
_SPLIT_NEEDLE = b"a" * 24 + b"q"


class Triggers:
    """What one native pass over a chunk found of `detect`'s triggers (`sources/prefilter.py`), so that
    `detect` need not search the chunk for them again: the offset of every `ecret` and of every `ECRET`
    (`triggers.SECRET_NEEDLES`), in order; whether it holds `-----BEGIN` (armour); whether it holds
    a run of 64 alphanumerics.

    A plain class, not a NamedTuple or a dataclass: this module is on the hook's import path, and
    neither `typing` nor building a record class belongs there (README "Performance")."""

    __slots__ = ("armour", "runs", "secret_hits")

    def __init__(self, secret_hits: tuple[list[int], list[int]], armour: bool, runs: bool) -> None:
        self.secret_hits = secret_hits
        self.armour = armour
        self.runs = runs

    def found(self) -> bool:
        """Any trigger at all (`Prefilter.may_match`)."""
        return self.armour or self.runs or bool(self.secret_hits[0] or self.secret_hits[1])


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
    compiled = _compiled(path)
    blocks = list(armoured_blocks(data)) if triggers is None or triggers.armour else []
    marks = None
    lock_file = None
    runs: list[tuple[TokenSpan, bool]] = []
    if triggers is None or triggers.runs or compiled:
        marks = run_marks(data)
    for span in alphanumeric_runs(data, marks) if marks is not None else ():
        reason = rejection_reason(data, span)
        hex_value = reason == HEX_REASON
        if hex_value:
            # Only a lowercase hex run with a letter, outside lock files, can be a futures-testnet key
            # (`candidates._hex_shape`): the digests of lock files and checksum lists, by the thousand,
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
    matches = list(credential_assignments(data, secret_names, triggers.secret_hits if triggers else None))
    # No armour, no key: spares `private_keys` its pass over the data.
    pems = list(private_keys(data, blocks)) if blocks else []
    if not (runs or matches or pems) and not compiled:
        # Nothing left but keys split in pieces, looked for where a secret is named or the path says
        # credentials may be (a commit message: every one of them); none without their first piece.
        if not (secret_names or may_hold_credentials(path)):
            return []
        if marks is None:
            marks = run_marks(data)
        if marks.find(_SPLIT_NEEDLE) == -1:
            return []
    if marks is None:
        marks = run_marks(data)
    from binance_secrets.detectors.candidates import findings

    return findings(
        data,
        path,
        first_line,
        marks=marks,
        blocks=blocks,
        runs=runs,
        matches=matches,
        pems=pems,
        secret_named=bool(secret_names),
    )


@functools.lru_cache(maxsize=4096)
def may_hold_credentials(path: str) -> bool:
    """The path says keys may be here: `api_key.txt`, `.env`, `config.yaml`, `binance/…`, a commit
    message, a compiled module (whose constants hold what the source held). Remembered per path: a
    history asks it for every version of a file. Which paths these are is told in `triggers.py`, which
    the pre-commit hook's clean runs read too."""
    return credential_path(path)


@functools.lru_cache(maxsize=4096)
def is_lock_file(path: str) -> bool:
    """A lock file or checksum list (`uv.lock`, `package-lock.json`, `SHA256SUMS`): digests only."""
    return file_name(path).lower().endswith(LOCK_FILE_SUFFIXES)


def _compiled(path: str) -> bool:
    return path.endswith((".pyc", ".pyo"))
