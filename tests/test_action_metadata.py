"""action.yml, the workflows and the CI examples are valid: GitHub's JSON schemas (check-jsonschema builtins),
actionlint (with shellcheck on every `run:` script) and GitLab's schema; the CI and release workflows keep their
promises (pinned actions, least privilege, the test matrix, one build, trusted publishing), and the scripts
of their steps do what they say when run as a runner runs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import tomllib
import yaml

from testing.gitrepo import commit_file, git, git_env, init_repo

# check-jsonschema, actionlint, shellcheck and PyYAML come with the dev extra.
pytestmark = pytest.mark.dev_extra

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GITLAB_EXAMPLES = sorted(PROJECT_ROOT.glob("docs/examples/gitlab-ci*.yml"))
EXAMPLES = sorted(set(PROJECT_ROOT.glob("docs/examples/*.yml")) - set(GITLAB_EXAMPLES))
WORKFLOWS = sorted([*PROJECT_ROOT.glob(".github/workflows/*.yml"), *EXAMPLES])
CI = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
RELEASE = PROJECT_ROOT / ".github" / "workflows" / "release.yml"
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert path, f"{name} is not installed: pip install -e '.[dev]'"
    return path


def _run(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False)


def _load(path: Path) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    return document


def _scan_workflows() -> list[Path]:
    """The workflows set up as the README documents: a step `id: binance-secrets` running the action."""
    return [
        path
        for path in WORKFLOWS
        if any(step.get("id") == "binance-secrets" for job in _load(path)["jobs"].values() for step in job["steps"])
    ]


def _actionlint(*paths: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    # shellcheck from the dev extra, named explicitly: actionlint silently skips scripts when none is on PATH.
    return _run(_tool("actionlint"), "-no-color", "-shellcheck", _tool("shellcheck"), *paths, cwd=cwd)


def test_action_yml_matches_the_github_actions_metadata_schema() -> None:
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_is_a_self_scan_workflow_and_examples() -> None:
    self_scan = _load(PROJECT_ROOT / ".github/workflows/binance-secrets.yml")
    steps = self_scan["jobs"]["scan"]["steps"]
    assert any(step.get("uses") == "./" for step in steps)
    assert {path.name for path in EXAMPLES} >= {
        "binance-secrets.yml", "binance-secrets-audit.yml", "binance-secrets-org-audit.yml"
    }
    assert {path.name for path in GITLAB_EXAMPLES} == {"gitlab-ci.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_workflow_matches_the_github_workflows_schema(workflow: Path) -> None:
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", _scan_workflows(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
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


def test_the_examples_pin_the_major_tag_that_releases_move() -> None:
    """README "Releasing": while the version is 0.x, the release workflow moves `v0`, so the examples use it."""
    using_the_action = set()
    for example in EXAMPLES:
        uses = [step["uses"] for job in _load(example)["jobs"].values() for step in job["steps"] if "uses" in step]
        ours = [ref for ref in uses if ref.startswith("OWNER/binance-secrets@")]
        if ours:  # the organisation-wide audit installs the CLI instead of using the action
            assert ours == ["OWNER/binance-secrets@v0"], example.name
            using_the_action.add(example.name)
    assert using_the_action >= {"binance-secrets.yml", "binance-secrets-audit.yml"}


def test_actionlint_accepts_the_workflows() -> None:
    # `uses: ./` makes actionlint read action.yml too: its inputs are checked against the workflow's `with:`.
    result = _actionlint(*(str(p.relative_to(PROJECT_ROOT)) for p in WORKFLOWS))
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
    result = _actionlint(cwd=repo)
    assert result.returncode == 1
    assert 'input "fail-on" is not defined in action "binance-secrets"' in result.stdout


def test_actionlint_checks_run_scripts_with_shellcheck(tmp_path: Path) -> None:
    """Proves the workflows' `run:` scripts are linted: an unquoted expansion is reported."""
    workflow = tmp_path / "lint.yml"
    workflow.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: test -f $FILE\n")
    result = _actionlint(str(workflow))
    assert result.returncode == 1
    assert "SC2086" in result.stdout


# CI and release: what the workflows promise ------------------------------------------------------------------


def _uses_lines(path: Path) -> list[tuple[str, str]]:
    """(action reference, trailing comment) of every `uses:` line, read from the text: YAML drops comments."""
    found = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)[ \t]*(?:#[ \t]*(.*))?$", path.read_text(), re.MULTILINE)
    return [(ref, comment.strip()) for ref, comment in found]


@pytest.mark.parametrize("workflow", [CI, RELEASE], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_id_with_its_version(workflow: Path) -> None:
    uses = _uses_lines(workflow)
    assert uses
    for ref, comment in uses:
        if ref == "./":
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"v\d+\.\d+\.\d+", comment), f"{ref}: the comment names no release ({comment!r})"


def test_ci_asks_only_to_read_the_repository() -> None:
    document = _load(CI)
    assert document["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in document["jobs"].values())


def test_release_jobs_get_only_the_permissions_they_need() -> None:
    """Nothing at the top; id-token only to publish to PyPI, packages only to push the image, contents: write
    only to create the release and move the major tag."""
    document = _load(RELEASE)
    assert document["permissions"] == {}
    permissions = {name: job["permissions"] for name, job in document["jobs"].items()}
    assert permissions == {
        "build": {"contents": "read"},
        "pypi": {"id-token": "write"},
        "image": {"contents": "read", "packages": "write"},
        "github-release": {"contents": "write"},
    }


def test_ci_and_release_have_concurrency_groups() -> None:
    ci, release = _load(CI)["concurrency"], _load(RELEASE)["concurrency"]
    assert "github.ref" in ci["group"] and ci["cancel-in-progress"] is True
    assert "github.ref" in release["group"] and release["cancel-in-progress"] is False  # never half a release


def _python_versions() -> list[str]:
    classifiers = PYPROJECT["project"]["classifiers"]
    return [c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]


def test_ci_runs_the_suite_on_linux_and_macos_for_every_supported_python() -> None:
    """Every Python the package declares, on both systems: `.ci/run` (dev extra, 3.11 up) or the core tests."""
    jobs = _load(CI)["jobs"]
    tests = jobs["tests"]
    assert tests["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-latest"]
    assert tests["steps"][-1]["run"] == "bash .ci/run"
    floor = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert [floor, *tests["strategy"]["matrix"]["python"]] == _python_versions()
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + floor.replace(".", "")

    core = jobs["core"]
    assert core["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-latest"]
    [setup] = [step for step in core["steps"] if "setup-python" in step.get("uses", "")]
    assert setup["with"]["python-version"] == floor
    script = core["steps"][-1]["run"]
    assert "pip install --quiet --disable-pip-version-check . pytest" in script
    assert "[dev]" not in script
    assert script.rstrip().endswith("python -m pytest -q --core")


def test_ci_self_tests_the_action_on_this_repository() -> None:
    job = _load(CI)["jobs"]["action"]
    assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-latest"]
    ours = [step for step in job["steps"] if step.get("uses") == "./"]
    assert [step["id"] for step in ours] == ["clean", "planted"]
    assert ours[1]["with"] == {"mode": "files", "fail-on-findings": "false", "sarif-file": "planted.sarif"}


def test_release_builds_once_and_publishes_with_trusted_publishing() -> None:
    document = _load(RELEASE)
    # PyYAML reads the key `on` as YAML 1.1 does: True.
    assert document[True] == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+*"]}}
    jobs = document["jobs"]
    builds = [name for name, job in jobs.items() for step in job["steps"] if step.get("run") == "python -m build"]
    assert builds == ["build"]
    assert any("twine check --strict dist/*" in step.get("run", "") for step in jobs["build"]["steps"])
    for name in ("pypi", "image", "github-release"):
        downloads = [step for step in jobs[name]["steps"] if "download-artifact" in step.get("uses", "")]
        assert [step["with"] for step in downloads] == [{"name": "dist", "path": "dist/"}], name

    pypi = jobs["pypi"]
    assert pypi["environment"]["name"] == "pypi"
    [publish] = [step for step in pypi["steps"] if step.get("uses", "").startswith("pypa/gh-action-pypi-publish@")]
    assert "with" not in publish  # no password, no token: trusted publishing
    assert "secrets." not in RELEASE.read_text()

    image = jobs["image"]
    [push] = [step for step in image["steps"] if step.get("uses", "").startswith("docker/build-push-action@")]
    assert push["with"]["context"] == "." and push["with"]["push"] is True
    assert set(jobs["github-release"]["needs"]) == {"build", "pypi", "image"}  # the major tag moves last


# The steps' scripts, run as the runner runs them (`bash -e`) ----------------------------------------------------


def _step(workflow: Path, job: str, key: str) -> dict[str, Any]:
    [step] = [s for s in _load(workflow)["jobs"][job]["steps"] if key in (s.get("id"), s.get("name"))]
    return step


def _run_step(step: Mapping[str, Any], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    script = cwd.parent / f"{cwd.name}-step.sh"
    script.write_text(step["run"])
    return subprocess.run(
        ["bash", "-e", str(script)], cwd=cwd, env={**git_env(), **env}, capture_output=True, text=True, check=False
    )


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_ci_self_test_finds_the_planted_pair_and_no_report_holds_its_secret(tmp_path: Path) -> None:
    """The plant and check steps of the action self-test, with the real scanner in between: the check passes on
    the redacted reports and fails when a report holds the secret or the pair was not found."""
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    runner_temp.mkdir()
    planted = _run_step(_step(CI, "action", "Plant a generated key pair"), workspace, {"RUNNER_TEMP": str(runner_temp)})
    assert planted.returncode == 0, planted.stderr
    secret = (runner_temp / "planted-secret").read_text()
    assert secret in (workspace / "planted" / "exchange.py").read_text()

    scanner = str(BIN / "binance-secrets")
    report = json.loads(_run(scanner, "scan", ".", "-f", "json", cwd=workspace).stdout)
    assert [f["rule_id"] for f in report["findings"]] == ["binance-api-key", "binance-secret-key"]
    assert (
        _run(scanner, "scan", ".", "-f", "sarif", "-o", str(runner_temp / "planted.sarif"), cwd=workspace).returncode
        == 1
    )
    (runner_temp / "summary.md").write_text(_run(scanner, "scan", ".", cwd=workspace).stdout)

    check = _step(CI, "action", "The planted pair was found, and its secret is in no report")
    env = {
        "RUNNER_TEMP": str(runner_temp),
        "FINDINGS": str(len(report["findings"])),
        "SARIF": str(runner_temp / "planted.sarif"),
        "GITHUB_STEP_SUMMARY": str(runner_temp / "summary.md"),
    }
    assert _run_step(check, workspace, env).returncode == 0
    assert _run_step(check, workspace, {**env, "FINDINGS": "1"}).returncode != 0
    with (runner_temp / "summary.md").open("a") as summary:
        summary.write(f"leaked: {secret}\n")
    assert _run_step(check, workspace, env).returncode != 0


def test_release_accepts_only_a_version_tag_with_a_changelog_section(tmp_path: Path) -> None:
    step = _step(RELEASE, "build", "version")
    (tmp_path / "CHANGELOG.md").write_text(
        (PROJECT_ROOT / "CHANGELOG.md").read_text() + "\n## [0.3.0rc1] - 2026-12-24\n\nA pre-release.\n"
    )

    def run(tag: str) -> tuple[int, dict[str, str], str]:
        output = tmp_path / f"output-{len(list(tmp_path.iterdir()))}"
        output.touch()
        result = _run_step(step, tmp_path, {"TAG": tag, "GITHUB_OUTPUT": str(output)})
        return result.returncode, _outputs(output), result.stdout

    assert run("v0.1.0")[:2] == (0, {"version": "0.1.0", "prerelease": "false"})
    assert run("v0.3.0rc1")[:2] == (0, {"version": "0.3.0rc1", "prerelease": "true"})
    code, outputs, stdout = run("v9.9.9")
    assert (code, outputs) == (1, {})
    assert "::error::CHANGELOG.md has no '## [9.9.9] - <date>' section" in stdout
    for bad in ("v0.1", "v0.1.0.1", "v0.1.0-rc1", "0.1.0", "v0x1x0", "v0.1.0\n", "v0.1.0;true", "v"):
        code, outputs, stdout = run(bad)
        assert (code, outputs) == (1, {}), bad
        assert stdout.startswith("::error::the tag is not"), bad


def test_release_image_tags_follow_the_version(tmp_path: Path) -> None:
    """A release is also its minor version; its major version and `latest` only while no newer release exists."""
    repo = init_repo(tmp_path / "repo")
    for version in ("0.1.0", "0.2.0", "0.1.1", "1.0.0", "1.1.0rc1"):
        commit_file(repo, "VERSION", version, f"release {version}")
        git(repo, "tag", f"v{version}")
    step = _step(RELEASE, "image", "tags")

    def tags(version: str, prerelease: str = "false") -> list[str]:
        output = tmp_path / f"{version}.out"
        env = {
            "TAG": f"v{version}",
            "VERSION": version,
            "PRERELEASE": prerelease,
            "REPOSITORY": "Octo/Binance-Secrets",
            "GITHUB_OUTPUT": str(output),
        }
        result = _run_step(step, repo, env)
        assert result.returncode == 0, result.stderr
        return _outputs(output)["tags"].split(",")

    image = "ghcr.io/octo/binance-secrets"  # registries want lower case
    assert tags("1.0.0") == [f"{image}:1.0.0", f"{image}:1.0", f"{image}:1", f"{image}:latest"]
    assert tags("0.2.0") == [f"{image}:0.2.0", f"{image}:0.2", f"{image}:0"]  # 1.0.0 is latest
    assert tags("0.1.1") == [f"{image}:0.1.1", f"{image}:0.1"]  # 0.2.0 is 0
    assert tags("1.1.0rc1", "true") == [f"{image}:1.1.0rc1"]


def test_release_notes_are_the_changelog_section_of_the_version(tmp_path: Path) -> None:
    step = _step(RELEASE, "github-release", "notes")
    shutil.copy(PROJECT_ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    runner_temp = tmp_path / "tmp"
    runner_temp.mkdir()
    output = tmp_path / "output"
    env = {"VERSION": "0.1.0", "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output)}
    assert _run_step(step, tmp_path, env).returncode == 0
    notes = Path(_outputs(output)["file"]).read_text()
    changelog = (PROJECT_ROOT / "CHANGELOG.md").read_text()
    section = changelog.split("## [0.1.0] - ", 1)[1].split("\n", 1)[1].split("\n[Unreleased]: ", 1)[0]
    assert notes.strip() == section.strip()
    assert "First release." in notes and "## [" not in notes
    assert _run_step(step, tmp_path, {**env, "VERSION": "9.9.9"}).returncode != 0  # no section: no release


def test_release_moves_the_major_tag_only_to_the_newest_release_of_that_major(tmp_path: Path) -> None:
    """`uses: OWNER/binance-secrets@v0` runs the newest 0.x release: the tag is created, then moved forward,
    and never moved back by a patch to an older minor version. `gh` is a stand-in that records the GitHub API
    calls (the repository's refs) and answers whether the tag exists."""
    repo = init_repo(tmp_path / "repo")
    for version in ("0.1.0", "0.2.0", "0.1.1", "1.0.0"):
        commit_file(repo, "VERSION", version, f"release {version}")
        git(repo, "tag", "-a", f"v{version}", "-m", version)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "gh-calls"
    gh = fake_bin / "gh"
    gh.write_text(
        "#!/bin/bash\n"
        f'printf "%s\\n" "$*" >> "{calls}"\n'
        'if [ "$1" = api ] && [[ "$2" == */git/ref/tags/* ]]; then '
        f'test -e "{tmp_path}/${{2##*/}}-exists"; exit $?; fi\n'
    )
    gh.chmod(0o755)
    step = _step(RELEASE, "github-release", "major")
    assert step["if"] == "needs.build.outputs.prerelease == 'false'"

    def release(version: str) -> list[str]:
        calls.write_text("")
        env = {
            "PATH": f"{fake_bin}:{git_env()['PATH']}",
            "GH_REPO": "octo/app",
            "TAG": f"v{version}",
            "VERSION": version,
        }
        result = _run_step(step, repo, env)
        assert result.returncode == 0, result.stdout + result.stderr
        return calls.read_text().splitlines()

    def commit(tag: str) -> str:
        return git(repo, "rev-parse", f"{tag}^{{commit}}").strip()

    assert release("0.2.0") == [
        "api repos/octo/app/git/ref/tags/v0 --silent",
        f"api --method POST repos/octo/app/git/refs -f ref=refs/tags/v0 -f sha={commit('v0.2.0')} --silent",
    ]
    (tmp_path / "v0-exists").touch()
    assert release("0.2.0")[1] == (
        f"api --method PATCH repos/octo/app/git/refs/tags/v0 -f sha={commit('v0.2.0')} -F force=true --silent"
    )
    assert release("0.1.1") == []  # v0.2.0 is newer: v0 stays
    assert release("1.0.0")[1].startswith("api --method POST repos/octo/app/git/refs -f ref=refs/tags/v1 ")


# GitLab CI ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", GITLAB_EXAMPLES, ids=lambda p: p.name)
def test_gitlab_example_matches_gitlab_ci_schema_and_its_script_passes_shellcheck(
    example: Path, tmp_path: Path
) -> None:
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(example))
    assert result.returncode == 0, result.stdout + result.stderr
    [job] = _load(example).values()
    assert job["image"]["name"].startswith("ghcr.io/OWNER/binance-secrets:")
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = tmp_path / "script.sh"
    script.write_text("\n".join(job["script"]) + "\n")
    checked = _run(_tool("shellcheck"), "--shell=sh", str(script))
    assert checked.returncode == 0, checked.stdout
    assert f"docs/examples/{example.name}" in (PROJECT_ROOT / "README.md").read_text()
