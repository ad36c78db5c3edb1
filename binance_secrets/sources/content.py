"""Turning raw file or blob bytes into scannable text: binary, UTF-16 and zip archives.

Shared by the file walker, the staged-index source and the history audit so that a blob is read
the same way wherever it comes from. Content of any size is cut into blocks that split no line, no
64-character token and no PEM key where that can be avoided; each block carries the line and column
it starts at, so positions stay right after lines longer than a block.

Archives are hostile input: every limit below bounds the work one archive can cause, and whatever a
limit leaves unread is reported as a `ScanError`, never skipped silently.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Callable, Iterator

from binance_secrets.result import ScanError
from binance_secrets.sources import Chunk

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    import zipfile
    from typing import IO

BINARY_SNIFF_BYTES = 8192
# Content is cut into blocks of about this size (a block holds whole lines where it can).
BLOCK_BYTES = 8 * 1024 * 1024
# A PEM key that starts this close to the end of a block is carried over to the next block whole.
PEM_CARRY_BYTES = 16 * 1024
# Cutting inside an alphanumeric run longer than a block: this much of it starts the next block, so
# that neither side sees a run of key length (64, or 69 with an escape prefix) that is not there.
LONG_RUN_OVERLAP = 128

# Archive limits (README "Archive limits"). One outermost archive, nested ones included, may inflate
# to ARCHIVE_MAX_INFLATED_BYTES; a member that inflates past ARCHIVE_RATIO_FLOOR_BYTES at more than
# ARCHIVE_MAX_RATIO bytes per compressed byte is a bomb (deflate peaks near 1032:1, text compresses
# about 3-10:1). A nested archive is read into memory to be opened, hence its own size limit.
ARCHIVE_MAX_DEPTH = 3
ARCHIVE_MAX_MEMBERS = 10_000
ARCHIVE_MAX_INFLATED_BYTES = 256 * 1024 * 1024
ARCHIVE_MAX_RATIO = 100
ARCHIVE_RATIO_FLOOR_BYTES = 1024 * 1024
ARCHIVE_MAX_NESTED_BYTES = 64 * 1024 * 1024

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ZIP_MAGIC = b"PK\x03\x04"
_LOCAL_HEADER_BYTES = 30
# Bytes that are not printable ASCII (nor tab/newline) become spaces, so that strings embedded in
# compiled or database files (.pyc, sqlite) stand as separate tokens while offsets stay the same.
_PRINTABLE_ONLY = bytes(
    byte if (32 <= byte < 127 or byte in (9, 10, 13)) else 32 for byte in range(256)
)
_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# Where a block may be cut, best first (see `_safe_cut`): a newline; a space or tab; punctuation that
# no detector looks at across a token's edge; any other ASCII byte that is not alphanumeric; the lead
# byte of a UTF-8 sequence; a continuation byte. Bytes around a token that the detectors do look at
# (`+/=` of base64, `_-.` of identifiers, `\` and `%` of escapes) are the `other` class.
_CUT_CLASSES = bytes(
    ord(
        "n" if byte == 10
        else "w" if byte in (9, 32)
        else "a" if byte in _ALNUM
        else "o" if byte in b"+/=_-.\\%"
        else "p" if byte < 128
        else "c" if byte < 0xC0
        else "l"
    )
    for byte in range(256)
)  # fmt: skip


class _ArchiveStop(Exception):
    """An archive limit was reached: the rest of the archive is not read."""


class _DamagedMember(Exception):
    """zipfile failed on a member (damaged, encrypted, unsupported): that member is not read."""


# Plain classes: a read's changing state, not values to compare or print, and the pre-commit hook builds
# no dataclass it can do without (each costs ~0.5 ms to create; README "Performance").
class _ArchiveBudget:
    """Inflated bytes left for one outermost archive and everything nested in it."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = ARCHIVE_MAX_INFLATED_BYTES


class _Position:
    """Where the next block starts: its line and the column of its first byte."""

    __slots__ = ("column", "line")

    def __init__(self) -> None:
        self.line = 1
        self.column = 1


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def is_zip(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


def is_utf16(head: bytes) -> bool:
    """A UTF-16 byte-order mark followed by valid UTF-16 (the block may end mid-character)."""
    if not head.startswith(_UTF16_BOMS):
        return False
    try:
        codecs.utf_16_decode(head[:BINARY_SNIFF_BYTES], "strict", False)
    except UnicodeDecodeError:
        return False  # a binary format that happens to start with FF FE
    return True


def printable_text(data: bytes) -> bytes:
    """The scannable view of a blob: text as it is, UTF-16 as UTF-8, binary reduced to printable runs.

    A UTF-16 file of odd length or with a lone surrogate is still decoded; the bad code units become
    U+FFFD.
    """
    if is_utf16(data):
        return data.decode("utf-16", "replace").encode("utf-8")
    if is_binary(data):
        return data.translate(_PRINTABLE_ONLY)
    return data


def is_plain(data: bytes) -> bool:
    """Content whose chunks are its own bytes (text, or binary reduced in place), not a zip to open nor
    UTF-16 to decode: what can be tested for triggers before it is read (`prefilter`)."""
    return not is_zip(data) and not is_utf16(data)


def blob_chunks(path: str, data: bytes, errors: list[ScanError]) -> Iterator[Chunk]:
    """The chunks of a blob held in memory (a staged or historical blob); what is not read goes to `errors`.

    Plain content under one block is the single chunk the stream would make of it, made without the
    stream machinery: most blobs of a history are small, and that machinery cost more than detecting.
    """
    if len(data) < BLOCK_BYTES and is_plain(data):
        if data:  # the stream makes no chunk of an empty blob
            yield Chunk(path, printable_text(data))
        return
    import io

    yield from stream_chunks(path, io.BytesIO(data), errors)


def stream_chunks(path: str, source: IO[bytes], errors: list[ScanError]) -> Iterator[Chunk]:
    """The chunks of a seekable binary stream (an open file); what is not read goes to `errors`."""
    first = source.read(BLOCK_BYTES)
    if is_zip(first):
        source.seek(0)
        yield from _archive_chunks(path, source, errors, _ArchiveBudget(), depth=1)
        return
    yield from _content_chunks(path, first, _rest(first, source.read))


def _rest(first: bytes, read: Callable[[int], bytes]) -> Callable[[int], bytes]:
    """What reads the rest: nothing when the first block came back short (the whole of a small file)."""
    return read if len(first) >= BLOCK_BYTES else _nothing


def _nothing(size: int) -> bytes:
    return b""


def _content_chunks(path: str, first: bytes, read: Callable[[int], bytes]) -> Iterator[Chunk]:
    """Text, UTF-16 or binary content: `first` is its first block, `read` yields the rest."""
    if is_utf16(first):
        yield from _block_chunks(path, b"", _Utf16Reader(first, read).read, binary=False)
    else:
        yield from _block_chunks(path, first, read, binary=is_binary(first))


def _block_chunks(path: str, pending: bytes, read: Callable[[int], bytes], *, binary: bool) -> Iterator[Chunk]:
    position = _Position()
    while True:
        more = read(BLOCK_BYTES)
        if not more:
            if pending:
                yield _chunk(path, pending, position, binary)
            return
        block = pending + more if pending else more
        cut = _safe_cut(block)
        piece, pending = block[:cut], block[cut:]
        if piece:
            yield _chunk(path, piece, position, binary)
            _advance(position, piece, binary)


def _chunk(path: str, piece: bytes, position: _Position, binary: bool) -> Chunk:
    return Chunk(path, piece.translate(_PRINTABLE_ONLY) if binary else piece, position.line, position.column)


def _advance(position: _Position, piece: bytes, binary: bool) -> None:
    """Move `position` past `piece`. Columns count characters, as the detectors count them."""
    newlines = piece.count(b"\n")
    if newlines:
        position.line += newlines
        tail = piece[piece.rfind(b"\n") + 1 :]
        position.column = 1 + _characters(tail, binary)
    else:
        position.column += _characters(piece, binary)


def _characters(data: bytes, binary: bool) -> int:
    # Binary blocks are reduced to printable ASCII (one byte, one character); cuts never split a UTF-8
    # sequence, so a text piece decodes on its own exactly as it does inside the whole line.
    return len(data) if binary else len(data.decode("utf-8", "replace"))


def _safe_cut(block: bytes) -> int:
    """Where to split a block: in its second half, splitting no line, token or PEM key if possible.

    One `translate` and a few `rfind`s: linear in the block whatever it holds, so a 200 MB line of
    alphanumeric characters costs what ordinary text costs.
    """
    half = len(block) // 2
    cut = block.rfind(b"\n", half) + 1
    if cut == 0:
        cut = _cut_in_long_line(block, half)
    pem = block.rfind(b"-----BEGIN", max(0, cut - PEM_CARRY_BYTES), cut)
    if pem != -1 and block.find(b"-----END", pem, cut) == -1:
        cut = block.rfind(b"\n", 0, pem) + 1 or pem
    return cut


def _cut_in_long_line(block: bytes, half: int) -> int:
    classes = block[half:].translate(_CUT_CLASSES)
    for mark in (b"w", b"p", b"o"):
        found = classes.rfind(mark)
        if found != -1:
            return half + found + 1  # after the separator
    for mark in (b"l", b"c"):
        found = classes.rfind(mark)
        if found > 0:
            return half + found  # before a UTF-8 sequence (or inside binary noise)
    # The second half is one alphanumeric run: it is no token (far longer than 64) on either side.
    return len(block) - LONG_RUN_OVERLAP


class _Utf16Reader:
    """A `read` over UTF-16 content that returns it as UTF-8, decoded block by block."""

    def __init__(self, first: bytes, read: Callable[[int], bytes]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        self._first: bytes | None = first
        self._read = read
        self._done = False

    def read(self, size: int) -> bytes:
        while not self._done:
            if self._first is not None:
                raw, self._first = self._first, None
            else:
                raw = self._read(size)
            if not raw:
                self._done = True
                return self._decoder.decode(b"", final=True).encode("utf-8")  # an odd last byte: U+FFFD
            text = self._decoder.decode(raw)
            if text:
                return text.encode("utf-8")
        return b""


# --- zip archives ---------------------------------------------------------------------------------


def _archive_chunks(
    path: str, source: IO[bytes], errors: list[ScanError], budget: _ArchiveBudget, depth: int
) -> Iterator[Chunk]:
    import zipfile

    try:
        archive = zipfile.ZipFile(source)
        infos = archive.infolist()
    except Exception as error:  # zipfile raises a dozen types on hostile input
        message = f"zip archive could not be opened ({_reason(error)}): read as plain bytes, members not scanned"
        errors.append(ScanError(path, message))
        source.seek(0)
        first = source.read(BLOCK_BYTES)
        yield from _content_chunks(path, first, _rest(first, source.read))
        return
    with archive:
        problem = _layout_problem(infos, getattr(archive, "start_dir", None))
        if problem:
            errors.append(ScanError(path, f"{problem}: the archive is not scanned (a zip bomb?)"))
            return
        if len(infos) > ARCHIVE_MAX_MEMBERS:
            limit = ARCHIVE_MAX_MEMBERS
            message = f"{len(infos)} members, over the limit of {limit}: those after the first {limit} are not scanned"
            errors.append(ScanError(path, message))
            infos = infos[:ARCHIVE_MAX_MEMBERS]
        try:
            for info in infos:
                if not info.is_dir():
                    yield from _member_chunks(path, archive, info, errors, budget, depth)
        except _ArchiveStop as stop:
            errors.append(ScanError(path, f"{stop}: the rest of the archive is not scanned"))


def _member_chunks(
    archive_path: str,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    errors: list[ScanError],
    budget: _ArchiveBudget,
    depth: int,
) -> Iterator[Chunk]:
    path = f"{archive_path}!{info.filename}"
    if info.flag_bits & 0x1:
        errors.append(ScanError(path, "encrypted zip member: not scanned"))
        return
    try:
        member = archive.open(info)
    except Exception as error:  # see _archive_chunks
        errors.append(ScanError(path, f"zip member could not be read ({_reason(error)}): not scanned"))
        return
    with member:
        read = _BoundedMember(member, info, budget).read
        try:
            first = read(BLOCK_BYTES)
            if is_zip(first):
                yield from _nested_archive_chunks(path, first, read, info, errors, budget, depth)
            else:
                yield from _content_chunks(path, first, _rest(first, read))
        except _DamagedMember as error:
            errors.append(ScanError(path, f"zip member could not be read ({error}): not scanned in full"))


def _nested_archive_chunks(
    path: str,
    first: bytes,
    read: Callable[[int], bytes],
    info: zipfile.ZipInfo,
    errors: list[ScanError],
    budget: _ArchiveBudget,
    depth: int,
) -> Iterator[Chunk]:
    import io

    if depth >= ARCHIVE_MAX_DEPTH:
        errors.append(ScanError(path, f"archive nested more than {ARCHIVE_MAX_DEPTH} levels deep: not scanned"))
        return
    if info.file_size > ARCHIVE_MAX_NESTED_BYTES:
        errors.append(ScanError(path, f"nested archive over {ARCHIVE_MAX_NESTED_BYTES // 2**20} MiB: not scanned"))
        return
    parts = [first]
    while block := read(BLOCK_BYTES):
        parts.append(block)
    yield from _archive_chunks(path, io.BytesIO(b"".join(parts)), errors, budget, depth + 1)


class _BoundedMember:
    """`read` over a zip member that counts inflated bytes against the archive's limits."""

    def __init__(self, member: IO[bytes], info: zipfile.ZipInfo, budget: _ArchiveBudget) -> None:
        self._member = member
        self._name = info.filename
        self._compressed = max(info.compress_size, 1)
        self._budget = budget
        self._inflated = 0

    def read(self, size: int) -> bytes:
        if self._budget.left <= 0:
            raise _ArchiveStop(f"inflated size over the limit of {ARCHIVE_MAX_INFLATED_BYTES // 2**20} MiB")
        try:
            data = self._member.read(min(size, self._budget.left))
        except Exception as error:  # see _archive_chunks
            raise _DamagedMember(_reason(error)) from None
        self._inflated += len(data)
        self._budget.left -= len(data)
        if self._inflated > ARCHIVE_RATIO_FLOOR_BYTES and self._inflated > ARCHIVE_MAX_RATIO * self._compressed:
            raise _ArchiveStop(
                f"member {self._name} inflates more than {ARCHIVE_MAX_RATIO} times its compressed size (a zip bomb?)"
            )
        if self._budget.left <= 0 and data and self._member.read(1):
            raise _ArchiveStop(f"inflated size over the limit of {ARCHIVE_MAX_INFLATED_BYTES // 2**20} MiB")
        return data


def _layout_problem(infos: list[zipfile.ZipInfo], directory_start: int | None) -> str | None:
    """Entries whose data overlap (the construction of non-recursive zip bombs) or run past the end.

    An entry takes at least its 30-byte local header plus its compressed data, so the next entry must
    start after that; the name and extra field only make an honest entry longer.
    """
    spans = sorted(
        (info.header_offset, info.header_offset + _LOCAL_HEADER_BYTES + info.compress_size) for info in infos
    )
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        if next_start < end:
            return "overlapping entries"
    if spans and directory_start is not None and spans[-1][1] > directory_start:
        return "an entry runs into the central directory"
    return None


def _reason(error: Exception) -> str:
    # The type only: zipfile's messages quote member names, which are attacker-controlled text.
    return type(error).__name__
