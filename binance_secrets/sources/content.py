"""Turning raw file or blob bytes into scannable text: binary, UTF-16 and zip archives.

Shared by the file walker, the staged-index source and the history audit so that a blob is read
the same way wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Iterator

BINARY_SNIFF_BYTES = 8192
ZIP_MEMBER_MAX_BYTES = 20 * 1024 * 1024
ZIP_MAX_MEMBERS = 2000
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Bytes that are not printable ASCII (nor tab/newline) become spaces, so that strings embedded in
# compiled or database files (.pyc, sqlite) stand as separate tokens while offsets stay the same.
_PRINTABLE_ONLY = bytes(
    byte if (32 <= byte < 127 or byte in (9, 10, 13)) else 32 for byte in range(256)
)


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def printable_text(data: bytes) -> bytes:
    """The scannable view of a blob: text as it is, binary reduced to its printable runs."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass
    if is_binary(data):
        return data.translate(_PRINTABLE_ONLY)
    return data


def is_zip(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def zip_members(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(member name, content) for the small members of a zip archive (wheels, jars, docx)."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()[:ZIP_MAX_MEMBERS]
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    for info in infos:
        if info.is_dir() or info.file_size > ZIP_MEMBER_MAX_BYTES:
            continue
        try:
            yield info.filename, archive.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
            continue  # encrypted or damaged member: the rest of the archive still counts
