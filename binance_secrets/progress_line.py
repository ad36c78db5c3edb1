"""One self-rewriting line on stderr, redrawn at most every quarter second (history audits' progress)."""

from __future__ import annotations

import sys
import time

PROGRESS_INTERVAL_SECONDS = 0.25


class ProgressLine:
    """Draws what `update` is given in place; `close` clears it, so the report starts on a clean line."""

    def __init__(self) -> None:
        self._last = 0.0
        self._drawn = False

    def due(self, force: bool = False) -> float | None:
        """The time now if a redraw is due (always when `force`), else None."""
        now = time.perf_counter()
        if not force and now - self._last < PROGRESS_INTERVAL_SECONDS:
            return None
        self._last = now
        return now

    def draw(self, line: str) -> None:
        sys.stderr.write("\r\033[K" + line)
        sys.stderr.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
