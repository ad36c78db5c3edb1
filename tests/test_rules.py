"""The rules module is the one home of a rule's facts (issue #15 item 1): every part of the tool that
names a rule agrees with `binance_secrets.rules`, and nothing keeps a second list of its own.

Most consumers read the module directly; these tests prove it through their output (a finding's kind,
SARIF's rule metadata, the JSON report and its schema, what verification does with a lone key or
secret, the GitHub annotations, the detect-secrets plugin as detect-secrets loads it) and check the
hand-written parts against it: the report schema's enums, the plugin classes, the example tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from binance_secrets.detectors.examples import RULE_EXAMPLES
from binance_secrets.finding import Finding
from binance_secrets.report import github
from binance_secrets.report.json_report import parse_report, render, schema_path
from binance_secrets.report.sarif import report_to_sarif
from binance_secrets.result import ScanResult, ScanStats
from binance_secrets.rules import RULES, RULES_BY_ID, Rule
from binance_secrets.verification import outcome
from binance_secrets.verification.batch import VerifySettings, verify_findings
from testing import keys

from .conftest import KeyPair


def finding_of(rule: Rule) -> Finding:
    return Finding(rule.id, "high", "bot.py", 3, 5, 69, keys.secret_key())


def result_of(*findings: Finding) -> ScanResult:
    return ScanResult(tuple(findings), (), ScanStats())


def test_rule_ids_sarif_names_and_secret_types_are_unique() -> None:
    """A report, a SARIF upload and a detect-secrets baseline each name a rule by one of these."""
    for name in ("id", "sarif_name", "secret_type"):
        values = [getattr(rule, name) for rule in RULES]
        assert len(set(values)) == len(RULES), name
    assert list(RULES_BY_ID.values()) == list(RULES)


def test_the_report_schema_lists_exactly_the_rules_and_their_kinds() -> None:
    """README "JSON report and exit codes": the schema in the package accepts every rule id and kind the
    tool writes, in the rules module's order, and no other."""
    finding = json.loads(schema_path().read_text())["$defs"]["finding"]["properties"]
    assert finding["rule_id"]["enum"] == [rule.id for rule in RULES]
    assert finding["kind"]["enum"] == list(dict.fromkeys(rule.kind for rule in RULES))


def test_every_rule_has_its_example_tables_and_every_table_a_rule() -> None:
    assert [examples.rule_id for examples in RULE_EXAMPLES] == [rule.id for rule in RULES]
    for rule in RULES:
        examples = rule.examples()
        assert examples.rule_id == rule.id
        assert examples.positives and examples.negatives, rule.id


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_a_finding_has_its_rules_kind_in_every_report(rule: Rule) -> None:
    finding = finding_of(rule)
    assert finding.kind == rule.kind
    written = json.loads(render(result_of(finding)))
    assert (written["findings"][0]["rule_id"], written["findings"][0]["kind"]) == (rule.id, rule.kind)
    read_back = parse_report(written, "report").checked().findings
    assert [(f.rule_id, f.kind) for f in read_back] == [(rule.id, rule.kind)]
    assert rule.title in github.render(result_of(finding))


def test_sarif_describes_every_rule_as_the_rules_module_does() -> None:
    """README "GitHub code scanning (SARIF)": one rule entry per rule, each result pointing at its own."""
    findings = [finding_of(rule) for rule in RULES]
    run = report_to_sarif(result_of(*findings))["runs"][0]
    described = [
        (
            entry["id"],
            entry["name"],
            entry["shortDescription"]["text"],
            entry["fullDescription"]["text"],
            entry["help"]["text"],
            entry["properties"]["security-severity"],
        )
        for entry in run["tool"]["driver"]["rules"]
    ]
    assert described == [
        (rule.id, rule.sarif_name, rule.title, rule.description, rule.sarif_help, rule.security_severity)
        for rule in RULES
    ]
    for result, rule in zip(run["results"], RULES, strict=True):
        assert result["ruleId"] == rule.id
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == rule.id
        assert result["message"]["text"].startswith(rule.title + " committed")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_verification_treats_a_lone_finding_by_its_rules_role(rule: Rule) -> None:
    """README "Live verification": a key alone or a secret alone cannot be checked, and nothing is sent;
    which of the two a finding is comes from its rule's role."""
    (verified,) = verify_findings([finding_of(rule)], VerifySettings())
    assert verified.verification is not None
    assert verified.verification.status == "unknown"
    expected = outcome.NO_SECRET if rule.role == "key" else outcome.NO_KEY
    assert verified.verification.reason == expected


@pytest.mark.dev_extra  # detect-secrets comes with the dev extra
def test_the_detect_secrets_plugin_has_one_class_per_rule_with_its_secret_type() -> None:
    """README "detect-secrets plugin": detect-secrets, loading the plugin file by path, finds one detector
    per rule, and each records the rule's secret type in the baseline."""
    from detect_secrets.core.plugins.util import get_plugins_from_file

    from binance_secrets import detect_secrets_plugin
    from binance_secrets.commands.plugin_path import plugin_path

    classes = list(get_plugins_from_file(str(plugin_path())))
    assert {cls.rule_id: cls.secret_type for cls in classes} == {rule.id: rule.secret_type for rule in RULES}
    assert sorted(detect_secrets_plugin.__all__) == sorted(cls.__name__ for cls in classes)


def test_a_hook_run_with_findings_reads_the_rules_but_not_their_example_tables(
    tmp_path: Path, key_pair: KeyPair
) -> None:
    """README "Performance": the rules module is on the hook's path (the report names each finding's
    rule); the example tables, which only tests read, are not, even when there is something to report."""
    (tmp_path / "settings.py").write_text(f'BINANCE_API_SECRET = "{key_pair.secret}"\n')
    probe = (
        "import sys\n"
        "from binance_secrets.hook import main\n"
        "code = main(['settings.py'])\n"
        "loaded = [m for m in ('binance_secrets.rules', 'binance_secrets.detectors.examples') if m in sys.modules]\n"
        "print('LOADED', loaded, code)\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "LOADED ['binance_secrets.rules'] 1" in completed.stdout, completed.stdout + completed.stderr


def test_detection_names_rules_by_their_records_not_by_id_literals() -> None:
    """Detection gives a finding its rule as `rules.API_KEY.id` and so on: no detector spells a rule id
    itself (the example tables aside, which are data), so renaming a rule is one change in rules.py."""
    detectors = Path(__file__).resolve().parents[1] / "binance_secrets" / "detectors"
    spelled = {
        f"{path.name}: {rule.id}"
        for path in detectors.glob("*.py")
        if path.name != "examples.py"
        for rule in RULES
        if f'"{rule.id}"' in path.read_text() or f"'{rule.id}'" in path.read_text()
    }
    assert spelled == set()
