"""`binance-secrets staged` (what the plain pre-commit hook runs) against hostile indexes: file names
that git could read as pathspec magic or options, more staged files than one command line can hold, bad
REPO arguments, and signals while `git cat-file` runs. Issue #9, commit-guard items."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.gitrepo import git, git_env, init_repo
from testing.keys import secret_key
from tests.conftest import run_subprocess

HOSTILE_NAMES = (":(exclude)*", ":(glob)**", "--output=x", "-h", "line\nbreak.py", ":!*", "--", "*")


def _stage_blob(repo: Path, content: str, path: str) -> None:
    """Stages `content` as `path` through stdin only: the name never touches a command line."""
    env = git_env()
    object_id = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, env=env, input=content.encode(),
        capture_output=True, check=True,
    ).stdout.decode().strip()  # fmt: skip
    subprocess.run(
        ["git", "update-index", "--add", "-z", "--index-info"], cwd=repo, env=env,
        input=f"100644 {object_id}\t{path}\0".encode(), check=True,
    )  # fmt: skip


def test_staged_files_named_like_pathspec_magic_or_options_are_all_scanned(tmp_path: Path) -> None:
    """README "Guarding commits": `hooks/pre-commit` runs `binance-secrets staged` and refuses a commit
    whose staged content holds a credential; a file named `:(exclude)*` must not hide the others."""
    repo = init_repo(tmp_path / "repo")
    secret = secret_key()
    for name in HOSTILE_NAMES:
        target = repo / name
        target.write_text(f'BINANCE_API_SECRET = "{secret}"\n')
    # Staged as a user would (`git add -A`), after a first commit so that the diff is against HEAD.
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "first")
    git(repo, "add", "-A")
    assert len(git(repo, "ls-files", "-z").split("\0")) - 1 == len(HOSTILE_NAMES) + 1

    result = run_subprocess(["staged", "-f", "json"], cwd=repo)
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert sorted(f["path"] for f in report["findings"]) == sorted(HOSTILE_NAMES)
    assert report["errors"] == []
    assert secret not in result.output


def test_staged_hostile_names_before_the_first_commit_are_scanned(tmp_path: Path) -> None:
    """README "Guarding commits" (plain git hooks): the very first commit of a repository is guarded too."""
    repo = init_repo(tmp_path / "repo")
    secret = secret_key()
    for name in HOSTILE_NAMES:
        _stage_blob(repo, f'API_SECRET = "{secret}"\n', name)
        _stage_blob(repo, f'API_SECRET = "{secret}"\n', f"dir/{name}")
    result = run_subprocess(["staged", "-f", "json", str(repo)], cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert sorted(f["path"] for f in json.loads(result.stdout)["findings"]) == sorted(
        [*HOSTILE_NAMES, *(f"dir/{name}" for name in HOSTILE_NAMES)]
    )


def test_installed_pre_commit_hook_refuses_keys_in_files_named_like_pathspecs(tmp_path: Path) -> None:
    """README "Guarding commits" (plain git hooks): `git commit` is refused; nothing is committed."""
    repo = init_repo(tmp_path / "repo")
    installed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", "install-hooks", "--hook", "pre-commit", str(repo)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    secret = secret_key()
    (repo / "clean.txt").write_text("nothing here\n")
    (repo / ":(exclude)*").write_text(f'BINANCE_API_SECRET = "{secret}"\n')
    git(repo, "add", "-A")
    env = git_env()
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    refused = subprocess.run(
        ["git", "commit", "-q", "--no-gpg-sign", "-m", "x"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert ":(exclude)*" in refused.stdout + refused.stderr
    assert git(repo, "rev-list", "--all").strip() == ""


@pytest.fixture(scope="module")
def forty_thousand_staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40,000 staged files with long names (about 3 MB of names, more than one argv holds), one with a key.

    Staged with `git update-index --index-info` from stdin: the same index `git add -A` would build,
    without writing 40,000 files to disk."""
    repo = init_repo(tmp_path_factory.mktemp("many") / "repo")
    env = git_env()

    def blob(content: str) -> str:
        return subprocess.run(
            ["git", "hash-object", "-w", "--stdin"], cwd=repo, env=env, input=content.encode(),
            capture_output=True, check=True,
        ).stdout.decode().strip()  # fmt: skip

    clean, leak = blob("value = 1\n"), blob(f'BINANCE_API_SECRET = "{secret_key()}"\n')
    entries = [
        f"100644 {clean}\tgenerated/package_{i % 100:03d}/module_with_a_long_descriptive_name_{i:05d}.py\0"
        for i in range(40_000)
    ]
    entries.append(f"100644 {leak}\tgenerated/package_042/settings.py\0")
    subprocess.run(
        ["git", "update-index", "--add", "-z", "--index-info"], cwd=repo, env=env,
        input="".join(entries).encode(), check=True,
    )  # fmt: skip
    return repo


@pytest.mark.slow
def test_forty_thousand_staged_files_are_scanned_without_argument_list_too_long(
    forty_thousand_staged: Path,
) -> None:
    """README "Guarding commits": the hook guards every commit, a huge one (vendored tree, generated
    code) included; it used to die with `OSError: Argument list too long`."""
    result = run_subprocess(["staged", "-f", "json"], cwd=forty_thousand_staged)  # asserts no traceback
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert [f["path"] for f in report["findings"]] == ["generated/package_042/settings.py"]
    assert report["stats"]["files"] == 40_001
    assert report["errors"] == []


@pytest.mark.parametrize(
    ("argument", "code", "message"),
    [
        ("{tmp}/nonexistent", 3, "no such file or directory"),
        ("{tmp}/a-file.txt", 3, "is not a folder"),
        ("{tmp}", 3, "is not a git repository"),
        ("", 2, "not an empty string"),
    ],
)
def test_staged_bad_repo_argument_is_a_clear_error_not_a_traceback(
    tmp_path: Path, argument: str, code: int, message: str
) -> None:
    """README exit codes (3: not a repository, nothing could be scanned; 2: bad argument) and "no
    traceback for any user error"; README "Guarding commits": the hook refuses when it cannot check."""
    (tmp_path / "a-file.txt").write_text("x\n")
    result = run_subprocess(["staged", argument.format(tmp=tmp_path)], cwd=tmp_path)  # asserts no traceback
    assert result.exit_code == code, result.stderr
    assert message in result.stderr


def test_staged_blob_missing_from_the_repository_is_not_reported_clean(tmp_path: Path) -> None:
    """README "Partial scans are never reported clean": a staged file whose content cannot be read is
    an error, and the hook refuses the commit (exit 3), instead of skipping it silently."""
    repo = init_repo(tmp_path / "repo")
    _stage_blob(repo, "value = 'staged, then lost'\n", "lost.py")
    object_id = git(repo, "ls-files", "-s").split()[1]
    (repo / ".git" / "objects" / object_id[:2] / object_id[2:]).unlink()
    result = run_subprocess(["staged", "-f", "json"], cwd=repo)
    assert result.exit_code == 3, result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert [e["path"] for e in errors] == ["lost.py"]
    assert "not scanned" in errors[0]["message"]


def _children(pid: int) -> Iterator[tuple[int, str]]:
    """(pid, command line) of the live children of `pid`, read from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            yield int(entry.name), cmdline


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_staged_stops_git_cat_file_and_exits_128_plus_signal(
    forty_thousand_staged: Path, signum: int, code: int
) -> None:
    """README "Guarding commits": a hook stopped by `timeout`, a CI runner or Ctrl-C leaves nothing
    behind: the signal goes to the main process alone, as those send it, and `git cat-file` must go too."""
    env = git_env()
    process = subprocess.Popen(
        [sys.executable, "-m", "binance_secrets", "staged", "--no-progress"], cwd=forty_thousand_staged,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    cat_file = None
    while process.poll() is None and cat_file is None:
        cat_file = next((pid for pid, cmd in _children(process.pid) if "cat-file" in cmd), None)
        time.sleep(0.005)
    assert cat_file is not None, "the scan ended before git cat-file could be seen"
    process.send_signal(signum)
    # communicate() returns only when every holder of the pipes (a left-over git child too) closed them.
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr.decode(errors="replace")
    assert not _is_alive(cat_file)
    assert b"Traceback" not in stderr
