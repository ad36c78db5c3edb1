"""The `binance-secrets` hook through the real pre-commit framework and a real `git commit`, with staged
files named like the hook's own options. Issue #9: a file named `--help`, `-h` or `--exclude=*` used to
make `binance-secrets-hook` print its help or exclude everything, and the commit went through."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.gitrepo import git, git_env, init_repo
from testing.keys import secret_key
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.dev_extra]  # dev_extra: needs pre-commit or detect-secrets

OPTION_NAMES = ("--help", "-h", "--exclude=*", "--", "-q", "--min-confidence=high")


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A commit of this checkout's tracked files as they are now (what `pre-commit try-repo` does), so
    that pre-commit installs the hook under test and not the last committed one."""
    snapshot = init_repo(tmp_path_factory.mktemp("hook-repo") / "binance-secrets")
    tracked = git(PROJECT_ROOT, "ls-files", "-z").split("\0")
    for relative in filter(None, tracked):
        source = PROJECT_ROOT / relative
        if source.is_file():
            (snapshot / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / relative)
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "snapshot")
    return snapshot, git(snapshot, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = git_env()
    # One cache for the module: pre-commit builds the hook's virtualenv once.
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    return env


def _user_repo(path: Path, hook_repository: tuple[Path, str], env: dict[str, str], args: str = "") -> Path:
    location, rev = hook_repository
    repo = init_repo(path)
    config = (
        f"repos:\n-   repo: {location}\n    rev: {rev}\n    hooks:\n    -   id: binance-secrets\n"
        + (f"        args: {args}\n" if args else "")
    )
    (repo / ".pre-commit-config.yaml").write_text(config)
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "pre-commit config")
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env, check=True, capture_output=True)
    return repo


def _commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "--no-gpg-sign", "-m", "change"], cwd=repo, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def _stage(repo: Path, name: str, content: str) -> None:
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    git(repo, "add", "--", name)


def test_pre_commit_refuses_keys_in_files_named_like_hook_options(
    tmp_path: Path, hook_repository: tuple[Path, str], pre_commit_env: dict[str, str]
) -> None:
    """README "Guarding commits" (pre-commit framework): `binance-secrets` runs `binance-secrets-hook` on
    the staged files and refuses the commit; a file's name must not be obeyed as an option."""
    repo = _user_repo(tmp_path / "repo", hook_repository, pre_commit_env)
    secret = secret_key()
    for name in OPTION_NAMES:
        # One file at a time: each name alone used to be enough to let the commit through.
        _stage(repo, name, f'BINANCE_API_SECRET = "{secret}"\n')
        refused = _commit(repo, pre_commit_env)
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0, f"{name!r}: {output}"
        assert name in output and "Failed" in output
        assert secret not in output
        git(repo, "rm", "-q", "--cached", "--", name)
        (repo / name).unlink()
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"  # only the config commit


def test_pre_commit_args_still_work_and_cannot_be_extended_by_a_file_name(
    tmp_path: Path, hook_repository: tuple[Path, str], pre_commit_env: dict[str, str]
) -> None:
    """README "Guarding commits": "Pass options with `args:`" keeps working: the user's `--exclude`
    applies, while a staged file named `--exclude=*` is scanned like any other file."""
    repo = _user_repo(tmp_path / "repo", hook_repository, pre_commit_env, args="[--exclude, 'vendor/*', -q]")
    secret = secret_key()
    _stage(repo, "vendor/fixture.py", f'BINANCE_API_SECRET = "{secret}"\n')
    accepted = _commit(repo, pre_commit_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    _stage(repo, "--exclude=*", f'BINANCE_API_SECRET = "{secret}"\n')
    _stage(repo, "vendor/more.py", f'BINANCE_API_SECRET = "{secret}"\n')
    refused = _commit(repo, pre_commit_env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "--exclude=*" in output and "vendor/more.py" not in output
    assert secret not in output
