"""`detect()` stays linear on inputs built to make a careless scanner quadratic.

No timing is asserted: each input is big enough (1-2 MB) that a quadratic path would take minutes,
so the suite's own duration is the check. `benchmarks/adversarial.py` runs the same inputs at 10 MB
and prints MB/s.
"""

from __future__ import annotations

from binance_secrets.detectors import detect
from binance_secrets.filters import CONFIDENCE_ORDER
from testing import adversarial

MB = 1024 * 1024


def _reported(data: bytes) -> list[str]:
    return [f.rule_id for f in detect(data, "adversarial.txt") if CONFIDENCE_ORDER[f.confidence] >= 1]


def test_one_huge_alphanumeric_line_is_no_key() -> None:
    assert detect(adversarial.one_alphanumeric_line(2 * MB), "a.txt") == []


def test_long_line_of_equals_and_quotes() -> None:
    assert detect(adversarial.equals_and_quotes(2 * MB), "a.txt") == []


def test_long_line_of_equals_and_quotes_with_secret_names() -> None:
    assert _reported(adversarial.equals_quotes_and_secret(2 * MB)) == []


def test_secret_repeated_without_separator() -> None:
    assert detect(adversarial.repeated_secret_word(2 * MB), "a.txt") == []


def test_space_separated_tokens_on_one_line_are_each_seen_once() -> None:
    data = adversarial.tokens(1 * MB, b" ")
    findings = detect(data, "a.txt")
    # Unnamed, without context: every token is a low-confidence candidate, none is reported (a few
    # random tokens hold a placeholder word or a run and are dropped).
    assert len(findings) > 0.99 * (data.count(b" ") + 1)
    assert {f.confidence for f in findings} == {"low"}


def test_tokens_one_per_line() -> None:
    data = adversarial.tokens(1 * MB, b"\n")
    findings = detect(data, "a.txt")
    assert len(findings) > 0.99 * (data.count(b"\n") + 1)
    assert findings[-1].line == data.count(b"\n") + 1
    assert {f.confidence for f in findings} == {"low"}


def test_named_secrets_one_per_line() -> None:
    data = adversarial.named_tokens(1 * MB)
    findings = detect(data, "a.txt")
    assert len(findings) == data.count(b"\n") + 1
    assert {f.rule_id for f in findings} == {"binance-secret-key"}


def test_many_begin_markers_without_end() -> None:
    assert detect(adversarial.begin_without_end(2 * MB), "a.pem") == []


def test_many_begin_markers_then_one_end() -> None:
    assert detect(adversarial.begins_then_one_end(2 * MB), "a.pem") == []


def test_binance_words_everywhere() -> None:
    assert detect(adversarial.binance_words(2 * MB), "binance.txt") == []


def test_pragma_at_the_end_of_a_huge_line_covers_all_of_it() -> None:
    data = adversarial.tokens(MB, b" ") + b" # pragma: allowlist secret\n"
    assert detect(data, "a.txt") == []
