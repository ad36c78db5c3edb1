"""`binance-secrets merge-reports REPORT...`: one report from the JSON reports of several runs (issue #13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing.gitrepo import commit_file, git_env, init_repo
from testing.keys import api_key
from testing.sarif_validation import validate_sarif
from tests.conftest import CliRun, run_subprocess

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path) -> CliRun:
    return run_subprocess(args, cwd, git_env())


def repo_with(path: Path, files: dict[str, str]) -> Path:
    init_repo(path)
    for name, content in files.items():
        commit_file(path, name, content, f"add {name}")
    return path


def audit(tmp_path: Path, name: str, *repos: Path, extra: tuple[str, ...] = ()) -> Path:
    output = tmp_path / f"{name}.json"
    result = run(
        ["history", *(repo.as_uri() for repo in repos), "-f", "json", "-o", str(output), "--no-progress", *extra],
        tmp_path,
    )
    assert result.exit_code in (1, 3), result.stderr
    return output


@pytest.fixture
def org(tmp_path: Path) -> dict[str, Any]:
    """Three repositories; the shared key is in two of them, each has a key of its own."""
    shared, own_a, own_b, weak = api_key(), api_key(), api_key(), api_key()
    a = repo_with(tmp_path / "a", {"config.py": f'BINANCE_API_KEY = "{shared}"\n', "own.py": f'API_KEY = "{own_a}"\n'})
    b = repo_with(tmp_path / "b", {"deploy/env.sh": f'export BINANCE_API_KEY="{shared}"\n'})
    c = repo_with(tmp_path / "c", {"bot.py": f'BINANCE_API_KEY = "{own_b}"\n', "misc.txt": f"token {weak}\n"})
    first = audit(tmp_path, "first", a, b, extra=("--min-confidence", "low"))
    second = audit(tmp_path, "second", b, c, tmp_path / "missing", extra=("--min-confidence", "low"))
    return {"a": a, "b": b, "c": c, "shared": shared, "first": first, "second": second, "weak": weak}


def merged(tmp_path: Path, *args: str) -> tuple[CliRun, dict[str, Any]]:
    result = run(["merge-reports", *args, "-f", "json"], tmp_path)
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def test_merge_keeps_one_finding_per_repository_path_and_secret_and_lists_where_it_appears(
    tmp_path: Path, org: dict[str, Any]
) -> None:
    result, document = merged(tmp_path, str(org["first"]), str(org["second"]), "--min-confidence", "low")
    assert result.exit_code == 1, result.stderr
    places = [(f["repository"], f["path"]) for f in document["findings"]]
    assert len(places) == len(set(places))  # repository b was in both reports: its finding is kept once
    a, b = org["a"].as_uri(), org["b"].as_uri()
    where = {(a, "config.py"), (b, "deploy/env.sh")}
    shared = [f for f in document["findings"] if (f["repository"], f["path"]) in where]
    assert len(shared) == 2 and shared[0]["secret_sha256"] == shared[1]["secret_sha256"]
    expected = [{"repository": a, "path": "config.py"}, {"repository": b, "path": "deploy/env.sh"}]
    assert all(finding["seen_in"] == expected for finding in shared)
    own = [f for f in document["findings"] if f not in shared]
    assert all(len(f["seen_in"]) == 1 for f in own)
    assert {f["repository"] for f in document["findings"]} == {a, b, org["c"].as_uri()}
    # Errors merged, stats summed.
    [error] = document["errors"]
    assert error["repository"] == (tmp_path / "missing").as_uri()
    first, second = (json.loads(org[name].read_text())["stats"] for name in ("first", "second"))
    assert document["stats"]["commits"] == first["commits"] + second["commits"]
    assert document["stats"]["bytes"] == first["bytes"] + second["bytes"]
    # Readers of the README's JSON format find every field they know.
    design = json.loads(org["first"].read_text())["findings"][0].keys()
    assert all(set(design) <= set(f) for f in document["findings"])
    assert org["shared"] not in result.stdout + result.stderr


def test_merge_respects_min_confidence_baseline_allow_and_exclude(tmp_path: Path, org: dict[str, Any]) -> None:
    reports = [str(org["first"]), str(org["second"])]
    _, everything = merged(tmp_path, *reports, "--min-confidence", "low")
    _, default = merged(tmp_path, *reports)
    assert any(f["confidence"] == "low" for f in everything["findings"])
    assert all(f["confidence"] != "low" for f in default["findings"])  # default threshold: medium
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"version": 1, "findings": [everything["findings"][0]]}))
    _, without = merged(tmp_path, *reports, "--min-confidence", "low", "--baseline", str(baseline))
    gone = everything["findings"][0]["secret_sha256"]
    assert gone not in {f["secret_sha256"] for f in without["findings"]}
    (tmp_path / ".binance-secrets.toml").write_text(f'allow = ["{gone}"]\n')
    _, allowed = merged(tmp_path, *reports, "--min-confidence", "low")
    assert gone not in {f["secret_sha256"] for f in allowed["findings"]}
    (tmp_path / ".binance-secrets.toml").unlink()
    _, excluded = merged(tmp_path, *reports, "--min-confidence", "low", "--exclude", "deploy/**")
    assert "deploy/env.sh" not in {f["path"] for f in excluded["findings"]}


def test_merge_redacts_full_secrets_unless_asked(tmp_path: Path) -> None:
    key = api_key()
    repo = repo_with(tmp_path / "repo", {"config.py": f'BINANCE_API_KEY = "{key}"\n'})
    full = audit(tmp_path, "full", repo, extra=("--show-secrets",))
    assert key in full.read_text()
    redacted = run(["merge-reports", str(full), "-f", "json"], tmp_path)
    shown = run(["merge-reports", str(full), "-f", "json", "--show-secrets"], tmp_path)
    text = run(["merge-reports", str(full)], tmp_path)
    assert key not in redacted.stdout and key not in text.stdout
    assert json.loads(shown.stdout)["findings"][0]["secret"] == key


def test_merged_sarif_github_and_step_summary(tmp_path: Path, org: dict[str, Any]) -> None:
    reports = [str(org["first"]), str(org["second"])]
    sarif = run(["merge-reports", *reports, "-f", "sarif"], tmp_path)
    assert sarif.exit_code == 1
    document = json.loads(sarif.stdout)
    validate_sarif(document)
    [run_] = document["runs"]
    results = run_["results"]
    repositories = {org["a"].as_uri(), org["b"].as_uri(), org["c"].as_uri()}
    assert {r["properties"]["repository"] for r in results} == repositories
    keys = [r["partialFingerprints"]["binanceSecretsRepository/v1"] for r in results]
    assert len(keys) == len(set(keys))
    github = run(["merge-reports", *reports, "-f", "github", "--summary", str(tmp_path / "summary.md")], tmp_path)
    assert github.exit_code == 1
    errors = [line for line in github.stdout.splitlines() if line.startswith("::error")]
    assert errors and all("file=" not in line for line in errors)  # other repositories' files: no annotation file
    summary = (tmp_path / "summary.md").read_text()
    assert "| Repository |" in summary and "Also in" in summary
    assert org["shared"] not in summary + github.stdout + sarif.stdout


def test_merge_of_reports_with_only_errors_is_exit_3(tmp_path: Path) -> None:
    report = audit(tmp_path, "broken", tmp_path / "nowhere")
    result, document = merged(tmp_path, str(report), str(report))
    assert result.exit_code == 3
    assert len(document["errors"]) == 1  # the same error twice is listed once


def _valid_finding() -> dict[str, Any]:
    return {
        "rule_id": "binance-api-key", "kind": "api_key", "confidence": "high", "path": "a.py", "line": 1,
        "column": 1, "end_column": 65, "secret": "AbCd…9z", "secret_sha256": "a" * 64, "fingerprint": "b" * 64,
        "pair_sha256": None, "commit": None, "in_head": None, "environment_hint": None, "repository": "r",
        "occurrences": 1, "verification": None,
    }  # fmt: skip


def _with(**changes: Any) -> str:
    finding = _valid_finding()
    finding.update(changes)
    return json.dumps({"version": 1, "findings": [finding], "errors": [], "stats": {}})


HOSTILE_REPORTS = {
    "not-json": "{not json",
    "a-list": "[]",
    "no-findings": '{"version": 1}',
    "wrong-version": '{"version": 2, "findings": []}',
    "findings-not-a-list": '{"version": 1, "findings": {}}',
    "finding-not-an-object": '{"version": 1, "findings": [1]}',
    "unknown-rule": _with(rule_id="aws-key"),
    "line-a-string": _with(line="1"),
    "line-a-boolean": _with(line=True),
    "line-zero": _with(line=0),
    "huge-integer": '{"version": 1, "findings": [{"line": ' + "9" * 5000 + "}]}",
    "sha-not-hex": _with(secret_sha256="../../etc/passwd"),
    "secret-missing": json.dumps(
        {"version": 1, "findings": [{k: v for k, v in _valid_finding().items() if k != "secret"}]}
    ),
    "commit-sha-option": _with(
        commit={"sha": "--upload-pack=x", "author_name": "", "author_email": "", "date": "", "summary": ""}
    ),
    "verification-status": _with(verification={"status": "pwned", "reason": "", "endpoint": "", "checked_at": ""}),
    "errors-not-a-list": '{"version": 1, "findings": [], "errors": "x"}',
    "error-without-message": '{"version": 1, "findings": [], "errors": [{"path": "x"}]}',
    "negative-stats": '{"version": 1, "findings": [], "stats": {"commits": -1}}',
    "nan-seconds": '{"version": 1, "findings": [], "stats": {"seconds": NaN}}',
    "deeply-nested": '{"version": 1, "findings": [], "x": ' + "[" * 100000 + "]" * 100000 + "}",
    "not-utf8": b"\xff\xfe{}".decode("latin-1"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HOSTILE_REPORTS))
def test_a_malformed_or_hostile_report_is_a_usage_error(tmp_path: Path, name: str) -> None:
    bad = tmp_path / f"{name}.json"
    bad.write_bytes(HOSTILE_REPORTS[name].encode("latin-1"))
    good = tmp_path / "good.json"
    good.write_text(_with())
    output = tmp_path / "merged.json"
    result = run(["merge-reports", str(good), str(bad), "-f", "json", "-o", str(output)], tmp_path)
    assert result.exit_code == 2, result.stderr
    assert str(bad) in result.stderr
    assert not output.exists()  # nothing half-merged


def test_a_valid_minimal_report_merges(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(_with())
    result, document = merged(tmp_path, str(good))
    assert result.exit_code == 1
    assert document["findings"][0]["secret"] == "AbCd…9z"  # already redacted: left as written
    assert document["findings"][0]["seen_in"] == [{"repository": "r", "path": "a.py"}]


def test_merge_reports_needs_a_report(tmp_path: Path) -> None:
    assert run(["merge-reports"], tmp_path).exit_code == 2
    assert run(["merge-reports", str(tmp_path / "missing.json")], tmp_path).exit_code == 2
