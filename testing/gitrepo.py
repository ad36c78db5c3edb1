"""Real git repositories built in temporary folders for tests."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
}


def empty_git_config() -> str:
    """An empty global git config of the tests' own.

    Not os.devnull: a `git config --global` run under that setting (pre-commit and others do) would
    rename its lock file over /dev/null and turn the device into a regular file for the whole machine.
    """
    path = os.path.join(tempfile.gettempdir(), "binance-secrets-tests.gitconfig")
    if not os.path.isfile(path):
        with open(path, "a", encoding="utf-8"):
            pass
    return path


def git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_IDENTITY)
    # Keep the user's and the machine's git configuration out of the tests.
    env["GIT_CONFIG_GLOBAL"] = empty_git_config()
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    return env


def git(repo: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=env or git_env(),
        check=check,
        capture_output=True,
        text=True,
    )
    return completed.stdout


def init_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    return path


def commit_file(repo: Path, relative: str, content: str | bytes, message: str = "change") -> str:
    target = repo / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    git(repo, "add", "--", relative)
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()
