"""A history audit that could not read what it was asked to is never reported clean.

README, "Partial scans are never reported clean" and "Auditing git history": a missing or corrupt
object, a blob a partial clone never fetched, a dangling ref, a lost commit and the history behind a
shallow clone's cut are each an entry in `errors`; the rest is still scanned, findings already made
are kept; exit 1 with findings, 3 without, never 0. And the audit never touches the network.
Real git repositories (and a real blobless clone over file://) built at test time.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from testing.gitrepo import commit_file, git, init_repo
from testing.keys import api_key

pytestmark = pytest.mark.slow


def assignment(key: str) -> str:
    return f'BINANCE_API_KEY = "{key}"\n'


def history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["history", *args, "-f", "json", "--no-progress"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def text_history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["history", *args, "--no-progress"])
    return code, capsys.readouterr().out


def messages(report: dict[str, Any]) -> str:
    return "\n".join(f"{error['path']}: {error['message']}" for error in report["errors"])


def delete_object(repo: Path, sha: str) -> None:
    path = repo / ".git" / "objects" / sha[:2] / sha[2:]
    os.chmod(path, stat.S_IWUSR | stat.S_IRUSR)
    path.unlink()


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


# --- partial clones ------------------------------------------------------------------------------


@pytest.fixture()
def blobless(tmp_path: Path) -> dict[str, Any]:
    """A blobless clone of a local bare repository, through an upload-pack that logs each run.

    History: r.md; old.py with key A (c2); old.py removed (c3); k.py with key B (c4); k.py edited,
    key B kept (c5). The clone checks out HEAD, so it holds the blobs of c5 and no others.
    """
    source = init_repo(tmp_path / "source")
    key_a, key_b = api_key(), api_key()
    shas = [commit_file(source, "r.md", "readme\n", "c1")]
    shas.append(commit_file(source, "old.py", assignment(key_a), "c2"))
    git(source, "rm", "-q", "old.py")
    git(source, "commit", "-q", "--no-gpg-sign", "-m", "c3")
    shas.append(git(source, "rev-parse", "HEAD").strip())
    shas.append(commit_file(source, "k.py", assignment(key_b), "c4"))
    shas.append(commit_file(source, "k.py", assignment(key_b) + "DEBUG = 1\n", "c5"))
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(origin))
    git(origin, "config", "uploadpack.allowFilter", "true")
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    log = tmp_path / "upload-pack.log"
    wrapper = tmp_path / "logging-upload-pack"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec git-upload-pack "$@"\n')
    wrapper.chmod(0o755)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"--upload-pack={wrapper}", f"file://{origin}", str(clone))
    # Every later fetch from this remote (a lazy fetch included) goes through the logging wrapper.
    git(clone, "config", "remote.origin.uploadpack", str(wrapper))
    log.unlink(missing_ok=True)
    missing = git(clone, "rev-list", "--objects", "--missing=print", "--all").split()
    return {
        "clone": clone,
        "log": log,
        "shas": shas,
        "missing": [line[1:] for line in missing if line.startswith("?")],
    }


def fetches(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_partial_clone_is_never_fetched_from_and_unfetched_blobs_are_never_reported_clean(
    blobless: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    clone, log, shas = blobless["clone"], blobless["log"], blobless["shas"]
    assert len(blobless["missing"]) == 2  # key A's old.py and the first k.py

    # Key B in a fetched blob, the base's version of k.py never fetched. git would fetch that blob
    # (over the network, in CI) and call the range clean; we fetch nothing, report B and say why.
    code, report, err = history(capsys, str(clone), "--range", f"{shas[3]}..HEAD")
    assert fetches(log) == 0
    assert code == 1, err
    assert [finding["path"] for finding in report["findings"]] == ["k.py"]
    assert "partial clone" in messages(report)

    # Only the commits that added and removed key A: every blob they hold was never fetched.
    code, report, err = history(capsys, str(clone), "--range", f"{shas[0]}..{shas[2]}")
    assert code == 3 and report["findings"] == []
    assert "partial clone" in messages(report)
    code, out = text_history(capsys, str(clone), "--range", f"{shas[0]}..{shas[2]}")
    assert code == 3 and "No Binance credentials found" not in out and "Scan incomplete" in out

    # A full audit, both worker modes: key B found, the two unfetched blobs listed.
    for jobs in ("1", "2"):
        code, report, err = history(capsys, str(clone), "--jobs", jobs)
        assert code == 1
        assert {finding["path"] for finding in report["findings"]} == {"k.py"}
        for sha in blobless["missing"]:
            assert sha[:12] in messages(report)
        assert "Traceback" not in err

    assert fetches(log) == 0
    # The logging upload-pack does see a lazy fetch: git itself makes one on a plain read.
    git(clone, "cat-file", "-p", blobless["missing"][0])
    assert fetches(log) == 1


def test_partial_clone_range_looks_up_hostile_file_names_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # In a partial clone the base side of a range is listed with `git ls-tree PATH...`: each name is
    # a file, never pathspec magic or an option, so each never-fetched base blob is named.
    source = init_repo(tmp_path / "source")
    names = [":(exclude)k.py", "--", "-x", "*"]
    commit_file(source, "r.md", "readme\n", "c1")
    keys = {name: api_key() for name in names}
    for name in names:
        (source / name).write_text(assignment(keys[name]))
    git(source, "--literal-pathspecs", "add", "--", *names)
    git(source, "commit", "-q", "--no-gpg-sign", "-m", "c2")
    for name in names:
        (source / name).write_text(assignment(keys[name]) + "edited = 1\n")
    git(source, "commit", "-q", "--no-gpg-sign", "-a", "-m", "c3")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(origin))
    git(origin, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{origin}", str(clone))
    code, report, err = history(capsys, str(clone), "--range", "HEAD~1..HEAD")
    assert code == 1, err
    assert sorted(finding["path"] for finding in report["findings"]) == sorted(names)
    unfetched = [error["message"] for error in report["errors"] if "partial clone" in error["message"]]
    for name in names:
        assert sum(f"({name} in commit" in message for message in unfetched) == 1, name


def test_partial_clone_missing_blobs_are_counted_beyond_the_first_hundred(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every unfetched blob is unscanned; past a hundred they are counted in one entry, not dropped.
    source = init_repo(tmp_path / "source")
    stream = []
    for number in range(130):
        content = f"version {number}\n".encode()
        stream.append(b"commit refs/heads/main\ncommitter T <t@example.invalid> %d +0000\n" % (1_600_000_000 + number))
        stream.append(b"data 2\nc\nM 100644 inline f.txt\ndata %d\n%s\n" % (len(content), content))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=source, input=b"".join(stream), check=True)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(origin))
    git(origin, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{origin}", str(clone))
    code, report, _ = history(capsys, str(clone))
    assert code == 3
    entries = [error for error in report["errors"] if error["path"].startswith("object ")]
    assert len(entries) == 100
    assert any(error["message"].startswith("29 more objects") for error in report["errors"])


# --- missing objects and commits, dangling refs ----------------------------------------------------


def test_deleted_old_tree_keeps_the_findings_already_made_and_reports_the_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "r.md", "readme\n", "init")
    key = api_key()
    commit_file(repo, "k.py", assignment(key), "add key")
    commit_file(repo, "k.py", assignment(key) + "x = 1\n", "edit")
    commit_file(repo, "a.txt", "a\n", "unrelated")
    tree = git(repo, "rev-parse", "HEAD~2^{tree}").strip()
    delete_object(repo, tree)
    for jobs in ("1", "2"):
        code, report, err = history(capsys, str(repo), "--jobs", jobs)
        assert code == 1, err
        assert [finding["path"] for finding in report["findings"]] == ["k.py"]
        assert f"object {tree[:12]}" in messages(report)
        assert "Traceback" not in err


def test_deleted_tree_hiding_the_only_key_is_an_incomplete_scan_not_a_clean_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "r.md", "readme\n", "init")
    commit_file(repo, "secret/k.py", assignment(api_key()), "add key")
    git(repo, "rm", "-q", "-r", "secret")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "remove key")
    tree = git(repo, "rev-parse", "HEAD~1:secret").strip()
    delete_object(repo, tree)
    code, report, _ = history(capsys, str(repo))
    assert code == 3 and report["findings"] == []
    assert f"object {tree[:12]}" in messages(report)
    code, out = text_history(capsys, str(repo))
    assert code == 3 and "No Binance credentials found" not in out


def test_dangling_ref_is_reported_and_every_other_ref_still_scanned(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: "Missing or corrupt objects are reported and the rest is still scanned."
    added = commit_file(repo, "k.py", assignment(api_key()), "add key")
    (repo / ".git" / "refs" / "heads" / "broken").write_text("0123456789abcdef0123456789abcdef01234567\n")
    code, report, err = history(capsys, str(repo))
    assert code == 1, err
    assert [finding["commit"]["sha"] for finding in report["findings"]] == [added]
    assert "refs/heads/broken" in messages(report)
    # Nothing found in the rest: the dangling ref alone makes the audit incomplete (3), not clean.
    commit_file(repo, "k.py", "clean\n", "remove key")
    code, report, _ = history(capsys, str(repo), "--since-commit", "HEAD~1")
    assert code == 3 and report["findings"] == []
    assert "refs/heads/broken" in messages(report)
    # A range that does not involve the dangling ref is complete.
    code, report, _ = history(capsys, str(repo), "--branch", "main", "--since-commit", "HEAD~1")
    assert code == 0 and report["errors"] == []


@pytest.mark.parametrize("nested", [False, True])
def test_tag_of_a_lost_commit_is_reported_and_every_other_ref_still_scanned(
    repo: Path, capsys: pytest.CaptureFixture[str], nested: bool
) -> None:
    # Only tags are peeled when the refs are checked (`present_revisions`): a tag that is there but
    # leads to a commit that is not, directly or through another tag, must still be found out.
    added = commit_file(repo, "k.py", assignment(api_key()), "add key")
    git(repo, "checkout", "-q", "--orphan", "gone")
    lost = commit_file(repo, "g.txt", "gone\n", "only the tag leads here")
    git(repo, "tag", "-a", "-m", "release", "v1", lost)
    if nested:
        git(repo, "tag", "-a", "-m", "release of the release", "v1-signed", "v1")
        git(repo, "tag", "-d", "v1")
    git(repo, "checkout", "-q", "main")
    git(repo, "branch", "-D", "gone")
    delete_object(repo, lost)
    code, report, err = history(capsys, str(repo))
    assert code == 1, err
    assert [finding["commit"]["sha"] for finding in report["findings"]] == [added]
    assert ("refs/tags/v1-signed" if nested else "refs/tags/v1") in messages(report)
    assert "which is missing from the repository" in messages(report)


def test_missing_commit_is_reported_and_the_history_around_it_still_scanned(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "r.md", "readme\n", "init")
    lost = commit_file(repo, "a.txt", "a\n", "will be lost")
    git(repo, "checkout", "-q", "-b", "side")
    side = commit_file(repo, "side.py", assignment(api_key()), "side key")
    git(repo, "checkout", "-q", "main")
    kept = commit_file(repo, "main.py", assignment(api_key()), "main key")
    delete_object(repo, lost)
    for jobs in ("1", "2"):
        code, report, err = history(capsys, str(repo), "--jobs", jobs)
        assert code == 1, err
        by_path = {finding["path"]: finding["commit"]["sha"] for finding in report["findings"]}
        assert by_path == {"side.py": side, "main.py": kept}
        assert f"commit {lost[:12]}" in messages(report)
        assert "Traceback" not in err


# --- shallow clones ------------------------------------------------------------------------------


@pytest.fixture()
def shallow(repo: Path, tmp_path: Path) -> dict[str, Any]:
    """A depth-3 clone of: an old key (removed again), fillers, then three clean commits."""
    commit_file(repo, "old.py", assignment(api_key()), "old key")
    commit_file(repo, "old.py", "clean\n", "old key removed")
    for number in range(3):
        commit_file(repo, "a.txt", f"{number}\n", f"filler {number}")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "3", f"file://{repo}", str(clone))
    return {"clone": clone}


def test_full_audit_of_a_shallow_clone_is_incomplete_not_clean(
    shallow: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # The history the user asked for goes past the cut: the key before it was never scanned.
    code, report, err = history(capsys, str(shallow["clone"]))
    assert code == 3 and report["findings"] == []
    assert "shallow clone" in err and "shallow clone" in messages(report)
    code, report, _ = history(capsys, str(shallow["clone"]), "--branch", "main")
    assert code == 3


def test_range_of_a_shallow_clone_whose_commits_are_all_present_is_complete(
    shallow: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = shallow["clone"]
    code, report, err = history(capsys, str(clone), "--range", "HEAD~2..HEAD")
    assert code == 0, err
    assert report["errors"] == []
    code, report, _ = history(capsys, str(clone), "--since-commit", "HEAD~1")
    assert code == 0 and report["errors"] == []
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", git(clone, "rev-parse", "HEAD~2").strip())
    monkeypatch.setenv("PRE_COMMIT_TO_REF", git(clone, "rev-parse", "HEAD").strip())
    code, report, _ = history(capsys, str(clone), "--from-env")
    assert code == 0 and report["errors"] == []


def test_from_env_new_branch_on_a_shallow_clone_is_complete_when_the_remote_has_the_rest(
    shallow: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new branch pushed from a shallow CI checkout: what no remote-tracking ref has is all there.
    clone = shallow["clone"]
    git(clone, "checkout", "-q", "-b", "feature")
    added = commit_file(clone, "new.py", assignment(api_key()), "new key")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", "0" * 40)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", added)
    code, report, err = history(capsys, str(clone), "--from-env")
    assert code == 1, err
    assert [finding["commit"]["sha"] for finding in report["findings"]] == [added]
    assert report["errors"] == []
