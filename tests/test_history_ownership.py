"""`history` refuses a repository git itself refuses for its owner ("dubious ownership", `safe.directory`).

README "`history`": "a repository that belongs to another user is refused as git refuses it ... exit 3 ...
unless git's own `safe.directory` trusts it". git checks ownership only when it discovers a repository;
`--git-dir` and the GitPython fallback skip the check, so these tests make the repository really belong
to another uid (`chown`, which needs root: the suite runs as root in CI and in the container) and run the
real CLI in a child process with the tests' empty git config (nothing of the machine's trusts it).
Every key is generated at run time.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from testing import keys
from testing.gitrepo import commit_file, git, git_env, init_repo

from .conftest import run_subprocess

OTHER_UID = 54321

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="a repository owned by another uid can only be made by root (chown)"
)


def _give_away(path: Path) -> None:
    for folder, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(folder, name), OTHER_UID, OTHER_UID)
    os.lchown(path, OTHER_UID, OTHER_UID)


def _leaky(path: Path) -> Path:
    repo = init_repo(path)
    content = f'BINANCE_API_KEY = "{keys.api_key()}"\nBINANCE_API_SECRET = "{keys.secret_key()}"\n'
    commit_file(repo, "config.py", content)
    return repo


def _bare_copy(repo: Path, path: Path) -> Path:
    shutil.copytree(repo / ".git", path)
    git(path, "config", "core.bare", "true")
    return path


@pytest.fixture
def others(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """Repositories holding a key and owned by another uid: {case: (path given, what safe.directory names)}."""
    repo = _leaky(tmp_path / "work")
    bare = _bare_copy(repo, tmp_path / "bare.git")
    _give_away(repo)
    _give_away(bare)
    return {"work tree": (repo, repo), "bare": (bare, bare), "inside .git": (repo / ".git", repo / ".git")}


@pytest.mark.parametrize("case", ["work tree", "bare", "inside .git"])
def test_history_refuses_a_repository_of_another_user_as_git_does(
    others: dict[str, tuple[Path, Path]], tmp_path: Path, case: str
) -> None:
    given, named = others[case]
    result = run_subprocess(["history", str(given), "-f", "json", "--no-progress"], tmp_path, env=git_env())
    assert result.exit_code == 3
    assert result.stdout == ""  # nothing audited, nothing reported (no key read from it)
    assert result.stderr.splitlines() == [
        f"binance-secrets: error: {named} belongs to another user and git refuses to read it (dubious "
        f"ownership); if you trust it: git config --global --add safe.directory {named}"
    ]
    # git itself refuses the same repository: the tool is no laxer and no stricter.
    refused = git(given, "rev-parse", "--git-dir", check=False, env=git_env())
    assert refused == ""


@pytest.mark.parametrize("case", ["work tree", "bare"])
def test_history_reads_it_when_safe_directory_trusts_it(
    others: dict[str, tuple[Path, Path]], tmp_path: Path, case: str
) -> None:
    given, named = others[case]
    trusting = tmp_path / "trusting.gitconfig"
    trusting.write_text(f"[safe]\n\tdirectory = {named}\n")
    env = {**git_env(), "GIT_CONFIG_GLOBAL": str(trusting)}
    result = run_subprocess(["history", str(given), "-f", "json", "--no-progress"], tmp_path, env=env)
    assert result.exit_code == 1, result.stderr
    assert {finding["path"] for finding in json.loads(result.stdout)["findings"]} == {"config.py"}


def test_multi_repository_audit_lists_the_refused_one_and_audits_the_others(
    others: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    """README "Several repositories": one repository that cannot be audited is an error entry; the rest go on."""
    mine = _leaky(tmp_path / "mine")
    theirs, named = others["work tree"]
    result = run_subprocess(["history", str(mine), str(theirs), "-f", "json", "--no-progress"], tmp_path, env=git_env())
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert {finding["repository"] for finding in report["findings"]} == {str(mine)}
    assert [error["message"] for error in report["errors"] if error.get("repository") == str(theirs)] == [
        f"{named} belongs to another user and git refuses to read it (dubious ownership); if you trust it: "
        f"git config --global --add safe.directory {named}"
    ]


def test_staged_refuses_a_repository_of_another_user_with_the_same_one_line_reason(
    others: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    """`staged` (the plain git hook's scan) names git's remedy as `history` does, in one line."""
    given, named = others["work tree"]
    result = run_subprocess(["staged", str(given)], tmp_path, env=git_env())
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"binance-secrets: error: {named} belongs to another user and git refuses to read it (dubious "
        f"ownership); if you trust it: git config --global --add safe.directory {named}"
    ]
