"""The commit guards: the pre-commit framework hook, the plain git hooks and `install-hooks`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from binance_secrets.hook import main as hook_main
from testing.gitrepo import git, git_env, init_repo, repo_with_remote
from tests.conftest import PROJECT_ROOT, KeyPair, modules_a_hook_run_loads

# PyYAML and pre-commit come with the dev extra (`pytest --core` leaves this out).
pytestmark = pytest.mark.dev_extra


def test_hook_fails_on_a_file_with_a_key(in_tmp: Path, key_pair: KeyPair, capsys) -> None:
    (in_tmp / "settings.py").write_text(f'BINANCE_API_SECRET = "{key_pair.secret}"\n')
    (in_tmp / "clean.py").write_text("x = 1\n")
    assert hook_main(["settings.py", "clean.py"]) == 1
    out = capsys.readouterr().out
    assert "settings.py" in out and key_pair.secret not in out


def test_hook_passes_clean_and_allowlisted_files(in_tmp: Path, key_pair: KeyPair) -> None:
    (in_tmp / "clean.py").write_text("x = 1\n")
    (in_tmp / "doc.md").write_text(
        f"Example: `api_secret = \"{key_pair.secret}\"`  <!-- pragma: allowlist secret -->\n"
    )
    assert hook_main(["clean.py", "doc.md"]) == 0
    assert hook_main([]) == 0


def test_hook_honours_a_baseline(in_tmp: Path, key_pair: KeyPair, run_cli) -> None:
    (in_tmp / "settings.py").write_text(f'BINANCE_API_SECRET = "{key_pair.secret}"\n')
    run_cli("scan", "-f", "json", "-o", "baseline.json")
    assert hook_main(["--baseline", "baseline.json", "settings.py"]) == 0


def test_hook_bad_option_is_exit_2(in_tmp: Path) -> None:
    with pytest.raises(SystemExit) as raised:
        hook_main(["--min-confidence", "extreme", "x.py"])
    assert raised.value.code == 2


def test_hook_file_named_like_an_option_is_scanned_not_obeyed(in_tmp: Path, key_pair: KeyPair, capsys) -> None:
    """README "Guarding commits": pre-commit puts the staged file names after `args:`; an existing
    file named `--help`, `-h` or `--exclude=*` is a file to scan (issue #9), never an option."""
    for name in ("--help", "-h", "--exclude=*", "--"):
        (in_tmp / name).write_text(f'BINANCE_API_SECRET = "{key_pair.secret}"\n')
        assert hook_main([name]) == 1, name
        assert name in capsys.readouterr().out


def test_hook_args_before_the_files_still_apply(in_tmp: Path, key_pair: KeyPair, capsys) -> None:
    """README "Guarding commits": "Pass options with `args:`" (short clusters and `--` included)."""
    (in_tmp / "vendor").mkdir()
    (in_tmp / "vendor" / "lib.py").write_text(f'BINANCE_API_SECRET = "{key_pair.secret}"\n')
    (in_tmp / "app.py").write_text(f'BINANCE_API_SECRET = "{key_pair.secret}"\n')
    assert hook_main(["--exclude", "vendor/*", "vendor/lib.py"]) == 0
    capsys.readouterr()
    assert hook_main(["--exclude=vendor/*", "-qf", "json", "--", "vendor/lib.py", "app.py"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [f["path"] for f in report["findings"]] == ["app.py"]


def test_hook_abbreviated_option_is_a_usage_error(in_tmp: Path) -> None:
    """Options are spelled in full: `--exc` never silently means `--exclude`."""
    (in_tmp / "a.py").write_text("x = 1\n")
    with pytest.raises(SystemExit) as raised:
        hook_main(["--exc", "*", "a.py"])
    assert raised.value.code == 2


def test_hook_path_imports_no_git_http_or_detect_secrets(tmp_path: Path, key_pair: KeyPair) -> None:
    (tmp_path / "settings.py").write_text(f'BINANCE_API_SECRET = "{key_pair.secret}"\n')
    probe = (
        "import sys\n"
        "from binance_secrets.hook import main\n"
        "code = main(['settings.py'])\n"
        "heavy = [m for m in ('git', 'requests', 'urllib3', 'detect_secrets', 'cryptography') if m in sys.modules]\n"
        "print('HEAVY', heavy, code)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "HEAVY [] 1" in completed.stdout


def test_a_clean_hook_run_imports_only_what_scanning_needs(tmp_path: Path) -> None:
    """README "Performance": a commit with nothing to report loads no option parser, no config reader (no
    config file), no baseline or report code it does not use, no rules or their examples, nothing of verification;
    nor the Finding type and its records (nothing is found), typing (type names are for mypy), hashlib (OpenSSL:
    nothing is hashed) or the escaping of reported text (nothing is reported). The file names a secret, so
    the full scan runs (trigger-free files take the shortcut: tests/test_hook_clean_shortcut.py)."""
    (tmp_path / "app.py").write_text("import os\n\nsecret_word = os.getcwd()\n")
    unwanted = (
        "argparse", "tomllib", "tomli", "json", "click", "binance_secrets.baseline", "binance_secrets.rules",
        "binance_secrets.detectors.examples", "binance_secrets.report.json_report", "binance_secrets.verification",
        "binance_secrets.jsonfile", "binance_secrets.finding", "typing", "hashlib",
        "binance_secrets.report.escaping",
    )  # fmt: skip
    assert modules_a_hook_run_loads(tmp_path, "app.py", unwanted) == ([], 0)


def test_the_hooks_value_options_are_the_parsers() -> None:
    """The argument split runs without argparse, from a list of the options that take a value: it must be
    the parser's, or a value could be taken for a file name (README "With the pre-commit framework")."""
    from binance_secrets.hook import VALUE_OPTIONS, _parser

    parser = _parser()
    taking_values = {name for action in parser._actions if action.nargs != 0 for name in action.option_strings}
    assert taking_values == VALUE_OPTIONS


def test_manifest_entries_are_console_scripts() -> None:
    manifest = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    readme = (PROJECT_ROOT / "README.md").read_text()
    for hook in manifest:
        assert hook["entry"].split()[0] + " = " in pyproject
        assert hook["id"] in readme


def test_manifest_is_valid_for_pre_commit() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(PROJECT_ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One cache for the session: pre-commit builds the hook's virtualenv once per revision.
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(repo: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = git_env()
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(PROJECT_ROOT), "binance-secrets", "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_pre_commit_try_repo_blocks_a_key_and_passes_clean_and_allowlisted(
    tmp_path: Path, key_pair: KeyPair, pre_commit_home: Path
) -> None:
    repo = init_repo(tmp_path / "user-repo")
    (repo / "clean.py").write_text("print('ok')\n")
    (repo / "leak.py").write_text(f'client = Client("{key_pair.api_key}", "{key_pair.secret}")\n')
    (repo / "allowed.py").write_text(f'API_SECRET = "{key_pair.secret}"  # pragma: allowlist secret\n')
    git(repo, "add", ".")

    leaked = _try_repo(repo, pre_commit_home, "leak.py")
    assert leaked.returncode == 1, leaked.stdout + leaked.stderr
    assert "leak.py" in leaked.stdout and "Failed" in leaked.stdout
    assert key_pair.secret not in leaked.stdout + leaked.stderr

    clean = _try_repo(repo, pre_commit_home, "clean.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    allowed = _try_repo(repo, pre_commit_home, "allowed.py")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def _install_plain_hooks(repo: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", "install-hooks", str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr


def _commit(repo: Path) -> subprocess.CompletedProcess[str]:
    env = git_env()
    # The hook must find the tool by itself, as in a user's shell: no virtualenv on PATH.
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    return subprocess.run(
        ["git", "commit", "-q", "--no-gpg-sign", "-m", "add config"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_installed_git_hook_refuses_a_commit_with_a_key(tmp_path: Path, key_pair: KeyPair) -> None:
    repo = init_repo(tmp_path / "repo")
    _install_plain_hooks(repo)
    assert os.access(repo / ".git" / "hooks" / "pre-commit", os.X_OK)
    (repo / "config.yaml").write_text(f"binance:\n  api_key: {key_pair.api_key}\n  secret: {key_pair.secret}\n")
    git(repo, "add", "config.yaml")
    refused = _commit(repo)
    assert refused.returncode != 0
    assert "config.yaml" in refused.stdout + refused.stderr
    assert key_pair.secret not in refused.stdout + refused.stderr
    assert git(repo, "rev-list", "--all").strip() == ""

    (repo / "config.yaml").write_text("binance:\n  api_key: ${BINANCE_API_KEY}\n")
    git(repo, "add", "config.yaml")
    accepted = _commit(repo)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_hook_checks_the_index_not_the_working_tree(tmp_path: Path, key_pair: KeyPair) -> None:
    repo = init_repo(tmp_path / "repo")
    _install_plain_hooks(repo)
    (repo / "settings.py").write_text(f'API_SECRET = "{key_pair.secret}"\n')
    git(repo, "add", "settings.py")
    (repo / "settings.py").write_text("API_SECRET = os.environ['API_SECRET']\n")  # unstaged fix
    assert _commit(repo).returncode != 0


def test_install_hooks_keeps_a_foreign_hook_unless_forced(tmp_path: Path, run_cli) -> None:
    repo = init_repo(tmp_path / "repo")
    foreign = repo / ".git" / "hooks" / "pre-commit"
    foreign.write_text("#!/bin/sh\necho mine\n")
    result = run_cli("install-hooks", str(repo))
    assert result.exit_code == 2
    assert "was not installed by binance-secrets" in result.stderr
    assert foreign.read_text() == "#!/bin/sh\necho mine\n"
    assert run_cli("install-hooks", "--force", str(repo)).exit_code == 0
    assert (repo / ".git" / "hooks" / "pre-commit.bak").read_text() == "#!/bin/sh\necho mine\n"
    assert run_cli("install-hooks", str(repo)).exit_code == 0  # re-installing our own hook is fine


def test_install_hooks_outside_a_repository_is_exit_3(tmp_path: Path, run_cli) -> None:
    result = run_cli("install-hooks", str(tmp_path))
    assert result.exit_code == 3
    assert "is not a git repository" in result.stderr


def test_staged_outside_a_repository_is_exit_3(tmp_path: Path, run_cli) -> None:
    result = run_cli("staged", str(tmp_path))
    assert result.exit_code == 3
    assert "is not a git repository" in result.stderr


def test_staged_reports_submodules_and_conflicts_and_scans_the_rest(
    tmp_path: Path, run_cli, key_pair: KeyPair
) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "shared.txt").write_text("base\n")
    git(repo, "add", "shared.txt")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "base")
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "shared.txt").write_text("theirs\n")
    git(repo, "commit", "-q", "--no-gpg-sign", "-am", "theirs")
    git(repo, "checkout", "-q", "main")
    (repo / "shared.txt").write_text("ours\n")
    git(repo, "commit", "-q", "--no-gpg-sign", "-am", "ours")
    git(repo, "merge", "other", check=False)  # leaves shared.txt unmerged
    commit_id = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit_id},vendored-lib")
    (repo / "a.py").write_text(f'API_SECRET = "{key_pair.secret}"\n')
    git(repo, "add", "a.py")
    result = run_cli("staged", str(repo), "-f", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [f["path"] for f in report["findings"]] == ["a.py"]
    messages = {e["path"]: e["message"] for e in report["errors"]}
    assert messages["vendored-lib"].startswith("submodule: not scanned")
    assert messages["shared.txt"].startswith("unmerged (conflicted) entry")


def _push(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = git_env()
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    return subprocess.run(
        ["git", "push", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


def test_installed_pre_push_hook_refuses_pushed_commits_with_a_key(tmp_path: Path, key_pair: KeyPair) -> None:
    repo, remote = repo_with_remote(tmp_path, first=("README.md", "hello\n"))
    _install_plain_hooks(repo)
    assert _push(repo, "-q", "origin", "main").returncode == 0  # clean history pushes

    (repo / "bot.py").write_text(f'client = Client("{key_pair.api_key}", "{key_pair.secret}")\n')
    git(repo, "add", "bot.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "add bot")
    refused = _push(repo, "origin", "main")
    assert refused.returncode != 0
    assert "bot.py" in refused.stdout + refused.stderr
    assert key_pair.secret not in refused.stdout + refused.stderr
    assert git(remote, "rev-list", "main").count("\n") == 1  # the remote did not move

    git(repo, "checkout", "-q", "-b", "feature")
    refused_new_branch = _push(repo, "origin", "feature")
    assert refused_new_branch.returncode != 0
