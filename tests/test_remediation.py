"""`history --remediation DIR`: REMEDIATION.md and replacements.txt, applied with the real git filter-repo."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from binance_secrets.finding import Finding, Verification
from binance_secrets.remediation import render_plan, replacement_lines
from binance_secrets.result import ScanResult, ScanStats
from testing.gitrepo import commit_file, git, git_env, init_repo
from testing.keys import api_key, ed25519_pem, secret_key
from tests.conftest import CliRun, run_subprocess

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def run(args: list[str], cwd: Path) -> CliRun:
    return run_subprocess(args, cwd, git_env())


def leaky_repository(path: Path) -> tuple[Path, list[str]]:
    """A repository with a key pair in a config file (later removed), a PEM key, and a key in a commit message."""
    key, secret, in_message = api_key(), secret_key(), api_key()
    pem = ed25519_pem()
    init_repo(path)
    commit_file(path, "README.md", "hello\n", "start")
    commit_file(path, "bot/config.py", f'BINANCE_API_KEY = "{key}"\nBINANCE_API_SECRET = "{secret}"\n', "add bot")
    commit_file(path, "keys/binance-ed25519.pem", pem, "add signing key")
    commit_file(path, "bot/config.py", 'import os\nBINANCE_API_KEY = os.environ["BINANCE_API_KEY"]\n', "use env")
    commit_file(path, "NOTES.md", "notes\n", f"rotate later: BINANCE_API_KEY={in_message}")
    git(path, "tag", "-a", "v1", "-m", "release")
    return path, [key, secret, in_message, pem]


def shell_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", markdown, re.DOTALL)


def test_remediation_writes_a_plan_without_secrets_and_a_private_replacements_file(tmp_path: Path) -> None:
    repo, secrets = leaky_repository(tmp_path / "repo")
    plan = tmp_path / "plan"
    result = run(["history", str(repo), "--remediation", str(plan), "--no-progress", "-f", "json"], tmp_path)
    assert result.exit_code == 1, result.stderr
    assert stat.S_IMODE(plan.stat().st_mode) == 0o700
    replacements = plan / "replacements.txt"
    assert stat.S_IMODE(replacements.stat().st_mode) == 0o600
    text = replacements.read_text()
    assert text.startswith("regex:(?!)# WARNING: this file holds the secrets themselves")
    assert "Delete it" in text
    for secret in secrets[:3]:
        assert f"literal:{secret}==>***REMOVED***" in text
    body = [line for line in secrets[3].splitlines() if not line.startswith("-----")]
    assert all(f"literal:{line}==>" in text for line in body)
    markdown = (plan / "REMEDIATION.md").read_text()
    everything = markdown + result.stdout + result.stderr
    for secret in secrets[:3]:
        assert secret not in everything
    assert not any(line in everything for line in body)
    headings = re.findall(r"^## (\d)\. (.*)$", markdown, re.MULTILINE)
    assert [number for number, _ in headings] == ["1", "2", "3", "4", "5"]
    assert "API Management" in markdown and "Delete" in markdown
    assert "git filter-repo --replace-text" in markdown and "--replace-message" in markdown
    assert "refs/pull" in markdown and "GitHub Support" in markdown
    assert "What the force-push breaks" in markdown
    assert json.loads(result.stdout)["findings"]  # the report itself is unchanged by --remediation


def test_no_replacements_file_is_ever_written_without_remediation(tmp_path: Path) -> None:
    repo, _ = leaky_repository(tmp_path / "repo")
    before = {path for path in tmp_path.rglob("*")}
    result = run(["history", str(repo), "--no-progress"], tmp_path)
    assert result.exit_code == 1
    assert {path for path in tmp_path.rglob("*")} == before


def test_remediation_refuses_to_write_through_symbolic_links(tmp_path: Path) -> None:
    repo, _ = leaky_repository(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tmp_path / "linked-plan")
    linked = run(["history", str(repo), "--remediation", str(tmp_path / "linked-plan"), "--no-progress"], tmp_path)
    assert linked.exit_code == 2 and "symbolic link" in linked.stderr
    plan = tmp_path / "plan"
    plan.mkdir()
    target = tmp_path / "stolen.txt"
    os.symlink(target, plan / "replacements.txt")
    inner = run(["history", str(repo), "--remediation", str(plan), "--no-progress"], tmp_path)
    assert inner.exit_code == 2 and "symbolic link" in inner.stderr
    assert list(elsewhere.iterdir()) == [] and not target.exists()


def test_remediation_dir_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    repo, _ = leaky_repository(tmp_path / "repo")
    (tmp_path / "plan").write_text("x")
    assert run(["history", str(repo), "--remediation", str(tmp_path / "plan")], tmp_path).exit_code == 2


def test_the_plans_commands_with_real_git_filter_repo_leave_nothing_for_history(tmp_path: Path) -> None:
    """Must show (#13): replacements.txt applied with the real git filter-repo to a copy of a repository,
    by running the exact commands REMEDIATION.md gives; `history` then finds nothing there."""
    assert shutil.which("git-filter-repo", path=str(BIN)), "pip install -e '.[dev]' installs git-filter-repo"
    source, _ = leaky_repository(tmp_path / "source")
    copy = tmp_path / "hosted" / "repo.git"
    git(tmp_path, "clone", "-q", "--mirror", str(source), str(copy))
    url = copy.as_uri()
    before = run(["history", url, "--remediation", str(tmp_path / "plan"), "--no-progress", "-f", "json"], tmp_path)
    assert before.exit_code == 1
    assert len(json.loads(before.stdout)["findings"]) >= 4
    [commands] = shell_blocks((tmp_path / "plan" / "REMEDIATION.md").read_text())
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = git_env()
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    completed = subprocess.run(
        ["sh", "-e", "-c", commands], cwd=scratch, env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    after = run(["history", str(copy), "--no-progress", "-f", "json", "--min-confidence", "low"], tmp_path)
    assert after.exit_code == 0, after.stdout
    assert json.loads(after.stdout)["findings"] == []
    assert "***REMOVED***" in git(copy, "log", "--all", "--format=%B")
    assert git(copy, "tag").split() == ["v1"]


def _finding(sha_seed: str, **changes: object) -> Finding:
    base = Finding("binance-api-key", "high", "app.py", 1, 1, 65, secret=sha_seed + api_key())
    return base.with_changes(**changes)


def _verification(status: str, environment: str | None = None, risk: str | None = None) -> Verification:
    return Verification(status, "reason", "https://api.binance.com", "2026-01-01T00:00:00Z",  # type: ignore[arg-type]
                        risk=risk, environment=environment)  # type: ignore[arg-type]  # fmt: skip


def test_plan_orders_live_mainnet_then_unverified_then_rejected_then_test_realms() -> None:
    findings = (
        _finding("a", environment_hint="testnet"),
        _finding("b", verification=_verification("rejected")),
        _finding("c"),  # not checked, no hint: assumed a live mainnet key
        _finding("d", verification=_verification("live", "binance", "critical")),
        _finding("e", verification=_verification("live", "testnet", "low")),
        _finding("f", verification=_verification("live", "binance", "medium")),
    )
    plan = render_plan(ScanResult(findings, (), ScanStats()), {None: "/repo"}, "/plan/replacements.txt")
    rows = [line for line in plan.splitlines() if re.match(r"\| \d+ \|", line)]
    order = [next(f for f in findings if f.secret_sha256[:12] in row) for row in rows]
    assert [f.secret[0] for f in order] == ["d", "f", "c", "b", "e", "a"]  # within a class: by risk
    assert rows[0].count("**now**") == 1 and "**now**" not in rows[3]
    assert not any(f.secret in plan for f in findings)


def test_replacement_lines_keep_literals_literal() -> None:
    tricky = Finding("hardcoded-api-secret", "medium", "x.py", 1, 1, 2, secret="regex:.*==>x")
    lines = replacement_lines([tricky])
    assert lines[-2] == b"literal:regex:.*==>x==>***REMOVED***"
    assert all(line.startswith((b"regex:(?!)", b"literal:")) for line in lines)


def test_the_plan_for_a_repository_given_as_dot_clones_its_absolute_root(tmp_path: Path) -> None:
    repo, _ = leaky_repository(tmp_path / "repo")
    (repo / "sub").mkdir()
    result = run(["history", ".", "--remediation", str(tmp_path / "plan"), "--no-progress"], repo / "sub")
    assert result.exit_code == 1
    [commands] = shell_blocks((tmp_path / "plan" / "REMEDIATION.md").read_text())
    assert commands.startswith(f"git clone --mirror -- {repo} rewrite.git\n")
