"""docs/examples/binance-secrets-org-audit.yml: the fan-out audit of an organisation (issue #13).

Schema and actionlint run over it in tests/test_action_metadata.py. Here: its shape (a matrix from the list,
an artifact per job, a merge job that runs whatever the audits left), and its three scripts, run with bash
exactly as written, against real repositories served as file:// URLs in place of $GITHUB_SERVER_URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.gitrepo import commit_file, git, git_env, init_repo
from testing.keys import api_key, random_token
from testing.sarif_validation import validate_sarif

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = PROJECT_ROOT / "docs" / "examples" / "binance-secrets-org-audit.yml"
BIN = Path(sys.executable).parent


def workflow() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def step(job: str, step_id_or_name: str) -> dict[str, Any]:
    steps = workflow()["jobs"][job]["steps"]
    found: dict[str, Any] = next(s for s in steps if step_id_or_name in (s.get("id"), s.get("name")))
    return found


def bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = git_env()
    environment["PATH"] = f"{BIN}{os.pathsep}{environment['PATH']}"
    environment.update(env)
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=environment, capture_output=True, text=True)


def test_the_workflow_fans_out_one_job_per_repository_and_merges_their_reports() -> None:
    jobs = workflow()["jobs"]
    assert list(jobs) == ["list", "audit", "merge"]
    matrix = jobs["audit"]["strategy"]
    assert matrix["fail-fast"] is False
    assert matrix["matrix"]["repository"] == "${{ fromJSON(needs.list.outputs.repositories) }}"
    upload = next(s for s in jobs["audit"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and "${{ strategy.job-index }}" in upload["with"]["name"]
    assert jobs["merge"]["if"].startswith("always()")
    assert jobs["merge"]["permissions"]["security-events"] == "write"
    merge_steps = jobs["merge"]["steps"]
    download = next(s for s in merge_steps if str(s.get("uses", "")).startswith("actions/download-artifact@"))
    assert download["with"]["pattern"] == "binance-secrets-report-*"
    sarif = next(s for s in jobs["merge"]["steps"] if "upload-sarif" in str(s.get("uses", "")))
    assert sarif["if"].startswith("always()") and sarif["with"]["sarif_file"] == "binance-secrets-org.sarif"
    # Inputs reach scripts through env only: no expression is interpolated into a script.
    for job in jobs.values():
        for item in job["steps"]:
            assert "${{" not in item.get("run", "")


def test_the_list_script_makes_the_matrix_and_refuses_names_that_are_not_owner_slash_name(tmp_path: Path) -> None:
    script = step("list", "list")["run"]
    (tmp_path / ".github").mkdir()
    listing = tmp_path / ".github" / "binance-secrets-repos.txt"
    listing.write_text("# the organisation\norg/api\n\n  org/bot  \norg/api\n")
    output = tmp_path / "output"
    result = bash(script, tmp_path, GITHUB_OUTPUT=str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_text() == 'repositories=["org/api", "org/bot"]\n'
    for hostile in ("org/x; touch pwned", "../etc/passwd", "--upload-pack=x", "org/x y", "org/$(id)"):
        listing.write_text(f"org/api\n{hostile}\n")
        refused = bash(script, tmp_path, GITHUB_OUTPUT=str(output))
        assert refused.returncode != 0 and "::error::not an OWNER/NAME" in refused.stderr + refused.stdout
    assert not (tmp_path / "pwned").exists()


def test_the_audit_and_merge_scripts_produce_one_json_sarif_and_summary(tmp_path: Path) -> None:
    server = tmp_path / "server"
    shared = api_key()
    for name, content in (("api", f'BINANCE_API_KEY = "{shared}"\n'), ("bot", f'API_KEY = "{shared}"\n')):
        work = init_repo(tmp_path / "work" / name)
        commit_file(work, "config.py", content, "add config")
        git(tmp_path, "clone", "-q", "--mirror", str(work), str(server / "org" / f"{name}.git"))
    audit = step("audit", "Audit the whole history")["run"]
    token = random_token(40)
    for index, name in enumerate(("api", "bot", "gone")):
        job = tmp_path / "jobs" / str(index)
        job.mkdir(parents=True)
        result = bash(
            audit, job, REPOSITORY=f"org/{name}", GITHUB_SERVER_URL=server.as_uri(), AUDIT_TOKEN=token
        )
        assert result.returncode == 0, result.stderr  # findings and unreachable repositories go to the merge job
        (tmp_path / "reports" / f"binance-secrets-report-{index}").mkdir(parents=True)
        (job / "report.json").rename(tmp_path / "reports" / f"binance-secrets-report-{index}" / "report.json")
        assert token not in result.stdout + result.stderr
    merge = step("merge", "merge")["run"]
    summary = tmp_path / "summary.md"
    merged = bash(merge, tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    assert merged.returncode == 1, merged.stderr  # findings fail the merge job
    document = json.loads((tmp_path / "binance-secrets-org.json").read_text())
    repositories = {f["repository"] for f in document["findings"]}
    assert repositories == {f"{server.as_uri()}/org/api.git", f"{server.as_uri()}/org/bot.git"}
    assert all(len(f["seen_in"]) == 2 for f in document["findings"])
    assert [e["repository"] for e in document["errors"]] == [f"{server.as_uri()}/org/gone.git"]
    validate_sarif(json.loads((tmp_path / "binance-secrets-org.sarif").read_text()))
    text = summary.read_text()
    assert "| Repository |" in text and "Not scanned" in text
    everything = text + (tmp_path / "binance-secrets-org.json").read_text() + merged.stdout + merged.stderr
    assert shared not in everything and token not in everything
