"""`scan` over hostile files and trees: archives, zip bombs, UTF-16, FIFOs, unreadable folders,
overlapping targets, lines longer than a read block, file names that are not UTF-8.

Every archive is built at run time (zipfile, or byte by byte in `testing/hostile_zips.py`); every key
is generated. Each test names the README promise it protects.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from binance_secrets.sources.content import (
    ARCHIVE_MAX_DEPTH,
    ARCHIVE_MAX_INFLATED_BYTES,
    ARCHIVE_MAX_MEMBERS,
    BLOCK_BYTES,
)
from binance_secrets.sources.files import FileTarget, describe_os_error, read_chunks
from testing import keys
from testing.hostile_zips import RawMember, deflated_member, overlapping_zip, raw_zip, repetitive_text
from tests.conftest import KeyPair
from tests.test_cli_scan import unprivileged, write_settings

MIB = 1024 * 1024


def settings_line(pair: KeyPair) -> bytes:
    return f'BINANCE_API_KEY = "{pair.api_key}"\nBINANCE_API_SECRET = "{pair.secret}"\n'.encode()


def json_scan(run_cli, *args: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def, type-arg]
    result = run_cli("scan", "-f", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def run_scan_process(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """`binance-secrets scan` in its own process, so that a hang fails the test instead of freezing it."""
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", "scan", *args],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert b"Traceback" not in completed.stderr, completed.stderr
    return completed


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- archives: README "What is detected" > "Limits", and "Partial scans are never reported clean" ---


def test_zip_archive_over_8_mib_is_scanned_member_by_member(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README `scan`: zip archives of any size are scanned member by member (they were skipped over 8 MiB)."""
    archive = zip_bytes(
        {"blob.bin": os.urandom(9 * MIB), "app/settings.py": settings_line(key_pair)}, zipfile.ZIP_STORED
    )
    assert len(archive) > BLOCK_BYTES
    (in_tmp / "bundle.jar").write_bytes(archive)
    code, report = json_scan(run_cli)
    assert code == 1
    assert {(f["path"], f["line"]) for f in report["findings"]} == {
        ("bundle.jar!app/settings.py", 1),
        ("bundle.jar!app/settings.py", 2),
    }
    assert report["errors"] == []


def test_zip_member_over_20_mib_is_streamed(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Limits": members are read whatever their size, within the archive's inflated budget."""
    filler = repetitive_text(21 * MIB)
    filler = filler[: filler.rfind(b"\n") + 1]
    archive = raw_zip([deflated_member("logs/big.log", filler + settings_line(key_pair))])
    (in_tmp / "logs.zip").write_bytes(archive)
    code, report = json_scan(run_cli)
    assert code == 1, report["errors"]
    lines = {f["line"] for f in report["findings"]}
    assert lines == {filler.count(b"\n") + 1, filler.count(b"\n") + 2}
    assert {f["path"] for f in report["findings"]} == {"logs.zip!logs/big.log"}


def test_archive_over_the_member_limit_is_incomplete(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Limits": 10,000 members at most; the members left out are reported, never skipped silently."""
    members = [deflated_member(f"m/{index}.txt", b"nothing\n") for index in range(ARCHIVE_MAX_MEMBERS)]
    members.append(deflated_member("m/late.py", settings_line(key_pair)))
    (in_tmp / "many.zip").write_bytes(raw_zip(members))
    code, report = json_scan(run_cli)
    assert code == 3
    assert report["findings"] == []
    [error] = report["errors"]
    assert error["path"] == "many.zip" and "over the limit of 10000" in error["message"]


def test_nested_archives_are_scanned_to_the_depth_limit(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Limits": archives inside archives are scanned, 3 levels deep; a 4th level is reported."""
    level = zip_bytes({"settings.py": settings_line(key_pair)})
    names = []
    for depth in range(ARCHIVE_MAX_DEPTH):
        (in_tmp / f"depth{depth + 1}.zip").write_bytes(level)
        names.append(f"level{depth}.zip")
        level = zip_bytes({names[-1]: level})
    (in_tmp / f"depth{ARCHIVE_MAX_DEPTH + 1}.zip").write_bytes(level)

    code, report = json_scan(run_cli, "depth3.zip")
    assert code == 1
    assert {f["path"] for f in report["findings"]} == {"depth3.zip!level1.zip!level0.zip!settings.py"}

    code, report = json_scan(run_cli, "depth4.zip")
    assert code == 3 and report["findings"] == []
    [error] = report["errors"]
    assert error["path"] == "depth4.zip!level2.zip!level1.zip!level0.zip"
    assert "nested more than 3 levels" in error["message"]


def test_overlapping_entry_zip_bomb_is_refused_before_inflating(in_tmp: Path, run_cli) -> None:
    """README "Limits": overlapping entries are refused before anything is inflated.

    This archive (a few hundred KB) inflates to about 5 GB; it took 319 s when every entry was read.
    """
    (in_tmp / "bomb.zip").write_bytes(overlapping_zip(members=250, kernel_bytes=20 * MIB))
    code, report = json_scan(run_cli)
    assert code == 3
    assert report["stats"]["bytes"] == 0
    [error] = report["errors"]
    assert error["path"] == "bomb.zip" and "overlapping entries" in error["message"]


def test_high_compression_ratio_stops_the_archive(in_tmp: Path, run_cli) -> None:
    """README "Limits": a member inflating more than 100:1 past 1 MiB stops the archive, with one error.

    300 members of 20 MiB of zeros took 48 s when every member was inflated.
    """
    zeros = deflated_member("zeros.bin", b"\0" * (20 * MIB))
    (in_tmp / "zeros.zip").write_bytes(raw_zip([zeros] * 300))
    code, report = json_scan(run_cli)
    assert code == 3
    assert report["stats"]["bytes"] < BLOCK_BYTES
    [error] = report["errors"]
    assert error["path"] == "zeros.zip" and "inflates more than 100 times" in error["message"]


def test_inflated_budget_stops_the_archive_and_keeps_earlier_findings(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Limits" and "Partial scans": 256 MiB inflated per archive; what was found before still counts."""
    log = deflated_member("log.txt", repetitive_text(8 * MIB))
    assert log.size / len(log.data) < 100  # under the ratio limit: only the budget can stop this archive
    members = [deflated_member("first.py", settings_line(key_pair))] + [log] * 40
    (in_tmp / "logs.zip").write_bytes(raw_zip(members))
    code, report = json_scan(run_cli)
    assert code == 1
    assert {f["path"] for f in report["findings"]} == {"logs.zip!first.py"}
    assert report["stats"]["bytes"] <= ARCHIVE_MAX_INFLATED_BYTES
    [error] = report["errors"]
    assert error["path"] == "logs.zip" and "over the limit of 256 MiB" in error["message"]


def test_encrypted_member_is_reported_not_skipped(in_tmp: Path, run_cli) -> None:
    """README "Limits": encrypted members are not read, and say so."""
    member = deflated_member("secret.txt", b"nothing to see\n")
    encrypted = RawMember(member.name, member.data, member.method, member.crc, member.size, flags=0x1)
    (in_tmp / "locked.zip").write_bytes(raw_zip([encrypted]))
    code, report = json_scan(run_cli)
    assert code == 3
    assert report["errors"] == [{"path": "locked.zip!secret.txt", "message": "encrypted zip member: not scanned"}]


def test_damaged_archive_is_read_as_bytes_and_reported(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Limits": a damaged archive is read as plain bytes and reported as not fully scanned."""
    archive = zip_bytes({"settings.py": settings_line(key_pair)}, zipfile.ZIP_STORED)
    (in_tmp / "cut.zip").write_bytes(archive[:-30])  # the end of the central directory is gone
    code, report = json_scan(run_cli)
    assert code == 1
    assert {f["path"] for f in report["findings"]} == {"cut.zip"}
    [error] = report["errors"]
    assert error["path"] == "cut.zip" and "could not be opened" in error["message"]


# --- UTF-16: README "Limits" ---


def test_odd_length_utf16_file_is_scanned(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Limits": an odd last byte of a UTF-16 file no longer hides the whole file."""
    text = f'$BinanceApiKey = "{key_pair.api_key}"\r\n'.encode("utf-16")
    (in_tmp / "win.ps1").write_bytes(text + b"\x00")
    code, report = json_scan(run_cli)
    assert code == 1
    assert [(f["line"], f["column"]) for f in report["findings"]] == [(1, 19)]


def test_utf16_file_over_a_block_is_decoded_as_a_stream(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Limits": UTF-16 files are decoded at any size (they were skipped over 8 MiB)."""
    filler = "# filler line of a large UTF-16 file\r\n" * (BLOCK_BYTES // 60)
    (in_tmp / "big.ps1").write_bytes((filler + f'$BinanceApiKey = "{key_pair.api_key}"\r\n').encode("utf-16"))
    assert (in_tmp / "big.ps1").stat().st_size > BLOCK_BYTES
    code, report = json_scan(run_cli)
    assert code == 1
    assert [(f["line"], f["column"]) for f in report["findings"]] == [(filler.count("\n") + 1, 19)]


# --- FIFOs, sockets, devices: README `scan` ---


def test_fifo_in_a_folder_is_a_notice_and_is_never_opened(tmp_path: Path) -> None:
    """README `scan`: FIFOs are never opened; found in a folder they are notices. It used to hang forever."""
    (tmp_path / "app.py").write_text("print('hello')\n")
    os.mkfifo(tmp_path / "queue")
    completed = run_scan_process(tmp_path, "-f", "json", ".", timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["errors"] == [
        {
            "path": "queue",
            "message": "named pipe (FIFO): not a regular file, not read (no content at rest)",
            "notice": True,
        }
    ]


def test_fifo_named_on_the_command_line_is_not_scanned(tmp_path: Path, key_pair: KeyPair) -> None:
    """README `scan` and "Partial scans": a FIFO named on the command line is input that was not scanned."""
    os.mkfifo(tmp_path / "queue")
    completed = run_scan_process(tmp_path, "queue", timeout=60)
    assert completed.returncode == 3
    assert b"queue: named pipe (FIFO): not a regular file, not read" in completed.stderr
    write_settings(tmp_path, key_pair)
    completed = run_scan_process(tmp_path, "-f", "json", "queue", "settings.py", timeout=60)
    assert completed.returncode == 1
    assert len(json.loads(completed.stdout)["findings"]) == 2


def test_file_swapped_for_a_fifo_after_listing_is_refused_not_waited_on(tmp_path: Path) -> None:
    """README `scan`: the type is checked again on the open descriptor (O_NONBLOCK, fstat)."""
    os.mkfifo(tmp_path / "swapped")
    script = (
        "from binance_secrets.sources.files import FileTarget, read_chunks, describe_os_error\n"
        "try:\n"
        "    list(read_chunks(FileTarget('swapped', 'swapped', follow_symlinks=False)))\n"
        "except OSError as error:\n"
        "    print(describe_os_error(error))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.stdout.strip() == "named pipe (FIFO): not a regular file, not read"


def test_file_swapped_for_a_symlink_after_listing_is_not_followed(tmp_path: Path, key_pair: KeyPair) -> None:
    """README `scan`: symlinks are not followed, even one that replaced a listed file."""
    write_settings(tmp_path, key_pair, "outside.py")
    (tmp_path / "swapped.py").symlink_to(tmp_path / "outside.py")
    with pytest.raises(OSError) as raised:
        list(read_chunks(FileTarget(str(tmp_path / "swapped.py"), "swapped.py", follow_symlinks=False)))
    assert describe_os_error(raised.value) == "became a symbolic link after it was listed: not followed"


def test_symlink_named_on_the_command_line_gets_a_notice(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README `scan`: symlinks are not followed; one named on the command line gets a notice."""
    write_settings(in_tmp / "real", key_pair)
    (in_tmp / "link.py").symlink_to(in_tmp / "real" / "settings.py")
    code, report = json_scan(run_cli, "link.py")
    assert code == 0
    assert report["errors"] == [{"path": "link.py", "message": "symbolic link: not followed", "notice": True}]


# --- unreadable folders: README "Partial scans are never reported clean" ---


def test_unreadable_folder_makes_the_scan_incomplete(tmp_path: Path, key_pair: KeyPair) -> None:
    """README "Partial scans": an unreadable folder is not scanned, so the scan is not clean (exit 3)."""
    (tmp_path / "app.py").write_text("print('hello')\n")
    locked = tmp_path / "locked"
    write_settings(locked, key_pair)
    locked.chmod(0)
    try:
        command = unprivileged([sys.executable, "-m", "binance_secrets", "scan", "-f", "json", "."])
        completed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert "Traceback" not in completed.stderr
        assert completed.returncode == 3, completed.stderr
        report = json.loads(completed.stdout)
        assert report["errors"] == [{"path": "locked", "message": "folder could not be listed: permission denied"}]
        assert "Scan incomplete" not in completed.stdout  # JSON, not the text summary
        completed = subprocess.run(
            unprivileged([sys.executable, "-m", "binance_secrets", "scan", "locked"]),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 3
        assert "Scan incomplete" in completed.stdout and "No Binance credentials found" not in completed.stdout
    finally:
        locked.chmod(0o755)


def test_folder_listed_but_not_searchable_makes_the_scan_incomplete(tmp_path: Path) -> None:
    """README "Partial scans": a folder whose files cannot be opened (mode r--) is not reported clean."""
    folder = tmp_path / "listed"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    folder.chmod(0o444)
    try:
        completed = subprocess.run(
            unprivileged([sys.executable, "-m", "binance_secrets", "scan", "-f", "json", "listed"]),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Traceback" not in completed.stderr
        assert completed.returncode == 3
        assert json.loads(completed.stdout)["errors"] == [{"path": "listed/a.py", "message": "permission denied"}]
    finally:
        folder.chmod(0o755)


# --- overlapping targets: README `scan` ---


@pytest.mark.parametrize(
    "targets",
    [("d", "d/sub"), ("d/sub", "d"), (".", "./d/sub"), ("d", "d"), ("d/sub/settings.py", "d"), ("d", "./d/sub/")],
)
def test_overlapping_targets_report_each_finding_once(
    in_tmp: Path, run_cli, key_pair: KeyPair, targets: tuple[str, str]
) -> None:
    """README `scan`: each file is scanned once however the paths overlap (`scan d d/sub` reported twice)."""
    write_settings(in_tmp / "d" / "sub", key_pair)
    code, report = json_scan(run_cli, *targets)
    assert code == 1
    assert [(f["path"], f["rule_id"]) for f in report["findings"]] == [
        ("d/sub/settings.py", "binance-api-key"),
        ("d/sub/settings.py", "binance-secret-key"),
    ]
    assert report["stats"]["files"] == 1


# --- lines longer than a block: README `scan` ---


def test_columns_stay_right_after_a_line_longer_than_a_block(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README `scan`: line and column numbers stay exact after a line longer than the 8 MiB block."""
    # Two-byte characters before the keys: columns count characters, as everywhere else.
    head = "caf\u00e9, " * (BLOCK_BYTES // 6)
    middle = "x " * (BLOCK_BYTES // 2)
    line = f'{head}BINANCE_API_KEY = "{key_pair.api_key}", {middle}BINANCE_API_SECRET = "{key_pair.secret}"'
    (in_tmp / "minified.js").write_text(f"first line\n{line}\nlast = 1\n", encoding="utf-8")
    code, report = json_scan(run_cli)
    assert code == 1
    key_column = line.index(key_pair.api_key) + 1
    secret_column = line.index(key_pair.secret) + 1
    assert len(line.encode()) > 2 * BLOCK_BYTES
    assert [(f["line"], f["column"], f["end_column"]) for f in report["findings"]] == [
        (2, key_column, key_column + 64),
        (2, secret_column, secret_column + 64),
    ]


def test_alphanumeric_run_longer_than_a_block_is_no_token(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README "Silent on look-alikes": a run far longer than a key is no key, wherever blocks are cut."""
    run = keys.random_token(64) * (2 * BLOCK_BYTES // 64 + 7) + "Zz9"
    (in_tmp / "blob.txt").write_text(f"{run}\nBINANCE_API_KEY = {key_pair.api_key}\n")
    code, report = json_scan(run_cli, "--min-confidence", "low")
    assert code == 1
    assert [(f["line"], f["column"]) for f in report["findings"]] == [(2, 19)]


# --- file names that are not UTF-8: README `scan` ---


def test_file_name_that_is_not_utf8_is_scanned(tmp_path: Path, key_pair: KeyPair) -> None:
    """README `scan`: file names that are not valid UTF-8 are scanned like any other (text report).

    The path reaches the report as `os.fsdecode` gives it (undecodable bytes as lone surrogates), and
    every report writes those bytes in the one printable form, `\\xNN` (README, JSON report).
    """
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(folder)
    with open(folder + b"/k\xffy.py", "wb") as handle:
        handle.write(settings_line(key_pair))
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:surrogateescape"}
    for target in (".", os.fsdecode(b"caf\xe9"), os.fsdecode(b"caf\xe9/k\xffy.py")):
        completed = subprocess.run(
            [sys.executable, "-m", "binance_secrets", "scan", "-f", "text", target],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            check=False,
        )
        assert b"Traceback" not in completed.stderr, completed.stderr
        assert completed.returncode == 1, completed.stderr
        assert b"caf\\xe9/k\\xffy.py" in completed.stdout
        assert b"1:20  binance-api-key" in completed.stdout and b"2:23  binance-secret-key" in completed.stdout
