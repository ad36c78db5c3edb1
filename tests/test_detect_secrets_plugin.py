"""The detect-secrets plugin classes in-process, and the commands that point users at them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("detect_secrets")

from detect_secrets.constants import VerifiedResult
from detect_secrets.core.plugins.util import get_plugins_from_file
from detect_secrets.plugins.keyword import KeywordDetector
from detect_secrets.settings import transient_settings
from detect_secrets.util.code_snippet import get_code_snippet

from binance_secrets import detect_secrets_plugin as plugin
from binance_secrets.commands.plugin_path import plugin_path
from testing import keys

pytestmark = pytest.mark.dev_extra  # detect-secrets comes with the dev extra

INDIRECT_REFERENCE = "detect_secrets.filters.heuristic.is_indirect_reference"
RULE_TYPES = {
    "binance-api-key": "Binance API Key",
    "binance-secret-key": "Binance Secret Key",
    "binance-private-key": "Binance Private Key",
    "hardcoded-api-secret": "Hardcoded API Secret",
}


def detector(rule_id: str, **config: str) -> plugin._BinanceDetector:
    classes = {cls.rule_id: cls for cls in plugin._BinanceDetector.__subclasses__()}
    return classes[rule_id](**config)


def line_results(path: Path, rule_id: str, **config: str) -> dict[int, set[str]]:
    """What detect-secrets gets back from one plugin, line by line, with the snippet it passes."""
    lines = path.read_text().splitlines(keepends=True)
    found: dict[int, set[str]] = {}
    instance = detector(rule_id, **config)
    for number, line in enumerate(lines, start=1):
        secrets = instance.analyze_line(
            filename=str(path), line=line.rstrip(), line_number=number, context=get_code_snippet(lines, number)
        )
        if secrets:
            found[number] = {secret.secret_value for secret in secrets}
    return found


def test_loading_the_file_yields_one_detector_per_rule() -> None:
    classes = list(get_plugins_from_file(str(plugin_path())))
    assert sorted(cls.secret_type for cls in classes) == sorted(RULE_TYPES.values())
    assert {cls.rule_id: cls.secret_type for cls in classes} == RULE_TYPES


def test_plugin_path_is_the_module_file() -> None:
    assert plugin_path() == Path(plugin.__file__).resolve()


def test_plugin_path_command_prints_the_path(run_cli) -> None:
    result = run_cli("detect-secrets-plugin-path")
    assert result.exit_code == 0
    assert result.stdout.strip() == str(Path(plugin.__file__).resolve())
    assert Path(result.stdout.strip()).is_file()


def test_each_line_reports_only_its_own_secret_with_file_context(tmp_path: Path) -> None:
    api_key, secret = keys.api_key(), keys.secret_key()
    config = tmp_path / "config.py"
    # Names alone say nothing about Binance: the pairing across lines is what makes both `high`.
    config.write_text(f'API_KEY = "{api_key}"\n\n\n\n\n\n\nSECRET_KEY = "{secret}"\n')
    assert line_results(config, "binance-api-key") == {1: {api_key}}
    assert line_results(config, "binance-secret-key") == {8: {secret}}
    assert line_results(config, "binance-api-key", min_confidence="high") == {1: {api_key}}


def test_low_confidence_tokens_are_left_out_like_the_scanner_does(tmp_path: Path) -> None:
    bare = tmp_path / "data.txt"
    bare.write_text(f"{keys.random_token()}\n")
    assert line_results(bare, "binance-api-key") == {}
    assert line_results(bare, "binance-api-key", min_confidence="low") != {}


def test_multi_line_private_key_is_reported_on_its_begin_line(tmp_path: Path) -> None:
    pem = keys.ed25519_pem()
    key_file = tmp_path / "binance_ed25519.pem"
    key_file.write_text(pem)
    found = line_results(key_file, "binance-private-key")
    assert list(found) == [1]
    assert next(iter(found[1])).startswith("-----BEGIN PRIVATE KEY-----")


def test_strings_without_a_file_are_judged_on_the_snippet() -> None:
    api_key = keys.api_key()
    line = f'binance_api_key = "{api_key}"'
    secrets = detector("binance-api-key").analyze_line(
        filename="adhoc-string-scan", line=line, line_number=0, context=get_code_snippet([line], 1)
    )
    assert {secret.secret_value for secret in secrets} == {api_key}
    assert list(detector("binance-api-key").analyze_string(line)) == [api_key]
    assert list(detector("binance-api-key").analyze_string(keys.random_token())) == []


def test_allowlisted_line_is_not_reported(tmp_path: Path) -> None:
    config = tmp_path / "settings.py"
    config.write_text(f'BINANCE_API_KEY = "{keys.api_key()}"  # pragma: allowlist secret\n')
    assert line_results(config, "binance-api-key") == {}


def test_threshold_is_recorded_in_the_baseline_entry_and_checked() -> None:
    assert detector("binance-api-key").json() == {"name": "BinanceApiKeyDetector", "min_confidence": "medium"}
    assert detector("hardcoded-api-secret", min_confidence="high").json()["min_confidence"] == "high"
    with pytest.raises(TypeError, match="min_confidence"):
        detector("binance-api-key", min_confidence="certain")


def test_verify_without_opt_in_answers_unverified(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(plugin.VERIFY_ENV, raising=False)
    api_key, secret = keys.api_key(), keys.secret_key()
    lines = [f'BINANCE_API_KEY = "{api_key}"', f'BINANCE_API_SECRET = "{secret}"']
    context = get_code_snippet(lines, 1)
    assert detector("binance-api-key").verify(api_key, context) == VerifiedResult.UNVERIFIED


def test_partner_is_found_in_the_context_lines() -> None:
    api_key, secret = keys.api_key(), keys.secret_key()
    lines = ["import ccxt", f'API_KEY = "{api_key}"', "", f'API_SECRET = "{secret}"']
    pair = plugin._pair_of(secret, get_code_snippet(lines, 4))
    assert pair is not None
    assert (pair.api_key, pair.secret, pair.private_key_pem) == (api_key, secret, None)
    assert api_key not in repr(pair) and secret not in repr(pair)
    assert plugin._pair_of(api_key, get_code_snippet([lines[1]], 1)) is None


def test_heuristics_move_into_our_filter_and_spare_only_our_plugins() -> None:
    """README (detect-secrets): the heuristics apply to detect-secrets' own plugins only."""
    # detect-secrets' own context manager: its global settings are restored afterwards.
    with transient_settings({"plugins_used": [{"name": "KeywordDetector"}]}) as settings:
        settings.disable_filters(INDIRECT_REFERENCE.replace("indirect_reference", "templated_secret"))
        ours = detector("binance-secret-key")
        moved = settings.filters[plugin.SCOPED_HEURISTICS_FILTER]["heuristics"]
        assert INDIRECT_REFERENCE in moved and not set(moved) & set(settings.filters)
        # A heuristic the user disabled is not brought back by the move.
        assert INDIRECT_REFERENCE.replace("indirect_reference", "templated_secret") not in moved
        detector("binance-api-key")  # a second detector finds the work done
        assert settings.filters[plugin.SCOPED_HEURISTICS_FILTER]["heuristics"] == moved

        keyword = KeywordDetector()
        value = keys.random_token(16)  # made here: a literal would be a finding of this repository's own scan
        call = f'client = make(api_secret="{value}")'
        drop = plugin.heuristics_except_for_binance_rules
        assert drop(filename="bot.py", secret=value, line=call, plugin=keyword)
        assert not drop(filename="bot.py", secret=value, line=call, plugin=ours)
        assert not drop(filename="bot.py", secret=value, line=f'api_secret = "{value}"', plugin=keyword)
        assert drop(filename="bot.py", secret=f"${value}", line=f'api_secret = "${value}"', plugin=keyword)
        # `scan --string` applies no line filter, so the moved line heuristic does not apply there either.
        assert not drop(filename="adhoc-string-scan", secret=value, line=call, plugin=keyword)


def test_a_baseline_cannot_make_the_filter_import_anything() -> None:
    with transient_settings({"plugins_used": []}) as settings:
        # `lru_cache()` would answer "drop": names the filter does not move are neither imported nor called.
        listed = ["os.system", "detect_secrets.filters.heuristic.lru_cache", "detect_secrets.filters.heuristic.os"]
        settings.filters[plugin.SCOPED_HEURISTICS_FILTER] = {"heuristics": listed}
        drop = plugin.heuristics_except_for_binance_rules
        assert not drop(filename="bot.py", secret="abc", line="x = f(y)", plugin=KeywordDetector())


def test_core_install_and_hook_never_import_detect_secrets(tmp_path: Path) -> None:
    target = tmp_path / "settings.py"
    target.write_text(f'BINANCE_API_KEY = "{keys.api_key()}"\n')
    program = (
        "import sys\n"
        "from binance_secrets.hook import main as hook\n"
        "from binance_secrets.cli import main as cli\n"
        f"assert hook([{str(target)!r}]) == 1\n"
        f"assert cli(['scan', '-q', {str(target)!r}]) == 1\n"
        "assert cli(['detect-secrets-plugin-path']) == 0\n"
        "loaded = sorted(name for name in sys.modules if name.startswith('detect_secrets'))\n"
        "assert not loaded, loaded\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
