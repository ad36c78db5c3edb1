"""The attribution walk begun beside the scan (`ChangeLog`) answers exactly as the walk asked after it.

README "Auditing git history": each finding is reported per secret and path with the commit that first
brought it there, how many commits hold it and whether HEAD still does. Since issue #16 the history's
tree diffs are read while the scan is still running; these tests hold that answer to the one git gives
when asked afterwards with `--find-object`, on copies, renames, removals and re-additions, merges, and
file names that look like the stream's own records.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from binance_secrets.sources.git_attribution import ChangeLog, attribute
from binance_secrets.sources.git_objects import open_repository
from testing.gitrepo import GitRepo
from testing.keys import api_key

# Names git keeps as they are and that a careless reader of `git log -z --raw` would take for one of
# its records: a commit header, a change line.
RECORD_LIKE_NAMES = ("\x01" + "0" * 40, ":100644 100644 " + "1" * 40 + " " + "2" * 40 + " M")


def _commit(repo: GitRepo, files: dict[str, str | None], message: str) -> str:
    for name, content in files.items():
        if content is None:
            repo.git("--literal-pathspecs", "rm", "-q", "--", name)
        else:
            repo.write(name, content, stage=False)
            repo.git("--literal-pathspecs", "add", "--", name)
    repo.git("commit", "-q", "--no-gpg-sign", "--no-verify", "--allow-empty", "-m", message)
    return repo.git("rev-parse", "HEAD").strip()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _history(tmp_path: Path) -> tuple[GitRepo, list[str], list[str]]:
    """A history whose keys are copied, renamed, removed, added back and merged; (repo, tips, keys)."""
    repo = GitRepo.create(tmp_path / "repo")
    keys = [api_key() for _ in range(4)]
    _commit(repo, {"README.md": "start\n"}, "start")
    _commit(repo, {"app/config.py": f'API_KEY = "{keys[0]}"\n'}, "add a key")
    _commit(repo, {"app/copy.py": f'API_KEY = "{keys[0]}"\n'}, "copy it")
    repo.git("mv", "app/config.py", "app/settings.py")
    _commit(repo, {}, "rename the first")
    _commit(repo, {"app/copy.py": None}, "remove the copy")
    _commit(repo, {"app/copy.py": f'API_KEY = "{keys[0]}"\nMORE = 1\n'}, "the copy comes back, edited")
    repo.git("checkout", "-q", "-b", "side")
    _commit(repo, {"side/keys.py": f'API_KEY = "{keys[1]}"\n'}, "a key on a side branch")
    for number, name in enumerate(RECORD_LIKE_NAMES, start=2):
        _commit(repo, {name: f'API_KEY = "{keys[number]}"\n'}, f"a name like a record {number}")
    repo.git("checkout", "-q", "main")
    _commit(repo, {"app/settings.py": "API_KEY = None\n"}, "clean the settings")
    repo.git("merge", "-q", "--no-ff", "--no-gpg-sign", "-m", "merge the side", "side")
    tips = repo.git("rev-parse", "main", "side").split()
    return repo, tips, keys


def _blob_secrets(repo: GitRepo, tips: list[str], keys: list[str]) -> dict[str, frozenset[str]]:
    """Every blob of the history that holds one of `keys`, with their digests (found by the test itself)."""
    listing = subprocess.run(
        ["git", "rev-list", "--objects", "--no-object-names", *tips], cwd=repo.path, env=repo.env,
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    found: dict[str, frozenset[str]] = {}
    for sha in listing.stdout.split():
        if repo.git("cat-file", "-t", sha).strip() != "blob":
            continue
        content = repo.git("cat-file", "blob", sha)
        held = frozenset(_digest(key) for key in keys if key in content)
        if held:
            found[sha] = held
    return found


def test_walk_begun_beside_the_scan_attributes_exactly_as_the_walk_asked_after_it(tmp_path: Path) -> None:
    repo, tips, keys = _history(tmp_path)
    blobs = _blob_secrets(repo, tips, keys)
    git_repo = open_repository(str(repo.path))
    head = repo.git("rev-parse", "HEAD").strip()

    def secrets_of(sha: str, path: str) -> frozenset[str]:
        return frozenset(_digest(key) for key in keys if key in repo.git("cat-file", "blob", sha))

    asked_after = attribute(git_repo, tips, blobs, secrets_of, head)
    begun_beside = attribute(git_repo, tips, blobs, secrets_of, head, started=ChangeLog(git_repo, tips))

    assert begun_beside == asked_after
    attributions, warnings = begun_beside
    assert warnings == []
    by_place = {(item.secret_sha256, item.path): item for item in attributions}
    first = _digest(keys[0])
    # The copy and the rename are findings of their own; the copy came back after its removal and
    # keeps its first commit; the cleaned path is no longer in HEAD.
    assert {path for secret, path in by_place if secret == first} == {"app/config.py", "app/copy.py", "app/settings.py"}
    assert by_place[(first, "app/settings.py")].in_head is False
    assert by_place[(first, "app/copy.py")].in_head is True
    # The names that look like records are paths, attributed like any other.
    for number, name in enumerate(RECORD_LIKE_NAMES, start=2):
        assert by_place[(_digest(keys[number]), name)].in_head is True


def test_walk_begun_beside_the_scan_warns_as_the_walk_asked_after_it_when_git_cannot_walk(tmp_path: Path) -> None:
    # A revision git cannot walk (not in the repository): the same warnings, never a silent empty answer.
    repo, tips, keys = _history(tmp_path)
    blobs = _blob_secrets(repo, tips, keys)
    git_repo = open_repository(str(repo.path))
    revisions = [*tips, "f" * 40]

    def secrets_of(sha: str, path: str) -> frozenset[str]:
        return frozenset()

    asked_after = attribute(git_repo, revisions, blobs, secrets_of, None)
    begun_beside = attribute(git_repo, revisions, blobs, secrets_of, None, started=ChangeLog(git_repo, revisions))

    assert begun_beside == asked_after
    assert any(warning.startswith("git log failed") for warning in begun_beside[1])


def test_walk_begun_beside_a_scan_that_stops_leaves_no_git_behind(tmp_path: Path) -> None:
    # An audit interrupted (an error, Ctrl-C) after the walk began: closing it ends its git processes.
    repo, tips, _ = _history(tmp_path)
    change_log = ChangeLog(open_repository(str(repo.path)), tips)
    processes = [change_log._log, change_log._graph]

    change_log.close()

    assert all(process is not None and process.returncode is not None for process in processes)
    assert not change_log._thread.is_alive()
