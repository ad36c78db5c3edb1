"""The one `git cat-file --batch` reader: every object the package reads from git comes through here.

One long-lived process answers many names (object ids, `<commit>:<path>`), pipelined: requests are
written ahead of the answers, but never more than a pipe holds, so writing can never block while git
is blocked writing answers we have not read (no deadlock, no writer thread), and answers are read one
at a time as they come. An object git cannot read (a corrupt pack or loose object) kills git: that
object is reported, a new process is started and everything still in flight is asked again. A missing
object is an answer like any other (`ObjectRead.sha` None), never a reason to stop.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from binance_secrets.git.process import (
    READ_BUFFER_BYTES,
    GitPlace,
    GitProcess,
    git_message,
    start_git,
    stop_process,
    widen_pipe,
)

# Requests written to `cat-file --batch` but not yet answered, in bytes. Kept below the smallest pipe
# buffer (64 KiB on Linux, 16 KiB on old macOS) so that writing requests can never block while git is
# blocked writing answers we have not read: no deadlock without a writer thread.
MAX_IN_FLIGHT_REQUEST_BYTES = 12 * 1024
# How long a `cat-file --batch` whose input was closed may take to end before it is killed.
CLOSE_WAIT_SECONDS = 2.0
# What is kept of git's stderr for the message of an object that killed it: its last lines.
STDERR_TAIL_BYTES = 4096
STDERR_READ_BYTES = 64 * 1024


@dataclass(frozen=True)
class ObjectRead:
    name: str  # what was asked for: a sha, or `<commit>:<path>`
    sha: str | None  # None when the object is missing or unreadable
    type: str  # the object's type; "missing", or "error" when git died reading it
    data: bytes
    error: str | None = None


class CatFileBatch:
    """One long-lived `git cat-file --batch` (`--batch-check` with `check_only`: type and size, no
    content), restarted if git dies on a corrupt object."""

    def __init__(self, place: GitPlace, *, check_only: bool = False) -> None:
        self.place = place
        self.check_only = check_only
        self._process: GitProcess | None = None
        self._stderr: _StderrTail | None = None

    def _start(self) -> GitProcess:
        if self._process is None:
            mode = "--batch-check" if self.check_only else "--batch"
            self._process = start_git(self.place, "cat-file", mode, stdin_pipe=True, bufsize=READ_BUFFER_BYTES)
            assert self._process.stderr is not None
            self._stderr = _StderrTail(self._process.stderr)
            if not self.check_only:
                widen_pipe(self._process.stdout)
        return self._process

    def read(self, names: Iterable[str]) -> Iterator[ObjectRead]:
        """Answers in the order asked. A name git would read as two (a newline or NUL in it) is not
        sent: it is answered as missing."""
        pending: deque[tuple[str, bool]] = deque()  # (name, sent to git)
        in_flight = 0
        source = iter(names)
        exhausted = False
        while True:
            process = self._start()
            assert process.stdin is not None and process.stdout is not None
            wrote = False
            # Refilled only once half of what was asked has been answered: requests then go to git a
            # few hundred at a time rather than one write per answer.
            refill = in_flight < MAX_IN_FLIGHT_REQUEST_BYTES // 2
            while refill and not exhausted and in_flight < MAX_IN_FLIGHT_REQUEST_BYTES:
                name = next(source, None)
                if name is None:
                    exhausted = True
                    break
                if "\n" in name or "\0" in name:
                    pending.append((name, False))
                    continue
                request = _request(name)
                pending.append((name, True))
                in_flight += len(request)
                wrote = True
                try:
                    process.stdin.write(request)
                except (BrokenPipeError, ValueError):
                    break  # git died; reading the answer finds out which object killed it
            if wrote:
                with contextlib.suppress(BrokenPipeError, ValueError):
                    process.stdin.flush()
            if not pending:
                return
            name, sent = pending.popleft()
            if not sent:
                yield ObjectRead(name, None, "missing", b"", "a name with a line break cannot be asked for")
                continue
            in_flight -= len(_request(name))
            answer = self._read_one(process, name)
            if answer is None:
                # git died on this object (a corrupt pack or loose object): report it, start a new
                # cat-file and ask again for everything that was still in flight.
                yield ObjectRead(name, None, "error", b"", self._death_message())
                # Names not sent yet (refused ones included) go again too, in order, and the input is
                # read again even if it had run out: what was in flight is in the replay.
                replay = [name for name, _ in pending]
                pending.clear()
                in_flight = 0
                source = _chain(replay, source)
                exhausted = False
                continue
            yield answer

    def _read_one(self, process: GitProcess, name: str) -> ObjectRead | None:
        assert process.stdout is not None
        header = process.stdout.readline()
        if not header.endswith(b"\n"):
            return None
        parts = header.split(b" ")
        if not (len(parts) == 3 and _is_hex(parts[0]) and parts[2][:-1].isdigit()):
            # "<name as asked> missing": the name is a path (`commit:path`), spaces and all, so only
            # the last word says what happened.
            status = parts[-1].strip()
            if len(parts) >= 2 and status in (b"missing", b"ambiguous"):
                return ObjectRead(name, None, "missing", b"", f"object {status.decode()}")
            return None
        sha, object_type, size = parts[0].decode("ascii"), parts[1].decode("ascii"), int(parts[2])
        if self.check_only:
            return ObjectRead(name, sha, object_type, b"")
        data = process.stdout.read(size)
        if len(data) != size or process.stdout.read(1) != b"\n":
            return None
        return ObjectRead(name, sha, object_type, data)

    def _death_message(self) -> str:
        return f"unreadable object: {git_message(self._end())}"

    def close(self) -> None:
        self._end()

    def _end(self) -> bytes:
        """Ends the current git, if any, and returns the end of what it wrote on stderr.

        cat-file ends at the end of its input; one stopped mid-answer (an interrupted scan) gets a
        broken pipe on its next write, or is killed if it is still busy after a moment.
        """
        process, stderr = self._process, self._stderr
        self._process = self._stderr = None
        if process is None:
            return b""
        stop_process(process, grace_seconds=CLOSE_WAIT_SECONDS, keep_stderr=True)
        return stderr.finish() if stderr is not None else b""

    def __enter__(self) -> CatFileBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _StderrTail:
    """git's stderr, read as it comes by a thread of its own, its last bytes kept for a message.

    git writes a line or two there for every object it cannot unpack and goes on; unread, a pipe full
    of them (some 600 corrupt objects) would block git while we wait for its next answer.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._tail = b""
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while block := os.read(self._stream.fileno(), STDERR_READ_BYTES):
                self._tail = (self._tail + block)[-STDERR_TAIL_BYTES:]

    def finish(self) -> bytes:
        """What was kept, once git has ended (its stderr then ends too)."""
        self._thread.join(CLOSE_WAIT_SECONDS)
        if not self._thread.is_alive():  # the descriptor is closed only once nothing reads it
            with contextlib.suppress(OSError):
                self._stream.close()
        return self._tail


def _request(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape") + b"\n"


def _is_hex(value: bytes) -> bool:
    return bool(value) and not value.strip(b"0123456789abcdef")


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest
