"""Inline suppression markers, in detect-secrets' spelling and ours."""

from __future__ import annotations

# detect-secrets' marker (so one comment serves both tools), gitleaks-style short form, ours.
SAME_LINE_MARKERS: tuple[bytes, ...] = (
    b"pragma: allowlist secret",
    b"binance-secrets:allow",
    b"binance-secrets: allow",
)
NEXT_LINE_MARKER = b"pragma: allowlist nextline secret"
# Markers sit in comments at the end of a line; a huge minified line is searched only near its ends.
MARKER_SEARCH_BYTES = 4096


def is_line_allowlisted(data: bytes, line_start: int) -> bool:
    line_end = data.find(b"\n", line_start)
    if line_end == -1:
        line_end = len(data)
    if _has_marker(data, line_start, line_end, SAME_LINE_MARKERS):
        return True
    if line_start == 0:
        return False
    previous_start = data.rfind(b"\n", max(0, line_start - 1 - MARKER_SEARCH_BYTES), line_start - 1) + 1
    return _has_marker(data, previous_start, line_start - 1, (NEXT_LINE_MARKER,))


def _has_marker(data: bytes, start: int, end: int, markers: tuple[bytes, ...]) -> bool:
    regions: tuple[tuple[int, int], ...] = ((start, end),)
    if end - start > 2 * MARKER_SEARCH_BYTES:
        regions = ((start, start + MARKER_SEARCH_BYTES), (end - MARKER_SEARCH_BYTES, end))
    return any(data.find(marker, low, high) != -1 for marker in markers for low, high in regions)
