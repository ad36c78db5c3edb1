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
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from binance_secrets.exit_codes import ExitCode
from binance_secrets.finding import (
    CommitInfo,
    Finding,
    Permissions,
    ScanError,
    ScanResult,
    ScanStats,
    Verification,
)
from binance_secrets.report import github, sarif

ZERO_SHA = "0" * 40
MODES = ("diff", "history", "files")
# Options the action sets itself: letting `extra-args` override them would break the report it reads, or
# (`--show-secrets`) put full secrets into the annotations and the summary.
RESERVED_ARGS = ("-f", "--format", "-o", "--output", "--show-secrets")
FETCH_DEPTH_HINT = (
    "The checkout does not contain the commits to scan. Set `fetch-depth: 0` on actions/checkout "
    "(with: fetch-depth: 0) so that the history is available."
)


class ActionError(Exception):
    """A configuration or checkout problem: shown as an `::error::` and fails the step."""


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
            raise ActionError(f"input `mode` must be one of {', '.join(MODES)}, not {mode!r}")
        try:
            extra = tuple(shlex.split(env.get("BSEC_EXTRA_ARGS", "")))
        except ValueError as error:
            raise ActionError(f"input `extra-args` cannot be parsed: {error}") from None
        for arg in extra:
            if arg.split("=", 1)[0] in RESERVED_ARGS or (arg.startswith(("-f", "-o")) and len(arg) > 2):
                raise ActionError(
                    f"input `extra-args` may not contain {arg.split('=', 1)[0]!r}: the action sets it"
                )
        return cls(
            mode=mode,
            verify=_boolean(env, "BSEC_VERIFY", False),
            fail_on_findings=_boolean(env, "BSEC_FAIL_ON_FINDINGS", True),
            sarif_file=env.get("BSEC_SARIF_FILE", "").strip() or "binance-secrets.sarif",
            base=env.get("BSEC_BASE", "").strip(),
            head=env.get("BSEC_HEAD", "").strip(),
            min_confidence=env.get("BSEC_MIN_CONFIDENCE", "").strip(),
            extra_args=extra,
        )


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    input_name = name.removeprefix("BSEC_").lower().replace("_", "-")
    raise ActionError(f"input `{input_name}` must be true or false, not {value!r}")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


def _has_commit(repo: Path, rev: str) -> bool:
    return _git(repo, "cat-file", "-e", f"{rev}^{{commit}}").returncode == 0


def _require_commits(repo: Path, *revs: str) -> None:
    missing = [rev for rev in revs if not _has_commit(repo, rev)]
    if missing:
        raise ActionError(f"commit {', '.join(r[:12] for r in missing)} not found. {FETCH_DEPTH_HINT}")


def _is_shallow(repo: Path) -> bool:
    return _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def plan_scan(inputs: Inputs, event_name: str, event: Mapping[str, Any], repo: Path) -> Plan | None:
    """The scan for this event, or None when the event brings no new commits."""
    if inputs.mode == "files":
        return Plan(("scan", "."), "Scanned the files of the working tree.")
    if inputs.mode == "history":
        return _full_history(repo, "Audited the full history (every commit of every ref).")
    base, head = inputs.base, inputs.head
    if not base:
        if event_name in ("pull_request", "pull_request_target"):
            base = event.get("pull_request", {}).get("base", {}).get("sha", "")
            head = head or event.get("pull_request", {}).get("head", {}).get("sha", "")
        elif event_name == "push":
            if event.get("after", "") == ZERO_SHA:
                return None  # a deleted branch: nothing was added
            head = head or event.get("after", "")
            base = event.get("before", "")
            if base == ZERO_SHA:
                return _new_branch(repo, head, event.get("ref", ""))
        else:
            # workflow_dispatch, schedule and anything else without a range: the whole history.
            return _full_history(repo, f"Audited the full history ({event_name or 'manual'} run).")
    head = head or _git(repo, "rev-parse", "HEAD").stdout.strip()
    if not base:
        raise ActionError(
            f"no base commit for a `{event_name}` event: set the `base` input or use mode: history"
        )
    _require_commits(repo, base, head)
    if _git(repo, "merge-base", base, head).returncode != 0 and _is_shallow(repo):
        raise ActionError(
            f"no common ancestor of {base[:12]} and {head[:12]} in this shallow clone. {FETCH_DEPTH_HINT}"
        )
    if _git(repo, "rev-parse", base).stdout == _git(repo, "rev-parse", head).stdout:
        return None
    return Plan(("history", "--range", f"{base}..{head}"), f"Scanned the commits `{base[:12]}..{head[:12]}`.")


def _full_history(repo: Path, scope: str) -> Plan:
    if _is_shallow(repo):
        raise ActionError(f"a full-history audit needs the whole history. {FETCH_DEPTH_HINT}")
    return Plan(("history",), scope)


def _new_branch(repo: Path, head: str, ref: str) -> Plan | None:
    """A pushed new branch: scan the commits no other branch of the remote already has."""
    _require_commits(repo, head)
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
    if not parents:
        # The branch shares nothing with the others (or is the first push): all of it is new.
        if _is_shallow(repo):
            raise ActionError(f"the new branch's history is cut off. {FETCH_DEPTH_HINT}")
        return Plan(
            ("history", "--branch", head), f"Scanned the new branch `{branch}` ({len(new)} new commit(s))."
        )
    return Plan(
        ("history", "--range", f"{parents[0]}..{head}"),
        f"Scanned the new branch `{branch}`: {len(new)} commit(s) not on any other branch.",
    )


def _cli_args(plan: Plan, inputs: Inputs, report_path: Path) -> list[str]:
    args = [*plan.command, "--format", "json", "--output", str(report_path), "--no-progress"]
    if inputs.verify:
        args.append("--verify")
    if inputs.min_confidence:
        args += ["--min-confidence", inputs.min_confidence]
    return [*args, *inputs.extra_args]


def result_from_report(report: Mapping[str, Any]) -> ScanResult:
    """Findings back from the redacted JSON report, for the SARIF writer (which never reads `secret`)."""
    findings = []
    for item in report["findings"]:
        commit = item.get("commit")
        verification = item.get("verification")
        if verification is not None:
            permissions = verification.get("permissions")
            verification = Verification(
                **{**verification, "permissions": Permissions(**permissions) if permissions else None}
            )
        findings.append(
            Finding(
                rule_id=item["rule_id"],
                confidence=item["confidence"],
                path=item["path"],
                line=item["line"],
                column=item["column"],
                end_column=item["end_column"],
                secret=item["secret"],
                secret_sha256=item["secret_sha256"],
                pair_sha256=item.get("pair_sha256"),
                commit=CommitInfo(**commit) if commit else None,
                in_head=item.get("in_head"),
                occurrences=item.get("occurrences", 1),
                verification=verification,
                environment_hint=item.get("environment_hint"),
            )
        )
    stats = report.get("stats", {})
    return ScanResult(
        tuple(findings),
        tuple(ScanError(e["path"], e["message"], not e.get("notice", False)) for e in report.get("errors", [])),
        ScanStats(**{k: stats[k] for k in ("files", "commits", "blobs", "bytes", "seconds") if k in stats}),
    )


def _empty_report() -> dict[str, Any]:
    return {"findings": [], "errors": [], "stats": {}}


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)


def _set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    # Values are counts and a path without newlines, so the simple `name=value` form is safe.
    _append(env.get("GITHUB_OUTPUT"), "".join(f"{name}={value}\n" for name, value in outputs.items()))


def run(env: Mapping[str, str], repo: Path) -> int:
    inputs = Inputs.from_env(env)
    event_name = env.get("GITHUB_EVENT_NAME", "")
    event_path = env.get("GITHUB_EVENT_PATH", "")
    event: dict[str, Any] = {}
    if event_path and Path(event_path).is_file():
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    if _git(repo, "rev-parse", "--git-dir").returncode != 0 and inputs.mode != "files":
        raise ActionError(f"{repo} is not a git repository: run actions/checkout (with fetch-depth: 0) first")
    plan = plan_scan(inputs, event_name, event, repo)
    if plan is None:
        report: dict[str, Any] = _empty_report()
        scope = "No new commits to scan."
        print("binance-secrets: no new commits to scan", file=sys.stderr)
    else:
        scope = plan.scope
        with tempfile.TemporaryDirectory(dir=env.get("RUNNER_TEMP") or None) as temporary:
            report_path = Path(temporary) / "report.json"
            args = _cli_args(plan, inputs, report_path)
            print("binance-secrets " + shlex.join(args), file=sys.stderr)
            code = subprocess.run(
                [sys.executable, "-m", "binance_secrets", *args], cwd=repo, check=False
            ).returncode
            if code not in (ExitCode.CLEAN, ExitCode.FINDINGS) or not report_path.is_file():
                raise ActionError(f"the scan failed (exit code {code}); its error is printed above")
            report = json.loads(report_path.read_text(encoding="utf-8"))
    findings = report["findings"]
    live = sum(1 for f in findings if (f.get("verification") or {}).get("status") == "live")
    sarif_path = Path(inputs.sarif_file)
    sarif_path.parent.mkdir(parents=True, exist_ok=True)
    sarif_path.write_text(sarif.render(result_from_report(report)), encoding="utf-8")
    for line in github.annotation_lines(report):
        print(line)
    link_base = None
    if env.get("GITHUB_REPOSITORY"):
        link_base = f"{env.get('GITHUB_SERVER_URL') or 'https://github.com'}/{env['GITHUB_REPOSITORY']}"
    _append(
        env.get("GITHUB_STEP_SUMMARY"),
        github.summary(report, scope=scope, link_base=link_base, head_sha=env.get("GITHUB_SHA")),
    )
    _set_outputs(env, {"findings": str(len(findings)), "live": str(live), "sarif-file": str(sarif_path)})
    if findings:
        print(f"binance-secrets: {len(findings)} finding(s), {live} live", file=sys.stderr)
    return ExitCode.FINDINGS if findings and inputs.fail_on_findings else ExitCode.CLEAN


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    del argv  # configured by the environment only, as a composite step is
    environment = os.environ if env is None else env
    try:
        return run(environment, Path.cwd())
    except ActionError as error:
        print(f"::error title=binance-secrets::{github.escape_data(str(error))}")
        return ExitCode.SCAN_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
