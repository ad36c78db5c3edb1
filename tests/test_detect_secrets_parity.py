"""Parity: the detect-secrets plugin reports what `binance-secrets scan` reports, on every rule example.

Every example of every rule (`binance_secrets.detectors.examples`, filled with generated values as
`tests/test_detectors_table.py` fills them) is written into one real git repository, one file per
example, and the real command lines run once over it: `detect-secrets scan --plugin …` with nothing
else (detect-secrets' default settings), plain `detect-secrets scan`, and `binance-secrets scan`.

README promise (section "Using binance-secrets with detect-secrets"): the plugins "report the same
lines" as `binance-secrets scan`, under detect-secrets' default settings, without changing what
detect-secrets' own plugins report; the files detect-secrets never shows to any plugin are the listed
exceptions, and so are the YAML block values it reports under their key's line.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("detect_secrets")

from detect_secrets.filters.heuristic import is_indirect_reference
from detect_secrets.transformers import get_transformed_file
from detect_secrets.util.filetype import FileType, determine_file_type

from binance_secrets.commands.plugin_path import plugin_path
from binance_secrets.detectors.examples import RULE_EXAMPLES, Example, RuleExamples
from binance_secrets.filters import CONFIDENCE_ORDER, DEFAULT_MIN_CONFIDENCE
from testing import keys
from testing.examples import example_values, fill
from testing.gitrepo import GitRepo, git, git_env

pytestmark = [pytest.mark.slow, pytest.mark.dev_extra]  # dev_extra: needs pre-commit or detect-secrets

BIN = Path(sys.executable).parent
OUR_TYPES = {
    "binance-api-key": "Binance API Key",
    "binance-secret-key": "Binance Secret Key",
    "binance-private-key": "Binance Private Key",
    "hardcoded-api-secret": "Hardcoded API Secret",
}
INDIRECT_REFERENCE = "detect_secrets.filters.heuristic.is_indirect_reference"
SCOPED_FILTER = "binance_secrets.detect_secrets_plugin.heuristics_except_for_binance_rules"

_UNDECODABLE = (
    "detect-secrets reads every file as text in the locale's encoding (UTF-8) and skips a file it cannot "
    "decode before any plugin runs; binance-secrets decodes UTF-16"
)
_IGNORED_EXTENSION = (
    "detect-secrets never opens a file with an extension of its always-on `is_non_text_file` filter "
    "(.bin, .lock, .zip, images, fonts...), so no plugin sees it"
)
# Example id (`rule_id:label`, as in test_detectors_table) -> why the plugin cannot report it. Each is
# a strict xfail: once the plugin reports it, the test fails until the entry is removed.
_COMMIT_MESSAGE = (
    "a commit message is not a file: detect-secrets scans files only, while these examples describe the "
    "`<commit message>` pseudo path of `binance-secrets history`, where a key word near a key is enough"
)

EXCEPTIONS: dict[str, str] = {
    "binance-api-key:commit-message-key-word": _COMMIT_MESSAGE,
    "binance-secret-key:commit-message-secret-word": _COMMIT_MESSAGE,
    "binance-api-key:utf16-file": _UNDECODABLE,
    "binance-private-key:utf16-file": _UNDECODABLE,
    "binance-private-key:binary-nul-separated": _IGNORED_EXTENSION,
    "hardcoded-api-secret:binary-nul-separated": _IGNORED_EXTENSION,
}

_KEY_LINE = (
    "detect-secrets reads YAML through a transformer that puts a block value on its key's line and ends "
    "at the last key, so it never reads the value's own lines; the plugin reports the key under that key "
    "line, where detect-secrets' own plugins report it too and where `audit` can show it (a later line "
    "makes `audit --report` crash), while binance-secrets scan names the BEGIN line"
)
# Example id -> why the plugin reports the same secrets, but under the last line detect-secrets reads.
ON_THE_KEY_LINE: dict[str, str] = {
    "binance-private-key:yaml-block-scalar": _KEY_LINE,
    "binance-private-key:k8s-string-data": _KEY_LINE,
    "binance-private-key:github-actions-step": _KEY_LINE,
}

# (type, line, SHA-1 of the secret): what a detect-secrets baseline records of a secret.
Reported = frozenset[tuple[str, int, str]]


@dataclass(frozen=True)
class ParityRun:
    root: Path
    files: dict[tuple[str, str, str], str]  # (text, path, encoding) of an example -> its file
    plugin: dict[str, Reported]  # `detect-secrets scan --plugin …`, our types only
    scanner: dict[str, Reported]  # `binance-secrets scan`, default threshold
    with_plugin: dict[str, object]  # the whole baseline made with the plugin
    without_plugin: dict[str, object]  # the baseline of plain `detect-secrets scan`
    no_indirect_filter: dict[str, object]  # plain `detect-secrets scan` without is_indirect_reference

    def file_of(self, example: Example) -> str:
        return self.files[(example.text, example.path, example.encoding)]


def _example_id(rule: RuleExamples, example: Example) -> str:
    return f"{rule.rule_id}:{example.label}"


def _all_examples() -> Iterator[tuple[RuleExamples, Example, bool]]:
    for rule in RULE_EXAMPLES:
        for example in rule.positives:
            yield rule, example, True
        for example in rule.negatives:
            yield rule, example, False


def _run(repo: Path, env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    return completed.stdout


def _detect_secrets(repo: Path, env: dict[str, str], *args: str) -> dict[str, object]:
    baseline: dict[str, object] = json.loads(_run(repo, env, str(BIN / "detect-secrets"), "scan", *args))
    return baseline


def _results(baseline: dict[str, object], types: set[str] | None = None) -> dict[str, Reported]:
    results = baseline["results"]
    assert isinstance(results, dict)
    found: dict[str, set[tuple[str, int, str]]] = {}
    for filename, entries in results.items():
        for entry in entries:
            if types is None or entry["type"] in types:
                found.setdefault(filename, set()).add((entry["type"], entry["line_number"], entry["hashed_secret"]))
    return {filename: frozenset(entries) for filename, entries in found.items()}


def _other_plugins(baseline: dict[str, object]) -> dict[str, Reported]:
    return {
        filename: frozenset(entry for entry in entries if entry[0] not in OUR_TYPES.values())
        for filename, entries in _results(baseline).items()
        if any(entry[0] not in OUR_TYPES.values() for entry in entries)
    }


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> ParityRun:
    project = GitRepo.create(tmp_path_factory.mktemp("parity") / "examples")
    repo, env = project.path, project.env
    values = example_values()
    files: dict[tuple[str, str, str], str] = {}
    for _, example, _ in _all_examples():
        key = (example.text, example.path, example.encoding)
        if key in files:
            continue  # the common negatives are every rule's: one file each is enough
        # A neutral numbered folder: the path is part of the context both tools judge.
        relative = f"e{len(files) + 1:04d}/{example.path}"
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fill(example.text, values).encode(example.encoding))
        files[key] = relative
    git(repo, "add", "-A", env=env)

    with_plugin = _detect_secrets(repo, env, "--plugin", str(plugin_path()))
    report = json.loads(_run(repo, env, str(BIN / "binance-secrets"), "scan", "-f", "json", "--show-secrets", "."))
    assert report["errors"] == [], report["errors"]
    scanner: dict[str, set[tuple[str, int, str]]] = {}
    for finding in report["findings"]:
        sha1 = hashlib.sha1(finding["secret"].encode()).hexdigest()
        scanner.setdefault(finding["path"], set()).add((OUR_TYPES[finding["rule_id"]], finding["line"], sha1))
    return ParityRun(
        root=repo,
        files=files,
        plugin=_results(with_plugin, set(OUR_TYPES.values())),
        scanner={path: frozenset(found) for path, found in scanner.items()},
        with_plugin=with_plugin,
        without_plugin=_detect_secrets(repo, env),
        # Only where the heuristic applies: it shows what the heuristic hides from detect-secrets' plugins.
        no_indirect_filter=_detect_secrets(
            repo, env, "--disable-filter", INDIRECT_REFERENCE, "--", *_indirect_reference_files(repo, files.values())
        ),
    )


def _indirect_reference_files(repo: Path, files: Iterable[str]) -> list[str]:
    found = []
    for relative in files:
        try:
            lines = (repo / relative).read_text().splitlines()
        except UnicodeDecodeError:
            continue
        if any(is_indirect_reference(line) for line in lines):
            found.append(relative)
    assert found
    return found


def _cases(positive: bool) -> list[object]:
    cases = []
    for rule, example, is_positive in _all_examples():
        if is_positive != positive:
            continue
        example_id = _example_id(rule, example)
        marks = [pytest.mark.xfail(strict=True, reason=EXCEPTIONS[example_id])] if example_id in EXCEPTIONS else []
        cases.append(pytest.param(rule, example, id=example_id, marks=marks))
    return cases


@pytest.mark.parametrize(("rule", "example"), _cases(positive=True))
def test_positive_example_is_reported_on_the_scanners_lines(
    rule: RuleExamples, example: Example, parity: ParityRun
) -> None:
    file = parity.file_of(example)
    expected = parity.scanner.get(file, frozenset())
    if CONFIDENCE_ORDER[example.threshold] >= CONFIDENCE_ORDER[DEFAULT_MIN_CONFIDENCE]:
        # Not vacuous: the scanner reports this rule here, so the plugin has something to match.
        assert OUR_TYPES[rule.rule_id] in {kind for kind, _, _ in expected}
    if _example_id(rule, example) in ON_THE_KEY_LINE:
        last_line = _lines_detect_secrets_reads(parity.root / file)
        moved = frozenset((kind, min(line, last_line), sha1) for kind, line, sha1 in expected)
        assert moved != expected, "nothing lies past the last line detect-secrets reads: drop the entry"
        expected = moved
    assert parity.plugin.get(file, frozenset()) == expected


def _lines_detect_secrets_reads(path: Path) -> int:
    """How many lines detect-secrets' transformer makes of the file (it reads those, and only those)."""
    with open(path) as handle:
        lines = get_transformed_file(handle)
    assert lines, f"{path} is not a file detect-secrets transforms"
    return len(lines)


@pytest.mark.parametrize(("rule", "example"), _cases(positive=False))
def test_negative_example_stays_silent_in_the_plugin(rule: RuleExamples, example: Example, parity: ParityRun) -> None:
    reported = parity.plugin.get(parity.file_of(example), frozenset())
    if example.others_allowed:
        reported = frozenset(entry for entry in reported if entry[0] == OUR_TYPES[rule.rule_id])
    assert not reported
    # Anything another rule does report here, the scanner reports too.
    assert parity.plugin.get(parity.file_of(example), frozenset()) == parity.scanner.get(
        parity.file_of(example), frozenset()
    )


def test_every_listed_exception_names_an_example() -> None:
    known = {_example_id(rule, example) for rule, example, _ in _all_examples()}
    assert set(EXCEPTIONS) <= known, sorted(set(EXCEPTIONS) - known)
    assert set(ON_THE_KEY_LINE) <= known, sorted(set(ON_THE_KEY_LINE) - known)


def test_detect_secrets_own_plugins_report_the_same_with_the_plugin_loaded(parity: ParityRun) -> None:
    """README: the plugin does not change what detect-secrets' own plugins report, except where
    detect-secrets skips its second reading of a file because a plugin found something in the first."""
    with_plugin, without_plugin = _other_plugins(parity.with_plugin), _other_plugins(parity.without_plugin)
    for filename in sorted(set(with_plugin) | set(without_plugin)):
        kept, before = with_plugin.get(filename, frozenset()), without_plugin.get(filename, frozenset())
        if kept == before:
            continue
        # Only this one documented effect: a config-like file (read a second time as INI, with eager
        # transformers, only when no plugin found anything in the first reading) where ours found something.
        assert kept < before, filename
        assert determine_file_type(filename) == FileType.OTHER, filename
        assert parity.plugin.get(filename), filename
    # Not vacuous: detect-secrets' own plugins find things in these files, and some of it only the
    # indirect-reference heuristic hides (`client = Client("…", "…")` lines), which the plugin moves.
    assert without_plugin
    unfiltered = _other_plugins(parity.no_indirect_filter)
    assert any(unfiltered[name] - without_plugin.get(name, frozenset()) for name in unfiltered)


def test_any_plugin_finding_skips_detect_secrets_second_reading(tmp_path: Path) -> None:
    """README: detect-secrets' own AWS detector hides a `.env` password from its keyword plugin just as
    the Binance plugin does: the second reading of a file happens only when the first found nothing."""
    aws_key = "AKIA" + keys.random_token(16).upper()
    repo, env = _small_repo(tmp_path, {".env": f"AWS_ACCESS_KEY_ID={aws_key}\nDB_PASSWORD={keys.random_token(16)}\n"})
    both = {entry[:2] for entry in _results(_detect_secrets(repo, env))[".env"]}
    without_aws_baseline = _detect_secrets(repo, env, "--disable-plugin", "AWSKeyDetector")
    without_aws = {entry[:2] for entry in _results(without_aws_baseline)[".env"]}
    assert both == {("AWS Access Key", 1)}
    assert ("Secret Keyword", 2) in without_aws


def test_baseline_records_the_heuristics_moved_for_the_other_plugins(parity: ParityRun) -> None:
    """README: the baseline's `filters_used` says which heuristics the plugin applies to the others."""
    filters = {entry["path"]: entry for entry in parity.with_plugin["filters_used"]}  # type: ignore[attr-defined]
    default = {entry["path"] for entry in parity.without_plugin["filters_used"]}  # type: ignore[attr-defined]
    moved = set(filters[SCOPED_FILTER]["heuristics"])
    assert INDIRECT_REFERENCE in moved
    assert moved <= default and not moved & set(filters)
    # Whole-file heuristics stay detect-secrets' own (lock files, swagger paths: listed in the README).
    assert set(filters) == (default - moved) | {SCOPED_FILTER}
    assert "detect_secrets.filters.heuristic.is_lock_file" in filters


def _small_repo(tmp_path: Path, files: dict[str, str]) -> tuple[Path, dict[str, str]]:
    repo = GitRepo.create(tmp_path / "repo")
    for name, content in files.items():
        repo.write(name, content)
    return repo.path, repo.env


def test_a_heuristic_the_user_disabled_stays_disabled(tmp_path: Path) -> None:
    repo, env = _small_repo(tmp_path, {"bot.py": f'client = Client(api_key="{keys.api_key()}")\n'})
    baseline = _detect_secrets(repo, env, "--plugin", str(plugin_path()), "--disable-filter", INDIRECT_REFERENCE)
    paths = {entry["path"]: entry for entry in baseline["filters_used"]}  # type: ignore[attr-defined]
    assert INDIRECT_REFERENCE not in paths
    assert INDIRECT_REFERENCE not in paths[SCOPED_FILTER]["heuristics"]
    assert {entry[:2] for entry in _results(baseline)["bot.py"]} >= {("Binance API Key", 1)}


def test_string_scan_keeps_detect_secrets_verdicts(tmp_path: Path) -> None:
    # `scan --string` applies no line filter: with the plugin loaded, an AWS key in a call stays found.
    line = f'key = get_key("AKIA{keys.random_token(16).upper()}")'
    verdicts = []
    for extra in ([], ["--plugin", str(plugin_path())]):
        output = _run(tmp_path, git_env(), str(BIN / "detect-secrets"), "scan", *extra, "--string", line)
        verdicts.append(next(row.split(":")[1].split()[0] for row in output.splitlines() if row.startswith("AWS")))
    assert verdicts == ["True", "True"]
