"""action.yml and the workflows are valid: GitHub's JSON schemas (check-jsonschema builtins) and actionlint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.gitrepo import git, init_repo

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKFLOWS = sorted([*PROJECT_ROOT.glob(".github/workflows/*.yml"), *PROJECT_ROOT.glob("docs/examples/*.yml")])
EXAMPLES = sorted(PROJECT_ROOT.glob("docs/examples/*.yml"))
# The organisation-wide audit has several jobs and no checkout of the audited code (tests/test_org_audit_workflow.py).
SINGLE_JOB_WORKFLOWS = [path for path in WORKFLOWS if path.name != "binance-secrets-org-audit.yml"]


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed: pip install -e '.[dev]'"
    return path


def _run(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False)


def _load(path: Path) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    return document


def test_action_yml_matches_the_github_actions_metadata_schema() -> None:
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_is_a_self_scan_workflow_and_examples() -> None:
    self_scan = _load(PROJECT_ROOT / ".github/workflows/binance-secrets.yml")
    steps = self_scan["jobs"]["scan"]["steps"]
    assert any(step.get("uses") == "./" for step in steps)
    assert {path.name for path in EXAMPLES} == {
        "binance-secrets.yml", "binance-secrets-audit.yml", "binance-secrets-org-audit.yml"
    }


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_workflow_matches_the_github_workflows_schema(workflow: Path) -> None:
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", SINGLE_JOB_WORKFLOWS, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_workflow_follows_the_documented_setup(workflow: Path) -> None:
    document = _load(workflow)
    [job] = document["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    checkout = next(step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    scan = next(step for step in job["steps"] if step.get("id") == "binance-secrets")
    upload = next(step for step in job["steps"] if "upload-sarif" in str(step.get("uses", "")))
    assert upload["if"].startswith("always()")
    sarif_file = scan.get("with", {}).get("sarif-file", "binance-secrets.sarif")
    assert upload["with"]["sarif_file"] in (sarif_file, "${{ steps.binance-secrets.outputs.sarif-file }}")


def test_actionlint_accepts_the_workflows() -> None:
    # `uses: ./` makes actionlint read action.yml too: its inputs are checked against the workflow's `with:`.
    result = _run(_tool("actionlint"), "-no-color", *(str(p.relative_to(PROJECT_ROOT)) for p in WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reads_our_action_metadata(tmp_path: Path) -> None:
    """Proves the previous test checks action.yml: a wrong input of `uses: ./` is reported."""
    repo = init_repo(tmp_path / "repo")
    shutil.copy(PROJECT_ROOT / "action.yml", repo / "action.yml")
    workflow = repo / ".github" / "workflows" / "scan.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n      - uses: ./\n        with:\n          fail-on: any\n"
    )
    git(repo, "add", ".")
    result = _run(_tool("actionlint"), "-no-color", cwd=repo)
    assert result.returncode == 1
    assert 'input "fail-on" is not defined in action "binance-secrets"' in result.stdout
