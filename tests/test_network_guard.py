"""The suite-wide guard of tests/conftest.py: a test that opens a socket outside loopback fails; loopback
servers (the fake Binance API) and subprocesses work as before. Brief rule: tests never touch the internet."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from testing import network_guard
from testing.fake_binance import FakeBinance


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: socket.getaddrinfo("binance.com", 443),
        lambda: socket.create_connection(("192.0.2.1", 443), timeout=1),
        lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM).connect(("2001:db8::1", 443)),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("198.51.100.7", 53)),
    ],
)
def test_a_connection_outside_loopback_is_refused_and_recorded(attempt) -> None:  # type: ignore[no-untyped-def]
    before = len(network_guard.attempts())
    with pytest.raises(network_guard.NetworkRefused):
        attempt()
    assert len(network_guard.attempts()) == before + 1
    network_guard.forget(1)  # made on purpose: the autouse guard must not fail this test


def test_loopback_servers_and_unix_sockets_still_work(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import requests

    with FakeBinance() as fake:
        assert requests.get(f"{fake.url}/api/v3/time", timeout=5).status_code == 200
    left, right = socket.socketpair()
    left.sendall(b"ping")
    assert right.recv(4) == b"ping"
    left.close()
    right.close()
    assert socket.getaddrinfo("localhost", 80)


def test_subprocesses_are_not_affected() -> None:
    # A numeric lookup touches no network, yet the hook refuses it here (not loopback); a child process
    # has no hook, so the same lookup succeeds there.
    lookup = "import socket; print(socket.getaddrinfo('192.0.2.1', 80, flags=socket.AI_NUMERICHOST)[0][4][0])"
    with pytest.raises(network_guard.NetworkRefused):
        exec(lookup)
    network_guard.forget(1)
    completed = subprocess.run([sys.executable, "-c", lookup], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "192.0.2.1"
