"""Stopping the worker processes of an audit, and making a worker unwind when it is told to stop.

Two kinds of workers: the scan processes of one history (`sources.git_scan`) and the repository
processes of an organisation-wide audit (`audit`), which start scan processes of their own. Both are
stopped the same way, so that every one of them, and every git process under it, ends before the audit
returns or is interrupted: SIGTERM first (a worker turns it into `SystemExit` and unwinds, its `with`
and `finally` ending its git children), SIGKILL for one that has not ended in time.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # multiprocessing is imported where workers are started, not by importing this
    from multiprocessing.process import BaseProcess

# How long a worker may take to end after SIGTERM before it is killed.
STOP_SECONDS = 5.0


def stop_workers(workers: Sequence[BaseProcess], grace_seconds: float = STOP_SECONDS) -> None:
    """Every worker still running is sent SIGTERM, then waited for; one still there after
    `grace_seconds` is killed."""
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join(grace_seconds)
        if worker.is_alive():
            worker.kill()
            worker.join()


def drop_queue(channel: Any) -> None:
    """A `multiprocessing` queue closed without waiting for its feeder to hand over what nobody will
    read any more: items left in it must not hold the process at exit."""
    channel.cancel_join_thread()
    channel.close()


def unwind_on_signals() -> None:
    """In a worker: SIGTERM from the parent, or Ctrl-C on the whole process group, becomes
    `SystemExit`, so that the worker unwinds (the parent's own handlers are not for workers)."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
