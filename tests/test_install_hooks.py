"""`binance-secrets install-hooks` and the plain git hooks it installs, against careless and hostile
setups: missing paths, `umask 000`, repeated `--force`, odd backups, a missing or failing tool.
Issue #9, commit-guard items."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from testing.gitrepo import git, git_env, init_repo, repo_with_remote
from testing.keys import api_key, secret_key
from tests.conftest import PROJECT_ROOT, CliRun


def _install(*args: str, umask: int = -1) -> CliRun:
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", "install-hooks", *args],
        capture_output=True, text=True, check=False, umask=umask,
    )  # fmt: skip
    assert "Traceback" not in completed.stderr, completed.stderr
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


def _env_without_the_tool() -> dict[str, str]:
    """git's environment with no virtualenv on PATH, as in a user's shell."""
    env = git_env()
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    return env


def _commit(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", "--no-gpg-sign", *extra, "-m", "change"],
        cwd=repo, env=_env_without_the_tool(), capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("argument", "code", "message"),
    [
        ("{tmp}/nonexistent", 3, "no such file or directory"),
        ("{tmp}/a-file.txt", 3, "is not a folder"),
        ("", 2, "not an empty string"),
    ],
)
def test_install_hooks_bad_path_is_a_clear_error_not_a_traceback(
    tmp_path: Path, argument: str, code: int, message: str
) -> None:
    """README exit codes: no traceback for any user error; exit 3 when there is no repository, 2 for a bad argument."""
    (tmp_path / "a-file.txt").write_text("x\n")
    result = _install(argument.format(tmp=tmp_path))
    assert result.exit_code == code, result.stderr
    assert message in result.stderr


def test_installed_hooks_are_0755_even_under_umask_000(tmp_path: Path) -> None:
    """README "With plain git hooks": `install-hooks` writes the hooks. A hook others can write runs
    their code on every commit, so group/other never get write access, whatever the umask."""
    repo = init_repo(tmp_path / "repo")
    hooks = repo / ".git" / "hooks"
    # An earlier install left world-writable hooks: re-installing repairs them.
    (hooks / "pre-push").write_text("#!/bin/sh\n# binance-secrets-managed-hook\nexit 0\n")
    (hooks / "pre-push").chmod(0o777)
    result = _install(str(repo), umask=0)
    assert result.exit_code == 0, result.stderr
    for name in ("pre-commit", "pre-push"):
        assert stat.S_IMODE((hooks / name).stat().st_mode) == 0o755
    assert sorted(p.name for p in hooks.iterdir() if "binance-secrets" in p.name) == []  # no temporary left


def test_second_force_keeps_the_first_backup_and_numbers_the_next(tmp_path: Path) -> None:
    """README "With plain git hooks": "the old one is kept as `.bak`": a second `--force` must not
    overwrite the user's original hook with the next one."""
    repo = init_repo(tmp_path / "repo")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho original\n")
    first = _install("--hook", "pre-commit", "--force", str(repo))
    assert first.exit_code == 0, first.stderr
    hook.write_text("#!/bin/sh\necho second\n")  # another tool took the hook over
    second = _install("--hook", "pre-commit", "--force", str(repo))
    assert second.exit_code == 0, second.stderr
    assert (hook.parent / "pre-commit.bak").read_text() == "#!/bin/sh\necho original\n"
    assert (hook.parent / "pre-commit.bak.1").read_text() == "#!/bin/sh\necho second\n"
    assert "pre-commit.bak.1" in second.stdout
    assert "binance-secrets-managed-hook" in hook.read_text()


def test_force_with_a_backup_that_is_a_folder_keeps_it_and_uses_the_next_name(tmp_path: Path) -> None:
    """README "With plain git hooks" (`--force`, old hook kept as `.bak`): a `.bak` folder used to raise
    a traceback; it is left alone and the old hook is kept beside it."""
    repo = init_repo(tmp_path / "repo")
    hooks = repo / ".git" / "hooks"
    (hooks / "pre-commit.bak").mkdir()
    (hooks / "pre-commit.bak" / "keep.txt").write_text("mine\n")
    (hooks / "pre-commit").write_text("#!/bin/sh\necho mine\n")
    result = _install("--hook", "pre-commit", "--force", str(repo))
    assert result.exit_code == 0, result.stderr
    assert (hooks / "pre-commit.bak" / "keep.txt").read_text() == "mine\n"
    assert (hooks / "pre-commit.bak.1").read_text() == "#!/bin/sh\necho mine\n"


def test_a_hook_path_that_is_a_folder_is_foreign_not_a_traceback(tmp_path: Path) -> None:
    """README "With plain git hooks": refuses to replace a hook it did not install unless `--force`."""
    repo = init_repo(tmp_path / "repo")
    folder = repo / ".git" / "hooks" / "pre-commit"
    folder.mkdir()
    refused = _install("--hook", "pre-commit", str(repo))
    assert refused.exit_code == 2
    assert "was not installed by binance-secrets" in refused.stderr
    assert folder.is_dir()
    forced = _install("--hook", "pre-commit", "--force", str(repo))
    assert forced.exit_code == 0, forced.stderr
    assert (folder.parent / "pre-commit.bak").is_dir()
    assert folder.is_file()


def _raw_hook(repo: Path, name: str) -> None:
    """The hook exactly as shipped in hooks/ (no interpreter recorded), as copied by hand or by a
    tool that manages hooks itself."""
    target = repo / ".git" / "hooks" / name
    shutil.copyfile(PROJECT_ROOT / "hooks" / name, target)
    target.chmod(0o755)


def _tool_on_path(env: dict[str, str]) -> bool:
    return shutil.which("binance-secrets", path=env["PATH"]) is not None


def test_plain_pre_commit_hook_refuses_when_the_tool_is_missing(tmp_path: Path) -> None:
    """README "With plain git hooks": the hook refuses (fail-closed) when binance-secrets cannot run,
    and "Bypass once with `git commit --no-verify`" stays the opt-out."""
    if _tool_on_path(_env_without_the_tool()):
        pytest.skip("binance-secrets is installed outside the virtualenv on this machine")
    repo = init_repo(tmp_path / "repo")
    _raw_hook(repo, "pre-commit")
    (repo / "notes.txt").write_text("nothing secret\n")
    git(repo, "add", "notes.txt")
    refused = _commit(repo)
    assert refused.returncode != 0
    assert "not installed" in refused.stderr and "refusing to commit unchecked" in refused.stderr
    assert git(repo, "rev-list", "--all").strip() == ""
    assert _commit(repo, "--no-verify").returncode == 0


def test_plain_pre_push_hook_refuses_when_the_tool_is_missing(tmp_path: Path) -> None:
    """README "With plain git hooks": `hooks/pre-push` refuses a push it could not check."""
    if _tool_on_path(_env_without_the_tool()):
        pytest.skip("binance-secrets is installed outside the virtualenv on this machine")
    repo, remote = repo_with_remote(tmp_path, first=("notes.txt", "nothing secret\n"))
    _raw_hook(repo, "pre-push")
    pushed = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, env=_env_without_the_tool(),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pushed.returncode != 0
    assert "refusing to push unchecked" in pushed.stderr
    assert git(remote, "rev-list", "--all").strip() == ""


def test_installed_pre_commit_hook_refuses_when_the_check_cannot_complete(tmp_path: Path) -> None:
    """README "Partial scans are never reported clean" and "With plain git hooks": when `staged`
    cannot read what is staged (exit 3), the hook refuses and says why, not only "findings"."""
    repo = init_repo(tmp_path / "repo")
    assert _install("--hook", "pre-commit", str(repo)).exit_code == 0
    (repo / "settings.py").write_text("value = 1\n")
    git(repo, "add", "settings.py")
    object_id = git(repo, "ls-files", "-s").split()[1]
    (repo / ".git" / "objects" / object_id[:2] / object_id[2:]).unlink()
    refused = _commit(repo)
    assert refused.returncode != 0
    assert "settings.py: staged content missing" in refused.stderr
    assert "did not complete (exit 3); refusing to commit unchecked" in refused.stderr


def test_installed_pre_push_hook_checks_every_pushed_ref(tmp_path: Path) -> None:
    """README "With plain git hooks": `hooks/pre-push` runs `history` on the commits *each* pushed ref
    adds; the scan of the first ref must not swallow the lines git writes for the others."""
    repo, remote = repo_with_remote(tmp_path, first=("notes.txt", "nothing secret\n"))
    git(repo, "branch", "aaa-clean")
    git(repo, "checkout", "-q", "-b", "zzz-leak")
    (repo / "bot.py").write_text(f'client = Client("{api_key()}", "{secret_key()}")\n')
    git(repo, "add", "bot.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "bot")
    assert _install("--hook", "pre-push", str(repo)).exit_code == 0
    pushed = subprocess.run(
        ["git", "push", "origin", "aaa-clean", "main", "zzz-leak"], cwd=repo, env=_env_without_the_tool(),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pushed.returncode != 0
    assert "bot.py" in pushed.stdout + pushed.stderr
    assert "zzz-leak" not in git(remote, "branch", "--list")

