"""What the text around one value says about it: the role it plays (key, secret or unknown), whether
it is named, how generically, and whether its name or its call says Binance.

The role comes from, in order: a table's row label or column header; the name the value is written
after (`api_secret = "…"`, on this line or ending the one before); the key just before it
(`Client(KEY, "…")`); its place in a client call (`Client(key, secret)`); a key or secret word near it
in prose or compiled code; the name of a file that holds it alone or as one of two values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from binance_secrets.detectors.binance_words import name_has_binance_word
from binance_secrets.detectors.names import (
    NAME_WINDOW_BYTES,
    AssignedName,
    assigned_name,
    is_generic_name,
    line_continues_call,
    line_ends_assignment,
)
from binance_secrets.detectors.roles import (
    POSITIONAL_CLIENTS,
    NameRole,
    client_name,
    credential_word_role,
    enclosing_call,
    is_positional_client,
    names_something_else,
    role_of_name,
    table_cell_names,
)
from binance_secrets.triggers import TOKEN_LENGTH

if TYPE_CHECKING:
    from binance_secrets.detectors.candidate import Candidate, Role
    from binance_secrets.detectors.file_facts import FileFacts

# Where a key/secret word gives a role to a value in prose (commit and tag messages) and compiled
# code (a `.pyc` lists the names after the constants, so it looks further ahead).
_MESSAGE_WORD_WINDOW = (160, 48)
_COMPILED_WORD_WINDOW = (256, 1024)

# A file holding nothing but one key (`api_key.txt`, `secret.key`) is at most this long.
_BARE_FILE_BYTES = 512
_BARE_FILE_NOISE = b" \t\r\n\"'"

# Quotes and commas separate the two values of a key file as blanks do.
_PAIR_FILE_SEPARATORS = bytes.maketrans(b"\"',", b"   ")


class ValueContext:
    """What the text around a value says about its role. (A plain class: cheaper to build than a
    dataclass, and built for every candidate.)"""

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


def value_context(
    data: bytes, start: int, end: int, line_start: int, facts: FileFacts, previous_by_end: dict[int, Candidate]
) -> ValueContext:
    """What the text around [start, end) says; `previous_by_end` holds the candidates found so far by
    where they end, so that a value right after a key (`Client(KEY, "…")`) is read as its secret."""
    found = ValueContext()
    if facts.table and _table_role(found, data, start, line_start, facts):
        return found
    name = _effective_name(data, start, line_start)
    if name is not None and name.adjacent:
        found.name_words = name.words
    previous = previous_positional(data, start, previous_by_end)
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


def _table_role(found: ValueContext, data: bytes, start: int, line_start: int, facts: FileFacts) -> bool:
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


def _role_from_name(found: ValueContext, name: AssignedName, name_role: NameRole, facts: FileFacts) -> None:
    found.binance = found.strong_binance = name_has_binance_word(name)
    found.generic = is_generic_name(name)
    if name_role == "api_key":
        found.role, found.named = "key", True
    elif name_role == "secret_key":
        found.role, found.named = "secret", True
    elif name_role == "call":
        found.role, found.named = "key", True
        _binance_call(found, name, facts)


def _binance_call(found: ValueContext, callee: AssignedName, facts: FileFacts) -> None:
    """A Binance client's constructor (`Client`, `Spot`, …) is Binance's in a file that speaks of Binance."""
    if name_has_binance_word(callee) or (client_name(callee.words) in POSITIONAL_CLIENTS and facts.mentions_binance):
        found.binance = found.strong_binance = True


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


def previous_positional(data: bytes, value_start: int, previous_by_end: dict[int, Candidate]) -> Candidate | None:
    """The token just before this one when only `", "` or a newline separates them (positional args)."""
    position = value_start
    limit = max(0, value_start - 16)
    while position > limit and data[position - 1] in b" \t\r\n\"'`,;|\\":
        position -= 1
    return previous_by_end.get(position)
