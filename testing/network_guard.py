"""No test may reach the network: an audit hook refuses every non-loopback connection and DNS lookup.

`sys.addaudithook` sees `socket.getaddrinfo`, `socket.connect` (and `connect_ex`) and `socket.sendto` in
this process, whatever library makes them. A refused attempt raises `NetworkRefused` (an OSError, so the
code under test meets it as it would meet an unreachable network) and is recorded; `tests/conftest.py`
fails the test that made it, even when the code under test swallowed the error.

Loopback addresses (127.0.0.0/8, ::1, `localhost`) and Unix sockets stay allowed: the fake Binance API
and the git servers of the tests listen there. Subprocesses (git, pre-commit, detect-secrets, the CLI run
as a program) are other processes: the hook does not follow them, and those tests pass no URL outside
loopback to them.

A test that wants to see where the code tried to go (an official Binance host must be asked, and only
it) uses `watching()`: every lookup and connect is listed there, loopback included, and the attempts
it made outside loopback are still refused but are the test's to judge, not a failure of the guard.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

_attempts: list[str] = []
_lock = threading.Lock()
_installed = False


@dataclass
class Watch:
    """What the process looked up and connected to while a test watched: (event, host, port)."""

    attempts: list[tuple[str, str, object]] = field(default_factory=list)

    def hosts(self) -> set[tuple[str, object]]:
        return {(host, port) for _, host, port in self.attempts}


_watches: list[Watch] = []


@contextlib.contextmanager
def watching() -> Iterator[Watch]:
    watch = Watch()
    with _lock:
        _watches.append(watch)
    try:
        yield watch
    finally:
        with _lock:
            _watches.remove(watch)


class NetworkRefused(OSError):
    """A connection or lookup outside loopback, made by a test."""


def install() -> None:
    """Adds the audit hook once per process (an audit hook cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True


def attempts() -> list[str]:
    with _lock:
        return list(_attempts)


def forget(count: int) -> None:
    """Drops the last `count` attempts (for the guard's own test, which makes them on purpose)."""
    with _lock:
        del _attempts[len(_attempts) - count :]


def is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.getaddrinfo":
        host, port = args[0], args[1]
        if host is None:  # a passive lookup (a server binding every interface)
            return
    elif event in ("socket.connect", "socket.sendto"):
        address = args[1]
        if not isinstance(address, tuple):  # a Unix socket's path
            return
        host, port = address[0], address[1]
    else:
        return
    shown = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    loopback = is_loopback(host)
    with _lock:
        for watch in _watches:
            watch.attempts.append((event, shown, port))
        if loopback:
            return
        if not _watches:  # a watched attempt is the watching test's to judge
            _attempts.append(f"{event} {shown!r}")
    raise NetworkRefused(errno.ENETUNREACH, f"tests never touch the network ({event} {shown!r} refused)")
