"""The GitHub Action's one step: choose what to scan from the event, scan, and report to the runner.

`action.yml` only installs the package and runs `python -m binance_secrets.action`; everything that can be
wrong lives here, where it is tested. Inputs arrive as `BSEC_*` environment variables (never interpolated
into a script), the event as the JSON file at `$GITHUB_EVENT_PATH`.

The scan itself is the CLI (`scan` / `history`) writing its redacted JSON report once; the annotations, the
job summary, the SARIF file and the step outputs are all derived from that file, so the action never holds
a full secret.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from binance_secrets.errors import UserError
from binance_secrets.exit_codes import ExitCode
from binance_secrets.git.process import run_git
from binance_secrets.git.repository import GitFolder
from binance_secrets.report import github, sarif
from binance_secrets.report.escaping import log_text
from binance_secrets.result import ScanResult, ScanStats

if TYPE_CHECKING:
    from binance_secrets.report.json_report import ReadReport

ZERO_SHA = "0" * 40
MODES = ("diff", "history", "files")
CONFIDENCES = ("low", "medium", "high")
# Parameters the action decides itself (click parameter names), with the reason `extra-args` may not set
# them: the report the action reads, full secrets in the annotations and the summary, or a summary that
# says something else was scanned than what was.
RESERVED_PARAMETERS = {
    "format": "the action reads the JSON report it asks for",
    "output": "the action reads the JSON report it asks for",
    "show_secrets": "full secrets would reach the annotations, the job summary and the log",
    "paths": "the `mode`, `base` and `head` inputs choose what is scanned",
    "repo": "the `mode`, `base` and `head` inputs choose what is scanned",
    "range_": "the `mode`, `base` and `head` inputs choose what is scanned",
    "branch": "the `mode`, `base` and `head` inputs choose what is scanned",
    "since_commit": "the `mode`, `base` and `head` inputs choose what is scanned",
    "from_env": "the `mode`, `base` and `head` inputs choose what is scanned",
    "repos_file": "the `mode`, `base` and `head` inputs choose what is scanned",
    "keep_clones": "the action audits the checked-out repository, it fetches none",
}
# A control character in an input that names a file or a commit is never intended and could reach
# GITHUB_OUTPUT or a workflow command.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FETCH_DEPTH_HINT = (
    "The checkout does not contain the commits to scan. Set `fetch-depth: 0` on actions/checkout "
    "(with: fetch-depth: 0) so that the history is available."
)


class ActionError(Exception):
    """A checkout or scan problem: shown as an `::error::`, fails the step with exit 3 (scan error)."""

    exit_code = ExitCode.SCAN_ERROR


class InputError(ActionError):
    """A wrong input of the action (or of `extra-args`): a usage error, exit 2, as on the command line."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Plan:
    """What to scan: CLI arguments after the command name, and a sentence for the summary."""

    command: tuple[str, ...]
    scope: str


@dataclass(frozen=True)
class Inputs:
    mode: str = "diff"
    verify: bool = False
    fail_on_findings: bool = True
    sarif_file: str = "binance-secrets.sarif"
    base: str = ""
    head: str = ""
    min_confidence: str = ""
    extra_args: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        mode = env.get("BSEC_MODE", "").strip() or "diff"
        if mode not in MODES:
            raise InputError(f"input `mode` must be one of {', '.join(MODES)}, not {mode!r}")
        min_confidence = env.get("BSEC_MIN_CONFIDENCE", "").strip()
        if min_confidence and min_confidence not in CONFIDENCES:
            raise InputError(f"input `min-confidence` must be one of {', '.join(CONFIDENCES)}, not {min_confidence!r}")
        try:
            extra = tuple(shlex.split(env.get("BSEC_EXTRA_ARGS", "")))
        except ValueError as error:
            raise InputError(f"input `extra-args` cannot be parsed: {error}") from None
        check_extra_args("scan" if mode == "files" else "history", extra)
        return cls(
            mode=mode,
            verify=_boolean(env, "BSEC_VERIFY", False),
            fail_on_findings=_boolean(env, "BSEC_FAIL_ON_FINDINGS", True),
            sarif_file=_one_line(env, "BSEC_SARIF_FILE") or "binance-secrets.sarif",
            base=_one_line(env, "BSEC_BASE"),
            head=_one_line(env, "BSEC_HEAD"),
            min_confidence=min_confidence,
            extra_args=extra,
        )


def check_extra_args(command_name: str, extra: Sequence[str]) -> None:
    """Refuses `extra-args` that set a reserved parameter, parsed by click itself as the scan will parse them.

    So `-qf text`, `-o=x`, `--output=x`, `-fsarif` and `-- PATH` are all seen for what they are. Arguments
    click rejects are left to the scan, which then fails with its usage error (and never runs).
    """
    import click
    from click.core import ParameterSource

    if command_name == "scan":
        from binance_secrets.commands.scan import scan_command as command
    else:
        from binance_secrets.commands.history import history_command as command
    try:
        # resilient_parsing: no callback runs (no `--help` printed here), and parsing stops where the
        # real parse would fail.
        context = command.make_context(command_name, list(extra), resilient_parsing=True)
    except click.ClickException:
        return
    for parameter in command.params:
        name = parameter.name or ""
        if name in RESERVED_PARAMETERS and context.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            what = "/".join(parameter.opts) if isinstance(parameter, click.Option) else parameter.human_readable_name
            raise InputError(f"input `extra-args` may not set {what}: {RESERVED_PARAMETERS[name]}")


def _one_line(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if _CONTROL.search(value):
        input_name = name.removeprefix("BSEC_").lower().replace("_", "-")
        raise InputError(f"input `{input_name}` must be one line without control characters")
    return value


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    input_name = name.removeprefix("BSEC_").lower().replace("_", "-")
    raise InputError(f"input `{input_name}` must be true or false, not {value!r}")


class _GitAnswer(NamedTuple):
    returncode: int
    stdout: str


def _git(repo: Path, *args: str) -> _GitAnswer:
    """git in the checkout, through the one git layer; a git that cannot run fails the step (exit 3)."""
    try:
        completed = run_git(GitFolder(str(repo)), *args)
    except UserError as error:
        raise ActionError(str(error)) from None
    return _GitAnswer(completed.returncode, completed.stdout.decode("utf-8", "surrogateescape"))


def _resolve(repo: Path, rev: str) -> str | None:
    """The full id of the commit `rev` names, or None. `--end-of-options`: a value is never an option."""
    done = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha) else None


def _require_commits(repo: Path, *revs: str) -> list[str]:
    """The commits' full ids; from here on only ids are used, in git commands and in the summary."""
    resolved = [_resolve(repo, rev) for rev in revs]
    missing = [rev for rev, sha in zip(revs, resolved, strict=True) if sha is None]
    if missing:
        raise ActionError(f"commit {', '.join(r[:12] for r in missing)} not found. {FETCH_DEPTH_HINT}")
    return [sha for sha in resolved if sha is not None]


def _is_shallow(repo: Path) -> bool:
    return _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def _event_text(event: Mapping[str, Any], *keys: str) -> str:
    """A string field of the event payload, or "" when it is missing or not a string."""
    value: Any = event
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else ""


def plan_scan(inputs: Inputs, event_name: str, event: Mapping[str, Any], repo: Path) -> Plan | None:
    """The scan for this event, or None when the event brings no new commits.

    `Plan.scope` is markdown for the job summary: anything taken from the event or the inputs is either
    resolved to a commit id first or escaped with `github.markdown_code`.
    """
    if inputs.mode == "files":
        return Plan(("scan", "."), "Scanned the files of the working tree.")
    if inputs.mode == "history":
        return _full_history(repo, "Audited the full history (every commit of every ref).")
    base, head = inputs.base, inputs.head
    if not base:
        if event_name in ("pull_request", "pull_request_target"):
            base = _event_text(event, "pull_request", "base", "sha")
            head = head or _event_text(event, "pull_request", "head", "sha")
        elif event_name == "push":
            if _event_text(event, "after") == ZERO_SHA:
                return None  # a deleted branch: nothing was added
            head = head or _event_text(event, "after")
            base = _event_text(event, "before")
            if base == ZERO_SHA:
                return _new_branch(repo, head, _event_text(event, "ref"))
        else:
            # workflow_dispatch, schedule and anything else without a range: the whole history.
            run = github.markdown_text(event_name or "manual")
            return _full_history(repo, f"Audited the full history ({run} run).")
    head = head or "HEAD"
    if not base:
        raise InputError(
            f"no base commit for a `{event_name}` event: set the `base` input or use mode: history"
        )
    base, head = _require_commits(repo, base, head)
    if _git(repo, "merge-base", base, head).returncode != 0 and _is_shallow(repo):
        raise ActionError(
            f"no common ancestor of {base[:12]} and {head[:12]} in this shallow clone. {FETCH_DEPTH_HINT}"
        )
    if base == head:
        return None
    return Plan(("history", "--range", f"{base}..{head}"), f"Scanned the commits `{base[:12]}..{head[:12]}`.")


def _full_history(repo: Path, scope: str) -> Plan:
    if _is_shallow(repo):
        raise ActionError(f"a full-history audit needs the whole history. {FETCH_DEPTH_HINT}")
    return Plan(("history",), scope)


def _new_branch(repo: Path, head: str, ref: str) -> Plan | None:
    """A pushed new branch: scan the commits no other branch of the remote already has."""
    [head] = _require_commits(repo, head)
    branch = ref.removeprefix("refs/heads/")
    # Every remote-tracking branch except this one: their commits were scanned when they were pushed.
    others = [
        name
        for name in _git(repo, "for-each-ref", "--format=%(refname)", "refs/remotes/").stdout.split()
        if not name.endswith("/HEAD") and name.split("/", 3)[-1] != branch
    ]
    new = _git(repo, "rev-list", "--topo-order", "--reverse", head, "--not", *others, "--").stdout.split()
    if not new:
        return None
    parents = _git(repo, "rev-list", "--parents", "-n", "1", new[0]).stdout.split()[1:]
    shown = github.markdown_code(branch)
    if not parents:
        # The branch shares nothing with the others (or is the first push): all of it is new.
        if _is_shallow(repo):
            raise ActionError(f"the new branch's history is cut off. {FETCH_DEPTH_HINT}")
        return Plan(("history", "--branch", head), f"Scanned the new branch {shown} ({len(new)} new commit(s)).")
    return Plan(
        ("history", "--range", f"{parents[0]}..{head}"),
        f"Scanned the new branch {shown}: {len(new)} commit(s) not on any other branch.",
    )


def _cli_args(plan: Plan, inputs: Inputs, report_path: Path) -> list[str]:
    args = [*plan.command, "--format", "json", "--output", str(report_path), "--no-progress"]
    if inputs.verify:
        args.append("--verify")
    if inputs.min_confidence:
        args += ["--min-confidence", inputs.min_confidence]
    return [*args, *inputs.extra_args]


def _empty_report() -> dict[str, Any]:
    return {"findings": [], "errors": [], "stats": {}}


def _read_event(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ActionError(f"cannot read the event payload {path}: {error}") from None
    if not isinstance(document, dict):
        raise ActionError(f"the event payload {path} is not a JSON object")
    return document


def _read_scan_report(path: Path) -> ReadReport:
    """The scan's JSON report, read by the one report reader (so the SARIF file is the one `-f sarif` writes,
    fingerprints included). The action never holds a full secret: the report is redacted."""
    from binance_secrets.report.json_report import load_report

    try:
        report = load_report(str(path), "the scan report")
        report.checked()
    except UserError as error:
        raise ActionError(str(error)) from None
    return report


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)


def _set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Step outputs in the runner's multi-line form, `NAME<<DELIMITER`, with a delimiter nobody can guess.

    The sarif-file input is refused if it holds a line break, but a value must never be able to end its
    own entry and start another output, whatever it holds (actions/toolkit does the same).
    """
    entries = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter in value or delimiter in name:
            raise ActionError(f"output `{name}` cannot be written safely")
        entries.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    _append(env.get("GITHUB_OUTPUT"), "".join(entries))


def _scan(args: Sequence[str], repo: Path) -> int:
    """Runs the CLI, passing on what it prints one log-safe line at a time.

    Its warnings quote file names and option values; a runner would act on a line such as `::error::...`
    or `##[...]` in them, so every line goes through `log_text` (escaped, never a workflow command).
    """
    with subprocess.Popen(
        [sys.executable, "-m", "binance_secrets", *args],
        cwd=repo, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip(b"\n").decode("utf-8", "surrogateescape")
            print(log_text(line), file=sys.stderr, flush=True)
        return process.wait()


def run(env: Mapping[str, str], repo: Path) -> int:
    inputs = Inputs.from_env(env)
    event_name = env.get("GITHUB_EVENT_NAME", "")
    event_path = env.get("GITHUB_EVENT_PATH", "")
    event: dict[str, Any] = {}
    if event_path and Path(event_path).is_file():
        event = _read_event(Path(event_path))
    if _git(repo, "rev-parse", "--git-dir").returncode != 0 and inputs.mode != "files":
        raise ActionError(f"{repo} is not a git repository: run actions/checkout (with fetch-depth: 0) first")
    plan = plan_scan(inputs, event_name, event, repo)
    code: int = ExitCode.CLEAN
    if plan is None:
        report: dict[str, Any] = _empty_report()
        result = ScanResult((), (), ScanStats())
        scope = "No new commits to scan."
        print("binance-secrets: no new commits to scan", file=sys.stderr)
    else:
        scope = plan.scope
        with tempfile.TemporaryDirectory(dir=env.get("RUNNER_TEMP") or None) as temporary:
            report_path = Path(temporary) / "report.json"
            args = _cli_args(plan, inputs, report_path)
            print("binance-secrets " + log_text(shlex.join(args)), file=sys.stderr)
            code = _scan(args, repo)
            # Exit 3 with a report is an incomplete scan: what was read is still reported, then it fails.
            if code == ExitCode.USAGE:  # `extra-args` the scan refused: the user's mistake, as on the command line
                raise InputError(f"the scan failed (exit code {code}); its error is printed above")
            if code not in (ExitCode.CLEAN, ExitCode.FINDINGS, ExitCode.SCAN_ERROR) or not report_path.is_file():
                raise ActionError(f"the scan failed (exit code {code}); its error is printed above")
            read = _read_scan_report(report_path)
            report, result = read.document, read.result
    findings = result.findings
    unscanned = [error for error in result.errors if error.unscanned]
    live = sum(1 for f in findings if f.verification is not None and f.verification.status == "live")
    sarif_path = Path(inputs.sarif_file)
    sarif_path.parent.mkdir(parents=True, exist_ok=True)
    sarif_path.write_text(sarif.render(result), encoding="utf-8")
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    for line in github.annotation_lines(report, summary_written=bool(summary_path), sarif_file=inputs.sarif_file):
        print(line)
    link_base = None
    if env.get("GITHUB_REPOSITORY"):
        link_base = f"{env.get('GITHUB_SERVER_URL') or 'https://github.com'}/{env['GITHUB_REPOSITORY']}"
    _append(
        summary_path,
        github.summary(
            report, scope=scope, link_base=link_base, head_sha=env.get("GITHUB_SHA"), sarif_file=inputs.sarif_file
        ),
    )
    _set_outputs(env, {"findings": str(len(findings)), "live": str(live), "sarif-file": str(sarif_path)})
    if findings:
        print(f"binance-secrets: {len(findings)} finding(s), {live} live", file=sys.stderr)
    if code == ExitCode.SCAN_ERROR and not findings:
        raise ActionError(
            f"the scan is incomplete: {len(unscanned)} input(s) could not be scanned (see the warnings), "
            "so it is not reported clean"
        )
    return ExitCode.FINDINGS if findings and inputs.fail_on_findings else ExitCode.CLEAN


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    del argv  # configured by the environment only, as a composite step is
    environment = os.environ if env is None else env
    try:
        return run(environment, Path.cwd())
    except ActionError as error:
        print(github.command("error", str(error), title="binance-secrets"))
        return error.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
