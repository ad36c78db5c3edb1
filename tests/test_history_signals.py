"""SIGTERM and SIGINT sent to the main process alone stop the whole audit.

`timeout`, CI runners and process managers signal the process they started, not its group. Python's
default for SIGTERM kills the main process on the spot, and the scan workers and git processes it
started would run on, holding stdout open (a pipeline reading the report never ends). README "JSON
report and exit codes": no traceback, exit 143 for SIGTERM and 130 for SIGINT; README "Auditing git
history": the audit runs `git cat-file` processes, one per core (`--jobs`), all of which must end with it.

Each test runs the real command on a generated repository that takes many seconds to scan (blobs
of thousands of generated keys), signals it mid-scan, and looks at /proc for what is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.gitrepo import git_env, init_repo
from testing.keys import random_token

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")]

# Generous bounds that only a hang reaches; they are not timing assertions.
START_DEADLINE_SECONDS = 60
END_DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def slow_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 versions of a file of 4,000 generated keys: about a second of scanning per version."""
    repo = init_repo(tmp_path_factory.mktemp("signals") / "repo")
    block = "".join(f'key_{index} = "{random_token()}"\n' for index in range(4000)).encode()
    stream = []
    for number in range(40):
        content = b"# version %d\n" % number + block
        stream.append(b"commit refs/heads/main\ncommitter T <t@example.invalid> %d +0000\n" % (1_600_000_000 + number))
        stream.append(b"data 4\nkeys\nM 100644 inline keys.py\ndata %d\n%s\n" % (len(content), content))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True, env=git_env())
    return repo


def group_members(group: int) -> list[tuple[int, str]]:
    """Live (non-zombie) processes of a process group, with their command lines."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == group and fields[0] != "Z":
            members.append((int(entry), command))
    return members


def wait_until_scanning(process: subprocess.Popen[bytes]) -> list[tuple[int, str]]:
    """The process group once a `git cat-file --batch` is reading blobs for the scan."""
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        members = group_members(process.pid)
        if any("cat-file --batch " in command or command.endswith("cat-file --batch") for _, command in members):
            return members
        assert process.poll() is None, "the audit ended before it could be signalled"
        time.sleep(0.05)
    pytest.fail("the audit never started scanning")


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_to_the_main_process_stops_every_worker_and_git_process(
    slow_repo: Path, tmp_path: Path, jobs: str, signum: int, exit_code: int
) -> None:
    # Its own session and process group: every descendant (workers, git) is found by group id, and
    # nothing is left behind if the test fails.
    process = subprocess.Popen(
        [sys.executable, "-m", "binance_secrets", "history", str(slow_repo), "--jobs", jobs, "--no-progress",
         "-f", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        members = wait_until_scanning(process)
        assert len(members) >= 2 + (int(jobs) if jobs != "1" else 0)
        os.kill(process.pid, signum)  # the main process alone, as `timeout` does
        # communicate() returns only once stdout and stderr reached EOF: every writer is gone.
        out, err = process.communicate(timeout=END_DEADLINE_SECONDS)
        assert process.returncode == exit_code, err
        assert out == b""
        assert b"Traceback" not in err
        assert group_members(process.pid) == []
        for pid, command in members:
            assert not Path(f"/proc/{pid}").exists() or _is_zombie_or_other(pid, command), command
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _is_zombie_or_other(pid: int, command: str) -> bool:
    """A pid may be reused by an unrelated process in the meantime; ours would have its command."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            now = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z" or now != command
