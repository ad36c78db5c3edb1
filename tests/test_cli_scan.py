"""`binance-secrets scan` through the real CLI entry point: exit codes, formats, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from binance_secrets.sources.files import BLOCK_BYTES, FileTarget, describe_os_error, read_chunks
from tests.conftest import KeyPair, run_subprocess

DESIGN_FINDING_KEYS = {
    "rule_id", "kind", "confidence", "path", "line", "column", "end_column", "secret", "secret_sha256",
    "fingerprint", "pair_sha256", "commit", "in_head", "environment_hint", "repository", "occurrences",
    "verification",
}  # fmt: skip


def write_settings(folder: Path, pair: KeyPair, name: str = "settings.py") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'BINANCE_API_KEY = "{pair.api_key}"\nBINANCE_API_SECRET = "{pair.secret}"\n')
    return path


def test_clean_folder_exits_0(in_tmp: Path, run_cli) -> None:
    (in_tmp / "app.py").write_text("print('hello')\n")
    result = run_cli("scan", ".")
    assert result.exit_code == 0
    assert "No Binance credentials found" in result.stdout


def test_key_pair_exits_1_and_is_redacted_by_default(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp / "config", key_pair)
    result = run_cli("scan")
    assert result.exit_code == 1
    assert "config/settings.py" in result.stdout
    assert "binance-api-key" in result.stdout and "binance-secret-key" in result.stdout
    assert key_pair.api_key not in result.output and key_pair.secret not in result.output
    assert key_pair.api_key[:4] + "…" in result.stdout
    assert "Revoke" in result.stdout


def test_show_secrets_prints_the_full_value(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp, key_pair)
    result = run_cli("scan", "--show-secrets")
    assert key_pair.secret in result.stdout


def test_json_report_has_the_design_fields(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp / "config", key_pair)
    result = run_cli("scan", "-f", "json")
    report = json.loads(result.stdout)
    assert report["version"] == 1 and report["tool"]["name"] == "binance-secrets"
    assert set(report["stats"]) == {"files", "commits", "blobs", "bytes", "seconds"}
    key_finding, secret_finding = report["findings"]
    assert set(key_finding) == DESIGN_FINDING_KEYS
    assert key_finding["path"] == "config/settings.py"
    assert (key_finding["line"], key_finding["column"], key_finding["end_column"]) == (1, 20, 84)
    assert key_finding["kind"] == "api_key" and secret_finding["kind"] == "secret_key"
    assert key_finding["confidence"] == "high"
    assert key_finding["pair_sha256"] == secret_finding["secret_sha256"]
    assert secret_finding["pair_sha256"] == key_finding["secret_sha256"]
    assert key_pair.api_key not in result.stdout
    assert report["errors"] == []


def test_output_file(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp, key_pair)
    result = run_cli("scan", "-f", "json", "-o", "report.json", "settings.py")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads((in_tmp / "report.json").read_text())["findings"]


def test_unknown_format_is_a_usage_error(in_tmp: Path, run_cli) -> None:
    result = run_cli("scan", "-f", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.stderr


def test_unknown_option_is_a_usage_error(in_tmp: Path, run_cli) -> None:
    result = run_cli("scan", "--frobnicate")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_missing_target_only_is_exit_3(in_tmp: Path, run_cli) -> None:
    result = run_cli("scan", "does-not-exist")
    assert result.exit_code == 3
    assert "does-not-exist: no such file or directory" in result.stderr
    assert "nothing could be scanned" in result.stderr


def test_missing_target_among_others_is_a_warning(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp, key_pair)
    result = run_cli("scan", "-f", "json", "settings.py", "gone.py")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == [{"path": "gone.py", "message": "no such file or directory"}]
    assert "warning: gone.py" in result.stderr


def test_binary_file_printable_run_is_found(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    blob = b"\x00\x01\x02binance_api_key\x00" + key_pair.api_key.encode() + b"\x00\xff\xfe" * 100
    (in_tmp / "cache.sqlite").write_bytes(blob)
    result = run_cli("scan", "-f", "json", "--min-confidence", "low")
    findings = json.loads(result.stdout)["findings"]
    assert [f["path"] for f in findings] == ["cache.sqlite"]


def test_zip_member_is_scanned(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    import zipfile

    with zipfile.ZipFile(in_tmp / "bundle.whl", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/config.py", f'BINANCE_API_KEY = "{key_pair.api_key}"\n')
    result = run_cli("scan", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert [(f["path"], f["line"]) for f in findings] == [("bundle.whl!pkg/config.py", 1)]


def test_non_utf8_file_is_scanned_with_character_columns(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    line = "# caf\u00e9 \u00e9t\u00e9\nBINANCE_API_KEY = '".encode("latin-1") + key_pair.api_key.encode() + b"'\n"
    (in_tmp / "legacy.py").write_bytes(line)
    findings = json.loads(run_cli("scan", "-f", "json").stdout)["findings"]
    assert [(f["line"], f["column"]) for f in findings] == [(2, 20)]


def test_utf16_file_is_scanned(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    (in_tmp / "win.ps1").write_bytes(f'$BinanceApiKey = "{key_pair.api_key}"\r\n'.encode("utf-16"))
    findings = json.loads(run_cli("scan", "-f", "json").stdout)["findings"]
    assert len(findings) == 1


def test_big_file_is_streamed_and_line_numbers_stay_right(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    filler_line = b"x = 1  # filler line to make the file larger than one read block\n"
    repeats = BLOCK_BYTES // len(filler_line) + 1000
    with open(in_tmp / "big.py", "wb") as handle:
        handle.write(filler_line * repeats)
        handle.write(f'BINANCE_API_SECRET = "{key_pair.secret}"\n'.encode())
    findings = json.loads(run_cli("scan", "-f", "json").stdout)["findings"]
    assert [(f["rule_id"], f["line"]) for f in findings] == [("binance-secret-key", repeats + 1)]


def test_symlinks_are_not_followed(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    outside = in_tmp / "outside"
    write_settings(outside, key_pair)
    tree = in_tmp / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside / "settings.py")
    (tree / "linkdir").symlink_to(outside)
    (tree / "dangling.py").symlink_to(in_tmp / "nowhere")
    result = run_cli("scan", "-f", "json", "tree")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["errors"] == []


def test_git_folder_is_skipped(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp / ".git", key_pair, "config")
    assert run_cli("scan").exit_code == 0


def test_exclude_option_and_config(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp / "fixtures", key_pair)
    write_settings(in_tmp / "vendor" / "lib", key_pair)
    assert run_cli("scan", "--exclude", "fixtures", "--exclude", "vendor/*").exit_code == 0
    (in_tmp / "pyproject.toml").write_text('[tool.binance-secrets]\nexclude = ["fixtures/**", "vendor"]\n')
    assert run_cli("scan").exit_code == 0


def test_config_allow_list_by_secret_hash(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp, key_pair)
    report = json.loads(run_cli("scan", "-f", "json").stdout)
    hashes = ", ".join(f'"{f["secret_sha256"]}"' for f in report["findings"])
    (in_tmp / ".binance-secrets.toml").write_text(f"allow = [{hashes}]\n")
    assert run_cli("scan").exit_code == 0


def test_invalid_config_is_a_usage_error(in_tmp: Path, run_cli) -> None:
    (in_tmp / ".binance-secrets.toml").write_text("exclude = 'not a list'\n")
    result = run_cli("scan")
    assert result.exit_code == 2
    assert "`exclude` must be a list" in result.stderr
    (in_tmp / ".binance-secrets.toml").write_text("exclude = [\n")
    result = run_cli("scan")
    assert result.exit_code == 2 and "not valid TOML" in result.stderr


def test_min_confidence_threshold(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    (in_tmp / "data.txt").write_text(f"value {key_pair.api_key} end\n")
    assert run_cli("scan").exit_code == 0
    assert run_cli("scan", "--min-confidence", "low").exit_code == 1
    assert run_cli("scan", "--min-confidence", "extreme").exit_code == 2


def test_own_json_report_as_baseline(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp / "src", key_pair)
    assert run_cli("scan", "src", "-f", "json", "-o", "baseline.json").exit_code == 1
    assert run_cli("scan", "src", "--baseline", "baseline.json").exit_code == 0
    write_settings(in_tmp / "src", KeyPair(key_pair.api_key, key_pair.secret[::-1]), "other.py")
    result = run_cli("scan", "src", "--baseline", "baseline.json", "-f", "json")
    assert result.exit_code == 1
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["src/other.py"]


def test_bad_baseline_is_a_usage_error(in_tmp: Path, run_cli) -> None:
    assert run_cli("scan", "--baseline", "missing.json").exit_code == 2
    (in_tmp / "b.json").write_text("{not json")
    result = run_cli("scan", "--baseline", "b.json")
    assert result.exit_code == 2 and "is not JSON" in result.stderr
    (in_tmp / "b.json").write_text("[1, 2]")
    assert run_cli("scan", "--baseline", "b.json").exit_code == 2


def test_pragma_suppresses_a_line(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    (in_tmp / "a.py").write_text(
        f'BINANCE_API_KEY = "{key_pair.api_key}"  # pragma: allowlist secret\n'
        "# pragma: allowlist nextline secret\n"
        f'BINANCE_API_SECRET = "{key_pair.secret}"\n'
    )
    assert run_cli("scan").exit_code == 0


def test_vanished_file_is_reported_not_fatal(tmp_path: Path) -> None:
    target = FileTarget(str(tmp_path / "gone.py"), "gone.py")
    with pytest.raises(OSError) as raised:
        list(read_chunks(target))
    assert describe_os_error(raised.value) == "file vanished before it could be read"


def unprivileged(command: list[str]) -> list[str]:
    """Root reads any file, so as root the command runs without the capabilities that allow it."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *command]


def test_unreadable_file_is_a_warning_and_the_rest_is_scanned(tmp_path: Path, key_pair: KeyPair) -> None:
    write_settings(tmp_path, key_pair)
    secret_file = tmp_path / "private.txt"
    secret_file.write_text("nothing\n")
    secret_file.chmod(0)
    completed = subprocess.run(
        unprivileged([sys.executable, "-m", "binance_secrets", "scan", "-f", "json", "."]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in completed.stderr
    assert completed.returncode == 1, completed.stderr
    report = json.loads(completed.stdout)
    assert {"path": "private.txt", "message": "permission denied"} in report["errors"]
    assert len(report["findings"]) == 2


def test_only_unreadable_target_is_exit_3(tmp_path: Path) -> None:
    locked = tmp_path / "locked.py"
    locked.write_text("x = 1\n")
    locked.chmod(0)
    completed = subprocess.run(
        unprivileged([sys.executable, "-m", "binance_secrets", "scan", "locked.py"]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 3
    assert "locked.py: permission denied" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_console_script_runs_as_a_module(tmp_path: Path) -> None:
    result = run_subprocess(["--version"], cwd=tmp_path)
    assert result.exit_code == 0 and "binance-secrets" in result.stdout


def test_tool_caches_and_virtualenvs_are_skipped(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    write_settings(in_tmp / ".mypy_cache", key_pair)
    (in_tmp / ".mypy_cache" / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    write_settings(in_tmp / "env" / "lib", key_pair)
    (in_tmp / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert run_cli("scan").exit_code == 0
    write_settings(in_tmp / "app", key_pair)
    result = run_cli("scan", "-f", "json")
    assert {f["path"] for f in json.loads(result.stdout)["findings"]} == {"app/settings.py"}
