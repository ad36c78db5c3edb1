"""Issue #16: a history's blobs are read in windows sorted by path (`git_scan.by_path`), so that each
`cat-file` meets the versions of one file together and rebuilds them from the delta bases it still holds.

The order is all that changes: every task is read once, each window holds exactly the tasks the listing
gave in its turn, and an audit longer than several windows reports every key at the commit and path
where it entered. Real git repositories, generated keys.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from binance_secrets.sources.git_scan import (
    FIRST_WINDOW_OBJECTS,
    LARGEST_WINDOW_OBJECTS,
    ScanTask,
    by_path,
)
from testing.gitrepo import git, init_repo
from testing.keys import api_key, random_hex


def _window_sizes(total: int) -> list[int]:
    sizes, size = [], FIRST_WINDOW_OBJECTS
    while total > 0:
        sizes.append(min(size, total))
        total -= size
        size = min(2 * size, LARGEST_WINDOW_OBJECTS)
    return sizes


@pytest.mark.parametrize("total", [0, 1, FIRST_WINDOW_OBJECTS, FIRST_WINDOW_OBJECTS + 1, 40_000])
def test_each_window_is_sorted_by_path_and_keeps_its_own_tasks_in_listing_order(total: int) -> None:
    generator = random.Random(total)
    paths = [f"dir{index % 7}/file{index}.py" for index in range(53)]
    tasks = [ScanTask(random_hex(40), "blob", generator.choice(paths), index) for index in range(total)]
    ordered = list(by_path(tasks))
    assert sorted(ordered, key=lambda task: task.size) == tasks  # each task once, nothing else
    start = 0
    for size in _window_sizes(total):
        window, listed = ordered[start : start + size], tasks[start : start + size]
        # The window holds exactly the tasks listed in its turn, sorted by path; the versions of one
        # path (newest first, as listed) stay in the listing's order.
        assert window == sorted(listed, key=lambda task: task.path)
        start += size
    assert start == total
    if total > LARGEST_WINDOW_OBJECTS:
        assert LARGEST_WINDOW_OBJECTS in _window_sizes(total)  # the windows stop growing


def test_the_first_window_is_no_more_than_a_small_audit_reads_in_its_own_process() -> None:
    from binance_secrets.sources.git_scan import INLINE_OBJECTS

    # The look-ahead decides small or not after `INLINE_OBJECTS` objects: it never waits for more.
    assert FIRST_WINDOW_OBJECTS <= INLINE_OBJECTS


def _history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["history", *args, "-f", "json", "--no-progress", "--show-secrets"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_audit_of_several_windows_reports_every_key_where_it_entered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    repo = init_repo(tmp_path / "repo")
    files = [f"pkg{index % 4}/module{index}.py" for index in range(30)]
    commits = 70  # 30 files edited in each commit: 2,100 blobs, past the first three windows
    entering = {12: ("pkg1/module5.py", api_key()), 47: ("pkg2/module22.py", api_key()), 69: (files[0], api_key())}
    lines: dict[str, list[str]] = {path: [f"# {path}\n"] for path in files}
    entered: dict[str, str] = {}
    for number in range(commits):
        if number in entering:
            path, key = entering[number]
            lines[path].append(f'BINANCE_API_KEY = "{key}"\n')
        for path in files:
            lines[path].append(f"value_{number} = {number}\n")
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(lines[path]), encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--no-gpg-sign", "-m", f"commit {number}")
        if number in entering:
            entered[entering[number][1]] = git(repo, "rev-parse", "HEAD").strip()

    code, report = _history(capsys, str(repo), "--jobs", jobs)

    assert code == 1
    assert report["stats"]["blobs"] == commits * len(files)
    assert not report.get("errors")
    placed = {(finding["secret"], finding["path"], finding["commit"]["sha"]) for finding in report["findings"]}
    assert placed == {(key, path, entered[key]) for path, key in entering.values()}
    assert all(finding["in_head"] for finding in report["findings"])
