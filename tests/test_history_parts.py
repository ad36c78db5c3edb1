"""`benchmarks/history_parts.py`, the per-part floor of a history audit (README "Performance", issue #16):
each part is measured on a real repository, the parents-first order only counts when the audit would
attribute a finding, and the budget line compares the sum with half a peer's time."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.history_parts import ORDER_PART, main, measured
from testing.gitrepo import GitRepo
from testing.keys import api_key, secret_key

pytestmark = pytest.mark.slow

ALWAYS = {
    "git: the walk (log --raw)",
    "git: reading every blob (cat-file --batch)",
    "git: the messages (log --format=%B)",
    "Python: interpreter and imports",
    "Python: loading the detectors",
    "Python: reading the blobs (CatFileBatch)",
    "Python: detection (blob_findings)",
}


def _history(path: Path, *, leak: bool) -> GitRepo:
    repo = GitRepo.create(path)
    repo.commit_file("app.py", "print('hello')\n", "first")
    repo.commit_file("docs/readme.md", "# Notes\n\nNothing to see.\n", "docs")
    if leak:
        repo.commit_file("config.py", f'API_KEY = "{api_key()}"\nAPI_SECRET = "{secret_key()}"\n', "config")
    repo.commit_file("app.py", "print('hello, world')\n", "edit")
    return repo


def test_a_history_with_a_finding_counts_every_part_and_the_order(tmp_path: Path) -> None:
    repo = _history(tmp_path / "leaky", leak=True)
    parts, blobs, whole = measured(repo.path, runs=1)
    assert set(parts) == ALWAYS | {ORDER_PART}
    assert all(seconds >= 0 for seconds in parts.values())
    assert sorted(task.path for task in blobs) == ["app.py", "app.py", "config.py", "docs/readme.md"]
    assert whole["cpu"] > 0 and whole["wall"] > 0


def test_a_clean_history_leaves_the_order_out(tmp_path: Path) -> None:
    repo = _history(tmp_path / "clean", leak=False)
    parts, blobs, _ = measured(repo.path, runs=1)
    assert set(parts) == ALWAYS
    assert len(blobs) == 3


def test_the_report_says_what_half_of_a_peer_allows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _history(tmp_path / "clean", leak=False)
    assert main([str(repo.path), "--runs", "1", "--peer-wall", "3.0"]) == 0
    output = capsys.readouterr().out
    assert "sum of the parts" in output
    assert "the audit itself" in output
    assert "half of the peer's 3.00 s on" in output
    with pytest.raises(SystemExit) as raised:
        main([str(repo.path), "--peer-wall", "3.0", "4.0"])
    assert raised.value.code == 2
