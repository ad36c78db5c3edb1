"""Turn one chunk of text into findings: candidates from each rule, their roles, confidence and pairs.

`detect()` is the single entry point that every source (files, the staged index, git history) and the
detect-secrets plugin call, so there is exactly one copy of the detection logic.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import Literal

from binance_secrets.allowlist import is_line_allowlisted
from binance_secrets.detectors.context import (
    NAME_WINDOW_BYTES,
    POSITIONAL_CLIENTS,
    AssignedName,
    assigned_name,
    binance_context,
    is_generic_name,
    line_continues_call,
    name_has_binance_word,
    role_of_name,
)
from binance_secrets.detectors.credentials import credential_assignments
from binance_secrets.detectors.doc_shapes import placeholder_marked
from binance_secrets.detectors.documentation import is_documentation_example
from binance_secrets.detectors.encoded import decoded_view
from binance_secrets.detectors.private_keys import ArmouredBlock, armoured_blocks, private_keys
from binance_secrets.detectors.tokens import (
    TokenSpan,
    alphanumeric_runs,
    rejection_reason,
    value_rejection_reason,
)
from binance_secrets.finding import Confidence, Finding, sha256_hex

# Lines within which an API key and a secret are taken to belong together.
PAIR_WINDOW_LINES = 12
# Two unnamed tokens this close (a key file, a CSV row) are read as key then secret.
UNNAMED_PAIR_WINDOW_LINES = 3
# Neighbours examined when looking for a partner; keeps a file of thousands of tokens linear.
PAIR_SEARCH_LIMIT = 16
_AFTER_ANY_OFFSET = 1 << 62
# How far back a line is searched for its start when only a bounded window is needed.
LINE_SEARCH_BYTES = 4096

Role = Literal["key", "secret", "unknown"]


@dataclass
class _Candidate:
    rule_id: str
    start: int
    end: int
    secret: str
    role: Role
    named: bool
    binance_context: bool
    display_length: int = 0  # characters on the first line, for end_column; 0 = len(secret)
    line: int = 0
    column: int = 0
    end_column: int = 0
    partner: _Candidate | None = field(default=None, repr=False)
    # Private keys that are not PKCS#8 Ed25519/RSA are not Binance's format: reported at low only.
    weak_shape: bool = False
    # Named only generically (`SECRET_KEY`, `secret`): enough for a pair, not enough alone.
    generic_name: bool = False


class _FileFacts:
    """Facts about the whole chunk, computed at most once and only when a candidate needs them."""

    def __init__(self, data: bytes, path: str) -> None:
        self._data = data
        self.path_mentions_binance = "binance" in path.lower()
        self.file_name_mentions_binance = "binance" in path.rsplit("/", 1)[-1].lower()
        self._mentions_binance: bool | None = None

    @property
    def mentions_binance(self) -> bool:
        if self._mentions_binance is None:
            self._mentions_binance = self.path_mentions_binance or b"binance" in self._data.lower()
        return self._mentions_binance


def detect(data: bytes, path: str, *, first_line: int = 1, decode: bool = True) -> list[Finding]:
    """All Binance credentials in `data`, in order of position, unfiltered by confidence."""
    # Base64 values whose decoding is text are read decoded, and reported where they are encoded
    # (`detectors/encoded.py`); `decode=False` reads `data` as written.
    view = decoded_view(data, path, first_line) if decode else None
    if view is not None:
        return view.map_back(detect(view.data, path, first_line=first_line, decode=False))
    facts = _FileFacts(data, path)
    blocks = list(armoured_blocks(data))
    # Armoured bodies (keys, certificates, PGP) are base64 wrapped at 64 columns: some of their lines
    # are 64-character runs, and none of their text is an assignment.
    armoured = [(block.start, block.end) for block in blocks]
    candidates = [c for c in _token_candidates(data, facts) if not _inside(c.start, armoured)]
    token_spans = {(c.start, c.end) for c in candidates}
    candidates += _private_key_candidates(data, blocks, facts.path_mentions_binance)
    candidates += [c for c in _credential_candidates(data, token_spans, facts) if not _inside(c.start, armoured)]
    if not candidates:
        return []
    candidates.sort(key=lambda c: c.start)
    candidates = _position_and_filter(data, candidates, first_line)
    _pair(candidates)
    return [_to_finding(candidate, path) for candidate in candidates]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether `position` falls in one of the sorted, disjoint `spans`."""
    index = bisect.bisect_right(spans, (position, _AFTER_ANY_OFFSET)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def _token_candidates(data: bytes, facts: _FileFacts) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    previous_by_end: dict[int, _Candidate] = {}
    for span in alphanumeric_runs(data):
        if rejection_reason(data, span) is not None:
            continue
        line_start = max(data.rfind(b"\n", max(0, span.start - LINE_SEARCH_BYTES), span.start) + 1, 0)
        name = _effective_name(data, span, line_start)
        role: Role = "unknown"
        named = generic = False
        binance = binance_context(data, span.start, span.end)
        previous = _previous_positional(data, span, line_start, previous_by_end)
        if previous is not None and previous.role == "key":
            role, named = "secret", True
            binance = binance or previous.binance_context
        elif name is not None and name.adjacent:
            name_role = role_of_name(name)
            binance = binance or name_has_binance_word(name)
            generic = is_generic_name(name)
            if name_role == "api_key":
                role, named = "key", True
            elif name_role == "secret_key":
                role, named = "secret", True
            elif name_role == "call":
                role, named = "key", True
                if "".join(name.words) in POSITIONAL_CLIENTS:
                    binance = binance or facts.mentions_binance
            if generic and not binance and facts.mentions_binance:
                generic = False  # `secret = "…"` in a file that talks about Binance
        # A file named for Binance (`binance_keys.txt`) vouches for what it holds; a folder named for it
        # (`binance_bot/data/ids.txt`) only for named values: it must not turn every bare token below it,
        # random ids included, into a finding.
        binance = binance or facts.file_name_mentions_binance or (named and facts.path_mentions_binance)
        candidate = _Candidate(
            rule_id="binance-api-key",
            start=span.start,
            end=span.end,
            secret=data[span.start : span.end].decode("ascii"),
            role=role,
            named=named,
            binance_context=binance,
            generic_name=generic,
            # `### REPLACE THIS WITH YOUR API KEY` after the value (Binance's signing walkthrough): low.
            weak_shape=placeholder_marked(data, span.start, span.end),
        )
        candidates.append(candidate)
        previous_by_end[span.end] = candidate
    return candidates


def _effective_name(data: bytes, span: TokenSpan, line_start: int) -> AssignedName | None:
    if line_continues_call(data, line_start, span.start):
        # `Client(\n    "key",\n    "secret")`: the name ends the line before.
        previous_start = data.rfind(b"\n", max(0, line_start - 1 - NAME_WINDOW_BYTES), line_start - 1) + 1
        previous_end = data.rfind(b"(", previous_start, line_start) + 1
        return assigned_name(data, previous_end, previous_start)
    name = assigned_name(data, span.start, line_start)
    if name is not None and name.words in (("value",), ("values",)):
        # `<add key="BinanceApiKey" value="…"/>` and `{"name": "apiKey", "value": "…"}`: the
        # meaningful name is the one before `value`.
        value_word = data.rfind(b"value", max(line_start, span.start - NAME_WINDOW_BYTES), span.start)
        outer = assigned_name(data, value_word, line_start) if value_word > line_start else None
        if outer is not None:
            return AssignedName(outer.text, outer.words, adjacent=True)
    return name


def _previous_positional(
    data: bytes, span: TokenSpan, line_start: int, previous_by_end: dict[int, _Candidate]
) -> _Candidate | None:
    """The token just before this one when only `", "` or a newline separates them (positional args)."""
    position = span.start
    limit = max(0, span.start - 16)
    while position > limit and data[position - 1] in b" \t\r\n\"'`,;|\\":
        position -= 1
    return previous_by_end.get(position)


def _private_key_candidates(data: bytes, blocks: list[ArmouredBlock], path_mentions_binance: bool) -> list[_Candidate]:
    candidates = []
    for pem in private_keys(data, blocks):
        if is_documentation_example(pem.canonical):
            continue  # a test key published in Binance's docs or connectors
        binance = path_mentions_binance or binance_context(data, pem.start, pem.end)
        weak = pem.algorithm not in ("ed25519", "rsa", "encrypted")
        candidates.append(
            _Candidate(
                rule_id="binance-private-key",
                start=pem.start,
                end=pem.end,
                secret=pem.canonical,
                role="secret",
                # Ed25519 PKCS#8 is the format Binance recommends; RSA and encrypted keys are common
                # everywhere else (TLS), so they need Binance context to rise above `low`.
                named=pem.algorithm == "ed25519",
                binance_context=binance and not weak,
                display_length=len(pem.label) + 16,
                weak_shape=weak,
            )
        )
    return candidates


def _credential_candidates(data: bytes, token_spans: set[tuple[int, int]], facts: _FileFacts) -> list[_Candidate]:
    candidates = []
    for match in credential_assignments(data):
        if (match.value_start, match.value_end) in token_spans:
            continue  # already reported as a 64-character secret key
        if value_rejection_reason(match.value, check_entropy=False) is not None:
            continue  # a placeholder, a sequential run or Binance's documentation key
        words = set(match.words)
        # `api_secret`, `apiSecret`, `secret_key`: named like an exchange credential. Plain
        # `SECRET_KEY` or `client_secret` (Django, OAuth) need Binance context to be reported.
        exchange_like = "api" in words or bool(words & {"binance", "bnb"})
        binance = (
            facts.file_name_mentions_binance
            or (exchange_like and facts.path_mentions_binance)
            or bool(words & {"binance", "bnb", "mbx"})
            or binance_context(data, match.value_start, match.value_end)
        )
        candidates.append(
            _Candidate(
                rule_id="hardcoded-api-secret",
                start=match.value_start,
                end=match.value_end,
                secret=match.value,
                role="unknown",
                named=exchange_like,
                binance_context=binance,
            )
        )
    return candidates


def _position_and_filter(data: bytes, candidates: list[_Candidate], first_line: int) -> list[_Candidate]:
    """Line and column numbers in one forward sweep, dropping candidates on allowlisted lines."""
    kept = []
    line = first_line
    cursor = 0
    line_start = 0
    column_offset, column = 0, 1
    allowlisted_lines: dict[int, bool] = {}
    for candidate in candidates:
        newlines = data.count(b"\n", cursor, candidate.start)
        if newlines:
            line += newlines
            line_start = data.rfind(b"\n", cursor, candidate.start) + 1
            column_offset, column = line_start, 1
        cursor = candidate.start
        column += len(data[column_offset : candidate.start].decode("utf-8", "replace"))
        column_offset = candidate.start
        if line_start not in allowlisted_lines:
            allowlisted_lines[line_start] = is_line_allowlisted(data, line_start)
        if allowlisted_lines[line_start]:
            continue
        candidate.line = line
        candidate.column = column
        candidate.end_column = column + (candidate.display_length or len(candidate.secret))
        kept.append(candidate)
    return kept


def _pair(candidates: list[_Candidate]) -> None:
    pairable = [c for c in candidates if c.rule_id != "hardcoded-api-secret"]
    for index, candidate in enumerate(pairable):
        if candidate.role == "key" and candidate.partner is None:
            _pair_with_nearest(pairable, index, wanted=("secret", "unknown"), window=PAIR_WINDOW_LINES)
    for index, candidate in enumerate(pairable):
        if candidate.role == "secret" and candidate.partner is None:
            _pair_with_nearest(pairable, index, wanted=("unknown",), window=PAIR_WINDOW_LINES)
    unknown = [c for c in pairable if c.role == "unknown" and c.partner is None]
    for first, second in itertools.pairwise(unknown):
        close = second.line - first.line <= UNNAMED_PAIR_WINDOW_LINES
        if first.partner is None and second.partner is None and close:
            first.role, second.role = "key", "secret"
            first.partner, second.partner = second, first
    for candidate in pairable:
        if candidate.role == "unknown":
            candidate.role = "key"
        if candidate.rule_id == "binance-api-key" and candidate.role == "secret":
            candidate.rule_id = "binance-secret-key"


def _pair_with_nearest(pairable: list[_Candidate], index: int, wanted: tuple[Role, ...], window: int) -> None:
    candidate = pairable[index]
    best: _Candidate | None = None
    best_distance = window + 1
    neighbours = (
        pairable[max(0, index - PAIR_SEARCH_LIMIT) : index] + pairable[index + 1 : index + 1 + PAIR_SEARCH_LIMIT]
    )
    for other in neighbours:
        if other.partner is not None or other.role not in wanted:
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


def _confidence(candidate: _Candidate) -> Confidence:
    if candidate.weak_shape:
        return "low"
    partner = candidate.partner
    paired_by_name = partner is not None and candidate.named and partner.named
    if candidate.binance_context or paired_by_name:
        return "high"
    if candidate.named and not candidate.generic_name:
        return "medium"
    return "low"


def _to_finding(candidate: _Candidate, path: str) -> Finding:
    partner = candidate.partner
    return Finding(
        rule_id=candidate.rule_id,
        confidence=_confidence(candidate),
        path=path,
        line=candidate.line,
        column=candidate.column,
        end_column=candidate.end_column,
        secret=candidate.secret,
        pair_sha256=sha256_hex(partner.secret) if partner is not None else None,
    )
