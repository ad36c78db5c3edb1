"""Running git: captured, streamed, or in a session of its own for a fetch; and what its failures say.

Every git process of the package starts here, so that each gets the environment of `environment.py`
and a git that cannot run at all (not installed, not on PATH) is one line and exit 3 (`ScanFailure`),
never a traceback. What failed inside git is the last line it printed (`git_message`), redacted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterable, Sequence
from typing import IO, Protocol

from binance_secrets.errors import ScanFailure
from binance_secrets.git.environment import network_environment

GIT = "git"
# A git process started to be read as a stream (callers name its type without importing subprocess).
GitProcess = subprocess.Popen[bytes]
READ_BUFFER_BYTES = 1024 * 1024
PIPE_BYTES = 1024 * 1024
DEFAULT_PIPE_BYTES = 64 * 1024  # Linux


class GitPlace(Protocol):
    """Where a git command runs: what comes before its subcommand, its environment, its folder."""

    def command(self, *args: str) -> list[str]: ...

    def environment(self) -> dict[str, str]: ...

    @property
    def cwd(self) -> str | None: ...


def run_git(
    place: GitPlace, *args: str, check: bool = False, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """git run to the end, its output captured; `check`: a failure is a `ScanFailure` with git's message."""
    try:
        completed = subprocess.run(
            place.command(*args),
            cwd=place.cwd,
            capture_output=True,
            env=place.environment(),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except OSError as error:
        raise cannot_run(error, place.cwd) from None
    if check and completed.returncode != 0:
        raise ScanFailure(f"git {args[0]} failed: {git_message(completed.stderr)}")
    return completed


def start_git(
    place: GitPlace,
    *args: str,
    lines: Iterable[str] | None = None,
    source: IO[bytes] | None = None,
    stdin_pipe: bool = False,
    stdout: bool = True,
    stderr: bool = True,
    english: bool = False,
    buffered: bool = False,
    bufsize: int = -1,
) -> GitProcess:
    """git started, its output to be read as a stream; end it with `stop_process`.

    `lines` are written to its stdin, one a line, which is then closed: revisions go this way so that
    thousands of `^sha` exclusions fit no command line (git reads all of them before it answers, so
    the write cannot block on output nobody reads yet). `source` is another process's output to read
    instead; `stdin_pipe` leaves stdin open for the caller to write requests as it reads answers.
    `english`: messages the caller parses are git's own, whatever the user's locale.
    `buffered`: git writes its output in full buffers (`GIT_FLUSH=0`), for a stream read to its end.
    Into a pipe, `git log` and `rev-list` flush after every commit: some 15,000 writes of about 200
    bytes for 20,000 small commits, each a read and a wake-up here (0.1-0.3 s of CPU, as much in git).
    Never for a request-and-answer protocol (`cat-file --batch`): an answer held in git's buffer would
    never come.
    """
    env = place.environment()
    if english:
        env["LC_ALL"] = "C"
    if buffered:
        env["GIT_FLUSH"] = "0"
    stdin: IO[bytes] | int = source or subprocess.DEVNULL
    if lines is not None or stdin_pipe:
        stdin = subprocess.PIPE
    try:
        process = subprocess.Popen(
            place.command(*args),
            cwd=place.cwd,
            stdin=stdin,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
            env=env,
            bufsize=bufsize,
        )
    except OSError as error:
        raise cannot_run(error, place.cwd) from None
    if lines is not None:
        assert process.stdin is not None
        data = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape")
        if len(data) > DEFAULT_PIPE_BYTES:
            # git takes each revision in turn (numpy's 20,000 refs: 0.15 s): in a pipe that holds them
            # all, the write returns at once and the caller goes on beside git.
            widen_pipe(process.stdin)
        try:
            process.stdin.write(data)
            process.stdin.close()
        except BrokenPipeError:
            pass  # git ended early: its exit status and stderr say why, to the reader
        except BaseException:
            stop_process(process)
            raise
    return process


def run_networked(*args: str, protocols: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """git for a fetch, open to `protocols` only, in a session of its own: no terminal to prompt on.

    It is ended with its children on the way out (an error, SIGTERM, Ctrl-C), since Ctrl-C on our
    terminal does not reach that session.
    """
    try:
        process = subprocess.Popen(
            [GIT, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=network_environment(protocols),
            start_new_session=True,
        )
    except OSError as error:
        raise cannot_run(error, None) from None
    try:
        stdout, stderr = process.communicate()
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        stop_process(process)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def stop_process(process: GitProcess | None, *, grace_seconds: float = 0.0, keep_stderr: bool = False) -> None:
    """End a git child we no longer read from, and reap it: nothing may outlive the command.

    `grace_seconds`: how long it may take to end by itself once its input is closed, before it is
    killed; `keep_stderr`: its stderr is left to the thread that reads it.
    """
    if process is None:
        return
    close_streams(process.stdin, process.stdout, None if keep_stderr else process.stderr)
    if grace_seconds:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_seconds)
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()
    process.wait()


def close_streams(*streams: IO[bytes] | None) -> None:
    """Our ends of a git child's pipes closed: it reads the end of its input, or a broken pipe."""
    for stream in streams:
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def cannot_run(error: OSError, cwd: str | None) -> ScanFailure:
    """git could not be started: not installed, not on PATH, or no folder to run in."""
    reason = error.strerror or str(error)
    if error.filename == GIT:
        return ScanFailure(f"cannot run git ({reason}): git must be installed and on PATH")
    if cwd is not None:
        return ScanFailure(f"cannot run git in {cwd}: {reason}")
    return ScanFailure(f"cannot run git: {reason}")


def git_message(stderr: bytes) -> str:
    """The last line git printed, for an error entry: it may quote a ref name or path, so any key in
    it is redacted."""
    from binance_secrets.sources.git_text import redact_free_text

    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    last = lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "unknown error"
    return redact_free_text(last)


def widen_pipe(stream: IO[bytes] | None) -> None:
    """A 1 MiB pipe where the system allows it (Linux). For blob contents: git writes, and we read, in
    far fewer, larger steps than through the default 64 KiB (10-20% less time in both). For revisions
    written to git's stdin: the write need not wait for git to take them."""
    if stream is None:
        return
    with contextlib.suppress(ImportError, AttributeError, OSError, ValueError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
