"""The `binance-secrets-history` pre-push hook, through the real pre-commit and a real `git push`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testing.gitrepo import commit_file, git, git_env, repo_with_remote
from testing.keys import api_key

pytestmark = [pytest.mark.slow, pytest.mark.dev_extra]  # dev_extra: needs pre-commit or detect-secrets

CHECKOUT = Path(__file__).resolve().parents[1]


def _committed_rev() -> str:
    # Empty outside a git checkout (the tests of an unpacked sdist): the test is then skipped.
    return git(CHECKOUT, "rev-parse", "HEAD", check=False).strip()


def _has_history_hook(rev: str) -> bool:
    manifest = subprocess.run(
        ["git", "show", f"{rev}:.pre-commit-hooks.yaml"], cwd=CHECKOUT, capture_output=True, text=True
    )
    return "binance-secrets-history" in manifest.stdout


def push(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "-q", "origin", "main"], cwd=repo, env=env, capture_output=True, text=True
    )


@pytest.mark.skipif(not _has_history_hook(_committed_rev()), reason="the hook manifest is not committed yet")
def test_pre_push_hook_refuses_a_push_whose_commits_hold_a_key(tmp_path: Path) -> None:
    env = git_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    repo, remote = repo_with_remote(tmp_path, name="work")
    config = (
        "repos:\n"
        f"-   repo: {CHECKOUT}\n"
        f"    rev: {_committed_rev()}\n"
        "    hooks:\n"
        "    -   id: binance-secrets-history\n"
    )
    commit_file(repo, ".pre-commit-config.yaml", config, "pre-commit config")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
        cwd=repo, env=env, check=True, capture_output=True,
    )  # fmt: skip

    # A new branch whose commits are clean goes through (the hook scans what the remote lacks).
    first = push(repo, env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert git(remote, "rev-parse", "main").strip() == git(repo, "rev-parse", "HEAD").strip()

    key = api_key()
    commit_file(repo, "bot/settings.py", f'BINANCE_API_KEY = "{key}"\n', "add bot settings")
    # Deleting the key again does not help: the pushed commits still hold it.
    commit_file(repo, "bot/settings.py", 'BINANCE_API_KEY = os.environ["BINANCE_API_KEY"]\n', "use env")
    before = git(remote, "rev-parse", "main").strip()
    refused = push(repo, env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "bot/settings.py" in output
    assert key not in output
    assert git(remote, "rev-parse", "main").strip() == before

    # Rewriting the history without the key makes the push go through.
    git(repo, "reset", "-q", "--hard", "HEAD~2")
    commit_file(repo, "bot/settings.py", 'BINANCE_API_KEY = os.environ["BINANCE_API_KEY"]\n', "use env")
    clean = push(repo, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
