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
    FIRST_WINDOW_BYTES,
    FIRST_WINDOW_OBJECTS,
    LARGEST_WINDOW_BYTES,
    LARGEST_WINDOW_OBJECTS,
    ScanTask,
    by_path,
)
from testing.gitrepo import git, init_repo
from testing.keys import api_key, random_hex


def _windows(tasks: list[ScanTask]) -> list[list[ScanTask]]:
    """The windows `by_path` must cut, as its documentation says: objects or bytes, both doubling."""
    windows: list[list[ScanTask]] = [[]]
    size, most_objects, most_bytes = 0, FIRST_WINDOW_OBJECTS, FIRST_WINDOW_BYTES
    for task in tasks:
        windows[-1].append(task)
        size += task.size
        if len(windows[-1]) >= most_objects or size >= most_bytes:
            windows.append([])
            size = 0
            most_objects = min(2 * most_objects, LARGEST_WINDOW_OBJECTS)
            most_bytes = min(2 * most_bytes, LARGEST_WINDOW_BYTES)
    return [window for window in windows if window]


@pytest.mark.parametrize(
    ("total", "blob_bytes"),
    [
        (0, 100),
        (1, 100),
        (FIRST_WINDOW_OBJECTS, 100),
        (FIRST_WINDOW_OBJECTS + 1, 100),
        (40_000, 100),  # windows of objects, up to the largest
        (3_000, 300_000),  # windows of bytes: large blobs reach a worker after 4 MB, not 512 blobs
        (200, 20 * 1024 * 1024),
    ],
)
def test_each_window_is_sorted_by_path_and_keeps_its_own_tasks_in_listing_order(total: int, blob_bytes: int) -> None:
    generator = random.Random(total)
    paths = [f"dir{index % 7}/file{index}.py" for index in range(53)]
    tasks = [ScanTask(random_hex(40), "blob", generator.choice(paths), blob_bytes) for _ in range(total)]
    ordered = list(by_path(tasks))
    assert sorted(ordered) == sorted(tasks)  # each task once, nothing else
    windows = _windows(tasks)
    start = 0
    for listed in windows:
        # The window holds exactly the tasks listed in its turn, sorted by path; the versions of one
        # path (newest first, as listed) stay in the listing's order.
        assert ordered[start : start + len(listed)] == sorted(listed, key=lambda task: task.path)
        start += len(listed)
    assert start == total
    if total and blob_bytes * FIRST_WINDOW_OBJECTS > FIRST_WINDOW_BYTES:
        assert len(windows[0]) < FIRST_WINDOW_OBJECTS  # the first window ends at its bytes
    if total > 2 * LARGEST_WINDOW_OBJECTS and blob_bytes * LARGEST_WINDOW_OBJECTS < LARGEST_WINDOW_BYTES:
        assert max(map(len, windows)) == LARGEST_WINDOW_OBJECTS  # the windows stop growing


def test_the_first_window_is_no_more_than_a_small_audit_reads_in_its_own_process() -> None:
    from binance_secrets.sources.git_scan import INLINE_BYTES, INLINE_OBJECTS

    # The look-ahead decides small or not after `INLINE_OBJECTS` objects or `INLINE_BYTES` bytes: the
    # first window never makes it wait for more.
    assert FIRST_WINDOW_OBJECTS <= INLINE_OBJECTS
    assert FIRST_WINDOW_BYTES <= INLINE_BYTES


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
