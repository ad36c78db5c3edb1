"""History keeps every path a secret was ever at (issue #10 item 6).

README, "Auditing git history": "Each secret is reported once per path it was ever committed at, with
the commit that first brought it to that path"; `occurrences` counts the commits holding it at that
path, `in_head` says whether the tip of the default branch still holds it there, and line and column
come from that path's first version. A user who cleans one file must still see every other file that
holds the key. Real git repositories built in temporary folders, keys generated at run time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from testing.gitrepo import commit_file, git, init_repo
from testing.keys import api_key, secret_key

pytestmark = pytest.mark.slow


def pair_file(key: str, secret: str, header: str = "") -> str:
    return f'{header}BINANCE_API_KEY = "{key}"\nBINANCE_API_SECRET = "{secret}"\n'


def history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["history", *args, "-f", "json", "--no-progress", "--show-secrets"])
    report = json.loads(capsys.readouterr().out)
    return code, report["findings"]


def by_place(findings: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    places = {(finding["secret"], finding["path"]): finding for finding in findings}
    assert len(places) == len(findings), "one finding per secret per path"
    return places


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_pair_copied_to_a_second_path_is_reported_at_both_paths_with_their_own_first_commit(
    repo: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    key, secret = api_key(), secret_key()
    added = commit_file(repo, "a.py", pair_file(key, secret), "add keys")
    commit_file(repo, "README.md", "docs\n", "docs")
    copied = commit_file(repo, "tests/conftest.py", pair_file(key, secret, "import pytest\n\n"), "fixtures")
    cleaned = commit_file(repo, "a.py", "import os\n", "read keys from the environment")
    code, findings = history(capsys, str(repo), "--jobs", jobs)
    assert code == 1
    places = by_place(findings)
    assert set(places) == {(value, path) for value in (key, secret) for path in ("a.py", "tests/conftest.py")}
    for value, partner in ((key, secret), (secret, key)):
        original, copy = places[(value, "a.py")], places[(value, "tests/conftest.py")]
        # a.py: added, held for two commits, cleaned: gone from HEAD there.
        assert (original["commit"]["sha"], original["commit"]["summary"]) == (added, "add keys")
        assert (original["occurrences"], original["in_head"]) == (3, False)
        # The copy: its own first commit, still in HEAD, its own line (two lines lower).
        assert (copy["commit"]["sha"], copy["commit"]["summary"]) == (copied, "fixtures")
        assert (copy["occurrences"], copy["in_head"]) == (2, True)
        assert copy["line"] == original["line"] + 2
        # The pair stays a pair at each path; each path is its own identity.
        expected_pair = places[(partner, "a.py")]["secret_sha256"]
        assert original["pair_sha256"] == copy["pair_sha256"] == expected_pair
        assert original["fingerprint"] != copy["fingerprint"]
    assert cleaned not in {finding["commit"]["sha"] for finding in findings}


def test_same_blob_at_two_paths_in_one_commit_is_reported_at_each_path(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    content = f'x = 1\nBINANCE_API_KEY = "{key}"\n'
    (repo / "deploy").mkdir()
    (repo / "deploy" / "prod.py").write_text(content)
    (repo / "deploy" / "staging.py").write_text(content)
    git(repo, "add", "deploy")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "two copies")
    both = head(repo)
    commit_file(repo, "deploy/staging.py", "x = 1\n", "staging reads the environment")
    code, findings = history(capsys, str(repo))
    assert code == 1
    places = by_place(findings)
    assert set(places) == {(key, "deploy/prod.py"), (key, "deploy/staging.py")}
    prod, staging = places[(key, "deploy/prod.py")], places[(key, "deploy/staging.py")]
    assert prod["commit"]["sha"] == staging["commit"]["sha"] == both
    assert (prod["line"], prod["column"]) == (staging["line"], staging["column"]) == (2, 20)
    assert (prod["occurrences"], prod["in_head"]) == (2, True)
    assert (staging["occurrences"], staging["in_head"]) == (1, False)


def test_secret_removed_and_added_again_keeps_its_first_commit_and_counts_both_spells(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    first = commit_file(repo, "settings.py", f'BINANCE_API_KEY = "{key}"\n', "add key")
    commit_file(repo, "settings.py", f'BINANCE_API_KEY = "{key}"\nDEBUG = 1\n', "debug")
    commit_file(repo, "settings.py", "BINANCE_API_KEY = ''\n", "remove key")
    commit_file(repo, "other.txt", "x\n", "unrelated")
    commit_file(repo, "settings.py", f'# again\nBINANCE_API_KEY = "{key}"\n', "add it back")
    commit_file(repo, "other.txt", "y\n", "unrelated 2")
    code, findings = history(capsys, str(repo))
    assert code == 1
    places = by_place(findings)
    assert set(places) == {(key, "settings.py")}
    finding = places[(key, "settings.py")]
    # First spell: "add key", "debug"; second: "add it back", "unrelated 2".
    assert (finding["commit"]["sha"], finding["occurrences"], finding["in_head"]) == (first, 4, True)
    assert (finding["line"], finding["column"]) == (1, 20)  # from the path's first version


def test_secret_on_a_side_branch_is_not_in_head_until_merged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    commit_file(repo, "app.py", "print(1)\n", "start")
    git(repo, "checkout", "-q", "-b", "side")
    added = commit_file(repo, "bot/keys.py", f'BINANCE_API_KEY = "{key}"\n', "side: keys")
    git(repo, "checkout", "-q", "main")
    commit_file(repo, "app.py", "print(2)\n", "main work")
    code, findings = history(capsys, str(repo))
    assert code == 1
    side = by_place(findings)[(key, "bot/keys.py")]
    assert (side["commit"]["sha"], side["occurrences"], side["in_head"]) == (added, 1, False)

    git(repo, "merge", "-q", "--no-gpg-sign", "--no-edit", "side")
    code, findings = history(capsys, str(repo))
    assert code == 1
    merged = by_place(findings)[(key, "bot/keys.py")]
    # Still the side commit (the merge only carried it over), now in HEAD, and the merge holds it too.
    assert (merged["commit"]["sha"], merged["occurrences"], merged["in_head"]) == (added, 2, True)


def test_copy_made_only_on_a_side_branch_is_reported_there_and_not_in_head(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    added = commit_file(repo, "config.py", f'BINANCE_API_KEY = "{key}"\n', "config")
    git(repo, "checkout", "-q", "-b", "experiment")
    copied = commit_file(repo, "scratch/try.py", f'# try\nBINANCE_API_KEY = "{key}"\n', "try it")
    git(repo, "checkout", "-q", "main")
    code, findings = history(capsys, str(repo))
    assert code == 1
    places = by_place(findings)
    assert set(places) == {(key, "config.py"), (key, "scratch/try.py")}
    assert (places[(key, "config.py")]["commit"]["sha"], places[(key, "config.py")]["in_head"]) == (added, True)
    assert places[(key, "config.py")]["occurrences"] == 2  # "config" and "try it"
    copy = places[(key, "scratch/try.py")]
    assert (copy["commit"]["sha"], copy["line"], copy["in_head"], copy["occurrences"]) == (copied, 2, False, 1)


def test_key_in_a_commit_message_is_its_own_path_beside_the_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    commit_file(repo, "a.txt", "a\n", "start")
    in_message = commit_file(repo, "b.txt", "b\n", f"wip\n\nBINANCE_API_KEY = {key}\n")
    in_file = commit_file(repo, "keys.py", f'BINANCE_API_KEY = "{key}"\n', "keys")
    code, findings = history(capsys, str(repo))
    assert code == 1
    places = by_place(findings)
    assert set(places) == {(key, "<commit message>"), (key, "keys.py")}
    message = places[(key, "<commit message>")]
    assert (message["commit"]["sha"], message["line"], message["occurrences"]) == (in_message, 3, 1)
    assert places[(key, "keys.py")]["commit"]["sha"] == in_file


def test_range_reports_a_path_the_range_brought_an_older_secret_to_and_nothing_else(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = api_key(), api_key()
    commit_file(repo, "a.py", f'BINANCE_API_KEY = "{old}"\n', "old key")
    commit_file(repo, "gone.py", f'BINANCE_API_KEY = "{new}"\n', "new key, soon removed")
    git(repo, "rm", "-q", "gone.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "remove it")
    base = head(repo)
    # In the range: an edit of a.py (not new there), a copy of the old key to b.py (new there), and
    # the removed key back at its old path (new there as far as the range can tell).
    commit_file(repo, "a.py", f'BINANCE_API_KEY = "{old}"\nX = 1\n', "edit a")
    copied = commit_file(repo, "b.py", f'\nBINANCE_API_KEY = "{old}"\n', "copy to b")
    back = commit_file(repo, "gone.py", f'BINANCE_API_KEY = "{new}"\n', "bring it back")
    expected = {(old, "b.py"): (copied, 2), (new, "gone.py"): (back, 1)}
    for args in (["--range", f"{base}..HEAD"], ["--since-commit", base]):
        code, findings = history(capsys, str(repo), *args)
        assert code == 1
        found = {place: (f["commit"]["sha"], f["line"]) for place, f in by_place(findings).items()}
        assert found == expected, args
    # The whole history: every path, each from its first commit ever.
    code, findings = history(capsys, str(repo))
    assert set(by_place(findings)) == {(old, "a.py"), (old, "b.py"), (new, "gone.py")}
    assert by_place(findings)[(new, "gone.py")]["commit"]["summary"] == "new key, soon removed"


def test_baseline_and_allow_list_cover_every_path_and_a_new_secret_still_fails(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """README, "Suppressing a finding": secrets recorded in a baseline are skipped, anything new fails."""
    key = api_key()
    commit_file(repo, "a.py", f'BINANCE_API_KEY = "{key}"\n', "add")
    commit_file(repo, "tests/conftest.py", f'BINANCE_API_KEY = "{key}"\n', "copy")
    baseline = tmp_path / "baseline.json"
    assert main(["history", str(repo), "-f", "json", "--no-progress", "-o", str(baseline)]) == 1
    capsys.readouterr()
    recorded = json.loads(baseline.read_text())["findings"]
    assert sorted(finding["path"] for finding in recorded) == ["a.py", "tests/conftest.py"]
    assert len({finding["fingerprint"] for finding in recorded}) == 2
    assert history(capsys, str(repo), "--baseline", str(baseline)) == (0, [])

    digest = recorded[0]["secret_sha256"]
    (repo / ".binance-secrets.toml").write_text(f'allow = ["{digest}"]\n')
    assert history(capsys, str(repo)) == (0, [])

    fresh = api_key()
    commit_file(repo, "tests/other.py", f'BINANCE_API_KEY = "{fresh}"\n', "new key")
    code, findings = history(capsys, str(repo), "--baseline", str(baseline))
    assert code == 1 and set(by_place(findings)) == {(fresh, "tests/other.py")}


def test_excluded_path_drops_only_that_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = api_key()
    added = commit_file(repo, "a.py", f'BINANCE_API_KEY = "{key}"\n', "add")
    copied = commit_file(repo, "tests/conftest.py", f'# fixture\nBINANCE_API_KEY = "{key}"\n', "copy")
    code, findings = history(capsys, str(repo), "--exclude", "tests/**")
    assert code == 1
    assert {place: f["commit"]["sha"] for place, f in by_place(findings).items()} == {(key, "a.py"): added}
    # Excluding the path it started at leaves the copy reported, from the commit that made it.
    code, findings = history(capsys, str(repo), "--exclude", "a.py")
    assert code == 1
    found = {place: f["commit"]["sha"] for place, f in by_place(findings).items()}
    assert found == {(key, "tests/conftest.py"): copied}


def test_blob_first_listed_at_an_excluded_path_is_still_scanned_for_its_included_paths(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README, partial scans: nothing unscanned is reported clean. git names each blob once, under the
    first path it meets; identical content at an excluded and an included path must still be found at
    the included one."""
    key = api_key()
    content = f'BINANCE_API_KEY = "{key}"\n'
    (repo / "tests").mkdir()
    (repo / "tests" / "a.py").write_text(content)
    (repo / "z.py").write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "same blob twice")
    code, findings = history(capsys, str(repo), "--exclude", "tests/**")
    assert code == 1
    assert set(by_place(findings)) == {(key, "z.py")}
