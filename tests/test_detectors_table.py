"""Every rule's own examples (`binance_secrets.detectors.examples`), filled with generated values.

Positives must be reported by their rule, with the expected secret, confidence and position;
negatives (look-alikes) must not be reported at the default threshold.
"""

from __future__ import annotations

import pytest

from binance_secrets.detectors import detect
from binance_secrets.detectors.examples import RULE_EXAMPLES, Example, RuleExamples
from binance_secrets.filters import CONFIDENCE_ORDER, DEFAULT_MIN_CONFIDENCE
from binance_secrets.finding import Finding
from binance_secrets.sources.content import printable_text
from testing.examples import example_values, fill

MIN_POSITIVES = 40
MIN_NEGATIVES = 60
# The placeholders that stand for credentials; anything else reported in a positive is noise.
CREDENTIAL_PLACEHOLDERS = (
    "key", "secret", "key2", "secret2", "cred", "hex64",
    "pem", "rsa_pem", "enc_pem", "pkcs1_pem", "ec_pem",
)  # fmt: skip


@pytest.fixture(scope="module")
def values() -> dict[str, str]:
    return example_values()


def _scan(example: Example, values: dict[str, str]) -> tuple[str, list[Finding]]:
    text = fill(example.text, values)
    data = text.encode(example.encoding)
    return text, detect(printable_text(data), example.path)


def _cases(kind: str) -> list[object]:
    return [
        pytest.param(rule, example, id=f"{rule.rule_id}:{example.label}")
        for rule in RULE_EXAMPLES
        for example in (rule.positives if kind == "positive" else rule.negatives)
    ]


@pytest.mark.parametrize("rule", RULE_EXAMPLES, ids=lambda rule: rule.rule_id)
def test_every_rule_carries_enough_examples(rule: RuleExamples) -> None:
    assert len(rule.positives) >= MIN_POSITIVES
    assert len(rule.negatives) >= MIN_NEGATIVES
    labels = [example.label for example in rule.positives + rule.negatives]
    assert len(labels) == len(set(labels)), "labels name the test cases, so they must be unique"


@pytest.mark.parametrize(("rule", "example"), _cases("positive"))
def test_positive_example_is_reported(rule: RuleExamples, example: Example, values: dict[str, str]) -> None:
    text, findings = _scan(example, values)
    expected = values[example.secret or rule.default_secret]
    matching = [f for f in findings if f.rule_id == rule.rule_id and f.secret == expected]
    assert matching, f"not reported; found {[(f.rule_id, f.confidence, f.redacted) for f in findings]}"
    finding = matching[0]
    assert CONFIDENCE_ORDER[finding.confidence] >= CONFIDENCE_ORDER[example.threshold]
    if example.confidence is not None:
        assert finding.confidence == example.confidence
    if "\n" not in expected and example.encoding == "utf-8":
        # The reported position is where the secret is: 1-based line and column, end after it.
        offset = text.index(expected)
        line_start = text.rfind("\n", 0, offset) + 1
        assert (finding.line, finding.column) == (text.count("\n", 0, offset) + 1, offset - line_start + 1)
        assert finding.end_column == finding.column + len(expected)
    credentials = {values[name] for name in CREDENTIAL_PLACEHOLDERS}
    noise = [f for f in findings if f.confidence != "low" and f.secret not in credentials]
    assert not noise, [(f.rule_id, f.confidence, f.redacted) for f in noise]


@pytest.mark.parametrize(("rule", "example"), _cases("negative"))
def test_lookalike_is_not_reported(rule: RuleExamples, example: Example, values: dict[str, str]) -> None:
    _, findings = _scan(example, values)
    threshold = CONFIDENCE_ORDER[DEFAULT_MIN_CONFIDENCE]
    reported = [f for f in findings if CONFIDENCE_ORDER[f.confidence] >= threshold]
    if example.others_allowed:
        reported = [f for f in reported if f.rule_id == rule.rule_id]
    assert not reported, [(f.rule_id, f.confidence, f.redacted) for f in reported]
