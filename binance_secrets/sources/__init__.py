"""Sources turn a target (files, the staged index, git history) into `Chunk`s of bytes to scan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    path: str  # as reported: relative, POSIX separators
    data: bytes
    first_line: int = 1
    # 1-based column of the first byte on its line: above 1 when a line longer than a block was cut.
    first_column: int = 1
