"""`binance-secrets history` on repositories whose names and messages are written by an attacker.

File names, ref names and commit messages are attacker-controlled: none may become a git option or
pathspec magic, and no key written into a message, a name or an address may reach a report.
Real git repositories built at test time; every key is generated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from binance_secrets.sources.git_objects import open_repository, run_git
from testing.gitrepo import git, git_env, init_repo
from testing.keys import api_key, secret_key

pytestmark = pytest.mark.slow

HOSTILE_NAMES = [
    ":(exclude)*",
    ":(glob)**",
    "*",
    "--help",
    "-h",
    "--exclude=*",
    "--output=written-by-git.txt",
    "\x01" + "0" * 40,  # looks like a record header of the `git log -z --raw` stream attribution reads
]


def commit_file(repo: Path, name: str, content: str, message: str) -> str:
    """`testing.gitrepo.commit_file` with literal pathspecs: these names are files, for git too."""
    (repo / name).write_text(content)
    git(repo, "--literal-pathspecs", "add", "--", name)
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["history", *args, "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def report_of(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run(capsys, *args, "-f", "json")
    return code, json.loads(out), err


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Run from an empty folder of our own: a name that became `--output=FILE` would write there.
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return init_repo(tmp_path / "repo")


def stray_files(tmp_path: Path) -> list[str]:
    return [str(path) for path in tmp_path.rglob("written-by-git*")] + [
        str(path) for path in tmp_path.rglob("evil*") if ".git" not in path.parts
    ]


def test_hostile_file_and_ref_names_are_scanned_as_names_never_as_options_or_pathspecs(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README, Auditing git history: "every commit of every ref" is scanned; a file name is a name.
    keys = {}
    commits = {}
    commit_file(repo, "README.md", "start\n", "start")
    for name in HOSTILE_NAMES:
        keys[name] = api_key()
        commits[name] = commit_file(repo, name, f'BINANCE_API_KEY = "{keys[name]}"\n', f"--all {name}")
    # Refs named like options: they must stay data in every git call.
    side_key = api_key()
    git(repo, "checkout", "-q", "-b", "side")
    side_commit = commit_file(repo, "side.py", f'BINANCE_API_KEY = "{side_key}"\n', "--output=evil.txt")
    git(repo, "checkout", "-q", "main")
    git(repo, "update-ref", "refs/heads/--output=evil.txt", side_commit)
    git(repo, "branch", "-q", "-D", "side")
    git(repo, "update-ref", "refs/tags/-n", "HEAD")

    code, report, err = report_of(capsys, str(repo), "--jobs", "2")
    assert code == 1, err
    found = {finding["path"]: finding for finding in report["findings"]}
    assert set(found) == {*HOSTILE_NAMES, "side.py"}
    for name in HOSTILE_NAMES:
        assert found[name]["commit"]["sha"] == commits[name], name
        assert found[name]["line"] == 1 and found[name]["column"] == 20
        assert found[name]["in_head"] is True
    assert found["side.py"]["commit"]["sha"] == side_commit
    assert found["side.py"]["in_head"] is False
    assert report["errors"] == []
    assert "Traceback" not in err
    assert stray_files(tmp_path) == []

    # The ref named like an option is reachable by its full name, and scans alone.
    code, report, _ = report_of(capsys, str(repo), "--branch", "refs/heads/--output=evil.txt")
    assert code == 1
    assert "side.py" in {finding["path"] for finding in report["findings"]}
    assert stray_files(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--branch", "--output=evil.txt"],
        ["--branch=-h"],
        ["--range=--output=evil.txt..HEAD"],
        ["--range=HEAD~1..--output=evil.txt"],
        ["--since-commit=--all"],
    ],
)
def test_revisions_given_on_the_command_line_that_look_like_options_are_usage_errors(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    # README exit codes: a bad argument is a usage error (2), and no revision becomes an option.
    commit_file(repo, "a.txt", "a\n", "one")
    commit_file(repo, "b.txt", "b\n", "two")
    code, out, err = run(capsys, str(repo), *args)
    assert code == 2, (args, err)
    assert "must not start with '-'" in err
    assert "Traceback" not in err and out == ""
    assert stray_files(tmp_path) == []


@pytest.mark.parametrize(
    "environment",
    [
        {"PRE_COMMIT_FROM_REF": "--output=evil.txt", "PRE_COMMIT_TO_REF": "HEAD"},
        {"PRE_COMMIT_FROM_REF": "HEAD~1", "PRE_COMMIT_TO_REF": "--all"},
        {"PRE_COMMIT_LOCAL_BRANCH": "--output=evil.txt"},
    ],
)
def test_pre_push_revisions_from_the_environment_that_look_like_options_are_usage_errors(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
) -> None:
    # README: `--from-env` reads PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF; they are revisions, never options.
    commit_file(repo, "a.txt", "a\n", "one")
    commit_file(repo, "b.txt", "b\n", "two")
    for name in ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "PRE_COMMIT_LOCAL_BRANCH"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code, _, err = run(capsys, str(repo), "--from-env")
    assert code == 2, err
    assert next(iter(name for name in environment if environment[name].startswith("-"))) in err
    assert "Traceback" not in err
    assert stray_files(tmp_path) == []


def test_paths_given_to_git_by_the_audit_are_literal_not_pathspec_magic(repo: Path) -> None:
    # Every git process of the audit runs with literal pathspecs: `:(exclude)*` names one file.
    commit_file(repo, "plain.txt", "plain\n", "plain")
    magic = commit_file(repo, ":(exclude)*", "magic\n", "magic name")
    repository = open_repository(str(repo))
    completed = run_git(repository, "log", "--format=%H", "--", ":(exclude)*")
    assert completed.stdout.decode().split() == [magic]


def test_keys_in_commit_and_tag_messages_and_author_fields_never_reach_any_report_or_baseline(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: reports are redacted by default, and a baseline (a JSON report) is safe to commit.
    # A key in a commit subject, a tag subject, an author name or address is free text copied from
    # git into `commit.summary` and friends: it must be redacted there too.
    subject_key, subject_secret = api_key(), secret_key()
    tag_key, tag_secret = api_key(), secret_key()
    author_key, email_key = api_key(), api_key()
    values = [subject_key, subject_secret, tag_key, tag_secret, author_key, email_key]
    commit_file(repo, "README.md", "start\n", "start")
    env = git_env()
    env["GIT_AUTHOR_NAME"] = author_key
    env["GIT_AUTHOR_EMAIL"] = f"{email_key}@example.invalid"
    (repo / "config.py").write_text(f'BINANCE_API_KEY = "{api_key()}"\n')
    git(repo, "add", "config.py")
    message = f'add keys BINANCE_API_KEY={subject_key} API_SECRET="{subject_secret}"'
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", message, env=env)
    git(repo, "tag", "-a", "v1", "-m", f'release BINANCE_API_KEY={tag_key} BINANCE_API_SECRET="{tag_secret}"')

    code, report, err = report_of(capsys, str(repo))
    assert code == 1, err
    summaries = {finding["path"]: finding["commit"]["summary"] for finding in report["findings"]}
    assert summaries["<commit message>"].startswith("add keys BINANCE_API_KEY=")
    assert summaries["<tag message>"].startswith("release BINANCE_API_KEY=")
    assert summaries["config.py"] == summaries["<commit message>"]
    authors = {(finding["commit"]["author_name"], finding["commit"]["author_email"]) for finding in report["findings"]}
    assert all(name and "@example.invalid" in email for name, email in authors)

    outputs = {"json": json.dumps(report), "stderr": err}
    for form in ("text", "sarif", "github"):
        code, out, err = run(capsys, str(repo), "-f", form)
        assert code == 1
        outputs[form] = out + err
    baseline = tmp_path / "baseline.json"
    code, _, _ = run(capsys, str(repo), "-f", "json", "-o", str(baseline))
    assert code == 1
    outputs["baseline"] = baseline.read_text()
    for form, text in outputs.items():
        for value in values:
            assert value not in text, form
    # The baseline still does its job: every secret it records is skipped on the next run.
    code, report, _ = report_of(capsys, str(repo), "--baseline", str(baseline))
    assert code == 0 and report["findings"] == []


def test_git_error_lines_quoting_a_key_named_ref_are_redacted(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A ref may be named with a key; when git's error line quotes it, the key must not be printed.
    commit_file(repo, "a.txt", "a\n", "one")
    key = api_key()
    ref = repo / ".git" / "refs" / "heads" / key
    ref.write_text("0123456789abcdef0123456789abcdef01234567\n")
    code, report, err = report_of(capsys, str(repo))
    assert code == 3  # the dangling ref was not scanned, nothing found in the rest
    assert key not in err and key not in json.dumps(report)
    assert any("missing" in error["message"] for error in report["errors"])


def test_hostile_names_do_not_break_text_output_or_crash(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # No traceback for any input; the text report still names every file.
    for name in HOSTILE_NAMES[:4]:
        commit_file(repo, name, f'BINANCE_API_KEY = "{api_key()}"\n', name)
    code, out, err = run(capsys, str(repo))
    assert code == 1
    assert "Traceback" not in err
    assert all(name in out for name in HOSTILE_NAMES[:4])


def test_options_after_the_revisions_still_reach_git_only_as_data(repo: Path, tmp_path: Path) -> None:
    # Through the installed console script, as CI runs it: a ref named like an option is data.
    commit_file(repo, "a.txt", "a\n", "one")
    git(repo, "update-ref", "refs/heads/--output=evil.txt", "HEAD")
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", "history", str(repo), "--no-progress"],
        capture_output=True, text=True, cwd=tmp_path / "cwd", env=dict(os.environ),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "No Binance credentials found" in completed.stdout
    assert stray_files(tmp_path) == []


def test_a_replace_ref_cannot_hide_a_committed_key(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # README: objects are read as committed. `git replace` makes git show other content in place of
    # a blob, but a push sends the committed blob, key included.
    added = commit_file(repo, "k.py", f'BINANCE_API_KEY = "{api_key()}"\n', "add key")
    leaked = git(repo, "rev-parse", "HEAD:k.py").strip()
    (repo / "clean.txt").write_text("nothing here\n")
    clean = git(repo, "hash-object", "-w", "clean.txt").strip()
    (repo / "clean.txt").unlink()
    git(repo, "replace", leaked, clean)
    assert "nothing here" in git(repo, "show", "HEAD:k.py")  # what git shows now
    code, report, err = report_of(capsys, str(repo))
    assert code == 1, err
    finding = report["findings"][0]
    assert (finding["path"], finding["commit"]["sha"]) == ("k.py", added)
