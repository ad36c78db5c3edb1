"""Which chunks cannot hold a finding, and where the triggers of the others are, told with one native
pass over them where one is installed.

`detect()` looks further at a chunk only where one of its triggers is: a run of 64 alphanumerics (a
key's shape), `ecret`/`ECRET` (a secret's name) or `-----BEGIN` (armour), or when the path itself says
credentials may be there (`may_hold_credentials`). A chunk with none of them has no finding, which
`detect` learns after a `translate` and four `find` passes over it: about 230 MB/s on this project's
machine kind, most of a large history's time, since nearly every blob of a history has no trigger (98%
of numpy's). Hyperscan (the optional `fast` extra: `pip install 'binance-secrets[fast]'`) answers the
same question in one pass at about 1 GB/s, and only the chunks it cannot rule out go to `detect`,
with what the pass found (`detectors.Triggers`: the offset of every secret's name, whether there is
armour or a key-length run), so that `detect` leaves out its own searches for them. The history uses
it for every blob, `scan` for every chunk of a file (not the pre-commit hook: loading it costs more
than a few files take).

The answer is only ever "maybe" or "certainly nothing", and the triggers are every occurrence the
standard library would find: a chunk the prefilter lets through is scanned exactly as without it, and
one it stops holds none of the triggers, so the findings are the same either way (tests compare both
paths on the same inputs, and every table case of the detectors). Without hyperscan, or with
`BINANCE_SECRETS_PREFILTER=stdlib`, chunks go straight to `detect`, whose own first passes are this
test in the standard library.

In the files whose base64 values `detect` decodes (`detectors/encoded.decodes_in`: configs, scripts,
text), a trigger may sit in a decoding only (`CONFIG_B64=` of `API_SECRET="..."`), so there a chunk is
also let through when it holds a run of `MIN_RUN_LENGTH` standard base64 characters (`may_decode`), the
first thing the decoder looks for. Its other way in, a Kubernetes `Secret`'s short `data:` values, needs
the word `Secret`, which holds the trigger `ecret`. Without a trigger and without such a run, nothing
is found even at a path that says credentials may be there (`may_hold_findings`, the same test in the
standard library, for short texts such as commit messages).
"""

from __future__ import annotations

import contextlib
import functools
import os
from typing import Any, Protocol

from binance_secrets.detectors import detect
from binance_secrets.detectors.encoded import decodes_in
from binance_secrets.detectors.file_kinds import may_hold_credentials
from binance_secrets.detectors.matches import Triggers
from binance_secrets.detectors.split_literals import MAX_GLUE_BYTES, MIN_PIECE
from binance_secrets.finding import Finding
from binance_secrets.triggers import (
    MIN_RUN_LENGTH,
    SECRET_NEEDLES,
    TOKEN_LENGTH,
    TRIGGER_LITERALS,
    has_base64_run,
    has_trigger,
)

# Hyperscan's block mode takes at most this many bytes in one call (an unsigned int); longer blobs
# (only with a raised --max-blob-size) go to `detect` unfiltered.
_NATIVE_MAX_BYTES = 2**31
ENVIRONMENT_VARIABLE = "BINANCE_SECRETS_PREFILTER"


def detect_with(prefilter: Prefilter | None, text: bytes, path: str, first_line: int = 1) -> list[Finding]:
    """`detect(text, path)` with the prefilter's help, if any: `text` (what `detect` reads, printable
    text) is ruled out whole when it holds no trigger and no base64 run where one counts, and is
    otherwise handed the triggers found in it, so that `detect` does not search for them again."""
    if prefilter is None:
        return detect(text, path, first_line=first_line)
    triggers = prefilter.triggers(text)
    if triggers is not None and ruled_out(prefilter, triggers.found(), text, path):
        return []
    return detect(text, path, first_line=first_line, triggers=triggers)


def ruled_out(prefilter: Prefilter, triggered: bool, data: bytes, path: str) -> bool:
    """No finding can be in `data`: no trigger (`triggered` is the prefilter's answer), and no base64
    run where one counts: in a file whose values are decoded (`decodes_in`: the decoder's first need)
    or at a path that says credentials may be there (there, without a trigger or a base64 run, nothing
    is found either: `may_hold_findings`)."""
    if triggered:
        return False
    return not (may_hold_credentials(path) or decodes_in(path)) or not prefilter.may_decode(data)


class Prefilter(Protocol):
    name: str

    def may_match(self, data: bytes) -> bool:
        """False only when `data` holds none of the triggers."""
        ...  # pragma: no cover - a protocol

    def may_decode(self, data: bytes) -> bool:
        """False only when `data` holds no base64 run the decoder would look at."""
        ...  # pragma: no cover - a protocol

    def triggers(self, data: bytes) -> Triggers | None:
        """Every trigger of `detect` in `data` (`detectors.Triggers`), or None when not known (`detect`
        then looks for them itself)."""
        ...  # pragma: no cover - a protocol


class StdlibPrefilter:
    """The reference answer, in the standard library: what the native one must always agree with."""

    name = "stdlib"

    def may_match(self, data: bytes) -> bool:
        return has_trigger(data)

    def may_decode(self, data: bytes) -> bool:
        return has_base64_run(data)

    def triggers(self, data: bytes) -> Triggers | None:
        return None  # `detect`'s own passes are this search in the standard library


class HyperscanPrefilter:
    """The triggers as a Hyperscan database, scanned in block mode. `may_match` stops at the first
    match; `triggers` reads on to the end, for the offset of every secret's name (their needles are
    reported at every occurrence, armour and the alphanumeric run once). The base64 run is a database of
    its own (in one database with the alphanumeric run, its overlapping class makes compiling five times
    slower: 50 ms, paid again by every worker)."""

    name = "hyperscan"

    def __init__(self, hyperscan: Any) -> None:
        self._hyperscan = hyperscan
        single = hyperscan.HS_FLAG_SINGLEMATCH
        patterns = [*TRIGGER_LITERALS, b"[A-Za-z0-9]{%d}" % TOKEN_LENGTH]
        # Pattern ids are their index here: the two secret needles, armour, the run (see `triggers`).
        flags = [0, 0, single, single]
        self._triggers = _database(hyperscan, tuple(patterns), tuple(flags))
        self._base64 = _database(hyperscan, (b"[A-Za-z0-9+/]{%d}" % MIN_RUN_LENGTH,), (single,))
        # Scratch space belongs to one thread of one process: made here, in the process that scans.
        self._triggers_scratch = hyperscan.Scratch(self._triggers)
        self._base64_scratch = hyperscan.Scratch(self._base64)
        # The runs and the split keys' needles, found when `find_matches` needs them.
        self.locator = NativeLocator(hyperscan)
        self._no_triggers = Triggers(([], []), armour=False, runs=False, locator=self.locator)

    def may_match(self, data: bytes) -> bool:
        return len(data) >= _NATIVE_MAX_BYTES or self._found(self._triggers, self._triggers_scratch, data)

    def may_decode(self, data: bytes) -> bool:
        return len(data) >= _NATIVE_MAX_BYTES or self._found(self._base64, self._base64_scratch, data)

    def triggers(self, data: bytes) -> Triggers | None:
        if len(data) >= _NATIVE_MAX_BYTES:
            return None
        # One list per pattern (ids are their index in `patterns`): each needle's match ends, in order;
        # one entry at most for armour and for the run. Most blobs have none: a shared answer for them.
        found: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        self._triggers.scan(data, match_event_handler=_collect, context=found, scratch=self._triggers_scratch)
        lower, upper, armour, run = found
        if not (lower or upper or armour or run):
            return self._no_triggers
        return Triggers(
            ([end - _LOWER_WIDTH for end in lower], [end - _UPPER_WIDTH for end in upper]),
            bool(armour),
            bool(run),
            self.locator,
        )

    def _found(self, database: Any, scratch: Any, data: bytes) -> bool:
        found = [False]
        with contextlib.suppress(self._hyperscan.ScanTerminated):
            database.scan(data, match_event_handler=_stop_at_first, context=found, scratch=scratch)
        return found[0]


_LOWER_WIDTH, _UPPER_WIDTH = (len(needle) for needle in SECRET_NEEDLES)


class NativeLocator:
    """`detectors.Locator` with Hyperscan: the runs and the split keys' needles that `find_matches`
    needs, each found by a pass of its own over the chunk, made only when needed (flask's files name
    `SECRET_KEY` and hold no run: they need the needles only). Either pass runs at 1.5 to 3.5 GB/s,
    where mapping the chunk (`tokens.run_marks`) and searching the map made about 0.4. Each database
    is compiled when first used, in the process that scans (a few milliseconds)."""

    def __init__(self, hyperscan: Any) -> None:
        self._hyperscan = hyperscan
        self._databases: dict[bytes, tuple[Any, Any]] = {}

    def runs(self, data: bytes) -> list[tuple[int, int]] | None:
        # Every end of a 64-character window: a run of n alphanumerics reports n - 63 ends in a row.
        found = self._ends(_RUN_PATTERNS, data)
        if found is None:
            return None
        runs: list[list[int]] = []
        for end in found[0]:
            if runs and runs[-1][1] == end - 1:
                runs[-1][1] = end
            else:
                runs.append([end - TOKEN_LENGTH, end])
        return [(start, end) for start, end in runs]

    def quotes(self, data: bytes) -> list[int] | None:
        found = self._ends(_QUOTE_PATTERNS, data)
        if found is None:
            return None
        glued_after, glued_before, _ = found
        # The first form ends after the quote that follows the glue: the piece's closing quote is the
        # last byte before that glue. The second ends right after the piece's closing quote.
        quotes = {end - 1 for end in glued_before}
        for end in glued_after:
            low = max(0, end - 2 - MAX_GLUE_BYTES)
            quotes.add(low + len(data[low : end - 1].rstrip(_GLUE_BYTES)) - 1)
        return sorted(quotes)

    def compile(self) -> None:
        """Compile both databases now (see `compile_native`)."""
        for patterns in (_RUN_PATTERNS, _QUOTE_PATTERNS):
            self._compiled(patterns)

    def _compiled(self, patterns: tuple[bytes, ...]) -> tuple[Any, Any]:
        """The database of `patterns` and this process's scratch space for it."""
        compiled = self._databases.get(patterns[0])
        if compiled is None:
            database = _database(self._hyperscan, patterns, (0,) * len(patterns))
            compiled = self._databases[patterns[0]] = (database, self._hyperscan.Scratch(database))
        return compiled

    def _ends(self, patterns: tuple[bytes, ...], data: bytes) -> _Pieces | None:
        """The end of every match of each of `patterns` (at most two) in `data`, in order; None when
        `data` is too long for one call or reports more than one match per `_LOCATE_BYTES_PER_MATCH`
        bytes, and a few: then `find_matches` maps it whole, as without the locator."""
        if len(data) >= _NATIVE_MAX_BYTES:
            return None
        database, scratch = self._compiled(patterns)
        found: _Pieces = ([], [], [len(data) // _LOCATE_BYTES_PER_MATCH + _LOCATE_MATCHES])
        try:
            database.scan(data, match_event_handler=_collect_capped, context=found, scratch=scratch)
        except self._hyperscan.ScanTerminated:
            return None
        return found


_RUN_PATTERNS = (b"[A-Za-z0-9]{%d}" % TOKEN_LENGTH,)
# A piece of `split_literals` (a quote, 24 to 63 alphanumerics, a quote) with glue and a quote after it,
# or after glue and a quote: only those can pass its tests. A pattern that starts at a quote runs at
# 1.5 to 3.5 GB/s, the plain needle (alphanumerics, then a quote: one hit for every quoted long word)
# at 0.5 to 0.7.
_PIECE = b"""["'][A-Za-z0-9]{%d,%d}["']""" % (MIN_PIECE, TOKEN_LENGTH - 1)
_GLUE_PATTERN = b"""[ \\t\\r\\n+.\\\\]{1,%d}""" % MAX_GLUE_BYTES
_QUOTE_PATTERNS = (_PIECE + _GLUE_PATTERN + b"""["']""", b"""["']""" + _GLUE_PATTERN + _PIECE)
_GLUE_BYTES = b" \t\r\n+.\\"
# The locator gives up (the chunk is mapped instead) past one reported match per this many bytes, plus
# a few: a match costs about what mapping 256 bytes does, so the worst case stays linear and near the
# map's cost. A long run reports every offset past its 64th character.
_LOCATE_BYTES_PER_MATCH = 256
_LOCATE_MATCHES = 256
# What a locator's pass collects: the match ends of its first and second pattern, the matches still allowed.
_Pieces = tuple[list[int], list[int], list[int]]


@functools.cache
def _database(hyperscan: Any, patterns: tuple[bytes, ...], flags: tuple[int, ...]) -> Any:
    """`patterns` compiled, once per process: a database is read-only memory, so the scanning processes
    a history forks share the ones their parent compiled (`compile_native`); scratch space is not shared."""
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=list(patterns), ids=list(range(len(patterns))), elements=len(patterns), flags=list(flags)
    )
    return database


def compile_native() -> None:
    """Compile every database of the native prefilter and locator now, if there is one: in a process
    about to fork the processes that scan, which then inherit them (about 30 ms each would spend)."""
    prefilter = load_prefilter()
    if isinstance(prefilter, HyperscanPrefilter):
        prefilter.locator.compile()


def _stop_at_first(pattern: int, start: int, end: int, flags: int, found: list[bool]) -> bool:
    found[0] = True
    return True  # stop scanning: one trigger is enough


def _collect(pattern: int, start: int, end: int, flags: int, found: tuple[list[int], ...]) -> None:
    # Called for every match: kept to one append.
    found[pattern].append(end)


def _collect_capped(pattern: int, start: int, end: int, flags: int, found: _Pieces) -> bool:
    # `found[2][0]` counts down the matches still allowed: below zero the scan stops (the locator gives up).
    found[pattern].append(end)
    found[2][0] -= 1
    return found[2][0] < 0


def load_prefilter(environ: dict[str, str] | None = None) -> Prefilter | None:
    """The native prefilter when it can be had, else None (blobs then go straight to `detect`)."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() in ("stdlib", "off", "none", "0"):
        return None
    try:
        import hyperscan  # optional: the `fast` extra

        return HyperscanPrefilter(hyperscan)
    except Exception:  # not installed, no wheel for this platform, a CPU without the instructions it needs
        return None
