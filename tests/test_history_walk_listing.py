"""A whole-history audit lists its blobs from the attribution's `git log --raw` walk (`WalkListing`).

README "Auditing git history": every blob reachable from the chosen commits is scanned once, each
finding is reported with the commit that first brought the secret to its path, missing objects are
reported and the rest is still scanned ("Partial scans are never reported clean"), and a blob over
--max-blob-size is skipped unread with a warning. Since issue #16 the listing of a whole history comes
from the walk the attribution reads anyway; these tests hold it to `rev-list --objects` (the listing it
replaces, run here as the oracle) on real repositories: merges (a blob only on a merged side branch,
one only in a merge's resolution, an evil merge, an octopus), renames, copies, deletions and
re-additions, symlinks, submodule gitlinks, annotated and nested tags, and a tag of a tree (for which
the old listing is used), and a damaged repository whose tree is gone.
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
from binance_secrets.sources import git_walk
from binance_secrets.sources.git_attribution import ChangeLog, attribute
from binance_secrets.sources.git_objects import ListedObject, ObjectListing, open_repository
from binance_secrets.sources.git_revisions import all_tips
from binance_secrets.sources.git_walk import WalkListing
from testing.gitrepo import GitRepo
from testing.keys import api_key


def _commit(repo: GitRepo, files: dict[str, str | None], message: str) -> str:
    for name, content in files.items():
        if content is None:
            repo.git("rm", "-q", "--", name)
        else:
            repo.write(name, content)
    repo.git("commit", "-q", "--no-gpg-sign", "--no-verify", "--allow-empty", "-m", message)
    return repo.git("rev-parse", "HEAD").strip()


def _assignment(key: str) -> str:
    return f'BINANCE_API_KEY = "{key}"\n'


def _listed(listing: WalkListing | ObjectListing) -> list[ListedObject]:
    try:
        return list(listing)
    finally:
        listing.close()


def _walked(listing: WalkListing) -> tuple[list[ChangeLog], list[ListedObject]]:
    """What the walk listed, and its change log taken before the listing is closed (or none)."""
    try:
        listed = list(listing)
        change_log = listing.take_change_log()
    finally:
        listing.close()
    return ([change_log] if change_log is not None else []), listed


def _kinds(listed: list[ListedObject]) -> set[tuple[str, str]]:
    return {(item.sha, item.type) for item in listed}


def _history(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """Every shape of history the walk must list as `rev-list --objects` does; (repo, named blobs)."""
    repo = GitRepo.create(tmp_path / "repo")
    named: dict[str, str] = {}
    _commit(repo, {"README.md": "start\n", "app/a.py": "a = 1\n"}, "start")
    _commit(repo, {"app/copy.py": "a = 1\n", "docs/b.md": "b\n"}, "a copy of a.py, and a doc")
    repo.git("mv", "docs/b.md", "docs/renamed.md")
    _commit(repo, {}, "a rename")
    os.symlink("app/a.py", repo.path / "link")
    repo.git("add", "link")
    # A submodule's commit (a gitlink) is not an object of this repository: neither listing names it.
    submodule_commit = repo.git("rev-parse", "HEAD").strip()
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{submodule_commit},vendor/sub")
    _commit(repo, {".gitmodules": '[submodule "sub"]\n\tpath = vendor/sub\n\turl = ./sub\n'}, "a symlink, a submodule")
    _commit(repo, {"gone.txt": "here for a while\n"}, "add gone")
    _commit(repo, {"gone.txt": None}, "remove gone")
    _commit(repo, {"gone.txt": "here for a while\n"}, "gone comes back")
    repo.git("checkout", "-q", "-b", "side")
    _commit(repo, {"side/only.txt": "only on the side branch, then removed\n"}, "side adds")
    named["side only"] = repo.git("rev-parse", "HEAD:side/only.txt").strip()
    _commit(repo, {"side/only.txt": None, "conflict.txt": "side version\n"}, "side removes, edits conflict")
    repo.git("checkout", "-q", "main")
    _commit(repo, {"conflict.txt": "main version\n"}, "main edits conflict")
    repo.git("merge", "-q", "--no-gpg-sign", "side", "-m", "merge", check=False)
    repo.write("conflict.txt", "the resolution, only in the merge\n")
    repo.write("evil.txt", "in no parent: an evil merge\n")
    repo.git("commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "merge side, resolved")
    named["resolution"] = repo.git("rev-parse", "HEAD:conflict.txt").strip()
    named["evil"] = repo.git("rev-parse", "HEAD:evil.txt").strip()
    for branch in ("octo1", "octo2"):
        repo.git("checkout", "-q", "-b", branch, "main~1")
        _commit(repo, {f"{branch}.txt": f"{branch}\n"}, branch)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-gpg-sign", "-m", "octopus", "octo1", "octo2")
    # A branch whose only blob lives nowhere else, and annotated tags: one of a commit, one of a tag.
    repo.git("checkout", "-q", "-b", "lonely", "main~3")
    _commit(repo, {"lonely.txt": "lonely\n"}, "lonely")
    repo.git("checkout", "-q", "main")
    repo.git("tag", "-a", "-m", "release", "v1", "main~2")
    repo.git("tag", "-a", "-m", "a tag of a tag", "v1-signed-off", "v1")
    return repo, named


def test_walk_lists_exactly_the_blobs_and_tags_rev_list_lists(tmp_path: Path) -> None:
    repo, named = _history(tmp_path)
    git_repo = open_repository(str(repo.path))
    tips = all_tips(git_repo)

    walk = WalkListing(git_repo, tips, whole=True)
    walked = _listed(walk)
    listed = _listed(ObjectListing(git_repo, tips))

    assert walk.walked and walk.error is None
    assert _kinds(walked) == _kinds(listed)
    assert len(walked) == len(_kinds(walked))  # each object once
    shas = {item.sha for item in walked}
    assert set(named.values()) <= shas
    tags = {item.sha for item in walked if item.type == "tag"}
    assert tags == set(repo.git("rev-parse", "v1", "v1-signed-off").split())  # the nested tag too
    sizes = {item.sha: item.size for item in listed}
    assert all(item.size == sizes[item.sha] for item in walked)


def test_walk_lists_the_same_whatever_the_repositorys_diff_and_log_config(tmp_path: Path) -> None:
    # A repository's config is the attacker's: none of it may hide a change from the walk.
    repo, _ = _history(tmp_path)
    for name, value in (
        ("diff.relative", "true"), ("diff.renames", "copies"), ("diff.ignoreSubmodules", "all"),
        ("log.showSignature", "true"), ("log.diffMerges", "separate"), ("diff.noprefix", "true"),
        ("core.quotePath", "true"), ("log.showRoot", "false"),
    ):  # fmt: skip
        repo.git("config", name, value)
    git_repo = open_repository(str(repo.path))
    tips = all_tips(git_repo)
    walk = WalkListing(git_repo, tips, whole=True)
    walked = _listed(walk)
    assert walk.walked
    assert _kinds(walked) == _kinds(_listed(ObjectListing(git_repo, tips)))


def test_walk_names_each_blob_after_a_path_that_holds_it(tmp_path: Path) -> None:
    repo, named = _history(tmp_path)
    git_repo = open_repository(str(repo.path))
    walked = _listed(WalkListing(git_repo, all_tips(git_repo), whole=True))
    by_sha = {item.sha: item.path for item in walked if item.type == "blob"}
    assert by_sha[named["side only"]] == "side/only.txt"
    assert by_sha[named["evil"]] == "evil.txt"
    assert by_sha[named["resolution"]] == "conflict.txt"
    assert by_sha[repo.git("rev-parse", "HEAD:link").strip()] == "link"
    assert ".gitmodules" in by_sha.values()


def test_tag_of_a_tree_or_a_blob_is_listed_by_rev_list(tmp_path: Path) -> None:
    # No commit's diff names a tree or a blob a tag points at: the old listing lists the whole audit.
    repo = GitRepo.create(tmp_path / "repo")
    _commit(repo, {"a.txt": "a\n"}, "start")
    blob = repo.run("git", "hash-object", "-w", "--stdin", stdin="only under a tag\n").stdout.strip()
    git_repo = open_repository(str(repo.path))
    for name, target in (("tree-tag", "HEAD^{tree}"), ("blob-tag", blob)):
        repo.git("tag", "-a", "-m", name, name, target)
        tips = all_tips(git_repo)
        walk = WalkListing(git_repo, tips, whole=True)
        change_logs, walked = _walked(walk)
        assert not walk.walked and change_logs == []
        assert _kinds(walked) == _kinds(_listed(ObjectListing(git_repo, tips)))
    assert (blob, "blob") in _kinds(walked)


def test_a_range_is_listed_by_rev_list(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    base = _commit(repo, {"a.txt": "a\n", "b.txt": "b\n"}, "start")
    head = _commit(repo, {"a.txt": "a2\n"}, "edit")
    git_repo = open_repository(str(repo.path))
    walk = WalkListing(git_repo, [head, "^" + base], whole=True)
    walked = _listed(walk)
    assert not walk.walked
    assert _kinds(walked) == _kinds(_listed(ObjectListing(git_repo, [head, "^" + base])))


def test_the_walks_change_log_attributes_as_the_attributions_own_walk(tmp_path: Path) -> None:
    repo, _ = _history(tmp_path)
    keys = [api_key() for _ in range(2)]
    repo.git("checkout", "-q", "-b", "keys", "side")
    _commit(repo, {"side/keys.py": _assignment(keys[0])}, "a key on a side branch")
    _commit(repo, {"side/copy.py": _assignment(keys[0]), "other.py": _assignment(keys[1])}, "a copy")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "--no-gpg-sign", "-m", "merge the keys", "keys")
    git_repo = open_repository(str(repo.path))
    tips = all_tips(git_repo)
    walk = WalkListing(git_repo, tips, whole=True)
    (change_log,), walked = _walked(walk)
    assert walk.walked
    blobs = {
        item.sha: frozenset(key for key in keys if key in repo.git("cat-file", "blob", item.sha))
        for item in walked
        if item.type == "blob"
    }
    blobs = {sha: secrets for sha, secrets in blobs.items() if secrets}
    assert len(blobs) == 2

    def secrets_of(sha: str, path: str) -> frozenset[str]:
        return frozenset(key for key in keys if key in repo.git("cat-file", "blob", sha))

    head = repo.git("rev-parse", "HEAD").strip()
    assert attribute(git_repo, tips, blobs, secrets_of, head, started=change_log) == attribute(
        git_repo, tips, blobs, secrets_of, head
    )


def _history_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["history", *args, "-f", "json", "--no-progress"])
    return code, json.loads(capsys.readouterr().out)


def test_a_key_on_a_merged_side_branch_is_attributed_to_the_side_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    _commit(repo, {"README.md": "start\n"}, "start")
    repo.git("checkout", "-q", "-b", "side")
    key = api_key()
    added = _commit(repo, {"side/config.py": _assignment(key)}, "a key on the side")
    _commit(repo, {"side/config.py": _assignment(key) + "x = 1\n"}, "an edit")
    repo.git("checkout", "-q", "main")
    _commit(repo, {"main.txt": "main\n"}, "main moves on")
    repo.git("merge", "-q", "--no-ff", "--no-gpg-sign", "-m", "merge", "side")
    for jobs in ("1", "2"):
        code, report = _history_json(capsys, str(repo.path), "--jobs", jobs)
        assert code == 1
        assert [(f["path"], f["commit"]["sha"], f["occurrences"], f["in_head"]) for f in report["findings"]] == [
            ("side/config.py", added, 3, True)
        ]
        assert report["errors"] == []


def _delete_object(repo: GitRepo, sha: str) -> None:
    path = repo.path / ".git" / "objects" / sha[:2] / sha[2:]
    os.chmod(path, stat.S_IWUSR | stat.S_IRUSR)
    path.unlink()


def _damaged(tmp_path: Path) -> tuple[GitRepo, str, list[str]]:
    """A loose-object repository whose old root tree is gone: `git log` stops there. (repo, tree, keys)"""
    repo = GitRepo.create(tmp_path / "repo")
    keys = [api_key() for _ in range(3)]
    _commit(repo, {"r.md": "readme\n", "old.py": _assignment(keys[0])}, "init")
    _commit(repo, {"k.py": _assignment(keys[1])}, "add a key")
    _commit(repo, {"k.py": _assignment(keys[1]) + "x = 1\n"}, "edit it")
    _commit(repo, {"new.py": _assignment(keys[2])}, "a newer key")
    tree = repo.git("rev-parse", "HEAD~2^{tree}").strip()
    _delete_object(repo, tree)
    return repo, tree, keys


def test_walk_stopped_by_a_missing_tree_leaves_the_rest_to_rev_list_listing_nothing_twice(tmp_path: Path) -> None:
    repo, tree, _ = _damaged(tmp_path)
    git_repo = open_repository(str(repo.path))
    tips = all_tips(git_repo)
    walk = WalkListing(git_repo, tips, whole=True)
    (change_log,), walked = _walked(walk)
    listed = _listed(ObjectListing(git_repo, tips))

    assert not walk.walked
    assert _kinds(walked) == _kinds(listed)
    assert (tree, "missing") in _kinds(walked)
    assert len(walked) == len(_kinds(walked))
    assert walk._processes == []
    # What the walk read before git stopped still counts for the attribution, with git's complaint.
    warnings: list[str] = []
    newest = repo.git("rev-parse", "HEAD:new.py").strip()
    try:
        changes = change_log.changes([newest], warnings)
    finally:
        change_log.close()
    assert changes == {repo.git("rev-parse", "HEAD").strip(): [("new.py", newest)]}
    assert len(warnings) == 1 and warnings[0].startswith("git log failed") and tree[:7] in warnings[0]


def test_walk_whose_cat_file_dies_leaves_every_blob_it_did_not_list_to_rev_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `cat-file` killed part way (as by the OOM killer), with blobs the walk has seen but not yet
    # listed: each is listed once, by the walk or by `rev-list`, none lost, none twice.
    repo, _ = _history(tmp_path)
    monkeypatch.setattr(git_walk, "CHECK_CHUNK", 3)  # many round trips on a small history
    git_repo = open_repository(str(repo.path))
    tips = all_tips(git_repo)
    walk = WalkListing(git_repo, tips, whole=True)
    iterator = iter(walk)
    walked = [next(iterator) for _ in range(4)]  # two tags, then two blobs of a chunk of three
    check = walk._processes[1]
    check.kill()
    check.wait()
    walked += list(iterator)
    walk.close()
    assert not walk.walked and walk._processes == []
    assert len(walked) == len(_kinds(walked))
    assert _kinds(walked) == _kinds(_listed(ObjectListing(git_repo, tips)))


def test_damaged_repository_reports_the_missing_tree_once_and_every_key_it_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README "Partial scans are never reported clean": the missing tree is an error entry, the rest
    # (the keys before and after it) is still scanned and reported.
    repo, tree, _ = _damaged(tmp_path)
    for jobs in ("1", "2"):
        code, report = _history_json(capsys, str(repo.path), "--jobs", jobs)
        assert code == 1
        assert sorted(finding["path"] for finding in report["findings"]) == ["k.py", "new.py", "old.py"]
        missing = [error for error in report["errors"] if error["path"] == f"object {tree[:12]}"]
        assert len(missing) == 1


def test_missing_blob_is_listed_missing_by_the_walk_and_reported_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `git log --raw` never reads a blob: the walk goes through and `cat-file` says which one is gone.
    repo = GitRepo.create(tmp_path / "repo")
    _commit(repo, {"lost.txt": "this blob will be lost\n"}, "a blob to lose")
    _commit(repo, {"k.py": _assignment(api_key())}, "a key")
    lost = repo.git("rev-parse", "HEAD:lost.txt").strip()
    _delete_object(repo, lost)
    git_repo = open_repository(str(repo.path))
    walk = WalkListing(git_repo, all_tips(git_repo), whole=True)
    walked = _listed(walk)
    assert walk.walked and (lost, "missing") in _kinds(walked)
    assert _kinds(walked) == _kinds(_listed(ObjectListing(git_repo, all_tips(git_repo))))
    code, report = _history_json(capsys, str(repo.path))
    assert code == 1 and [finding["path"] for finding in report["findings"]] == ["k.py"]
    assert [error["path"] for error in report["errors"]] == [f"object {lost[:12]}"]


def test_oversized_blob_from_the_walk_is_skipped_unread_with_its_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # README: blobs over --max-blob-size are skipped with a warning, never read.
    repo = GitRepo.create(tmp_path / "repo")
    _commit(repo, {"big.py": "x = 1\n" * 400 + _assignment(api_key())}, "a big file")
    _commit(repo, {"small.py": "y = 2\n"}, "a small one")
    code, report = _history_json(capsys, str(repo.path), "--max-blob-size", "1k")
    assert code == 3 and report["findings"] == []
    assert [error["path"] for error in report["errors"]] == ["big.py"]
    assert "--max-blob-size" in report["errors"][0]["message"]


def test_abandoned_walk_leaves_no_git_behind(tmp_path: Path) -> None:
    repo, _ = _history(tmp_path)
    git_repo = open_repository(str(repo.path))
    walk = WalkListing(git_repo, all_tips(git_repo), whole=True)
    iterator = iter(walk)
    assert [next(iterator).type for _ in range(3)] == ["tag", "tag", "blob"]  # the tags come first
    processes = list(walk._processes)
    assert processes
    walk.close()
    assert all(process.returncode is not None for process in processes)
    assert walk._processes == []


def _long_history(path: Path, commits: int) -> Path:
    """`commits` one-line commits through `git fast-import`: git's output outgrows any pipe."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = []
    for number in range(1, commits + 1):
        content = b"value = %d\n" % number
        stream.append(b"commit refs/heads/main\ncommitter T <t@example.invalid> %d +0000\n" % (1_600_000_000 + number))
        stream.append(b"data 1\nc\nM 100644 inline f%d.txt\ndata %d\n%s\n" % (number % 50, len(content), content))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)
    return path


def _environment_of(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        return handle.read().split(b"\0")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads a process's environment in /proc")
def test_walk_and_messages_read_git_output_in_full_buffers_whatever_the_users_git_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue #16: into a pipe, `git log` flushes after every commit unless `GIT_FLUSH=0`; the streams read
    # to their end (the walk, the messages) ask for full buffers. Each git is looked at while it runs:
    # 20,000 commits of output fill its pipe, so it waits there for the reader.
    from binance_secrets.git.process import stop_process
    from binance_secrets.sources.git_scan import start_messages

    monkeypatch.setenv("GIT_FLUSH", "1")
    git_repo = open_repository(str(_long_history(tmp_path / "long", 20_000)))
    tips = all_tips(git_repo)
    walk = WalkListing(git_repo, tips, whole=True)
    listed = iter(walk)
    try:
        next(listed)
        log = walk._processes[0]
        assert log.poll() is None
        assert b"GIT_FLUSH=0" in _environment_of(log.pid)
    finally:
        walk.close()
    messages = start_messages(git_repo, tips, wide=False)
    try:
        assert messages.poll() is None
        assert b"GIT_FLUSH=0" in _environment_of(messages.pid)
    finally:
        stop_process(messages)
