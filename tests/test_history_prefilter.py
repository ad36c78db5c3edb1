"""The history's native prefilter never changes what a blob is found to hold.

README "Performance": blobs with none of the detectors' triggers are ruled out by one native pass
(hyperscan, the `fast` extra) and the rest scanned as before. Both paths run on the same inputs
here: every example of every rule, adversarial inputs, binary and UTF-16 blobs, zip archives, and
triggers placed at the edges of a blob. The stdlib reference (`StdlibPrefilter`) answers the same
question without native code, and the native one must agree with it everywhere.
"""

from __future__ import annotations

import base64
import io
import json
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from binance_secrets.detectors import detect
from binance_secrets.detectors.encoded import decodes_in
from binance_secrets.detectors.examples import RULE_EXAMPLES
from binance_secrets.detectors.file_kinds import may_hold_credentials
from binance_secrets.finding import Finding
from binance_secrets.scanning import placed
from binance_secrets.sources.content import BLOCK_BYTES, blob_chunks, printable_text
from binance_secrets.sources.git_scan import blob_findings
from binance_secrets.sources.prefilter import (
    TRIGGER_LITERALS,
    HyperscanPrefilter,
    Prefilter,
    StdlibPrefilter,
    load_prefilter,
)
from binance_secrets.triggers import MIN_RUN_LENGTH
from testing import adversarial
from testing.examples import example_values, fill
from testing.gitrepo import commit_file, init_repo
from testing.keys import api_key, ed25519_pem, random_token, secret_key

hyperscan = pytest.importorskip("hyperscan", reason="the native prefilter is the optional `fast` extra")


@pytest.fixture(scope="module")
def native() -> Prefilter:
    return HyperscanPrefilter(hyperscan)


def _examples() -> list[tuple[bytes, str]]:
    values = example_values()
    cases = []
    for rule in RULE_EXAMPLES:
        for example in rule.positives + rule.negatives:
            cases.append((fill(example.text, values).encode(example.encoding), example.path))
    return cases


def _edge_cases() -> list[tuple[bytes, str]]:
    key, secret, pem = api_key(), secret_key(), ed25519_pem()
    rng = random.Random(16)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("inner/settings.py", f'BINANCE_API_KEY = "{key}"\n')
    cases = [
        (b"", "empty.txt"),
        (key.encode(), "a.txt"),  # a key alone, at both edges of the blob
        (key[:-1].encode(), "a.txt"),  # 63 characters: no run of key length
        (f'API_SECRET = "{secret}"'.encode(), "app.py"),
        (b"\x00" + key.encode() + b"\x00" + noise, "image.png"),  # binary, read as printable runs
        (noise + b"-----BEGIN\x00PRIVATE KEY-----", "blob.bin"),  # NUL becomes the armour's space
        (pem.encode(), "id.pem"),
        (pem.encode().replace(b"\n", b"\r\n"), "id.txt"),
        (f"BINANCE_SECRET={secret}\n".encode("utf-16"), "env.txt"),  # UTF-16: never prefiltered
        (zipped.getvalue(), "bundle.zip"),  # an archive: never prefiltered
        (b"ecret", "a.txt"),
        (b"ECRET", "a.txt"),
        (b"x" * 63 + b"-" + b"y" * 63, "a.txt"),
        (noise, "config.bin"),  # a path that says credentials may be here: never skipped
        (b"plain prose, nothing to see\n" * 100, "<commit message>"),
        (adversarial.one_alphanumeric_line(256 * 1024), "a.txt"),
        (adversarial.equals_and_quotes(256 * 1024), "a.txt"),
        (adversarial.repeated_secret_word(256 * 1024), "a.txt"),
        (adversarial.tokens(128 * 1024, b" "), "a.txt"),
    ]
    # A blob over one block: read in chunks by `blob_chunks`, prefiltered whole.
    big = bytearray(b"# filler line\n" * (BLOCK_BYTES // 14 + 10))
    big[-200:-200] = f'\nBINANCE_API_KEY = "{key}"\n'.encode()
    cases.append((bytes(big), "big.py"))
    cases.append((b"# filler line\n" * (BLOCK_BYTES // 14 + 10), "big.py"))
    return cases + _encoded_cases()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _encoded_cases() -> list[tuple[bytes, str]]:
    """Credentials whose trigger is in their base64 decoding only (README "Encoded values")."""
    short = random_token(20)  # a hard-coded secret too short for a key's run
    assignment = f'API_SECRET="{short}"'
    named = f"CONFIG_B64={_b64(assignment)}\n".encode()
    pem = f"PRIVATE_KEY_B64={_b64(ed25519_pem())}\n".encode()
    manifest = f"apiVersion: v1\nkind: Secret\ndata:\n  api-secret: {_b64(short)}\n".encode()
    return [
        (named, "ci/run.sh"),
        (named, "deploy/values.yaml"),
        (named, "notes.txt"),
        (named, "Dockerfile"),
        (named, "app.py"),  # source code is read as written: nothing decoded, nothing found
        (pem, "ci/run.sh"),
        (manifest, "deploy/secret.yaml"),
        (b"X_B64=" + b"Q" * MIN_RUN_LENGTH + b"\n", "run.sh"),  # a run just long enough
        (b"X_B64=" + b"Q" * (MIN_RUN_LENGTH - 1) + b"\n", "run.sh"),  # one short
    ]


def _unfiltered(data: bytes, path: str) -> list[tuple[str, Finding]]:
    """The findings as `scan` makes them: every chunk of `blob_chunks`, no prefilter, no shortcut."""
    results = []
    for chunk in blob_chunks(path, data, []):
        suffix = chunk.path[len(path) :]
        results.extend((suffix, placed(f, chunk)) for f in detect(chunk.data, chunk.path, first_line=chunk.first_line))
    return results


def test_native_and_stdlib_prefilters_agree_on_every_input(native: Prefilter) -> None:
    reference = StdlibPrefilter()
    for data, path in _examples() + _edge_cases():
        assert native.may_match(data) == reference.may_match(data), (path, data[:80])
        assert native.may_decode(data) == reference.may_decode(data), (path, data[:80])


def test_native_prefilter_agrees_with_stdlib_on_random_bytes(native: Prefilter) -> None:
    reference = StdlibPrefilter()
    rng = random.Random(7)
    alphabet = b"ab9Z \n\x00-=\"'ecrtECRT" + bytes(range(0x80, 0x90))
    for _ in range(400):
        size = rng.choice((1, 5, 63, 64, 65, 200, 5000))
        data = bytes(rng.choice(alphabet) for _ in range(size))
        if rng.random() < 0.3:
            position = rng.randrange(len(data) + 1)
            data = data[:position] + rng.choice([*TRIGGER_LITERALS, b"Q" * 64, b"a+/" * 8]) + data[position:]
        assert native.may_match(data) == reference.may_match(data), data[:80]
        assert native.may_decode(data) == reference.may_decode(data), data[:80]


@pytest.mark.parametrize("use_native", [True, False], ids=["hyperscan", "stdlib"])
def test_blob_findings_are_those_of_the_unfiltered_scan(native: Prefilter, use_native: bool) -> None:
    prefilter = native if use_native else None
    for data, path in _examples() + _edge_cases():
        assert blob_findings(data, path, [], prefilter) == _unfiltered(data, path), (path, data[:80])


def test_every_example_with_a_finding_passes_the_prefilter(native: Prefilter) -> None:
    """The guard for whoever adds a detector trigger: a chunk with a finding must never be ruled out."""
    for data, path in _examples() + _encoded_cases():
        text = printable_text(data)
        if detect(text, path) and not may_hold_credentials(path):
            assert native.may_match(data) or (decodes_in(path) and native.may_decode(data)), (path, data[:120])


def test_encoded_cases_hold_findings_only_in_their_decoding(native: Prefilter) -> None:
    """The encoded cases are the ones the plain triggers alone would have lost: no trigger outside the
    decoding, yet a finding in a decoded file."""
    named, path = _encoded_cases()[0]
    assert not native.may_match(named) and not may_hold_credentials(path)
    assert [finding.rule_id for finding in detect(named, path)] == ["hardcoded-api-secret"]


def test_history_reports_a_credential_found_only_in_a_base64_decoding(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    """README "Encoded values" and "Performance": the native prefilter does not hide an encoded secret."""
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "README.md", "bot\n", "init")
    named, path = _encoded_cases()[0]
    sha = commit_file(repo, path, named, "ci settings")
    result = run_cli("history", str(repo), "-f", "json", "--no-progress")
    assert result.exit_code == 1, result.stderr  # type: ignore[attr-defined]
    findings = json.loads(result.stdout)["findings"]  # type: ignore[attr-defined]
    assert [(f["rule_id"], f["path"], f["commit"]["sha"]) for f in findings] == [("hardcoded-api-secret", path, sha)]


def test_prefilter_can_be_turned_off_by_the_environment() -> None:
    assert load_prefilter({"BINANCE_SECRETS_PREFILTER": "stdlib"}) is None
    loaded = load_prefilter({})
    assert loaded is not None and loaded.name == "hyperscan"
