"""Where each candidate is: its line and columns, in one forward sweep over the chunk; candidates on a
line allow-listed inline (`# binance-secrets: allow`, `allowlist.py`) are dropped here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from binance_secrets.allowlist import is_line_allowlisted

if TYPE_CHECKING:
    from binance_secrets.detectors.candidate import Candidate


def position_and_filter(data: bytes, candidates: list[Candidate], first_line: int) -> list[Candidate]:
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
