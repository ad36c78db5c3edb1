"""Staying inside Binance's request-weight limit while several checks run at once.

Binance counts request weight per IP in fixed windows (the calendar minute for REQUEST_WEIGHT),
announces the limit in `/api/v3/exchangeInfo` `rateLimits`, and reports the running total on every
response as `X-MBX-USED-WEIGHT-<n><unit>`. The governor reserves weight before a request, takes the
announced limit when it is lower than our own budget, raises its count whenever the header reports
more (other programs on the same IP count too), waits for the next window when the budget is spent,
and stops everyone while a 429/418 `Retry-After` runs.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping

# The header's interval is a number and a unit (S, M, H, D); one header per interval Binance counts.
# ASCII digits only: header values arrive as latin-1 text, where "²".isdigit() holds but int("²") fails.
_WEIGHT_HEADER = re.compile(r"x-mbx-used-weight-([0-9]{1,4})([smhd])\Z", re.IGNORECASE)
_WEIGHT_VALUE = re.compile(r"[0-9]{1,9}\Z")
MAX_WINDOW_SECONDS = 86400.0  # Binance's longest window is a day; a longer one would stall every check
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Binance's REQUEST_WEIGHT limit is 6000 per minute per IP (Binance.US: 1200); a scanner takes less
# than either so that trading bots sharing the IP keep working.
DEFAULT_WEIGHT_BUDGET = 1000
DEFAULT_WINDOW_SECONDS = 60.0


class WeightGovernor:
    def __init__(
        self,
        budget: int = DEFAULT_WEIGHT_BUDGET,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._budget = budget
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._window_seconds = DEFAULT_WINDOW_SECONDS
        self._window = -1
        self._used = 0
        self._in_flight = 0  # weight of requests sent but not answered: they may land in the next window
        self._blocked_until = 0.0

    @property
    def budget(self) -> int:
        return self._budget

    def announce(self, limit: int, window_seconds: float) -> None:
        """The server's own limit for its window: never plan beyond it."""
        with self._lock:
            self._budget = min(self._budget, limit)
            self._set_window(window_seconds)

    def acquire(self, weight: int, deadline: float) -> bool:
        """Reserve `weight` in the current window, waiting if needed; False if that would pass `deadline`
        (a `time.time()` value). Every successful acquire must be followed by `release`."""
        while True:
            with self._lock:
                now = self._clock()
                self._roll(now)
                if now < self._blocked_until:
                    wait = self._blocked_until - now
                elif self._used + weight <= self._budget:
                    self._used += weight
                    self._in_flight += weight
                    return True
                else:
                    # A little past the boundary, so that our clock and Binance's agree it has passed.
                    wait = (self._window + 1) * self._window_seconds - now + 0.05
            if now + wait > deadline:
                return False
            self._sleep(wait)

    def release(self, weight: int) -> None:
        with self._lock:
            self._in_flight -= weight

    def observe(self, headers: Mapping[str, str]) -> None:
        reports = []
        for name, value in headers.items():
            match = _WEIGHT_HEADER.match(name)
            if match is not None and _WEIGHT_VALUE.match(value.strip()):
                seconds = float(int(match.group(1)) * UNIT_SECONDS[match.group(2).lower()])
                if 0 < seconds <= MAX_WINDOW_SECONDS:
                    reports.append((seconds, int(value)))
        if not reports:
            return
        # Several intervals may be reported; the shortest is the one a burst can exhaust.
        seconds, used = min(reports)
        with self._lock:
            self._set_window(seconds)
            self._roll(self._clock())
            self._used = max(self._used, used)

    def block(self, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def _set_window(self, seconds: float) -> None:
        if 0 < seconds <= MAX_WINDOW_SECONDS and seconds != self._window_seconds:
            self._window_seconds = seconds
            self._window = int(self._clock() // seconds)
            # Keep the count: it is at worst an overestimate for the newly learnt window.

    def _roll(self, now: float) -> None:
        window = int(now // self._window_seconds)
        if window != self._window:
            self._window = window
            self._used = self._in_flight
