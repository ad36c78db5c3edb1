"""`history --cache` on refs that only moved forward: only the new commits' objects are listed and scanned.

README "Incremental audits (`--cache`)": a re-audit reports exactly what a full audit reports (findings,
first commits, `in_head`, `occurrences`, error entries, stats); after new commits it lists only what they
add, and lists the whole history again when refs did not only move forward (a deleted branch, a
force-push). Every test here compares the cached re-audit's JSON report with a cache-less audit's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from binance_secrets.filters import FindingFilter
from binance_secrets.paths import PathFilter
from binance_secrets.sources.git_objects import open_repository
from binance_secrets.sources.git_revisions import all_tips, parse_range
from binance_secrets.sources.history import HistoryRequest, Progress, audit_history
from binance_secrets.sources.history_cache import load, rules_digest
from testing.gitrepo import GitRepo
from testing.keys import api_key, secret_key

pytestmark = pytest.mark.slow

KEY_TEXT = "test-cache-signing-key-increment-0123456789"


@pytest.fixture(autouse=True)
def _cache_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BINANCE_SECRETS_CACHE_KEY", KEY_TEXT)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


class History:
    """A repository whose commits are a minute apart (git orders its walk by commit date: a test that
    means to take the incremental path must not depend on how git breaks ties)."""

    def __init__(self, path: Path) -> None:
        self.repo = GitRepo.create(path)
        self.path = path
        self.clock = 1_700_000_000

    def git(self, *args: str) -> str:
        return self.repo.git(*args)

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        """Writes (None: removes) `files`, commits them all; the new commit's id."""
        for name, content in files.items():
            if content is None:
                self.git("rm", "-q", "--", name)
            else:
                self.repo.write(name, content)
        self.clock += 60
        stamp = f"@{self.clock} +0000"
        env = {**self.repo.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "--no-gpg-sign", "--no-verify", "-m", message],
            cwd=self.path, env=env, check=True, capture_output=True,
        )  # fmt: skip
        return self.git("rev-parse", "HEAD").strip()

    def tag(self, name: str, target: str, message: str) -> None:
        self.clock += 60
        stamp = f"@{self.clock} +0000"
        env = {**self.repo.env, "GIT_COMMITTER_DATE": stamp}
        subprocess.run(
            ["git", "tag", "-a", "--no-sign", "-m", message, name, target],
            cwd=self.path, env=env, check=True, capture_output=True,
        )  # fmt: skip


def assignment(name: str, value: str) -> str:
    return f'{name} = "{value}"\n'


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["history", *args, "-f", "json", "--no-progress"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out)


def normalized(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its timing: everything else, the order of findings and error entries too."""
    report = json.loads(json.dumps(report))
    report["stats"].pop("seconds", None)
    return report


def assert_same_as_full(
    capsys: pytest.CaptureFixture[str], history: History, cache: Path, *options: str
) -> dict[str, Any]:
    """The cached re-audit's report is the cache-less audit's; the cached one is returned."""
    code, cached = audit(capsys, str(history.path), "--cache", str(cache), *options)
    full_code, full = audit(capsys, str(history.path), *options)
    assert normalized(cached) == normalized(full)
    assert code == full_code
    return cached


def listed_objects(history: History, cache: Path, *, max_blob_bytes: int = 20 * 1024 * 1024) -> int:
    """How many objects a cached audit of every ref listed (the audit itself, through its progress)."""
    repository = open_repository(str(history.path))
    request = HistoryRequest(tuple(all_tips(repository)), max_blob_bytes=max_blob_bytes, cache=str(cache))
    seen: list[Progress] = []
    audit_history(repository, request, FindingFilter(), PathFilter(), seen.append)
    return seen[-1].listed_objects if seen else 0


def first_audit(capsys: pytest.CaptureFixture[str], history: History, cache: Path, *options: str) -> None:
    audit(capsys, str(history.path), "--cache", str(cache), *options)
    assert cache.is_file()


@pytest.fixture()
def history(tmp_path: Path) -> History:
    repo = History(tmp_path / "repo")
    repo.commit({"README.md": "hello\n", "src/app.py": "print('app')\n"}, "start")
    repo.commit({"src/util.py": "def f():\n    return 1\n"}, "util")
    repo.commit({"README.md": "hello again\n"}, "docs")
    return repo


def test_one_new_commit_with_nothing_lists_only_its_new_blob(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.commit({"src/util.py": "def f():\n    return 2\n"}, "util 2")
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)
    report = assert_same_as_full(capsys, history, cache)
    assert report["findings"] == [] and report["stats"]["commits"] == 4
    assert listed_objects(history, kept) == 1  # the one new blob: nothing of the old history


def test_new_commit_adding_a_key_is_reported_as_a_full_audit_reports_it(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    added = history.commit({"deploy/keys.py": assignment("BINANCE_API_KEY", api_key())}, "deploy keys")
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)
    report = assert_same_as_full(capsys, history, cache)
    assert [(f["path"], f["commit"]["sha"], f["in_head"]) for f in report["findings"]] == [
        ("deploy/keys.py", added, True)
    ]
    assert listed_objects(history, kept) == 1


def test_old_key_copied_to_a_new_path_is_reported_at_both_paths(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = assignment("BINANCE_API_KEY", api_key()) + assignment("BINANCE_API_SECRET", secret_key())
    introduced = history.commit({"app/config.py": pair}, "config")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    # A full audit now scans the blob under the copy's path (the newest change bringing it): listed again.
    copied = history.commit({"zz/config_copy.py": pair}, "copy after")
    report = assert_same_as_full(capsys, history, cache)
    commits = {(f["path"], f["commit"]["sha"], f["occurrences"]) for f in report["findings"]}
    assert commits == {("app/config.py", introduced, 2), ("zz/config_copy.py", copied, 1)}
    # And once more, at a path sorting before the original one.
    history.commit({"a/config_copy.py": pair}, "copy before")
    assert_same_as_full(capsys, history, cache)


def test_removed_key_brought_back_is_reported_as_a_full_audit_reports_it(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = assignment("BINANCE_API_KEY", api_key())
    history.commit({"settings.py": key_file}, "key")
    history.commit({"settings.py": None}, "remove key")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.commit({"settings.py": key_file}, "revert: bring the key back")
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)
    report = assert_same_as_full(capsys, history, cache)
    assert [(f["in_head"], f["occurrences"]) for f in report["findings"]] == [(True, 2)]
    assert listed_objects(history, kept) == 0  # the blob is an old one, at its old path


def test_new_branch_and_merge_match_a_full_audit(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    base = history.git("rev-parse", "HEAD~1").strip()
    history.git("checkout", "-q", "-b", "feature", base)
    history.commit({"feature/keys.py": assignment("BINANCE_API_KEY", api_key())}, "feature key")
    history.commit({"feature/more.txt": "more\n"}, "feature more")
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)
    assert_same_as_full(capsys, history, cache)
    assert listed_objects(history, kept) == 2
    history.git("checkout", "-q", "main")
    history.commit({"src/main_only.py": "x = 1\n"}, "main moves on")
    history.clock += 60
    stamp = f"@{history.clock} +0000"
    env = {**history.repo.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(["git", "merge", "-q", "--no-ff", "--no-edit", "feature"], cwd=history.path, env=env, check=True)
    report = assert_same_as_full(capsys, history, cache)
    assert [(f["path"], f["in_head"]) for f in report["findings"]] == [("feature/keys.py", True)]


def test_new_annotated_tag_on_an_old_commit_is_scanned(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.tag("v1.0", "HEAD~2", f"release with binance api key {api_key()}")
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)
    report = assert_same_as_full(capsys, history, cache)
    assert [f["path"] for f in report["findings"]] == ["<tag message>"]
    assert listed_objects(history, kept) == 1  # the tag only


def test_commit_messages_old_and_new_are_reported(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history.commit({"a.txt": "a\n"}, f"rotate binance api key {api_key()}")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.commit({"b.txt": "b\n"}, f"and again: binance secret {secret_key()}")
    report = assert_same_as_full(capsys, history, cache)
    assert sorted(f["path"] for f in report["findings"]) == ["<commit message>", "<commit message>"]


def test_deleted_branch_lists_the_whole_history_again(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history.git("checkout", "-q", "-b", "experiment")
    history.commit({"experiment/keys.py": assignment("BINANCE_API_KEY", api_key())}, "experiment key")
    history.git("checkout", "-q", "main")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.git("branch", "-q", "-D", "experiment")
    history.commit({"src/next.py": "y = 2\n"}, "next")
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)
    report = assert_same_as_full(capsys, history, cache)
    assert report["findings"] == []  # the key's commit is no longer in any ref
    assert listed_objects(history, kept) > 1  # the whole history listed again


def test_force_push_lists_the_whole_history_again(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history.commit({"leak.py": assignment("BINANCE_API_KEY", api_key())}, "leak")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.git("reset", "-q", "--hard", "HEAD~1")
    history.git("reflog", "expire", "--expire=now", "--all")
    history.commit({"fixed.py": "KEY = None\n"}, "rewritten")
    report = assert_same_as_full(capsys, history, cache)
    assert report["findings"] == []


def test_blob_over_the_size_limit_in_a_new_commit(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history.commit({"old-big.bin": "o" * 3000}, "old big")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache, "--max-blob-size", "1k")
    history.commit({"new-big.bin": "n" * 3000, "small.txt": "small\n"}, "new big")
    report = assert_same_as_full(capsys, history, cache, "--max-blob-size", "1k")
    assert sorted(error["path"] for error in report["errors"]) == ["new-big.bin", "old-big.bin"]
    # The limit is part of the listing: another limit lists everything again, and matches too.
    assert_same_as_full(capsys, history, cache, "--max-blob-size", "2k")


def test_missing_object_in_a_new_commit_is_reported(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.commit({"lost.txt": "soon missing\n"}, "lost")
    blob = history.git("rev-parse", "HEAD:lost.txt").strip()
    (history.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    report = assert_same_as_full(capsys, history, cache)
    assert any("missing" in error["message"] for error in report["errors"])


def test_old_blob_a_new_commit_copies_is_scanned_under_the_new_path(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full audit scans a blob under the path of the newest change that brings it (`git_walk`): a bare
    key is `low` in `notes/readme.txt` and `high` in `binance/api_key.txt`. A new commit copying the old
    blob to the second path makes a full audit scan it there: the report must follow (the whole history
    is listed again)."""
    body = api_key() + "\n"
    history.commit({"notes/readme.txt": body}, "a bare key in notes")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache, "--min-confidence", "low")
    history.commit({"binance/api_key.txt": body}, "the same blob where it is high")
    report = assert_same_as_full(capsys, history, cache, "--min-confidence", "low")
    assert {f["confidence"] for f in report["findings"]} == {"high"}


def test_tag_of_a_blob_lists_the_whole_history(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    blob = history.git("rev-parse", "HEAD:README.md").strip()
    history.git("tag", "-a", "--no-sign", "-m", "a blob", "blob-tag", blob)
    history.commit({"x.txt": "x\n"}, "x")
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)
    assert_same_as_full(capsys, history, cache)
    assert listed_objects(history, kept) > 2


def test_successive_increments_keep_the_cache_a_full_audit_would_write(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each re-audit builds on the record the previous one wrote: after three, the cache's blobs (with
    the path each was scanned under) and its listing record are those of one full audit."""
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    for number in range(3):
        history.commit({f"pkg/m{number}.py": f"V = {number}\n", "README.md": f"v{number}\n"}, f"step {number}")
        if number == 1:
            history.commit({"pkg/keys.py": assignment("BINANCE_API_KEY", api_key())}, "a key")
        kept = tmp_path / f"kept{number}.cache"
        shutil.copy(cache, kept)
        assert_same_as_full(capsys, history, cache)
        assert listed_objects(history, kept) == 2 + (number == 1)
    fresh = tmp_path / "fresh.cache"
    first_audit(capsys, history, fresh)
    signing = KEY_TEXT.encode()
    incremental, full = load(str(cache), signing, rules_digest()), load(str(fresh), signing, rules_digest())
    assert incremental is not None and full is not None
    assert incremental.blobs == full.blobs
    assert incremental.blob_listing == full.blob_listing
    assert incremental.listings[incremental.blob_listing] == full.listings[full.blob_listing]


def test_range_audit_never_builds_on_a_listing(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    base = history.git("rev-parse", "HEAD").strip()
    history.commit({"later.txt": "later\n"}, "later")
    history.commit({"key.py": assignment("BINANCE_API_KEY", api_key())}, "key")
    assert_same_as_full(capsys, history, cache, "--range", f"{base}..main")
    repository = open_repository(str(history.path))
    revisions = tuple(parse_range(repository, f"{base}..main"))
    request = HistoryRequest(revisions, cache=str(cache))
    result = audit_history(repository, request, FindingFilter(), PathFilter())
    assert result.stats.commits == 2


def test_same_second_commits_still_match_a_full_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Commits made in the same second (git breaks ties in its walk by the order it met commits): the
    re-audit may list everything again, but never reports anything else."""
    repo = GitRepo.create(tmp_path / "repo")
    for number in range(4):
        repo.commit_file(f"f{number}.txt", f"{number}\n", f"c{number}")
    cache = tmp_path / "audit.cache"
    main(["history", str(repo.path), "--cache", str(cache), "--no-progress", "-f", "json"])
    capsys.readouterr()
    repo.git("checkout", "-q", "-b", "side", "HEAD~2")
    repo.commit_file("side.txt", assignment("BINANCE_API_KEY", api_key()), "side")
    repo.git("checkout", "-q", "main")
    repo.commit_file("f9.txt", "9\n", "c9")
    code, cached = audit(capsys, str(repo.path), "--cache", str(cache))
    full_code, full = audit(capsys, str(repo.path))
    assert normalized(cached) == normalized(full) and code == full_code == 1


def test_cache_records_no_secret_after_an_increment(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    key = api_key()
    history.commit({"k.py": assignment("BINANCE_API_KEY", key)}, f"key {key}")
    audit(capsys, str(history.path), "--cache", str(cache))
    raw = cache.read_bytes()
    assert key.encode() not in raw and key[20:40].encode() not in raw
    assert os.stat(cache).st_mode & 0o077 == 0


def test_old_commits_walked_in_another_order_list_the_whole_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """git walks commits by date, so a new commit can change the order of the old ones (here a commit
    dated before its parent: the parent is met earlier once a new commit leads to it), and with it the
    path a blob is first met at. No new tree holds the blob: only the recorded order tells."""
    history = History(tmp_path / "repo")
    body = api_key() + "\n"  # `low` in a_notes.txt, `high` in binance/api_key.txt
    history.clock = 1_000
    root = history.commit({"README.md": "root\n"}, "root")
    history.clock = 5_000
    parent = history.commit({"binance/api_key.txt": body}, "the key where it is high")
    history.clock = 2_000
    history.commit({"binance/api_key.txt": "rotated\n"}, "a child dated before its parent")
    history.git("checkout", "-q", "-b", "side", root)
    history.clock = 4_000
    history.commit({"a_notes.txt": body}, "the same blob where it is low")
    history.git("checkout", "-q", "main")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache, "--min-confidence", "low")
    history.git("checkout", "-q", "-b", "late", parent)
    history.clock = 10_000
    history.commit({"binance/api_key.txt": "rotated too\n"}, "new, on the early parent")
    report = assert_same_as_full(capsys, history, cache, "--min-confidence", "low")
    assert {f["confidence"] for f in report["findings"]} == {"high"}


def _merge(history: History, branch: str, message: str) -> str:
    history.clock += 60
    stamp = f"@{history.clock} +0000"
    env = {**history.repo.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "-m", message, branch],
        cwd=history.path,
        env=env,
        check=True,
        capture_output=True,
    )
    return history.git("rev-parse", "HEAD").strip()


def test_attribution_after_new_commits_on_a_history_with_merges_matches_a_full_walk(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The old commits' changes come from the cache, the new commits' from git: first commits,
    `occurrences` and `in_head` of old and new (secret, path) pairs are those of a walk of every commit,
    step after step (keys removed, brought back, copied, merged in from old and new branches)."""
    first_key = assignment("BINANCE_API_KEY", api_key())
    second_key = assignment("BINANCE_API_SECRET", secret_key())
    history.commit({"app/settings.py": first_key}, "first key")
    history.git("checkout", "-q", "-b", "feature")
    history.commit({"feature/creds.py": second_key}, "feature key")
    history.git("checkout", "-q", "main")
    history.commit({"docs/a.md": "a\n"}, "docs")
    _merge(history, "feature", "merge feature")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    steps = [
        lambda: history.commit({"app/settings.py": None}, "remove the first key"),
        lambda: history.commit({"app/settings.py": first_key}, "bring it back"),
        lambda: history.commit({"lib/copy.py": second_key}, "copy the feature key"),
        lambda: (history.git("checkout", "-q", "feature"), history.commit({"feature/creds.py": None}, "clean")),
        lambda: (history.git("checkout", "-q", "main"), _merge(history, "feature", "merge the clean-up")),
        lambda: (
            history.git("checkout", "-q", "-b", "late", "main~3"),
            history.commit({"late/k.py": first_key}, "late"),
            history.git("checkout", "-q", "main"),
            _merge(history, "late", "merge late"),
        ),
    ]
    for step in steps:
        step()
        report = assert_same_as_full(capsys, history, cache)
        assert report["findings"]
    occurrences = {(f["path"], f["occurrences"], f["in_head"]) for f in report["findings"]}
    # On main from the first merge to the clean-up's merge (5 commits), and on `late` (1).
    assert ("feature/creds.py", 6, False) in occurrences


@pytest.mark.parametrize("old_key", [True, False], ids=["a key before", "the first key"])
def test_reaudit_after_a_commit_reads_neither_old_trees_nor_old_messages(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str], old_key: bool
) -> None:
    """The incremental path is taken for listing and attribution alike: with an old tree gone from the
    repository, a cache-less audit reports it missing, the cached re-audit never reads it and reports
    what a full audit reported before it went (also when the new commit brings the first key: the
    last audit recorded that no commit changed a file holding one)."""
    history.commit({"app/settings.py": assignment("BINANCE_API_KEY", api_key()) if old_key else "x = 1\n"}, "key")
    history.commit({"README.md": "third version\n"}, "docs")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.commit({"deploy/k.py": assignment("BINANCE_API_SECRET", secret_key()), "README.md": "4\n"}, "deploy")
    _, before = audit(capsys, str(history.path))
    old_tree = history.git("rev-parse", "main~4^{tree}").strip()  # the first commit's root tree
    (history.path / ".git" / "objects" / old_tree[:2] / old_tree[2:]).unlink()
    _, full = audit(capsys, str(history.path))
    assert full["errors"] and not before["errors"]
    code, cached = audit(capsys, str(history.path), "--cache", str(cache))
    assert code == 1 and normalized(cached) == normalized(before)


def test_cache_of_the_previous_format_is_rebuilt_with_a_notice_that_says_so(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cache written before listings recorded their revisions (format 1), signed with the right key:
    rebuilt, with a notice naming another version rather than damage, and nothing hidden."""
    from binance_secrets.sources import history_cache

    history.commit({"k.py": assignment("BINANCE_API_KEY", api_key())}, "key")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    raw = cache.read_bytes()
    document = json.loads(raw[len(history_cache.MAGIC) : -66])
    document["format"] = 1
    body = json.dumps(document).encode()
    signing = KEY_TEXT.encode()
    cache.write_bytes(history_cache.MAGIC + body + b"\n" + history_cache._mac(signing, body) + b"\n")
    code = main(["history", str(history.path), "--cache", str(cache), "-f", "json", "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1 and len(json.loads(captured.out)["findings"]) == 1
    assert "ignored and rebuilt" in captured.err and "another version" in captured.err
    assert load(str(cache), signing, rules_digest()) is not None


@pytest.mark.parametrize("change", ["deleted", "moved"])
def test_deleted_or_moved_tag_lists_the_whole_history(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    """A tag whose message held a key, deleted (or re-made on another commit): its object is no longer in
    the audit, so the last listing, which counted it, cannot stand for the old objects."""
    history.tag("v1", "HEAD~1", f"release, binance api key {api_key()}")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.git("tag", "-d", "v1")
    if change == "moved":
        history.tag("v1", "HEAD", "release again, nothing in it")
    history.commit({"next.txt": "next\n"}, "next")
    report = assert_same_as_full(capsys, history, cache)
    assert report["findings"] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_reaudited_step_by_step_match_a_full_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    """Random edits, copies, removals, branches, merges, tags and deleted branches, some commits dated
    in the past or in the same second as others: after every step the cached re-audit (incremental or
    not) reports exactly what a cache-less audit reports."""
    import random

    rng = random.Random(seed)
    history = History(tmp_path / "repo")
    keys = [assignment("BINANCE_API_KEY", api_key()), api_key() + "\n", assignment("BINANCE_API_SECRET", secret_key())]
    contents = [*keys, "clean\n", "x = 1\n", "notes\n"]
    paths = ["a.txt", "binance/api_key.txt", "src/config.py", "src/z_copy.py", "notes/readme.txt", "zz.py"]
    history.commit({"README.md": "start\n"}, "start")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache, "--min-confidence", "low")
    branches = ["main"]
    for step in range(12):
        action = rng.choice(["edit", "edit", "copy", "remove", "branch", "merge", "tag", "delete", "past"])
        tracked = [path for path in history.git("ls-files").split() if path != "README.md"]
        if action == "copy" and tracked:
            source = rng.choice(tracked)
            history.commit({rng.choice(paths): (history.path / source).read_text()}, f"copy {step}")
        elif action == "remove" and tracked:
            history.commit({rng.choice(tracked): None}, f"remove {step}")
        elif action == "branch":
            name = f"b{step}"
            base = rng.choice(history.git("rev-list", "--all").split())
            history.git("checkout", "-q", "-b", name, base)
            branches.append(name)
            history.commit({rng.choice(paths): rng.choice(contents)}, f"on {name}")
        elif action == "merge" and len(branches) > 1:
            other = rng.choice([branch for branch in branches if branch != "main"])
            history.git("checkout", "-q", "main")
            history.clock += 60
            stamp = f"@{history.clock} +0000"
            env = {**history.repo.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
            command = ["git", "merge", "-q", "--no-edit", "-X", "theirs", other]
            merged = subprocess.run(command, cwd=history.path, env=env, capture_output=True)
            if merged.returncode != 0:
                history.git("merge", "--abort")
        elif action == "tag":
            commit = rng.choice(history.git("rev-list", "--all").split())
            history.tag(f"t{step}", commit, rng.choice(["release", f"release, binance api key {api_key()}"]))
        elif action == "delete" and len(branches) > 1:
            history.git("checkout", "-q", "main")
            gone = rng.choice([branch for branch in branches if branch != "main"])
            history.git("branch", "-q", "-D", gone)
            branches.remove(gone)
        elif action == "past":
            history.clock -= rng.choice([0, 30, 600])  # the same second as the last commit, or before it
            history.commit({rng.choice(paths): rng.choice(contents)}, f"dated in the past {step}")
        else:
            history.commit({rng.choice(paths): rng.choice(contents)}, f"edit {step}")
        assert_same_as_full(capsys, history, cache, "--min-confidence", "low")


def test_attribution_of_secrets_the_last_walk_was_not_asked_about_walks_every_commit(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The recorded changes are those of the blobs the last walk was asked about: a lower threshold asks
    about more old blobs (a bare key, `low`), whose changes only a walk of every commit has."""
    history.commit({"notes/readme.txt": api_key() + "\n"}, "a bare key")
    history.commit({"notes/readme.txt": "gone\n"}, "removed")
    history.commit({"app/settings.py": assignment("BINANCE_API_KEY", api_key())}, "a key")
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    history.commit({"next.txt": "next\n"}, "next")
    report = assert_same_as_full(capsys, history, cache, "--min-confidence", "low")
    assert {(f["path"], f["in_head"]) for f in report["findings"]} == {
        ("notes/readme.txt", False),
        ("app/settings.py", True),
    }


def test_hostile_names_and_messages_in_new_commits_are_read_as_names_by_the_increment(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The increment's own `git log --raw NEW --not OLD` and its commit-order `rev-list` read names and
    # revisions written by whoever made the commits: a file named like an option, pathspec magic or a
    # record header of the stream is a file, a branch named like an option is a ref, and no key in a
    # name or a message is printed (the report is redacted).
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # a name that became `--output=FILE` would write here
    cache = tmp_path / "audit.cache"
    first_audit(capsys, history, cache)
    names = [":(exclude)*", "--output=written-by-git.txt", "-h", "\x01" + "0" * 40, "dir/:(glob)**"]
    keys = {name: api_key() for name in names}
    for name, key in keys.items():
        history.repo.write(name, assignment("BINANCE_API_KEY", key), stage=False)
        history.git("--literal-pathspecs", "add", "--", name)
    message_key = secret_key()
    added = history.commit({}, f"--output=evil.txt\n\nBINANCE_API_SECRET = {message_key}\n")
    history.git("update-ref", "refs/heads/--help", added)
    kept = tmp_path / "kept.cache"
    shutil.copy(cache, kept)

    report = assert_same_as_full(capsys, history, cache, "--min-confidence", "low")

    blob_findings = [finding for finding in report["findings"] if finding["path"] != "<commit message>"]
    assert {(finding["path"], finding["commit"]["sha"]) for finding in blob_findings} == {
        (name, added) for name in names
    }
    assert [finding["commit"]["sha"] for finding in report["findings"] if finding not in blob_findings] == [added]
    assert listed_objects(history, kept) == len(names)  # the increment: only the new blobs
    text = json.dumps(report)
    assert not any(key in text for key in [*keys.values(), message_key])
    assert not list(tmp_path.rglob("written-by-git*")) and not list(tmp_path.rglob("evil*"))
