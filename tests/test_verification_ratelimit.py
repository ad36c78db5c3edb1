"""The request-weight governor: windows, announced limits, the used-weight header and Retry-After.

Time is a plain counter the test advances (the governor takes its clock and sleep as parameters), so
these run instantly and prove the arithmetic rather than a race.
"""

from __future__ import annotations

from binance_secrets.verification.ratelimit import WeightGovernor


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def governor(budget: int, clock: Clock) -> WeightGovernor:
    return WeightGovernor(budget, clock=clock.time, sleep=clock.sleep)


def test_budget_spent_waits_for_the_next_window() -> None:
    clock = Clock(1_000_000.5)
    weights = governor(3, clock)
    for _ in range(3):
        assert weights.acquire(1, deadline=clock.now + 100)
        weights.release(1)
    assert clock.slept == []
    assert weights.acquire(1, deadline=clock.now + 100)
    assert len(clock.slept) == 1 and clock.now >= 1_000_020.0  # the next 60 s window


def test_giving_up_when_the_wait_passes_the_deadline() -> None:
    clock = Clock()
    weights = governor(1, clock)
    assert weights.acquire(1, deadline=clock.now + 100)
    assert not weights.acquire(1, deadline=clock.now + 1)
    assert clock.slept == []


def test_announced_limit_lowers_the_budget_and_sets_the_window() -> None:
    clock = Clock(1_000_000.0)
    weights = governor(1000, clock)
    weights.announce(limit=2, window_seconds=1)
    assert weights.budget == 2
    for _ in range(2):
        assert weights.acquire(1, clock.now + 10)
        weights.release(1)
    assert weights.acquire(1, clock.now + 10)
    assert clock.slept and clock.slept[0] <= 1.1


def test_used_weight_header_counts_other_programs_on_the_same_ip() -> None:
    clock = Clock(1_000_000.0)
    weights = governor(100, clock)
    weights.observe({"X-MBX-USED-WEIGHT-1M": "99", "Content-Type": "application/json"})
    assert weights.acquire(1, clock.now + 100)
    assert not weights.acquire(1, clock.now + 1)


def test_requests_still_in_flight_count_in_the_next_window() -> None:
    clock = Clock(1_000_059.9)
    weights = governor(2, clock)
    assert weights.acquire(2, clock.now + 100)  # sent at the end of a window, not yet answered
    clock.now = 1_000_060.1
    assert not weights.acquire(1, clock.now + 1)


def test_retry_after_blocks_every_worker() -> None:
    clock = Clock()
    weights = governor(100, clock)
    weights.block(30)
    assert not weights.acquire(1, clock.now + 10)
    assert weights.acquire(1, clock.now + 60)
    assert clock.slept == [30]


def test_header_parsing_is_linear_on_adversarial_names() -> None:
    clock = Clock()
    weights = governor(100, clock)
    hostile = {"x-mbx-used-weight-" + "1" * 100_000 + "q": "5", "X-MBX-USED-WEIGHT-" * 5_000: "7"}
    weights.observe(hostile)  # ignored, and quickly: the pattern is anchored and bounded
    assert weights.acquire(100, clock.now + 1)
