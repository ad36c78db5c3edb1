"""Issue #9, "Must show": one tree of hostile names and files, driven through every way in.

One real git repository is built once for the module (`hostile_tree`): files named like options
(`--help`, `-h`, `--exclude=*`, `--output=x`), like pathspec magic (`:(exclude)*`, `:!*`), holding a
line feed, a carriage return, an ANSI escape, a GitHub workflow command (`::error::`, `::set-output`,
`##[error]`), a byte that is not UTF-8, and the characters a URI must escape (space, `%`, `#`, `?`,
`<>`); a key inside a zip archive and inside an odd-length UTF-16 file; a zip bomb; a FIFO; a file
nobody may read; and a key written into a commit subject. Every file holds its own generated key.

The tree's commit with the keys (`C2`, on branch `hostile`) is also what the index of `main` holds
(`main` is at `C1`, the commit before): `staged`, `history`, the pre-commit hook and the action's diff
mode all see the same files as `scan` does in the working tree.

It is driven over by:
(a) the CLI: `scan`, `staged` and `history`, in the text, json, sarif and github formats;
(b) the `binance-secrets` hook through the real pre-commit framework: a refused `git commit`;
(c) the GitHub Action's scan step, run as tests/test_action.py runs it (files and pull-request modes).

And each output is checked against the README's promises, named in each assertion's message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest

from testing.gitrepo import git, git_env, init_repo
from testing.hostile_zips import deflated_member, overlapping_zip, raw_zip
from testing.keys import secret_key
from testing.runner_commands import Command, commands
from testing.sarif_validation import validate_sarif
from tests.test_action import pull_request_event, run_action
from tests.test_pre_commit_hostile_names import hook_repository, pre_commit_env  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.dev_extra]  # dev_extra: pre-commit, PyYAML, jsonschema

MIB = 1024 * 1024
FORMATS = ("text", "json", "sarif", "github")

# README promises, quoted by the assertions that protect them.
EVERY_KEY = 'README "What is detected" / `scan`: every key in the tree is reported'
EXIT_1 = 'README "JSON report and exit codes": findings exit 1, also when something was not scanned'
NO_TRACEBACK = 'README "JSON report and exit codes": no user error prints a traceback'
REDACTED = 'README "Common options" (`--show-secrets`): secrets are redacted in every output by default'
SUBJECT_REDACTED = 'README "Auditing git history": keys in a commit subject are always redacted in `commit`'
LOG_SAFE = 'README "JSON report and exit codes": a name cannot break a log line, colour it or issue a workflow command'
VALID_JSON = 'README "JSON report and exit codes": reports are valid UTF-8 JSON whatever the names hold'
VALID_SARIF = 'README "JSON report and exit codes": SARIF is valid, `artifactLocation.uri` is the name percent-encoded'
LOSSLESS = 'README "JSON report and exit codes": every format writes a path in one lossless, printable form'
PARTIAL = 'README "Partial scans are never reported clean": what was not scanned is an entry in `errors`'
NAMES_ARE_DATA = 'README "Guarding commits": a staged file named like an option is scanned, never obeyed'
ACTION = 'README "GitHub Action": every finding is an `::error` annotation; names are escaped in the log and summary'

# Printable characters, tab and line feed: anything else in a log-bound output is a raw control character.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Planted:
    """A key planted in the tree, and how every report must name where it is."""

    secret: str
    name: bytes  # the path's bytes: what a SARIF URI decodes to
    json_path: str  # JSON reports: `\xNN` for a byte that is not UTF-8, `\\` for a backslash
    log_path: str  # text and github formats: also control characters and workflow commands escaped

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.secret.encode()).hexdigest()


# (file name, JSON form, log form). Every name but the last two is a plain file at the top of the tree.
NAMES: tuple[tuple[bytes, str, str], ...] = (
    (b"--help", "--help", "--help"),
    (b"-h", "-h", "-h"),
    (b"--exclude=*", "--exclude=*", "--exclude=*"),
    (b"--output=x", "--output=x", "--output=x"),
    (b":(exclude)*", ":(exclude)*", ":(exclude)*"),
    (b":!*", ":!*", ":!*"),
    (b"new\nline.py", "new\nline.py", "new\\x0aline.py"),
    (b"carriage\rreturn.py", "carriage\rreturn.py", "carriage\\x0dreturn.py"),
    (b"\x1b[31mred\x1b[0m.py", "\x1b[31mred\x1b[0m.py", "\\x1b[31mred\\x1b[0m.py"),
    (b"::error::forged.py", "::error::forged.py", "\\x3a:error::forged.py"),
    (b"::set-output name=leak::x.py", "::set-output name=leak::x.py", "\\x3a:set-output name=leak::x.py"),
    (b"##[error]legacy.py", "##[error]legacy.py", "#\\x23[error]legacy.py"),
    (b"not-utf8-\xff\xfe.env", "not-utf8-\\xff\\xfe.env", "not-utf8-\\xff\\xfe.env"),
    (b"back\\slash.py", "back\\\\slash.py", "back\\\\slash.py"),
    (b"uri a%20b #frag ?q=1 <tag>.py", "uri a%20b #frag ?q=1 <tag>.py", "uri a%20b #frag ?q=1 <tag>.py"),
)
NON_UTF8 = b"not-utf8-\xff\xfe.env"
ARCHIVE_MEMBER = "bundle.zip!app/settings.py"
UTF16_FILE = "utf16-odd-length.txt"
COMMIT_MESSAGE = "<commit message>"
BOMB = "bomb.zip"
FIFO = "pipe.fifo"
LOCKED = "locked.txt"


def assignment(secret: str) -> bytes:
    return f'BINANCE_API_SECRET = "{secret}"\n'.encode()


@dataclass(frozen=True)
class HostileTree:
    repo: Path
    base: str  # C1: `main`, the pre-commit config and a README
    head: str  # C2: every hostile file, its subject holding a key (branch `hostile`)
    files: tuple[Planted, ...]  # keys in files (scan, staged, the hook)
    subject: Planted  # the key in C2's subject (history)

    @property
    def in_history(self) -> tuple[Planted, ...]:
        return (*self.files, self.subject)

    def secrets(self) -> list[str]:
        return [planted.secret for planted in self.in_history]


def _write(repo: Path, name: bytes, content: bytes) -> None:
    with open(os.path.join(os.fsencode(repo), name), "wb") as handle:
        handle.write(content)


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileTree]:
    repo = init_repo(tmp_path_factory.mktemp("hostile") / "tree")
    (repo / "README.md").write_text("# app\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "Initial commit")
    base = git(repo, "rev-parse", "HEAD").strip()

    files = []
    try:
        for name, json_path, log_path in NAMES:
            secret = secret_key()
            _write(repo, name, assignment(secret))
            files.append(Planted(secret, name, json_path, log_path))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses one of the hostile names")
    secret = secret_key()
    members = [deflated_member("README.txt", b"docs\n"), deflated_member("app/settings.py", assignment(secret))]
    archive = raw_zip(members)
    _write(repo, b"bundle.zip", archive)
    files.append(Planted(secret, ARCHIVE_MEMBER.encode(), ARCHIVE_MEMBER, ARCHIVE_MEMBER))
    secret = secret_key()
    utf16 = b"\xff\xfe" + ("# settings\r\n" + assignment(secret).decode()).encode("utf-16-le") + b"\n"
    assert len(utf16) % 2 == 1  # README "Limits": an odd last byte becomes U+FFFD, the rest is read
    _write(repo, UTF16_FILE.encode(), utf16)
    files.append(Planted(secret, UTF16_FILE.encode(), UTF16_FILE, UTF16_FILE))
    # Every entry overlaps the next: about 200 MiB once inflated, a few kilobytes on disk.
    _write(repo, BOMB.encode(), overlapping_zip(members=50, kernel_bytes=4 * MIB))

    subject_secret = secret_key()
    git(repo, "--literal-pathspecs", "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", f"Add config BINANCE_API_SECRET={subject_secret}")
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "branch", "hostile", head)
    git(repo, "reset", "-q", "--soft", base)  # `main` back at C1; the index keeps C2's files staged
    subject = Planted(subject_secret, COMMIT_MESSAGE.encode(), COMMIT_MESSAGE, COMMIT_MESSAGE)

    # Untracked, and not for git to add: a FIFO (a reader would wait forever) and an unreadable file.
    os.mkfifo(repo / FIFO)
    (repo / LOCKED).write_text("nothing here\n")
    (repo / LOCKED).chmod(0)
    yield HostileTree(repo, base, head, tuple(files), subject)
    (repo / LOCKED).chmod(0o600)  # so that pytest can remove the tree


# --- helpers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


def _unprivileged(command: list[str]) -> tuple[list[str], bool]:
    """(command, whether LOCKED is unreadable to it). Root reads any file: drop the capabilities that let it."""
    if os.geteuid() != 0:
        return command, True
    if shutil.which("setpriv") is None:
        return command, False
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *command], True


def run_cli(tree: HostileTree, *args: str) -> tuple[Run, bool]:
    command, locked = _unprivileged([sys.executable, "-m", "binance_secrets", *args, "--no-progress"])
    completed = subprocess.run(
        command, cwd=tree.repo, env=git_env(), capture_output=True, timeout=300, check=False
    )  # fmt: skip
    # Reports are UTF-8 (README): a strict decode fails the test on any other byte.
    return Run(completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")), locked


def assert_log_safe(text: str, where: str, *, allowed: frozenset[str] = frozenset()) -> list[Command]:
    """No raw control character and no workflow command other than `allowed` ones; returns those."""
    found = RAW_CONTROL.search(text)
    assert found is None, f"{LOG_SAFE}: raw {found.group()!r} in {where}"
    issued = commands(text)
    assert {c.name for c in issued} <= allowed, f"{LOG_SAFE}: {[c.name for c in issued]} in {where}"
    return issued


def assert_no_secret(tree: HostileTree, text: str, where: str) -> None:
    for secret in tree.secrets():
        assert secret not in text, f"{REDACTED}: a full secret in {where}"


def assert_common(tree: HostileTree, run: Run, where: str) -> None:
    assert "Traceback" not in run.stderr, f"{NO_TRACEBACK}: {where}\n{run.stderr}"
    assert run.exit_code == 1, f"{EXIT_1}: {where} exited {run.exit_code}\n{run.stderr}"
    assert_no_secret(tree, run.stdout + run.stderr, where)
    # Warnings go to stderr, which CI logs show too.
    assert_log_safe(run.stderr, f"{where} stderr")


def load_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        pytest.fail(f"{VALID_JSON} ({where}): {error}")


def expected_for(tree: HostileTree, command: str) -> tuple[Planted, ...]:
    return tree.in_history if command == "history" else tree.files


def assert_report(tree: HostileTree, command: str, report_format: str, run: Run, locked: bool) -> None:
    where = f"{command} -f {report_format}"
    assert_common(tree, run, where)
    planted = expected_for(tree, command)
    # Whatever was not scanned is a warning on stderr in every format.
    assert f"warning: {BOMB}" in run.stderr, f"{PARTIAL} ({where}): {run.stderr}"
    if command == "scan" and locked:
        assert f"warning: {LOCKED}: permission denied" in run.stderr, f"{PARTIAL} ({where}): {run.stderr}"
    if report_format == "json":
        report = load_json(run.stdout, where)
        found = {(f["path"], f["secret_sha256"]) for f in report["findings"]}
        assert found == {(p.json_path, p.sha256) for p in planted}, f"{EVERY_KEY} ({where}); {LOSSLESS}"
        assert_errors(report["errors"], command, locked, where)
        if command == "history":
            summaries = {f["commit"]["summary"] for f in report["findings"]}
            assert all(tree.subject.secret not in summary for summary in summaries), SUBJECT_REDACTED
            assert len(summaries) == 1 and next(iter(summaries)).startswith("Add config"), (
                f'README "Auditing git history": `commit.summary` is the subject, redacted: {summaries}'
            )
    elif report_format == "sarif":
        document = load_json(run.stdout, where)
        validate_sarif(document)  # with format checking: `uri-reference` included
        results = document["runs"][0]["results"]
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
        assert sorted(unquote_to_bytes(uri) for uri in uris) == sorted(p.name for p in planted), (
            f"{EVERY_KEY} ({where}); {VALID_SARIF}"
        )
        notifications = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        assert any(BOMB in json.dumps(n) for n in notifications), f"{PARTIAL} ({where})"
    elif report_format == "text":
        assert_log_safe(run.stdout, where)
        for p in planted:
            assert p.log_path in run.stdout.splitlines(), f"{EVERY_KEY} ({where}): {p.log_path!r}; {LOSSLESS}"
        assert f"{len(planted)} finding(s)" in run.stdout, f"{EVERY_KEY} ({where})"
    else:
        issued = assert_log_safe(run.stdout, where, allowed=frozenset({"error", "warning", "notice"}))
        errors = [c for c in issued if c.name == "error"]
        assert sorted(c.properties.get("file", "") for c in errors) == sorted(p.log_path for p in planted), (
            f"{EVERY_KEY} ({where}); {ACTION}"
        )
        warned = [c.properties.get("file", "") for c in issued if c.name == "warning"]
        assert any(BOMB in file for file in warned), f"{PARTIAL} ({where}): {warned}"


def assert_errors(errors: list[dict[str, Any]], command: str, locked: bool, where: str) -> None:
    unscanned = {e["path"].split(" (blob ")[0]: e["message"] for e in errors if not e.get("notice")}
    notices = {e["path"]: e["message"] for e in errors if e.get("notice")}
    assert "overlapping entries" in unscanned.get(BOMB, ""), f"{PARTIAL} ({where}): {errors}"
    if command == "scan":
        assert FIFO in notices, f"README `scan`: a FIFO found in a folder is a notice ({where}): {errors}"
        if locked:
            assert unscanned.get(LOCKED) == "permission denied", f"{PARTIAL} ({where}): {errors}"
        assert set(unscanned) <= {BOMB, LOCKED}, f"{PARTIAL}: nothing else was left out ({where}): {errors}"
    else:
        assert set(unscanned) == {BOMB} and not notices, f"{PARTIAL}: only the bomb was left out ({where}): {errors}"


# --- (a) the command line -----------------------------------------------------------------------------


@pytest.mark.parametrize("report_format", FORMATS)
@pytest.mark.parametrize("command", ["scan", "staged", "history"])
def test_cli_reports_every_key_in_the_hostile_tree_safely(
    hostile_tree: HostileTree, command: str, report_format: str
) -> None:
    """`scan`, `staged` and `history` in every format over the one hostile tree: every key reported
    (exit 1), no traceback, no raw control character, no workflow command and no full secret in any
    output, JSON and SARIF valid, unscanned items (the zip bomb, the unreadable file) in `errors`."""
    args = [command, "-f", report_format] + (["."] if command == "scan" else [])
    run, locked = run_cli(hostile_tree, *args)
    assert_report(hostile_tree, command, report_format, run, locked)


def test_cli_never_obeys_a_file_name_and_never_writes_where_a_name_says(hostile_tree: HostileTree) -> None:
    """README "Auditing git history" (file names are data) and "Guarding commits": no name became an
    option: no `--output=x` file written, no help printed, nothing excluded; the tree is as it was."""
    before = sorted(os.listdir(os.fsencode(hostile_tree.repo)))
    for command in ("scan", "staged", "history"):
        run, _ = run_cli(hostile_tree, command, "-q")
        assert run.exit_code == 1, f"{EXIT_1}: {command}\n{run.stderr}"
        assert "Usage:" not in run.stdout + run.stderr, f"{NAMES_ARE_DATA}: {command} printed help"
    assert sorted(os.listdir(os.fsencode(hostile_tree.repo))) == before, NAMES_ARE_DATA
    assert not (hostile_tree.repo / "x").exists(), f"{NAMES_ARE_DATA}: `--output=x` was obeyed"


# --- (b) the hook, through the real pre-commit framework ----------------------------------------------


def test_pre_commit_refuses_the_hostile_commit_and_reports_every_key(
    hostile_tree: HostileTree, hook_repository: tuple[Path, str], pre_commit_env: dict[str, str]  # noqa: F811
) -> None:
    """README "Guarding commits" (pre-commit framework): a real `git commit` of the hostile files is
    refused, every key is named in the hook's output (escaped), no full secret is printed, and no file
    name is obeyed as an option.

    pre-commit itself cannot list a staged name that is not UTF-8: it stops with its own error (and so
    refuses the commit) before any hook runs. That name is unstaged for the second attempt, which our
    hook must refuse on its own.
    """
    location, rev = hook_repository
    repo = hostile_tree.repo
    config = f"repos:\n-   repo: {location}\n    rev: {rev}\n    hooks:\n    -   id: binance-secrets\n"
    (repo / ".pre-commit-config.yaml").write_text(config)
    git(repo, "add", ".pre-commit-config.yaml")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=pre_commit_env, check=True, capture_output=True
    )
    try:
        first = _commit(repo, pre_commit_env)
        assert first.returncode != 0, f"{NAMES_ARE_DATA}: pre-commit let a non-UTF-8 name through"
        assert git(repo, "rev-parse", "HEAD").strip() == hostile_tree.base, f"{NAMES_ARE_DATA}: committed"

        git(repo, "--literal-pathspecs", "rm", "-q", "--cached", "--", os.fsdecode(NON_UTF8))
        refused = _commit(repo, pre_commit_env)
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0 and "Failed" in output, f"{NAMES_ARE_DATA}\n{output}"
        assert git(repo, "rev-parse", "HEAD").strip() == hostile_tree.base, f"{NAMES_ARE_DATA}: committed"
        assert "Traceback" not in output, NO_TRACEBACK
        assert_no_secret(hostile_tree, output, "the hook's output")
        assert_log_safe(output, "the hook's output")
        for planted in hostile_tree.files:
            if planted.name != NON_UTF8:
                assert planted.log_path in output.splitlines(), f"{EVERY_KEY} (pre-commit): {planted.log_path!r}"
        assert "Usage:" not in output and "usage:" not in output, f"{NAMES_ARE_DATA}: the hook printed help"
        assert "overlapping entries" in output, PARTIAL
    finally:
        # Back to the module's tree: the index holds C2's files again, no hook, no config.
        git(repo, "--literal-pathspecs", "add", "--", os.fsdecode(NON_UTF8))
        git(repo, "rm", "-q", "--cached", "--ignore-unmatch", "--", ".pre-commit-config.yaml")
        (repo / ".pre-commit-config.yaml").unlink(missing_ok=True)
        (repo / ".git" / "hooks" / "pre-commit").unlink(missing_ok=True)


def _commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "--no-gpg-sign", "-m", "hostile"], cwd=repo, env=env,
        capture_output=True, text=True, errors="strict", check=False,
    )  # fmt: skip


# --- (c) the GitHub Action ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["files", "diff"])
def test_action_reports_every_key_in_the_hostile_tree_safely(
    hostile_tree: HostileTree, runner_temp: Path, tmp_path: Path, mode: str
) -> None:
    """README "GitHub Action": the scan step over the hostile tree (the working tree in `files` mode, the
    pull request's commits in the default `diff` mode) fails the job, annotates every key with its file
    escaped, writes a valid SARIF file and a summary with no markup from a name, lists the zip bomb as not
    scanned, and leaks no secret anywhere."""
    sarif_file = str(tmp_path / "out" / "binance-secrets.sarif")  # outside the tree: later tests scan it
    try:
        if mode == "files":
            run = run_action(runner_temp, hostile_tree.repo, "push", {}, mode="files", sarif_file=sarif_file)
            planted = hostile_tree.files
        else:
            event = pull_request_event(hostile_tree.base, hostile_tree.head)
            run = run_action(runner_temp, hostile_tree.repo, "pull_request", event, sarif_file=sarif_file)
            planted = hostile_tree.in_history
    finally:
        # The job folder `run_action` makes beside the workspace (event, outputs, summary): one per run.
        shutil.rmtree(hostile_tree.repo.parent / f"job-{hostile_tree.repo.name}", ignore_errors=True)
    where = f"the action ({mode} mode)"
    assert run.exit_code == 1, f"{ACTION}: {where} exited {run.exit_code}\n{run.stderr}"
    assert run.outputs["findings"] == str(len(planted)), f"{EVERY_KEY} ({where})"
    for text, part in ((run.stdout, "stdout"), (run.stderr, "stderr"), (run.summary, "summary")):
        assert RAW_CONTROL.search(text) is None, f"{LOG_SAFE}: {where} {part}"
    issued = run.commands
    assert {c.name for c in issued} <= {"error", "warning", "notice"}, f"{LOG_SAFE}: {[c.name for c in issued]}"
    annotated = sorted(c.properties["file"] for c in issued if c.name == "error" and "file" in c.properties)
    assert annotated == sorted(p.log_path for p in planted), f"{EVERY_KEY} ({where}); {ACTION}"
    warned = [c.properties.get("file", "") for c in issued if c.name == "warning"]
    assert any(BOMB in file for file in warned), f"{PARTIAL} ({where}): {warned}"
    assert "No Binance credentials found" not in run.summary, f"{PARTIAL} ({where})"
    from testing.step_summary import OUR_TAGS

    assert run.rendered.tags <= OUR_TAGS, f"{ACTION}: markup from a name in the summary"
    sarif = run.sarif()  # validated against the schema, formats included
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert sorted(unquote_to_bytes(uri) for uri in uris) == sorted(p.name for p in planted), VALID_SARIF
    run.assert_no_leak(*hostile_tree.secrets())

