"""The analysis of a chunk's candidates: roles, exchange, confidence, pairs, findings.

`detect()` (in `__init__`) finds the raw material with a few passes over the data and imports this
module only when there is something to analyse, so that the hook's usual files never load it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from binance_secrets import rules
from binance_secrets.allowlist import is_line_allowlisted
from binance_secrets.detectors import MESSAGE_PATHS, PAIR_WINDOW_LINES, is_lock_file, may_hold_credentials
from binance_secrets.detectors.context import (
    NAME_WINDOW_BYTES,
    AssignedName,
    assigned_name,
    binance_context,
    context_bounds,
    is_generic_name,
    line_continues_call,
    line_ends_assignment,
    name_has_binance_word,
    name_words,
    shannon_entropy,
)
from binance_secrets.detectors.credentials import CredentialMatch
from binance_secrets.detectors.doc_shapes import placeholder_marked
from binance_secrets.detectors.documentation import is_documentation_example
from binance_secrets.detectors.environment import with_environment_hints
from binance_secrets.detectors.private_keys import ArmouredBlock, PemMatch
from binance_secrets.detectors.roles import (
    POSITIONAL_CLIENTS,
    NameRole,
    client_name,
    credential_word_role,
    enclosing_call,
    is_positional_client,
    names_something_else,
    role_of_name,
    strong_binance_context,
    table_cell_names,
)
from binance_secrets.detectors.tokens import (
    HEX_REASON,
    TOKEN_LENGTH,
    TokenSpan,
    alphanumeric_runs,
    neighbour_rejection_reason,
    rejection_reason,
    value_rejection_reason,
)
from binance_secrets.finding import CONFIDENCE_ORDER, Confidence, Finding, sha256_hex

if TYPE_CHECKING:
    from binance_secrets.detectors.exchanges import Attributor

# `exchanges` and `split_literals` are imported where first needed: most chunks (and most hook runs)
# have no candidate and never need them.
BINANCE = "binance"  # the name `exchanges` gives Binance

# Two unnamed tokens this close (a key file, a CSV row) are read as key then secret.
UNNAMED_PAIR_WINDOW_LINES = 3
# Neighbours examined when looking for a partner; keeps a file of thousands of tokens linear.
PAIR_SEARCH_LIMIT = 16
_AFTER_ANY_OFFSET = 1 << 62
# How far back a line is searched for its start when only a bounded window is needed.
LINE_SEARCH_BYTES = 4096
# Where a key/secret word gives a role to a value in prose (commit and tag messages) and compiled
# code (a `.pyc` lists the names after the constants, so it looks further ahead).
_MESSAGE_WORD_WINDOW = (160, 48)
_COMPILED_WORD_WINDOW = (256, 1024)
# A file holding nothing but one key (`api_key.txt`, `secret.key`) is at most this long.
_BARE_FILE_BYTES = 512
_BARE_FILE_NOISE = b" \t\r\n\"'"
# Quotes and commas separate the two values of a key file as blanks do.
_PAIR_FILE_SEPARATORS = bytes.maketrans(b"\"',", b"   ")
# Every Google service-account key file (`gcloud iam service-accounts keys create`) holds these.
_SERVICE_ACCOUNT_MARKERS = (b'"service_account"', b'"private_key_id"', b'"client_email"')
# Random 64-digit hex has an empirical entropy of about 3.8 bits/char; a typed pattern far less.
MIN_HEX_ENTROPY = 3.3
# Names of hex values that are no exchange credential even beside the word Binance: wallet keys of
# BNB Smart Chain projects and the like.
_NOT_EXCHANGE_HEX_WORDS = frozenset(
    {"private", "priv", "pvt", "prv", "wallet", "eth", "bsc", "web3", "mnemonic", "seed", "account",
     "address", "node", "rpc", "infura", "alchemy", "etherscan", "bscscan", "contract", "chain", "pk"}
)  # fmt: skip

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
    # Named, sectioned or passed to another exchange: reported as `hardcoded-api-secret` at `low`.
    other_exchange: bool = False
    # Named as something else (`orderId`, `tx_hash`): never a key's partner.
    other_name: bool = False
    hex_value: bool = False
    # A hex value with a generic name (`secret`, `key`) and no Binance word around: kept only beside a
    # hex partner of the other role.
    hex_partner_needed: bool = False
    # Reported at `medium` at most, whatever its partner (a hex value with no Binance word around).
    at_most_medium: bool = False


class _FileFacts:
    """Facts about the whole chunk, computed at most once and only when a candidate needs them (most
    chunks have no candidate at all, so even the path is looked at lazily). Plain attributes, not
    `functools.cached_property`, whose lock costs more than most of these facts."""

    def __init__(self, data: bytes, path: str) -> None:
        self._data = data
        self._path = path
        self.compiled = path.endswith((".pyc", ".pyo"))
        self.message = path in MESSAGE_PATHS
        self._base: str | None = None
        self._path_mentions_binance: bool | None = None
        self._mentions_binance: bool | None = None
        self._attributor: Attributor | None = None
        self._file_role: Role | None = None
        self._file_role_known = False
        self._testnet_off: bool | None = None
        self._service_account: bool | None = None

    @property
    def base(self) -> str:
        if self._base is None:
            self._base = self._path.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
        return self._base

    @property
    def path_mentions_binance(self) -> bool:
        if self._path_mentions_binance is None:
            self._path_mentions_binance = "binance" in self._path.lower()
        return self._path_mentions_binance

    @property
    def file_name_mentions_binance(self) -> bool:
        return self.path_mentions_binance and "binance" in self.base.lower()

    @property
    def service_account(self) -> bool:
        """A Google service-account key file (JSON): its private key is Google's, not Binance's."""
        if self._service_account is None:
            self._service_account = all(marker in self._data for marker in _SERVICE_ACCOUNT_MARKERS)
        return self._service_account

    @property
    def table(self) -> bool:
        """A CSV/TSV file, whose cells are named by their row's label or their column's header."""
        return self.base.lower().endswith((".csv", ".tsv"))

    @property
    def lock_file(self) -> bool:
        return is_lock_file(self._path)

    @property
    def may_hold_credentials(self) -> bool:
        return may_hold_credentials(self._path)

    @property
    def attributor(self) -> Attributor:
        if self._attributor is None:
            from binance_secrets.detectors.exchanges import Attributor

            self._attributor = Attributor(
                self._data, lambda: self.mentions_binance, path_mentions_binance=self.path_mentions_binance
            )
        return self._attributor

    @property
    def file_role(self) -> Role | None:
        """The role the file's name gives a key it holds alone (`api_key.txt`), if any."""
        if not self._file_role_known:
            self._file_role, self._file_role_known = _file_role(self.base), True
        return self._file_role

    @property
    def testnet_off(self) -> bool:
        """The file sets a testnet switch to false: its hex values are no futures-testnet keys."""
        if self._testnet_off is None:
            from binance_secrets.detectors.testnet_hex import testnet_switched_off

            self._testnet_off = testnet_switched_off(self._data)
        return self._testnet_off

    @property
    def mentions_binance(self) -> bool:
        if self._mentions_binance is None:
            self._mentions_binance = self.path_mentions_binance or b"binance" in self._data.lower()
        return self._mentions_binance


def _file_role(base: str) -> Role | None:
    """The role a file's name gives the one key it holds: `api_key.txt`, `secret.txt`, `binance.key`."""
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    if extension.lower() in ("key", "secret"):
        stem = f"{stem}_{extension}"
    words = name_words(stem)
    if not words:
        return None
    role = role_of_name(AssignedName(stem, words, adjacent=True))
    return "key" if role == "api_key" else "secret" if role == "secret_key" else None


def findings(
    data: bytes,
    path: str,
    first_line: int,
    *,
    marks: bytes,
    blocks: list[ArmouredBlock],
    runs: list[tuple[TokenSpan, bool]],
    matches: list[CredentialMatch],
    pems: list[PemMatch],
    secret_named: bool,
) -> list[Finding]:
    """The findings of one chunk, from what `detect()` found in it: 64-character runs that passed the
    token checks (and whether each is hex), values assigned to secret names, private keys."""
    facts = _FileFacts(data, path)
    # Armoured bodies (keys, certificates, PGP) are base64 wrapped at 64 columns: some of their lines
    # are 64-character runs, and none of their text is an assignment.
    armoured = [(block.start, block.end) for block in blocks]
    previous_by_end: dict[int, _Candidate] = {}
    candidates = [
        c for c in _token_candidates(data, marks, runs, facts, previous_by_end) if not _inside(c.start, armoured)
    ]
    # Split keys are looked for where a credential is likely (a secret's name, a key, a path that says
    # so): the search is one more pass over the data, which most files (and the hook) need not pay.
    if candidates or secret_named or facts.may_hold_credentials:
        split = _split_candidates(data, marks, facts, previous_by_end)
        candidates += [c for c in split if not _inside(c.start, armoured)]
    candidates = _with_hex_partners(data, candidates)
    token_spans = sorted((c.start, c.end) for c in candidates)
    candidates += _private_key_candidates(data, pems, facts)
    candidates += [
        c for c in _credential_candidates(data, matches, token_spans, facts) if not _inside(c.start, armoured)
    ]
    if not candidates:
        return []
    candidates.sort(key=lambda c: c.start)
    candidates = _position_and_filter(data, candidates, first_line)
    _pair(candidates)
    return with_environment_hints(data, candidates, [_to_finding(candidate, path) for candidate in candidates])


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether `position` falls in one of the sorted, disjoint `spans`."""
    index = bisect.bisect_right(spans, (position, _AFTER_ANY_OFFSET)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def _token_candidates(
    data: bytes,
    marks: bytes,
    runs: list[tuple[TokenSpan, bool]],
    facts: _FileFacts,
    previous_by_end: dict[int, _Candidate],
) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    spans: Iterable[tuple[TokenSpan, bool]] = runs
    if facts.compiled:
        spans = itertools.chain(runs, _checked(data, _marshalled_strings(data, marks)))
    for span, hex_value in spans:
        if hex_value and not _hex_shape(data, span, facts):
            continue
        secret = data[span.start : span.end].decode("ascii")
        candidate = _token_candidate(data, span.start, span.end, secret, facts, previous_by_end, hex_value=hex_value)
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
    data: bytes, marks: bytes, facts: _FileFacts, previous_by_end: dict[int, _Candidate]
) -> list[_Candidate]:
    """Keys split in pieces (`("abc" "def")`), reported at the first piece with the joined value."""
    from binance_secrets.detectors.split_literals import split_literals

    candidates = []
    for literal in split_literals(data, marks):
        joined = literal.value.encode("ascii")
        if len(joined) != len(_RUN_PROBE):
            continue
        span = TokenSpan(0, len(joined))
        reason = rejection_reason(joined, span)
        hex_value = reason == HEX_REASON
        if reason is not None and not (hex_value and _hex_shape(joined, span, facts)):
            continue
        candidate = _token_candidate(
            data, literal.start, literal.end, literal.value, facts, previous_by_end, hex_value=hex_value
        )
        if candidate is not None:
            candidate.display_length = literal.end - literal.start
            candidates.append(candidate)
    return candidates


_RUN_PROBE = "x" * 64


def _hex_shape(data: bytes, span: TokenSpan, facts: _FileFacts) -> bool:
    """A 64-digit hex run that could be a futures-testnet key: lowercase, random, not in a lock file."""
    raw = data[span.start : span.end]
    if facts.lock_file or not raw.islower() or raw.isalpha():
        return False
    text = raw.decode("ascii")
    reason = value_rejection_reason(text, check_entropy=False)
    if reason == _SEQUENCE_REASON and not _hex_sequence(raw):
        reason = None  # five in a row is one random hex key in 500; seven is a typed pattern
    if reason is not None or shannon_entropy(text) < MIN_HEX_ENTROPY:
        return False
    return neighbour_rejection_reason(data, span) is None


_SEQUENCE_REASON = "repeated or sequential run"
_HEX_SEQUENCE = 7
_NEXT_BYTE = bytes((byte + 1) % 256 for byte in range(256))


def _hex_sequence(raw: bytes) -> bool:
    """Seven equal or ascending hex digits in a row (`0000000`, `abcdef0`... `1234567`)."""
    run_same = run_up = 1
    for previous, current in itertools.pairwise(raw):
        run_same = run_same + 1 if current == previous else 1
        run_up = run_up + 1 if current == _NEXT_BYTE[previous] else 1
        if run_same >= _HEX_SEQUENCE or run_up >= _HEX_SEQUENCE:
            return True
    return False


def _token_candidate(
    data: bytes,
    start: int,
    end: int,
    secret: str,
    facts: _FileFacts,
    previous_by_end: dict[int, _Candidate],
    *,
    hex_value: bool,
) -> _Candidate | None:
    line_start = max(data.rfind(b"\n", max(0, start - LINE_SEARCH_BYTES), start) + 1, 0)
    found = _role(data, start, end, line_start, facts, previous_by_end)
    # Hex is a digest unless it is named as a Binance key or secret in Binance context: by its own name
    # or its place in a client call, not by a word somewhere near (a `.pyc` of digests).
    if hex_value and (found.role == "unknown" or found.loose or _NOT_EXCHANGE_HEX_WORDS.intersection(found.name_words)):
        return None
    exchange = facts.attributor.exchange_of(start, end, line_start, found.name_words)
    other_exchange = exchange is not None and exchange != BINANCE
    binance = not other_exchange and (found.binance or exchange == BINANCE or _binance_nearby(data, start, end, facts))
    hex_partner_needed = False
    if hex_value:
        if other_exchange:
            return None
        strong = (
            exchange == BINANCE
            or found.strong_binance
            or facts.file_name_mentions_binance
            or strong_binance_context(data, start, end, testnet=False)
            or _testnet_nearby(data, start, end, facts)
        )
        if strong:
            binance = True
        else:
            from binance_secrets.detectors.testnet_hex import plain_credential_name

            if (
                not facts.mentions_binance
                or not plain_credential_name(found.name_words)
                or facts.testnet_off
                or _other_exchange_file(exchange, facts)
            ):
                return None
            # Plainly named in a file that speaks of Binance: a testnet key, reported at `medium` at
            # most. A generic name (`secret`, `key`) needs a hex partner as well (checked once every
            # candidate is known).
            hex_partner_needed = found.generic
    generic = found.generic
    if generic and not binance and facts.mentions_binance:
        generic = False  # `secret = "…"` in a file that talks about Binance
    # A file named for Binance (`binance_keys.txt`) vouches for what it holds; a folder named for it
    # (`binance_bot/data/ids.txt`) only for named values: it must not turn every bare token below it,
    # random ids included, into a finding.
    binance = not other_exchange and (
        binance or facts.file_name_mentions_binance or (found.named and facts.path_mentions_binance)
    )
    return _Candidate(
        rule_id=rules.CREDENTIAL.id if other_exchange else rules.API_KEY.id,
        start=start,
        end=end,
        secret=secret,
        role=found.role,
        named=found.named,
        binance_context=binance,
        generic_name=generic,
        other_exchange=other_exchange,
        other_name=found.other_name,
        # `### REPLACE THIS WITH YOUR API KEY` after the value (Binance's signing walkthrough): low.
        weak_shape=placeholder_marked(data, start, end),
        hex_value=hex_value,
        hex_partner_needed=hex_partner_needed,
        at_most_medium=hex_value and not binance,
    )


class _Found:
    """What the text around a value says about its role. (A plain class: a dataclass would cost
    milliseconds at import on the hook's path.)"""

    __slots__ = ("binance", "generic", "loose", "name_words", "named", "other_name", "role", "strong_binance")

    def __init__(self) -> None:
        self.role: Role = "unknown"
        self.named = False
        self.generic = False
        self.binance = False
        # Binance named outright (`BINANCE_API_KEY`, a Binance client): enough for a hex value.
        self.strong_binance = False
        self.name_words: tuple[str, ...] = ()
        self.other_name = False
        # The role comes from a word near the value or from the file's name, not from a name of its own.
        self.loose = False


def _role(
    data: bytes, start: int, end: int, line_start: int, facts: _FileFacts, previous_by_end: dict[int, _Candidate]
) -> _Found:
    found = _Found()
    if facts.table and _table_role(found, data, start, line_start, facts):
        return found
    name = _effective_name(data, start, line_start)
    if name is not None and name.adjacent:
        found.name_words = name.words
    previous = _previous_positional(data, start, previous_by_end)
    # `Client(API_KEY, "…")`: the name before the comma is the previous argument's, not this value's.
    name_is_previous_argument = name is not None and name.positional and role_of_name(name) != "call"
    if previous is not None and previous.role == "key":
        found.role, found.named = "secret", True
        found.binance = found.strong_binance = previous.binance_context
    elif name is not None and name.adjacent and not name_is_previous_argument:
        _role_from_name(found, name, role_of_name(name), facts)
        found.other_name = found.role == "unknown" and names_something_else(name)
    if found.role == "unknown":
        argument = enclosing_call(data, start)
        if argument is not None and argument.position < 2 and is_positional_client(argument.callee.words):
            # python-binance `Client(key, secret)`, connector `Spot(api_key, api_secret)`, go-binance
            # `NewClient(apiKey, secretKey)`, Binance.Net `ApiCredentials(key, secret)`, Java
            # `SpotClientImpl(API_KEY, SECRET_KEY)`: the position gives the role.
            found.role, found.named = ("key" if argument.position == 0 else "secret"), True
            _binance_call(found, argument.callee, facts)
    if found.role == "unknown" and (facts.message or facts.compiled):
        before, after = _COMPILED_WORD_WINDOW if facts.compiled else _MESSAGE_WORD_WINDOW
        if facts.compiled:
            after = _names_before_path(data, end, after)
        word_role = credential_word_role(data, start, end, before, after)
        if word_role is not None:
            found.named = found.loose = True
            found.role = "key" if word_role == "api_key" else "secret" if word_role == "secret_key" else "unknown"
    if found.role == "unknown" and _alone_in_file(data, start, end):
        role = facts.file_role
        if role is not None:
            found.role, found.named, found.loose = role, True, True
    elif found.role == "unknown" and facts.file_role is not None:
        position = _position_in_pair_file(data, start, end)
        if position is not None:
            # A file named for keys (`Key`, `keys.txt`, `binance.key`) that holds two values and
            # nothing else: the key, then the secret, as in every key file people write.
            found.role, found.named, found.loose = ("key" if position == 0 else "secret"), True, True
    if facts.message or facts.compiled:
        found.generic = False  # prose and constants say `key`/`secret` plainly; that is the name
    return found


def _table_role(found: _Found, data: bytes, start: int, line_start: int, facts: _FileFacts) -> bool:
    """A CSV/TSV cell takes the role its row's label or its column's header gives it (`Slave API
    Secrets,<s1>,<s2>`: both are secrets, whatever their order). False when neither names a role."""
    for name in table_cell_names(data, start, line_start):
        if name is not None and role_of_name(name) in ("api_key", "secret_key"):
            _role_from_name(found, name, role_of_name(name), facts)
            found.name_words = name.words
            return True
    return False


def _names_before_path(data: bytes, end: int, after: int) -> int:
    """How far the names after a `.pyc` constant go: up to the source file's path (`/home/…/x.py`),
    whose folder names are no names of the constants."""
    cuts = [i - end for i in (data.find(b"/", end, end + after), data.find(b"\\", end, end + after)) if i != -1]
    return min(cuts, default=after)


def _role_from_name(found: _Found, name: AssignedName, name_role: NameRole, facts: _FileFacts) -> None:
    found.binance = found.strong_binance = name_has_binance_word(name)
    found.generic = is_generic_name(name)
    if name_role == "api_key":
        found.role, found.named = "key", True
    elif name_role == "secret_key":
        found.role, found.named = "secret", True
    elif name_role == "call":
        found.role, found.named = "key", True
        _binance_call(found, name, facts)


def _binance_call(found: _Found, callee: AssignedName, facts: _FileFacts) -> None:
    """A Binance client's constructor (`Client`, `Spot`, …) is Binance's in a file that speaks of Binance."""
    if name_has_binance_word(callee) or (client_name(callee.words) in POSITIONAL_CLIENTS and facts.mentions_binance):
        found.binance = found.strong_binance = True


def _other_exchange_file(exchange: str | None, facts: _FileFacts) -> bool:
    """Nothing near the value names an exchange, and the file is about another one."""
    if exchange is not None:
        return False
    file_exchange = facts.attributor.file_exchange()
    return file_exchange is not None and file_exchange != BINANCE


def _testnet_nearby(data: bytes, start: int, end: int, facts: _FileFacts) -> bool:
    """`testnet` around a hex value, where Binance is named in the file or the word is a switch turned
    on (`testnet=True`, `testnet: true`): other chains have testnets too (`network = "testnet"`). A
    switch turned off says the opposite."""
    if not strong_binance_context(data, start, end):
        return False
    from binance_secrets.detectors.testnet_hex import testnet_switches

    low, high = context_bounds(data, start, end)
    on, off = testnet_switches(data[low:high])
    if off and not on:
        return False  # `TESTNET=false` beside it: a mainnet setting, whose hex values are no testnet keys
    return on or facts.mentions_binance


def _binance_nearby(data: bytes, start: int, end: int, facts: _FileFacts) -> bool:
    """Binance words around a value. `ccxt` and `bnb` say Binance only when no other exchange is
    named nearby: `ccxt.bybit(…)` is ccxt, and every exchange trades BNB."""
    if not binance_context(data, start, end):
        return False
    low, high = context_bounds(data, start, end)
    if not any(m.exchange != BINANCE for m in facts.attributor.mentions.between(low, high)):
        return True
    return strong_binance_context(data, start, end, testnet=False)


def _alone_in_file(data: bytes, start: int, end: int) -> bool:
    """The value is all the (short) file holds: a bare key file."""
    return (
        len(data) <= _BARE_FILE_BYTES
        and not data[:start].strip(_BARE_FILE_NOISE)
        and not data[end:].strip(_BARE_FILE_NOISE)
    )


def _position_in_pair_file(data: bytes, start: int, end: int) -> int | None:
    """0 or 1 when the (short) file holds two values and nothing else and this is the first or the
    second; None otherwise."""
    if len(data) > _BARE_FILE_BYTES:
        return None
    parts = data.translate(_PAIR_FILE_SEPARATORS).split()
    if len(parts) != 2 or any(len(part) != TOKEN_LENGTH for part in parts):
        return None
    return 0 if not data[:start].strip(_BARE_FILE_NOISE + b",") else 1


def _effective_name(data: bytes, value_start: int, line_start: int) -> AssignedName | None:
    if line_continues_call(data, line_start, value_start):
        # `Client(\n    "key",\n    "secret")`: the name ends the line before.
        previous_start = data.rfind(b"\n", max(0, line_start - 1 - NAME_WINDOW_BYTES), line_start - 1) + 1
        previous_end = data.rfind(b"(", previous_start, line_start) + 1
        return assigned_name(data, previous_end, previous_start)
    if line_ends_assignment(data, line_start, value_start):
        # `pub const TEST_FUTURE_API_KEY: &str =\n    "…";`, `apiKey:\n  '…'`: the name ends the line
        # before, the value stands alone on its own line.
        previous_start = data.rfind(b"\n", max(0, line_start - 1 - NAME_WINDOW_BYTES), line_start - 1) + 1
        previous_end = previous_start + len(data[previous_start:line_start].rstrip())
        return assigned_name(data, previous_end, previous_start)
    name = assigned_name(data, value_start, line_start)
    if name is not None and name.words in (("value",), ("values",)):
        # `<add key="BinanceApiKey" value="…"/>` and `{"name": "apiKey", "value": "…"}`: the
        # meaningful name is the one before `value`.
        value_word = data.rfind(b"value", max(line_start, value_start - NAME_WINDOW_BYTES), value_start)
        outer = assigned_name(data, value_word, line_start) if value_word > line_start else None
        if outer is not None:
            return AssignedName(outer.text, outer.words, adjacent=True)
    return name


def _previous_positional(data: bytes, value_start: int, previous_by_end: dict[int, _Candidate]) -> _Candidate | None:
    """The token just before this one when only `", "` or a newline separates them (positional args)."""
    position = value_start
    limit = max(0, value_start - 16)
    while position > limit and data[position - 1] in b" \t\r\n\"'`,;|\\":
        position -= 1
    return previous_by_end.get(position)


def _private_key_candidates(data: bytes, pems: list[PemMatch], facts: _FileFacts) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    for pem in pems:
        if is_documentation_example(pem.canonical):
            continue  # a test key published in Binance's docs or connectors
        if _doctored_pem(pem.canonical):
            continue  # `…EEEEXAMPLE…` written into the body: an illustration, no key
        line_start = max(data.rfind(b"\n", max(0, pem.start - LINE_SEARCH_BYTES), pem.start) + 1, 0)
        name = assigned_name(data, pem.start, line_start)
        exchange = facts.attributor.exchange_of(pem.start, pem.start, line_start, name.words if name else ())
        # Coinbase and others issue Ed25519 and EC keys too: theirs are not Binance keys; nor is the
        # key of a Google service account (`"type": "service_account"`, `client_email`).
        other_exchange = (
            (exchange is not None and exchange != BINANCE)
            or facts.service_account
            or (not facts.path_mentions_binance and _other_exchange_file(exchange, facts))
        )
        binance = exchange == BINANCE or facts.path_mentions_binance or _binance_nearby(data, pem.start, pem.end, facts)
        weak = pem.algorithm not in ("ed25519", "rsa", "encrypted")
        # RSA and encrypted keys are named by what holds them: a private-key name in a file that speaks
        # of Binance (`Client(api_key, private_key=…, private_key_pass=…)` below), or the file name
        # Binance's signing examples give the key (`test-prv-key.pem`).
        named_key = (
            name is not None
            and name.adjacent
            and bool(_PRIVATE_KEY_WORDS.intersection(name.words))
            and facts.mentions_binance
        ) or _PRV_KEY_FILE in facts.base.lower()
        candidates.append(
            _Candidate(
                rule_id=rules.CREDENTIAL.id if other_exchange else rules.PRIVATE_KEY.id,
                start=pem.start,
                end=pem.end,
                secret=pem.canonical,
                role="secret",
                # Ed25519 PKCS#8 is the format Binance recommends; RSA and encrypted keys are common
                # everywhere else (TLS), so they need a name or Binance context to rise above `low`.
                named=pem.algorithm == "ed25519" or named_key,
                binance_context=binance and not weak and not other_exchange,
                display_length=len(pem.label) + 16,
                weak_shape=weak,
                other_exchange=other_exchange,
            )
        )
    return candidates


_PRIVATE_KEY_WORDS = frozenset({"private", "priv", "prv", "pvt"})
# The name Binance's REST and WebSocket signing examples give the private key file.
_PRV_KEY_FILE = "prv-key"
# Words written into a PEM body to say it is an illustration (`MIIJ…EEEEXAMPLE5ipw…`). Six letters or
# more: a random base64 body of 4,000 characters holds one of them about once in a million keys.
_PEM_PLACEHOLDER_WORDS = ("example", "placeholder", "redacted", "changeme", "sample", "yourkey", "notreal")


def _doctored_pem(canonical: str) -> bool:
    """A placeholder word written into the base64 body of a PEM (the canonical form: header, body)."""
    body = canonical.lower()
    return any(word in body for word in _PEM_PLACEHOLDER_WORDS)


def _credential_candidates(
    data: bytes, matches: list[CredentialMatch], token_spans: list[tuple[int, int]], facts: _FileFacts
) -> list[_Candidate]:
    candidates = []
    for match in matches:
        if _overlaps(match.value_start, match.value_end, token_spans):
            continue  # already reported as a 64-character key or secret: one finding per value
        if value_rejection_reason(match.value, check_entropy=False) is not None:
            continue  # a placeholder, a sequential run or Binance's documentation key
        if _beside_documentation_example(data, match.value_start, match.value_end):
            continue  # the secret of a documentation example whose key is known (cut or retyped)
        words = set(match.words)
        # `api_secret`, `apiSecret`, `secret_key`: named like an exchange credential. Plain
        # `SECRET_KEY` or `client_secret` (Django, OAuth) need Binance context to be reported.
        exchange_like = "api" in words or bool(words & {"binance", "bnb"})
        line_start = max(data.rfind(b"\n", max(0, match.value_start - LINE_SEARCH_BYTES), match.value_start) + 1, 0)
        exchange = facts.attributor.exchange_of(match.value_start, match.value_end, line_start, match.words)
        other_exchange = exchange is not None and exchange != BINANCE
        binance = not other_exchange and (
            exchange == BINANCE
            or facts.file_name_mentions_binance
            or (exchange_like and facts.path_mentions_binance)
            or bool(words & {"binance", "bnb", "mbx"})
            or _binance_nearby(data, match.value_start, match.value_end, facts)
        )
        # A value named like an exchange credential with no Binance around, in a file about another
        # exchange, is that exchange's. (Others are `low` whatever the file says: no need to read it.)
        if exchange_like and not binance and _other_exchange_file(exchange, facts):
            other_exchange = True
        candidates.append(
            _Candidate(
                rule_id=rules.CREDENTIAL.id,
                start=match.value_start,
                end=match.value_end,
                secret=match.value,
                role="unknown",
                named=exchange_like,
                binance_context=binance,
                other_exchange=other_exchange,
            )
        )
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


# How far apart the key and the secret of a named hex pair may be (`apiKey='…'` / `secret='…'`).
_HEX_PAIR_LINES = 3
_HEX_PAIR_BYTES = 1024


def _with_hex_partners(data: bytes, candidates: list[_Candidate]) -> list[_Candidate]:
    """Drops the hex values that needed a partner and have none: a hex value of the other role,
    itself a candidate, within a few lines."""
    if not any(c.hex_partner_needed for c in candidates):
        return candidates
    hex_candidates = sorted((c for c in candidates if c.hex_value and not c.other_exchange), key=lambda c: c.start)
    starts = [c.start for c in hex_candidates]
    kept = []
    for candidate in candidates:
        if candidate.hex_partner_needed:
            # The hex candidates around it in position order: a bounded slice, for linear cost.
            index = bisect.bisect_left(starts, candidate.start)
            neighbours = hex_candidates[max(0, index - PAIR_SEARCH_LIMIT) : index + PAIR_SEARCH_LIMIT]
            if not any(
                other is not candidate
                and other.role not in (candidate.role, "unknown")
                and _lines_apart(data, candidate, other) <= _HEX_PAIR_LINES
                for other in neighbours
            ):
                continue
        kept.append(candidate)
    return kept


def _lines_apart(data: bytes, first: _Candidate, second: _Candidate) -> int:
    low, high = sorted((first.start, second.start))
    if high - low > _HEX_PAIR_BYTES:
        return _HEX_PAIR_LINES + 1
    return data.count(b"\n", low, high)


def _pair(candidates: list[_Candidate]) -> None:
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


def _pair_with_nearest(pairable: list[_Candidate], index: int, wanted: tuple[Role, ...], window: int) -> None:
    candidate = pairable[index]
    best: _Candidate | None = None
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


def _confidence(candidate: _Candidate) -> Confidence:
    if candidate.weak_shape or candidate.other_exchange:
        return "low"
    partner = candidate.partner
    paired_by_name = partner is not None and candidate.named and partner.named
    if candidate.binance_context or (paired_by_name and not candidate.at_most_medium):
        return "high"
    if candidate.named and not candidate.generic_name:
        return "medium"
    return "low"


def _pair_confidence(candidate: _Candidate) -> Confidence:
    """A key and a secret paired are one credential: the partner inherits the pair's confidence."""
    own = _confidence(candidate)
    partner = candidate.partner
    if partner is None or candidate.weak_shape or candidate.other_exchange:
        return own
    theirs = _confidence(partner)
    return theirs if CONFIDENCE_ORDER[theirs] > CONFIDENCE_ORDER[own] else own


def _to_finding(candidate: _Candidate, path: str) -> Finding:
    partner = candidate.partner
    return Finding(
        rule_id=candidate.rule_id,
        confidence=_pair_confidence(candidate),
        path=path,
        line=candidate.line,
        column=candidate.column,
        end_column=candidate.end_column,
        secret=candidate.secret,
        pair_sha256=sha256_hex(partner.secret) if partner is not None else None,
    )
