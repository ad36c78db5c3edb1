"""Config files, baselines and reports of the wrong shape: a clear usage error (exit 2), never a traceback.

README "JSON report and exit codes": "2 | usage error: ... bad config or baseline" and "No user error
prints a traceback. A config file or baseline of the wrong shape (...) is a usage error."
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import KeyPair
from tests.test_cli_scan import write_settings

DEEP = 200_000

BAD_SETTINGS = [
    ('tool = "x"\n', "`tool` must be a table"),
    ("tool = 1\n", "`tool` must be a table"),
    ("[tool]\nbinance-secrets = 1\n", "`tool.binance-secrets` must be a table"),
    ('[tool]\nbinance-secrets = "on"\n', "`tool.binance-secrets` must be a table"),
    ("[[tool.binance-secrets]]\nexclude = []\n", "`tool.binance-secrets` must be a table"),
    ("[tool.binance-secrets]\nexclude = 3\n", "`exclude` must be a list of path globs"),
    ('[tool.binance-secrets]\nexclude = "tests/*"\n', "`exclude` must be a list of path globs"),
    ("[tool.binance-secrets]\nexclude = [[]]\n", "`exclude` must be a list of path globs"),
    ("[tool.binance-secrets]\nallow = [1]\n", "`allow` must be a list of secret_sha256 values"),
    ("[tool.binance-secrets]\nallow = {}\n", "`allow` must be a list of secret_sha256 values"),
    ('[tool.binance-secrets]\nallow = ["abc"]\n', "`allow` holds values that are not SHA-256 hex digests"),
    ("[tool.binance-secrets]\nmin-confidence = true\n", "`min-confidence` must be one of low, medium, high"),
    ("[tool.binance-secrets]\nmin-confidence = []\n", "`min-confidence` must be one of low, medium, high"),
    ("[tool.binance-secrets]\nmin-confidence = {a = 1}\n", "`min-confidence` must be one of low, medium, high"),
    ('[tool.binance-secrets]\nmin-confidence = "extreme"\n', "`min-confidence` must be one of low, medium, high"),
    ("[tool.binance-secrets]\nmax-file-size = true\n", "`max-file-size` must be a positive number of bytes"),
    ('[tool.binance-secrets]\nmax-file-size = "20M"\n', "`max-file-size` must be a positive number of bytes"),
    ("[tool.binance-secrets]\nmax-file-size = -1\n", "`max-file-size` must be a positive number of bytes"),
    ("[tool.binance-secrets]\nmax-file-size = 1.5\n", "`max-file-size` must be a positive number of bytes"),
    ("[tool.binance-secrets]\nfrobnicate = 1\n", "unknown setting(s) frobnicate"),
    ("a = " + "[" * DEEP + "\n", "nested too deeply"),
    ("a = " + "{b = " * DEEP + "\n", "nested too deeply"),
    ("exclude = [\n", "not valid TOML"),
]


@pytest.mark.parametrize(("content", "message"), BAD_SETTINGS)
@pytest.mark.parametrize("file_name", [".binance-secrets.toml", "explicit.toml"])
def test_bad_config_file_is_a_usage_error(in_tmp: Path, run_cli, content: str, message: str, file_name: str) -> None:
    """README exit codes: a bad config is exit 2 with a message, never a traceback (RecursionError included)."""
    (in_tmp / file_name).write_text(content)
    args = ("scan", "--config", file_name) if file_name == "explicit.toml" else ("scan",)
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [(content, message) for content, message in BAD_SETTINGS if content.startswith("[tool")],
)
def test_bad_pyproject_section_is_a_usage_error(in_tmp: Path, run_cli, content: str, message: str) -> None:
    """README exit codes: `[tool.binance-secrets]` of the wrong shape in pyproject.toml is exit 2."""
    (in_tmp / "pyproject.toml").write_text('[project]\nname = "x"\n' + content)
    result = run_cli("scan")
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_pyproject_that_is_not_ours_is_ignored_whatever_its_tool_key(in_tmp: Path, run_cli, key_pair: KeyPair) -> None:
    """README config: only `[tool.binance-secrets]` is read; another project's odd `tool` breaks nothing."""
    write_settings(in_tmp, key_pair)
    for content in ('tool = "x"\n', "tool = 1\n", "tool = [1]\n", "a = " + "[" * DEEP + "\n"):
        (in_tmp / "pyproject.toml").write_text(content)
        result = run_cli("scan")
        assert result.exit_code == 1, result.output


def test_deeply_nested_json_baseline_is_a_usage_error(in_tmp: Path, run_cli) -> None:
    """README exit codes: a 200000-deep `[` baseline is exit 2 (it raised RecursionError)."""
    (in_tmp / "deep.json").write_text("[" * DEEP)
    result = run_cli("scan", "--baseline", "deep.json")
    assert result.exit_code == 2
    assert "baseline deep.json is nested too deeply" in result.stderr
    (in_tmp / "deep.json").write_text('{"findings": ' + "[" * DEEP + "]" * DEEP + "}")
    result = run_cli("scan", "--baseline", "deep.json")
    assert result.exit_code == 2


def test_baseline_with_an_overlong_number_is_a_usage_error(in_tmp: Path, run_cli) -> None:
    """README exit codes: JSON Python refuses to convert (a 5000-digit integer) is a usage error."""
    (in_tmp / "big.json").write_text('{"findings": [' + "9" * 5000 + "]}")
    result = run_cli("scan", "--baseline", "big.json")
    assert result.exit_code == 2
    assert "baseline big.json is not usable JSON" in result.stderr


def test_deeply_nested_report_for_verify_is_a_usage_error(in_tmp: Path, run_cli) -> None:
    """README exit codes: `verify --report` of a 200000-deep report is exit 2, never "live" (1)."""
    (in_tmp / "report.json").write_text('{"findings": ' + "[" * DEEP)
    result = run_cli("verify", "--report", "report.json")
    assert result.exit_code == 2
    assert "report report.json is nested too deeply" in result.stderr
