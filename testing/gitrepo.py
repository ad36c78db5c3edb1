"""Real git repositories built in temporary folders: the one fixture module every test and benchmark uses.

`GitRepo` is a repository with the tests' own identity and an empty global config (nothing of the user's
or the machine's git configuration reaches a test). The module functions (`git`, `init_repo`,
`commit_file`) are the same operations on a bare path, for tests that keep only the path.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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
    return GitRepo.create(path, branch=branch).path


def commit_file(repo: Path, relative: str, content: str | bytes, message: str = "change") -> str:
    return GitRepo(repo).commit_file(relative, content, message)


def repo_with_remote(
    folder: Path, *, name: str = "repo", first: tuple[str, str] | None = None
) -> tuple[Path, Path]:
    """(repository, remote): a bare `folder/remote.git` that is the `origin` of `folder/name`; with `first`
    (file name, content), one commit of that file, message "first" (for tests that push)."""
    remote = GitRepo.create(folder / "remote.git", bare=True).path
    repo = init_repo(folder / name)
    git(repo, "remote", "add", "origin", str(remote))
    if first is not None:
        commit_file(repo, *first, message="first")
    return repo, remote


_Repo = TypeVar("_Repo", bound="GitRepo")


@dataclass(frozen=True)
class Completed:
    """A finished command: exit code and what it printed."""

    code: int
    stdout: str
    stderr: str


@dataclass
class GitRepo:
    path: Path
    env: dict[str, str] = field(default_factory=git_env)

    @classmethod
    def create(
        cls: type[_Repo], path: Path, *, branch: str = "main", bare: bool = False, env: dict[str, str] | None = None
    ) -> _Repo:
        """`git init` in `path` (made if missing), on `branch`."""
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path, git_env() if env is None else env)
        repo.git("init", "-q", "-b", branch, *(["--bare"] if bare else []))
        return repo

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.path, *args, check=check, env=self.env)

    def write(self, relative: str, content: str | bytes, *, stage: bool = True) -> Path:
        """The file written (folders made as needed) and, unless `stage` is False, added to the index."""
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
        if stage:
            self.git("add", "--", relative)
        return target

    def commit_file(self, relative: str, content: str | bytes, message: str = "change") -> str:
        """Writes, stages and commits one file; the new commit's id."""
        self.write(relative, content)
        self.git("commit", "-q", "--no-gpg-sign", "--no-verify", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def run(self, *args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None) -> Completed:
        """Any command, run in the repository with its environment."""
        completed = subprocess.run(
            list(args), cwd=self.path, env={**self.env, **(extra_env or {})}, input=stdin,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return Completed(completed.returncode, completed.stdout, completed.stderr)
