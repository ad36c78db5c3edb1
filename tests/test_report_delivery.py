"""A report that cannot be delivered: stdout on /dev/full, closed, or a pipe whose reader has left.

README "JSON report and exit codes": "A report that cannot be delivered is never a success ... an
error says so on stderr and the exit code is 3, even when something was found". Real processes, real
file descriptors: the command runs in a subprocess whose stdout is what the test gives it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import KeyPair
from tests.test_cli_scan import write_settings

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


def run(cwd: Path, args: list[str], stdout: int | None, close_stdout: bool = False) -> tuple[int, str]:
    """Exit code and stderr of `binance-secrets ARGS` with the given stdout (None with close_stdout: `>&-`)."""
    command = [sys.executable, "-m", "binance_secrets", *args]
    if close_stdout:
        command = ["sh", "-c", 'exec "$@" >&-', "sh", *command]
    completed = subprocess.run(command, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, timeout=120, check=False)
    stderr = completed.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    return completed.returncode, stderr


def run_into_closed_pipe(cwd: Path, args: list[str]) -> tuple[int, str]:
    """`binance-secrets ARGS | head -c0`, without the race: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return run(cwd, args, stdout=write_end)
    finally:
        os.close(write_end)


@pytest.fixture
def clean_tree(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("print('hello')\n")
    return tmp_path


@pytest.fixture
def leaky_tree(tmp_path: Path, key_pair: KeyPair) -> Path:
    write_settings(tmp_path, key_pair)
    return tmp_path


@needs_dev_full
@pytest.mark.parametrize("format_", ["text", "json", "sarif", "github"])
def test_report_to_a_full_disk_is_exit_3(clean_tree: Path, format_: str) -> None:
    """README: `scan . >/dev/full` is an error on stderr and exit 3, never a clean 0."""
    with open("/dev/full", "wb") as full:
        code, stderr = run(clean_tree, ["scan", "-f", format_, "."], stdout=full.fileno())
    assert code == 3
    assert "binance-secrets: error: cannot write the report to standard output: No space left on device" in stderr


@needs_dev_full
def test_findings_whose_report_is_lost_are_exit_3(leaky_tree: Path) -> None:
    """README: exit 3 even when something was found, because nobody saw it."""
    with open("/dev/full", "wb") as full:
        code, stderr = run(leaky_tree, ["scan", "."], stdout=full.fileno())
    assert code == 3
    assert "cannot write the report" in stderr


def test_closed_stdout_is_exit_3(clean_tree: Path) -> None:
    """README: `scan . >&-` is an error on stderr and exit 3."""
    code, stderr = run(clean_tree, ["scan", "."], stdout=None, close_stdout=True)
    assert code == 3
    assert "binance-secrets: error: cannot write the report: standard output is closed" in stderr


@pytest.mark.parametrize("tree", ["clean_tree", "leaky_tree"])
def test_reader_that_left_is_exit_3(request: pytest.FixtureRequest, tree: str) -> None:
    """README: `scan . | head -c0` is exit 3 with one line on stderr, findings or not."""
    code, stderr = run_into_closed_pipe(request.getfixturevalue(tree), ["scan", "-f", "json", "."])
    assert code == 3
    assert "cannot write the report to standard output: the reader closed the pipe" in stderr


@needs_dev_full
def test_output_file_on_a_full_disk_is_exit_3(clean_tree: Path) -> None:
    """README: `-o FILE` that cannot be written to the end is exit 3; a path that cannot be created is exit 2."""
    code, stderr = run(clean_tree, ["scan", ".", "-o", "/dev/full"], stdout=subprocess.DEVNULL)
    assert code == 3
    assert "cannot write the report to /dev/full: No space left on device" in stderr
    code, stderr = run(clean_tree, ["scan", ".", "-o", "missing/report.json"], stdout=subprocess.DEVNULL)
    assert code == 2
    assert "cannot write report to missing/report.json" in stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["scan", "--help"]])
def test_help_and_version_that_cannot_be_written_are_exit_3(clean_tree: Path, args: list[str]) -> None:
    """README "No user error prints a traceback": help text to a reader that left is exit 3, not 1."""
    code, stderr = run_into_closed_pipe(clean_tree, args)
    assert code == 3
    assert "binance-secrets: error: cannot write to standard output" in stderr
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            code, stderr = run(clean_tree, args, stdout=full.fileno())
        assert code == 3
        assert "No space left on device" in stderr


def test_warnings_with_stderr_closed_never_reach_the_report(tmp_path: Path) -> None:
    """README "Reports go to stdout; warnings and errors go to stderr", even when stderr is closed."""
    (tmp_path / "app.py").write_text("print('hello')\n")
    completed = subprocess.run(
        [
            "sh",
            "-c",
            'exec "$@" 2>&-',
            "sh",
            sys.executable,
            "-m",
            "binance_secrets",
            "scan",
            "-f",
            "json",
            ".",
            "gone",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 3
    report = json.loads(completed.stdout)
    assert report["errors"] == [{"path": "gone", "message": "no such file or directory"}]
