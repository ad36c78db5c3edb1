"""Where git runs: a repository's git dir (the history audit), or a folder as a git hook sees it.

GitPython is used for one thing, and only where plain git gives no answer: finding the repository at a
path that `git rev-parse` does not resolve (a path inside a `.git` folder, a git dir without a config
file). Its answers are the ones the history audit has always used there; it is imported in that branch
alone (about 0.1 s), never on a hook's path.

A repository git refuses for its owner ("dubious ownership": it belongs to another user and no
`safe.directory` setting trusts it) is refused here too, naming git's remedy, although `--git-dir`
(which skips git's check) and GitPython would read it: the tool trusts no repository git does not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from binance_secrets.errors import ScanFailure
from binance_secrets.git.environment import safe_environment
from binance_secrets.git.process import GIT, run_git

# Pack data each git process maps at once. git's default (8 GiB on 64-bit systems) lets a walk over
# a large history keep every pack page it touched mapped, and mapped pages count in its resident
# memory: `rev-list --objects` over numpy's history peaked at 390 MB, 130 MB with these limits, for
# the same CPU time.
PACK_MEMORY_OPTIONS = ("-c", "core.packedGitLimit=128m", "-c", "core.packedGitWindowSize=32m")


@dataclass(frozen=True)
class GitRepository:
    """A repository named by its git dir (`--git-dir`): what the history audit reads, whatever the
    caller's GIT_DIR or GIT_INDEX_FILE say."""

    git_dir: str
    work_tree: str | None
    # A partial clone (a promisor remote is configured): objects it never fetched are missing by
    # design, and git would fetch each one from the network on first read. We never read one.
    partial: bool = False
    # Set only to audit around missing commits: a grafts file that cuts history where they were.
    graft_file: str | None = None

    @property
    def root(self) -> str:
        """The folder paths and config are relative to: the working tree, or the git dir when bare."""
        return self.work_tree or self.git_dir

    @property
    def cwd(self) -> str | None:
        return None  # `--git-dir` says where

    def command(self, *args: str) -> list[str]:
        if self.graft_file is not None:
            grafts = ("-c", "advice.graftFileDeprecated=false")
            return [GIT, f"--git-dir={self.git_dir}", *PACK_MEMORY_OPTIONS, *grafts, *args]
        return [GIT, f"--git-dir={self.git_dir}", *PACK_MEMORY_OPTIONS, *args]

    def environment(self) -> dict[str, str]:
        env = safe_environment()
        if self.graft_file is not None:
            env["GIT_GRAFT_FILE"] = self.graft_file
        return env


@dataclass(frozen=True)
class GitFolder:
    """git run in `folder`, finding its repository as git does: with the caller's GIT_DIR and
    GIT_INDEX_FILE, which a running hook sets for the repository and index being committed (unless
    `callers_repository` is false: then the folder alone says which repository it is).

    The folder is git's working directory, never an argument: no name can become an option.
    """

    folder: str
    callers_repository: bool = True

    @property
    def cwd(self) -> str | None:
        return self.folder

    def command(self, *args: str) -> list[str]:
        return [GIT, *args]

    def environment(self) -> dict[str, str]:
        return safe_environment(keep_repository=self.callers_repository)


def find_git_dir(path: str) -> tuple[str, str | None]:
    """The git dir and working tree (None when bare) of the repository at or above `path`, an
    existing path; `ScanFailure` (exit 3) when there is none.

    One `git rev-parse` finds a working tree or a bare repository, the common cases; anything else is
    left to GitPython (see the module's docstring).
    """
    found = _discover(path)
    if found is not None:
        return found
    refuse_distrusted_owner(path)
    git_dir, work_tree = _discover_with_gitpython(path)
    refuse_distrusted_owner(git_dir)  # found from inside a `.git` folder: git checks the git dir's owner
    return git_dir, work_tree


def refuse_distrusted_owner(path: str) -> None:
    """`ScanFailure` (exit 3) when git refuses the repository at `path` for its owner alone: discovery
    fails as configured and succeeds once every directory is trusted (`-c safe.directory=*`, on this
    probe only: nothing is read with it). Asked of git rather than re-implemented, and without reading
    its translated messages: git's own rules apply (whose work tree or git dir it is, root under sudo,
    the user's `safe.directory` entries)."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    where = GitFolder(folder, callers_repository=False)
    asked = ("rev-parse", "--absolute-git-dir", "--is-bare-repository", "--is-inside-git-dir", "--show-toplevel")
    if run_git(where, *asked[:2]).returncode == 0:
        return
    trusting = run_git(where, "-c", "safe.directory=*", *asked)
    lines = trusting.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 3:
        return  # not a repository even when trusted: not an ownership question
    import shlex  # only on this error's path

    # What safe.directory names: the work tree, or the git dir of a bare repository (or when inside it).
    trusted = lines[3] if len(lines) == 4 and lines[1:3] == ["false", "false"] else lines[0]
    raise ScanFailure(
        f"{trusted} belongs to another user and git refuses to read it (dubious ownership); if you trust it: "
        f"git config --global --add safe.directory {shlex.quote(trusted)}"
    )


def _discover(path: str) -> tuple[str, str | None] | None:
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    asked = ("--absolute-git-dir", "--is-bare-repository", "--is-inside-git-dir", "--show-toplevel")
    completed = run_git(GitFolder(folder, callers_repository=False), "rev-parse", *asked)
    lines = completed.stdout.decode("utf-8", "surrogateescape").splitlines()
    if completed.returncode == 0 and len(lines) == 4 and lines[1:3] == ["false", "false"]:
        return os.path.abspath(lines[0]), os.path.abspath(lines[3])
    if len(lines) == 3 and lines[1:3] == ["true", "true"] and _configured_bare(lines[0]):
        return os.path.abspath(lines[0]), None  # `--show-toplevel` fails in a bare repository
    return None


def _configured_bare(git_dir: str) -> bool:
    """`core.bare` is set to true: git and GitPython then agree that there is no working tree."""
    completed = run_git(GitRepository(git_dir, None), "config", "--bool", "--get", "core.bare")
    return completed.stdout.strip() == b"true"


def _discover_with_gitpython(path: str) -> tuple[str, str | None]:
    import git  # GitPython: paid only where plain git discovery did not answer

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise ScanFailure(f"{path} is not a git repository (or any of its parent folders)") from None
    except git.NoSuchPathError:
        raise ScanFailure(f"{path}: no such file or directory") from None
    except git.GitError as error:  # pragma: no cover - depends on the local git installation
        raise ScanFailure(f"{path}: cannot open the repository: {error}") from None
    git_dir = os.path.abspath(repo.git_dir)
    work_tree = None if repo.bare else os.path.abspath(str(repo.working_tree_dir))
    repo.close()
    return git_dir, work_tree
