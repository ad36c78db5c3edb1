"""Archives and odd names in the index and in history are read as `scan` reads them (issue #9).

`staged` and `history` used to expand zip archives on their own and drop, without a word, whatever they
skipped (a zip bomb, an encrypted member, an archive nested too deep); history also wrote a file name
that is not UTF-8 with U+FFFD in place of its bytes, and crashed on a range adding a file whose name
holds a space. Now every source reads a blob through the one bounded reader (`content.blob_chunks`)
and names it the way `scan` does. Real git repositories built at
test time; every archive is built byte by byte at run time and every key is generated.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.sources.content import ARCHIVE_MAX_DEPTH, BLOCK_BYTES
from testing.gitrepo import git, git_env, init_repo
from testing.hostile_zips import RawMember, deflated_member, overlapping_zip, raw_zip
from testing.keys import api_key, secret_key
from tests.test_action import pull_request_event, run_action
from tests.test_history_failopen import blobless, fetches  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.dev_extra]  # dev_extra: the action's tests need PyYAML

MIB = 1024 * 1024


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def settings(key: str, secret: str) -> bytes:
    return f'BINANCE_API_KEY = "{key}"\nBINANCE_API_SECRET = "{secret}"\n'.encode()


def limits_archive(key: str, secret: str) -> bytes:
    """One archive that hits every member-level limit, with a key in the one member that can be read.

    The ratio bomb comes last: it stops the rest of the archive.
    """
    plain = deflated_member("app/settings.py", settings(key, secret))
    hidden = deflated_member("vault.txt", b"nothing here\n")
    encrypted = RawMember(hidden.name, hidden.data, hidden.method, hidden.crc, hidden.size, flags=0x1)
    nested = zip_bytes({"deepest.py": settings(key, secret)})
    for depth in range(ARCHIVE_MAX_DEPTH):
        nested = zip_bytes({f"level{depth}.zip": nested})
    deep = deflated_member("deep.zip", nested)
    zeros = deflated_member("zeros.bin", b"\0" * (4 * MIB))
    return raw_zip([plain, encrypted, deep, zeros])


EXPECTED_ERRORS = {
    ("bomb.zip", "overlapping entries: the archive is not scanned (a zip bomb?)"),
    ("limits.zip!vault.txt", "encrypted zip member: not scanned"),
    (
        "limits.zip!deep.zip!level2.zip!level1.zip",
        f"archive nested more than {ARCHIVE_MAX_DEPTH} levels deep: not scanned",
    ),
    (
        "limits.zip",
        "member zeros.bin inflates more than 100 times its compressed size (a zip bomb?): "
        "the rest of the archive is not scanned",
    ),
}


def run_json(repo: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", *args, "-f", "json", "--no-progress"],
        cwd=repo, env=git_env(), capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    stderr = completed.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    return completed.returncode, json.loads(completed.stdout), stderr


def without_blob_ids(errors: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """History names a blob `path (blob 0123456789ab)`; the rest of the entry is `scan`'s."""
    found = set()
    for error in errors:
        path, blob, _ = error["path"].rpartition(" (blob ")
        assert blob, error
        found.add((path, error["message"]))
    return found


@pytest.fixture()
def archives_repo(tmp_path: Path) -> tuple[Path, str, str]:
    repo = init_repo(tmp_path / "repo")
    (repo / "README.md").write_text("# app\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "start")
    key, secret = api_key(), secret_key()
    (repo / "bomb.zip").write_bytes(overlapping_zip(members=50, kernel_bytes=4 * MIB))
    (repo / "limits.zip").write_bytes(limits_archive(key, secret))
    git(repo, "add", "bomb.zip", "limits.zip")
    return repo, key, secret


def test_staged_archives_get_the_scan_limits_and_report_what_they_leave_out(
    archives_repo: tuple[Path, str, str],
) -> None:
    """README "Limits" and "Partial scans are never reported clean", for `staged`: a zip bomb and an
    archive over the limits in the index are bounded as `scan` bounds them, and each member left out is
    an entry in `errors` (they used to be dropped without a word)."""
    repo, key, secret = archives_repo
    code, report, stderr = run_json(repo, "staged")
    assert code == 1, stderr
    assert {(f["path"], f["line"]) for f in report["findings"]} == {
        ("limits.zip!app/settings.py", 1),
        ("limits.zip!app/settings.py", 2),
    }
    assert {(e["path"], e["message"]) for e in report["errors"]} == EXPECTED_ERRORS
    assert all(not e.get("notice") for e in report["errors"])
    assert report["stats"]["bytes"] < 2 * MIB  # the bombs were not inflated
    # The same archives in the working tree: `scan` says exactly the same.
    code, scanned, _ = run_json(repo, "scan", "bomb.zip", "limits.zip")
    assert code == 1
    assert {(e["path"], e["message"]) for e in scanned["errors"]} == EXPECTED_ERRORS
    for text in (json.dumps(report), stderr):
        assert key not in text and secret not in text


def test_staged_zip_bomb_alone_is_an_incomplete_scan_not_a_clean_one(tmp_path: Path) -> None:
    """README "Partial scans are never reported clean": with nothing found, what a limit left out makes
    `staged` exit 3 and the hook refuse the commit, never pass it as clean."""
    repo = init_repo(tmp_path / "repo")
    (repo / "bomb.zip").write_bytes(overlapping_zip(members=50, kernel_bytes=4 * MIB))
    git(repo, "add", "bomb.zip")
    code, report, stderr = run_json(repo, "staged")
    assert code == 3, stderr
    assert report["findings"] == []
    assert [(e["path"], e["message"]) for e in report["errors"]] == [
        ("bomb.zip", "overlapping entries: the archive is not scanned (a zip bomb?)")
    ]
    assert "the scan is incomplete" in stderr


def test_committed_archives_get_the_scan_limits_in_history(archives_repo: tuple[Path, str, str]) -> None:
    """README "Auditing git history" ("inside binary files and zip archives") and "Limits": archives in
    history are bounded as `scan` bounds them, each member left out is in `errors` (with the blob it is
    in), and a history holding only a zip bomb is incomplete (exit 3), never clean."""
    repo, key, secret = archives_repo
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "archives")
    code, report, stderr = run_json(repo, "history")
    assert code == 1, stderr
    assert {(f["path"], f["line"]) for f in report["findings"]} == {
        ("limits.zip!app/settings.py", 1),
        ("limits.zip!app/settings.py", 2),
    }
    assert {f["commit"]["summary"] for f in report["findings"]} == {"archives"}
    assert without_blob_ids(report["errors"]) == EXPECTED_ERRORS
    for text in (json.dumps(report), stderr):
        assert key not in text and secret not in text

    git(repo, "rm", "-q", "--cached", "limits.zip")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "no more limits")
    code, report, stderr = run_json(repo, "history", "--range", "HEAD~1..HEAD")
    assert code == 0, stderr  # a range that adds no archive: nothing left out
    bomb_only = init_repo(repo.parent / "bomb-only")
    (bomb_only / "bomb.zip").write_bytes((repo / "bomb.zip").read_bytes())
    git(bomb_only, "add", "bomb.zip")
    git(bomb_only, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "bomb")
    code, report, stderr = run_json(bomb_only, "history")
    assert code == 3, stderr
    assert report["findings"] == []
    assert without_blob_ids(report["errors"]) == {
        ("bomb.zip", "overlapping entries: the archive is not scanned (a zip bomb?)")
    }


def test_staged_and_history_count_lines_and_columns_across_read_blocks(tmp_path: Path) -> None:
    """README `scan` ("line and column numbers stay exact, also after a line longer than a block"), for
    `staged` and `history` too: blobs are read in the same blocks, each with its first line and column."""
    repo = init_repo(tmp_path / "repo")
    key, secret = api_key(), secret_key()
    filler = "x = 1\n" * (BLOCK_BYTES // 6 + 10)
    long_line = "y " * (BLOCK_BYTES // 2 + 100) + f'BINANCE_API_KEY = "{key}"'
    (repo / "big.py").write_text(f'{filler}{long_line}\nBINANCE_API_SECRET = "{secret}"\n')
    git(repo, "add", "big.py")
    line = filler.count("\n") + 1
    column = long_line.index(key) + 1
    expected = [(line, column, column + 64), (line + 1, 23, 87)]

    code, report, stderr = run_json(repo, "staged")
    assert code == 1, stderr
    assert [(f["line"], f["column"], f["end_column"]) for f in report["findings"]] == expected
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "big")
    code, report, stderr = run_json(repo, "history")
    assert code == 1, stderr
    assert [(f["line"], f["column"], f["end_column"]) for f in report["findings"]] == expected


def test_history_names_a_file_that_is_not_utf8_as_scan_does(tmp_path: Path) -> None:
    """README "JSON report and exit codes": every format writes a path in one lossless, printable form
    (`\\xNN` for each byte that is not UTF-8). History used to write U+FFFD, losing the name; now
    `history`, `staged` and `scan` name the file alike."""
    repo = init_repo(tmp_path / "repo")
    key, secret = api_key(), secret_key()
    name = b"caf\xe9/k\xffy.env"
    try:
        os.mkdir(os.path.join(os.fsencode(repo), b"caf\xe9"))
        with open(os.path.join(os.fsencode(repo), name), "wb") as handle:
            handle.write(settings(key, secret))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    git(repo, "add", "-A")

    _, staged, _ = run_json(repo, "staged")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "add")
    _, history, _ = run_json(repo, "history")
    _, scanned, _ = run_json(repo, "scan", ".")
    printable = "caf\\xe9/k\\xffy.env"
    for report in (scanned, staged, history):
        assert {f["path"] for f in report["findings"]} == {printable}
        assert len(report["findings"]) == 2
    text = subprocess.run(
        [sys.executable, "-m", "binance_secrets", "history", "--no-progress"],
        cwd=repo, env=git_env(), capture_output=True, check=False,
    )  # fmt: skip
    assert text.returncode == 1
    assert printable.encode() in text.stdout and b"\xef\xbf\xbd" not in text.stdout


def test_range_adding_files_with_spaces_in_their_names_is_attributed_not_a_traceback(tmp_path: Path) -> None:
    """README "Auditing git history" (file names are data; `--range` reports the secrets the range
    introduced) and "JSON report and exit codes" (no traceback). Attribution asks git for `base:path` of
    each file holding a secret; git answers "<name> missing" for a file the base lacks, and a name with a
    space used to be misread as an object header (ValueError, a traceback in the action's diff mode)."""
    repo = init_repo(tmp_path / "repo")
    (repo / "README.md").write_text("# app\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "start")
    names = ["a b.py", "c d e.py", "tab\there.py", "cr\rhere.py", "f 12 missing"]
    planted = {}
    for name in names:
        secret = secret_key()
        (repo / name).write_bytes(settings(api_key(), secret))
        planted[name] = secret
    git(repo, "--literal-pathspecs", "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "keys")
    code, report, stderr = run_json(repo, "history", "--range", "HEAD~1..HEAD")
    assert code == 1, stderr
    assert {f["path"] for f in report["findings"]} == set(names)
    assert {f["commit"]["summary"] for f in report["findings"]} == {"keys"}
    assert report["errors"] == []


def test_action_in_a_blobless_partial_clone_fetches_nothing_and_never_reports_clean(
    blobless: dict[str, Any], runner_temp: Path  # noqa: F811
) -> None:
    """README "Auditing git history" ("the audit never uses the network: in a partial clone the blobs
    never fetched are listed as not scanned") and "Partial scans are never reported clean", in the
    action: a pull request whose commits' blobs were never fetched used to be fetched lazily or reported
    "No Binance credentials found" with exit 0. Now nothing is fetched and the step fails (exit 3)."""
    clone, log, shas = blobless["clone"], blobless["log"], blobless["shas"]
    # The commits that added and removed key A: none of their blobs was fetched by the checkout.
    run = run_action(runner_temp, clone, "pull_request", pull_request_event(shas[0], shas[2]))
    assert fetches(log) == 0
    assert run.exit_code == 3, run.stdout + run.stderr
    assert run.outputs["findings"] == "0"
    warnings = [c for c in run.commands if c.name == "warning"]
    assert warnings and all("partial clone" in c.data for c in warnings)
    assert "No Binance credentials found" not in run.summary
    assert "Scan incomplete" in run.summary
