"""`binance-secrets history` on real git repositories built at test time."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from testing.gitrepo import commit_file, git, git_env, init_repo
from testing.keys import api_key

pytestmark = pytest.mark.slow


def assignment(key: str) -> str:
    return f'BINANCE_API_KEY = "{key}"\n'


def run_history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["history", *args, "-f", "json", "--no-progress"])
    captured = capsys.readouterr()
    report = json.loads(captured.out) if captured.out.strip() else {}
    return code, report, captured.err


def only(report: dict[str, Any]) -> dict[str, Any]:
    findings = report["findings"]
    assert len(findings) == 1, findings
    finding: dict[str, Any] = findings[0]
    return finding


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_secret_kept_over_edits_is_one_finding_for_the_commit_that_added_it(
    repo: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    key = api_key()
    commit_file(repo, "README.md", "hello\n", "start")
    added = commit_file(repo, "app/config.py", "import os\n" + assignment(key), "add config")
    commit_file(repo, "app/config.py", "import os\n" + assignment(key) + "DEBUG = True\n", "debug")
    commit_file(repo, "README.md", "hello again\n", "docs")
    code, report, _ = run_history(capsys, str(repo), "--jobs", jobs)
    assert code == 1
    finding = only(report)
    assert finding["path"] == "app/config.py"
    assert finding["line"] == 2
    assert finding["commit"]["sha"] == added
    assert finding["commit"]["summary"] == "add config"
    assert finding["commit"]["author_name"] == "Test Author"
    assert finding["commit"]["author_email"] == "author@example.invalid"
    assert finding["commit"]["date"][:4].isdigit() and "T" in finding["commit"]["date"]
    assert finding["occurrences"] == 3
    assert finding["in_head"] is True
    assert finding["secret"] != key  # redacted by default
    assert report["stats"]["commits"] == 4
    assert report["stats"]["blobs"] == 4


def test_removed_secret_is_reported_as_not_in_head(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = api_key()
    added = commit_file(repo, "settings.env", assignment(key), "add env")
    commit_file(repo, "other.txt", "x\n", "unrelated")
    commit_file(repo, "settings.env", "BINANCE_API_KEY=\n", "remove key")
    commit_file(repo, "other.txt", "y\n", "unrelated 2")
    code, report, _ = run_history(capsys, str(repo))
    assert code == 1
    finding = only(report)
    assert (finding["commit"]["sha"], finding["path"], finding["line"]) == (added, "settings.env", 1)
    assert finding["in_head"] is False
    assert finding["occurrences"] == 2


def test_rename_keeps_the_original_attribution(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    added = commit_file(repo, "old_name.py", "x = 1\n" + assignment(api_key()), "add")
    git(repo, "mv", "old_name.py", "new_name.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "rename")
    code, report, _ = run_history(capsys, str(repo))
    assert code == 1
    finding = only(report)
    assert (finding["commit"]["sha"], finding["path"], finding["line"]) == (added, "old_name.py", 2)
    assert finding["in_head"] is True
    assert finding["occurrences"] == 2


def test_secret_added_by_merge_conflict_resolution_is_attributed_to_the_merge(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "conf.py", "value = 0\n", "base")
    git(repo, "checkout", "-q", "-b", "side")
    commit_file(repo, "conf.py", "value = 1\n", "side change")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "conf.py", "value = 2\n", "main change")
    git(repo, "merge", "-q", "--no-gpg-sign", "side", check=False)
    (repo / "conf.py").write_text("value = 3\n" + assignment(api_key()))
    git(repo, "add", "conf.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-edit")
    merge = head(repo)
    assert len(git(repo, "rev-list", "--parents", "-1", "HEAD").split()) == 3
    code, report, _ = run_history(capsys, str(repo))
    assert code == 1
    finding = only(report)
    assert (finding["commit"]["sha"], finding["path"], finding["line"]) == (merge, "conf.py", 2)


def test_merging_a_branch_does_not_move_attribution_to_the_merge(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "base.txt", "base\n", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    added = commit_file(repo, "feature.py", assignment(api_key()), "feature")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "main.txt", "main\n", "main work")
    git(repo, "merge", "-q", "--no-gpg-sign", "--no-edit", "feature")
    code, report, _ = run_history(capsys, str(repo))
    assert code == 1
    finding = only(report)
    assert finding["commit"]["sha"] == added
    assert finding["occurrences"] == 2  # the feature commit and the merge


def test_key_whose_halves_came_in_two_commits_is_found_in_the_second(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    commit_file(repo, "keys.py", f'BINANCE_API_KEY = "{key[:32]}\n', "first half")
    second = commit_file(repo, "keys.py", f'BINANCE_API_KEY = "{key}"\n', "second half")
    code, report, _ = run_history(capsys, str(repo), "--show-secrets")
    assert code == 1
    finding = only(report)
    assert finding["secret"] == key
    assert (finding["commit"]["sha"], finding["line"]) == (second, 1)


def test_key_inside_a_binary_blob_is_found(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = b"\x00\x01\x02binary\x00" + assignment(api_key()).encode() + b"\x00\xff\xfe"
    added = commit_file(repo, "data/cache.bin", payload, "binary")
    code, report, _ = run_history(capsys, str(repo))
    assert code == 1
    finding = only(report)
    assert (finding["commit"]["sha"], finding["path"], finding["line"]) == (added, "data/cache.bin", 1)


def test_key_in_a_commit_message_is_reported_with_the_line_in_the_message(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "a.txt", "a\n", "start")
    message = f"Configure the bot\n\nUse this for now:\n{assignment(api_key())}"
    sha = commit_file(repo, "b.txt", "b\n", message)
    code, report, _ = run_history(capsys, str(repo))
    assert code == 1
    finding = only(report)
    assert (finding["commit"]["sha"], finding["path"], finding["line"]) == (sha, "<commit message>", 4)
    assert finding["in_head"] is True


@pytest.mark.parametrize("where", ["branch", "tag", "stash", "older-stash", "notes", "remote"])
def test_every_ref_is_covered_by_default(
    repo: Path, capsys: pytest.CaptureFixture[str], where: str, tmp_path: Path
) -> None:
    commit_file(repo, "a.txt", "a\n", "start")
    key = api_key()
    expected_path = "secret.py"
    if where == "branch":
        git(repo, "checkout", "-q", "-b", "topic")
        commit_file(repo, "secret.py", assignment(key), "topic")
        git(repo, "checkout", "-q", "main")
    elif where == "tag":
        git(repo, "checkout", "-q", "--detach")
        commit_file(repo, "secret.py", assignment(key), "tagged only")
        git(repo, "tag", "v1")
        git(repo, "checkout", "-q", "main")
    elif where in ("stash", "older-stash"):
        (repo / "secret.py").write_text(assignment(key))
        git(repo, "add", "secret.py")
        git(repo, "stash", "-q")
        if where == "older-stash":
            (repo / "a.txt").write_text("newer stash\n")
            git(repo, "stash", "-q")
    elif where == "notes":
        git(repo, "notes", "add", "-m", assignment(key).strip(), "HEAD")
        expected_path = git(repo, "rev-parse", "HEAD").strip()  # git stores a note under its commit id
    elif where == "remote":
        clone = tmp_path / "clone"
        shutil.copytree(repo, clone)
        commit_file(clone, "secret.py", assignment(key), "pushed elsewhere")
        git(repo, "fetch", "-q", str(clone), "main:refs/remotes/origin/main")
    code, report, _ = run_history(capsys, str(repo))
    assert code == 1
    assert only(report)["path"] == expected_path
    code, report, _ = run_history(capsys, str(repo), "--branch", "main")
    assert code == 0 and report["findings"] == []


def _range_repo(repo: Path) -> tuple[str, str, str, str]:
    old_key, new_key = api_key(), api_key()
    first = commit_file(repo, "old.py", assignment(old_key), "old key")
    base = commit_file(repo, "a.txt", "a\n", "base")
    # In the range: an edit of the file holding the old key (not new) and a new key.
    commit_file(repo, "old.py", assignment(old_key) + "x = 1\n", "edit old")
    added = commit_file(repo, "new.py", "\n" + assignment(new_key), "new key")
    return first, base, added, new_key


def test_range_reports_only_secrets_introduced_in_the_range(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, base, added, _ = _range_repo(repo)
    code, report, _ = run_history(capsys, str(repo), "--range", f"{base}..HEAD")
    assert code == 1
    finding = only(report)
    assert (finding["commit"]["sha"], finding["path"], finding["line"]) == (added, "new.py", 2)
    assert report["stats"]["commits"] == 2


def test_since_commit_reports_only_later_secrets(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, base, added, _ = _range_repo(repo)
    code, report, _ = run_history(capsys, str(repo), "--since-commit", base)
    assert only(report)["commit"]["sha"] == added
    code, report, _ = run_history(capsys, str(repo), "--since-commit", added)
    assert code == 0 and report["findings"] == []
    code, report, _ = run_history(capsys, str(repo))
    assert sorted(f["commit"]["sha"] for f in report["findings"]) == sorted([first, added])


def test_from_env_scans_the_pushed_range(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base, added, _ = _range_repo(repo)
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", base)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "HEAD")
    code, report, _ = run_history(capsys, str(repo), "--from-env")
    assert code == 1 and only(report)["commit"]["sha"] == added


def test_from_env_all_zero_base_scans_what_no_remote_has(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base, added, _ = _range_repo(repo)
    git(repo, "update-ref", "refs/remotes/origin/main", base)
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "0" * 40)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", head(repo))
    code, report, _ = run_history(capsys, str(repo), "--from-env")
    assert code == 1 and only(report)["commit"]["sha"] == added


def test_shallow_clone_is_scanned_with_a_warning(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    commit_file(repo, "old.py", assignment(api_key()), "old")
    for index in range(3):
        commit_file(repo, "a.txt", f"{index}\n", f"filler {index}")
    added = commit_file(repo, "new.py", assignment(api_key()), "new")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{repo}", str(shallow))
    code, report, err = run_history(capsys, str(shallow))
    assert code == 1
    boundary = git(shallow, "rev-parse", "HEAD~1").strip()
    # What came before the cut is attributed to the oldest commit still there: it is all we can see.
    by_path = {finding["path"]: finding["commit"]["sha"] for finding in report["findings"]}
    assert by_path == {"new.py": added, "old.py": boundary}
    assert "shallow clone" in err
    assert report["stats"]["commits"] == 2


def test_bare_repository_is_scanned(repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    added = commit_file(repo, "k.py", assignment(api_key()), "add")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    code, report, _ = run_history(capsys, str(bare))
    assert code == 1
    finding = only(report)
    assert (finding["commit"]["sha"], finding["path"], finding["in_head"]) == (added, "k.py", True)


def test_missing_object_is_reported_and_the_rest_still_scanned(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "lost.txt", "this blob will go missing\n", "doomed")
    added = commit_file(repo, "k.py", assignment(api_key()), "add key")
    lost = git(repo, "rev-parse", "HEAD:lost.txt").strip()
    (repo / ".git" / "objects" / lost[:2] / lost[2:]).unlink()
    code, report, err = run_history(capsys, str(repo))
    assert code == 1
    assert only(report)["commit"]["sha"] == added
    assert any(lost[:12] in error["path"] for error in report["errors"])
    assert "Traceback" not in err


def test_corrupt_object_is_reported_and_the_rest_still_scanned(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "broken.txt", "this blob will be corrupted\n", "doomed")
    added = commit_file(repo, "k.py", assignment(api_key()), "add key")
    broken = git(repo, "rev-parse", "HEAD:broken.txt").strip()
    path = repo / ".git" / "objects" / broken[:2] / broken[2:]
    os.chmod(path, 0o644)
    path.write_bytes(b"x\x9c not zlib at all")
    code, report, err = run_history(capsys, str(repo), "--jobs", "1")
    assert code == 1
    assert only(report)["commit"]["sha"] == added
    assert report["errors"]
    assert "Traceback" not in err


def test_not_a_repository_exits_3_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = run_history(capsys, str(plain))
    assert code == 3
    assert "not a git repository" in err and "Traceback" not in err
    code, _, err = run_history(capsys, str(tmp_path / "absent"))
    assert code == 3 and "no such file" in err


def test_unknown_revision_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_file(repo, "a.txt", "a\n", "start")
    for args in (["--branch", "nope"], ["--range", "nope..HEAD"], ["--range", "HEAD"], ["--since-commit", "zz"]):
        code, _, err = run_history(capsys, str(repo), *args)
        assert code == 2, args
        assert "Traceback" not in err


def test_oversized_blob_is_skipped_with_a_warning_and_never_reported_clean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README, partial scans: what was not scanned is listed in `errors` and the exit code is 3, not 0.
    commit_file(repo, "big.py", "# padding\n" * 300 + assignment(api_key()), "big")
    code, report, err = run_history(capsys, str(repo), "--max-blob-size", "1k")
    assert code == 3 and report["findings"] == []
    assert "big.py" in err and "--max-blob-size" in err
    assert any("big.py" in error["path"] or "big.py" in error["message"] for error in report["errors"])
    (repo / ".binance-secrets.toml").write_text("max-file-size = 1024\n")
    code, report, _ = run_history(capsys, str(repo))
    assert code == 3 and report["findings"] == []
    code, report, _ = run_history(capsys, str(repo), "--max-blob-size", "1M")
    assert code == 1 and only(report)["path"] == "big.py"


def test_invalid_utf8_in_path_and_message(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = os.fsdecode(b"caf\xe9.py")
    (repo / name).write_text(assignment(api_key()))
    git(repo, "add", "--", name)
    env = git_env()
    env["LC_ALL"] = "C"
    import subprocess

    subprocess.run(
        ["git", "-c", "i18n.commitEncoding=latin-1", "commit", "-q", "--no-gpg-sign", "-F", "-"],
        cwd=repo, env=env, input=b"caf\xe9 key\n", check=True,
    )  # fmt: skip
    code, report, err = run_history(capsys, str(repo))
    assert code == 1
    finding = only(report)
    assert finding["path"] == "caf\\xe9.py"  # the name's own byte, as every report writes it (README)
    assert finding["commit"]["summary"].startswith("caf")
    assert "Traceback" not in err


def test_submodules_are_not_followed_and_that_is_said(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inner = init_repo(tmp_path / "inner")
    commit_file(inner, "inner.py", assignment(api_key()), "inner key")
    commit_file(repo, "a.txt", "a\n", "start")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "vendor/inner")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "add submodule")
    code, report, err = run_history(capsys, str(repo))
    assert code == 0 and report["findings"] == []
    assert "submodules are not followed" in err


def test_empty_repository_scans_nothing_and_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = run_history(capsys, str(repo))
    assert code == 0 and report["findings"] == []


def test_text_report_names_the_commit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = api_key()
    commit_file(repo, "k.py", assignment(key), "add key")
    code = main(["history", str(repo), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1 and "k.py" in out and key not in out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_keys_in_many_commit_messages_read_in_one_stream_keep_their_commit_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    # Messages are read in bulk from one `git log` stream: each finding must still name its own
    # commit and count lines from its own message, whatever came before it in the stream.
    expected = {}
    for number in range(6):
        padding = "\n".join(f"note {n}" for n in range(number))
        message = f"change {number}\n\n{padding}\n{assignment(api_key())}" if number % 2 else f"plain {number}"
        sha = commit_file(repo, f"f{number}.txt", f"{number}\n", message)
        if number % 2:
            expected[sha] = number + 3  # subject, blank line, `number` notes, then the key
    code, report, _ = run_history(capsys, str(repo), "--jobs", jobs)
    assert code == 1
    found = {f["commit"]["sha"]: f["line"] for f in report["findings"]}
    assert found == expected
    assert all(f["path"] == "<commit message>" and f["occurrences"] == 1 for f in report["findings"])
    assert report["stats"]["commits"] == 6
