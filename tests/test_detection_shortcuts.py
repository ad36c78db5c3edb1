"""The shortcuts of the history's hot path never change a finding.

README "Performance": a history audit hands `detect` the triggers one native pass found in a blob
(the offset of every secret's name, armour, a key-length run), skips blobs and commit messages that
hold no trigger and no base64 run whatever their path, and counts a read buffer of commit messages
at once when none of them holds one. Each shortcut is compared here with the plain path on the same
inputs: every example of every rule, adversarial inputs, near misses and random bytes, at the paths
that change what `detect` looks for (messages, compiled modules, decoded configs, manifests, tables,
key files, lock files).
"""

from __future__ import annotations

import base64
import random
import subprocess
from pathlib import Path

import pytest

from binance_secrets.detectors import detect
from binance_secrets.detectors.examples import RULE_EXAMPLES
from binance_secrets.sources.content import printable_text
from binance_secrets.sources.git_objects import READ_BUFFER_BYTES, open_repository
from binance_secrets.sources.git_scan import BatchResult, message_record_findings, scan_messages
from binance_secrets.sources.prefilter import HyperscanPrefilter, Prefilter, StdlibPrefilter
from binance_secrets.triggers import MIN_RUN_LENGTH, SECRET_NEEDLES, may_hold_findings
from testing import adversarial
from testing.examples import example_values, fill
from testing.gitrepo import commit_file, git, git_env, init_repo
from testing.keys import api_key, ed25519_pem, random_hex, random_token, secret_key

# Paths whose kind changes what `detect` does: prose, compiled constants, decoded files, manifests,
# tables, key files, lock files, a folder named for Binance, plain source.
PATHS = (
    "<commit message>",
    "<tag message>",
    "app/__pycache__/config.cpython-311.pyc",
    ".env",
    "deploy/secret.yaml",
    "keys.csv",
    "api_key.txt",
    "uv.lock",
    "binance/bot.py",
    "src/module.py",
)


def _examples() -> list[tuple[bytes, str]]:
    values = example_values()
    return [
        (fill(example.text, values).encode(example.encoding), example.path)
        for rule in RULE_EXAMPLES
        for example in rule.positives + rule.negatives
    ]


def _near_misses() -> list[bytes]:
    """Texts that hold almost a trigger: a name one letter short, runs one character short, split keys
    whose pieces are all shorter than a piece that anchors a chain, armour without its dashes."""
    key = api_key()
    short_pieces = " ".join(f'"{key[i : i + 16]}"' for i in range(0, 64, 16))
    return [
        b"",
        b"plain prose, nothing to see\n" * 50,
        b"API_SECRE = '" + random_token(40).encode() + b"'\n",
        b"X_B64=" + b"Q" * (MIN_RUN_LENGTH - 1) + b"\n",
        f"KEY = ({short_pieces})\n".encode(),
        f'KEY = "{key[:23]}" + "{key[23:46]}" + "{key[46:]}"\n'.encode(),
        b"---BEGIN PRIVATE KEY---\n" + random_token(23).encode() + b"\n",
        ("\n".join(random_token(23) for _ in range(40))).encode(),
        bytes(range(256)) * 4,
    ]


def _encoded_only() -> list[tuple[bytes, str]]:
    """Credentials whose trigger is in their base64 decoding only (README "Encoded values")."""
    short = random_token(20)  # a hard-coded secret too short for a key's run
    assignment = base64.b64encode(f'API_SECRET="{short}"'.encode()).decode()
    named = f"CONFIG_B64={assignment}\n".encode()
    pem = f"PRIVATE_KEY_B64={base64.b64encode(ed25519_pem().encode()).decode()}\n".encode()
    return [(named, "ci/run.sh"), (named, ".env"), (named, "notes.txt"), (pem, "deploy/values.yaml")]


def _random_texts(count: int, seed: int) -> list[bytes]:
    """Random texts from an alphabet of the characters the detectors look at, with triggers spliced in."""
    rng = random.Random(seed)
    alphabet = "ab9Z \n\"'=:,+/-_ecrtECRT("
    splices = [*(needle.decode() for needle in SECRET_NEEDLES), "-----BEGIN ", "Q" * 64, "a+/" * 8, "x" * 24 + '"']
    texts = []
    for _ in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice((5, 64, 300, 2000))))
        for _ in range(rng.randrange(3)):
            position = rng.randrange(len(text) + 1)
            text = text[:position] + rng.choice(splices) + text[position:]
        texts.append(text.encode())
    return texts


def _inputs() -> list[tuple[bytes, str]]:
    cases = _examples()
    hex_key, hex_secret = random_hex(), random_hex()
    extra = [
        *_near_misses(),
        *_random_texts(150, 16),
        adversarial.repeated_secret_word(64 * 1024),
        adversarial.equals_quotes_and_secret(64 * 1024),
        adversarial.tokens(32 * 1024, b" "),
        f'BINANCE_API_KEY = "{api_key()}"\nBINANCE_API_SECRET = "{secret_key()}"\n'.encode(),
        f'api_key = "{hex_key}"\napi_secret = "{hex_secret}"  # binance testnet\n'.encode(),
        f"PRIVATE_KEY = '''{ed25519_pem()}'''\n".encode(),
    ]
    return cases + _encoded_only() + [(text, path) for text in extra for path in PATHS]


@pytest.fixture(scope="module")
def native() -> Prefilter:
    hyperscan = pytest.importorskip("hyperscan", reason="the native triggers are the optional `fast` extra")
    return HyperscanPrefilter(hyperscan)


def test_a_text_without_trigger_or_base64_run_has_no_finding_at_any_path() -> None:
    """The guard for whoever adds a detector trigger: `may_hold_findings` says False only where `detect`
    finds nothing, whatever the path says may be there."""
    with_findings = 0
    for data, path in _inputs():
        text = printable_text(data)
        for where in (path, *PATHS):
            found = detect(text, where)
            assert may_hold_findings(text) or not found, (where, text[:120])
            with_findings += bool(found)
    assert with_findings > 100  # the inputs do hold findings: the check above is not vacuous


def test_native_triggers_are_every_occurrence_the_stdlib_finds(native: Prefilter) -> None:
    reference = StdlibPrefilter()
    for data, _ in _inputs():
        triggers = native.triggers(data)
        assert triggers is not None
        for needle, hits in zip(SECRET_NEEDLES, triggers.secret_hits, strict=True):
            expected = []
            position = data.find(needle)
            while position != -1:
                expected.append(position)
                position = data.find(needle, position + 1)
            assert hits == expected, data[:120]
        assert triggers.armour == (b"-----BEGIN" in data)
        assert triggers.found() == reference.may_match(data) == native.may_match(data)


def test_detect_given_the_native_triggers_finds_what_it_finds_alone(native: Prefilter) -> None:
    """`printable_text` keeps offsets and alphanumerics, so the blob's triggers are its text's: a binary
    blob is given the triggers of its raw bytes, as the history does."""
    compared = 0
    for data, path in _inputs():
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue  # UTF-16: re-encoded, never given triggers (the history leaves it to `blob_chunks`)
        text = printable_text(data)
        triggers = native.triggers(data)
        assert detect(text, path, triggers=triggers) == detect(text, path), (path, data[:120])
        compared += bool(detect(text, path))
    assert compared > 100


def _messages_repo(path: Path) -> Path:
    """Commits whose messages hold nothing, a secret's name, a base64 run, keys, bytes that are not
    UTF-8; long enough that the `git log` stream fills several read buffers, some of them with
    nothing to find (counted in bulk), some with something (scanned message by message)."""
    repo = init_repo(path)
    filler = "plain words only\n" * 6000  # about 100 KB: ten messages fill a read buffer
    messages = [f"change {number}\n\n{filler}" for number in range(40)]
    messages[3] = f"rotate\n\n{filler}BINANCE_API_KEY={api_key()}\nBINANCE_API_SECRET={secret_key()}"
    messages[5] = f"mention the secret manager\n\n{filler}"
    messages[6] = f"payload {random_token(30)}==\n\n{filler}"
    hex_key, hex_secret = random_hex(), random_hex()
    messages[39] = f"testnet\n\napi_key = '{hex_key}'\napi_secret = '{hex_secret}'  # binance"
    for number, message in enumerate(messages):
        commit_file(repo, "notes.txt", f"{number}\n", message)
    (repo / "notes.txt").write_text("last\n")
    git(repo, "add", "notes.txt")
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "-F", "-"],
        input=b"caf\xe9 \xff\xfe not utf-16\n",  # an old latin-1 commit, and a UTF-16 byte-order mark
        env=git_env(),
        check=True,
    )
    return repo


def test_commit_messages_counted_in_bulk_are_scanned_as_one_by_one(tmp_path: Path) -> None:
    """Read buffers of the `git log` stream that hold no trigger are counted at once; the result
    (findings, scanned ids, counts) is the one of scanning every message on its own."""
    repo = _messages_repo(tmp_path / "repo")
    head = git(repo, "rev-parse", "HEAD").strip()
    merged = BatchResult()
    for result in scan_messages(open_repository(str(repo)), (head,)):
        merged.found += result.found
        merged.scanned += result.scanned
        merged.commits += result.commits
        merged.bytes += result.bytes
        assert not result.errors
    stream = subprocess.run(
        ["git", "-C", str(repo), "log", "-z", "--format=%H%n%B", head], env=git_env(), capture_output=True, check=True
    ).stdout
    records = [record for record in stream.split(b"\0") if record]
    assert len(stream) > 3 * READ_BUFFER_BYTES
    expected = {record[:40].decode(): message_record_findings(record) for record in records}
    assert {item.sha: list(item.findings) for item in merged.found} == {
        sha: findings for sha, findings in expected.items() if findings
    }
    assert sum(bool(findings) for findings in expected.values()) == 2  # the pair of keys, the hex pair
    assert sorted(merged.scanned) == sorted(expected)
    assert merged.commits == len(records) == 41
    assert merged.bytes == sum(len(record) - 41 for record in records)


def test_scan_with_the_native_prefilter_finds_what_it_finds_without(tmp_path: Path, native: Prefilter) -> None:
    """README "Performance": `scan` of a folder rules chunks out, or hands them their triggers, with
    the native prefilter; every example of every rule, written as a file where its path says (plus
    UTF-16, zipped and larger-than-a-block files), is found alike without it."""
    import io
    import zipfile

    from binance_secrets.filters import FindingFilter
    from binance_secrets.paths import PathFilter
    from binance_secrets.scanning import scan_files
    from binance_secrets.sources.content import BLOCK_BYTES

    for number, (data, path) in enumerate(_inputs()):
        target = tmp_path / f"case{number:04}" / path.strip("<>").replace(" ", "_")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    key = api_key()
    (tmp_path / "utf16.env").write_bytes(f"BINANCE_API_SECRET={secret_key()}\n".encode("utf-16"))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("inner/settings.py", f'BINANCE_API_KEY = "{key}"\n')
    (tmp_path / "bundle.zip").write_bytes(zipped.getvalue())
    big = bytearray(b"# filler line\n" * (BLOCK_BYTES // 14 + 10))
    big[-200:-200] = f'\nBINANCE_API_KEY = "{api_key()}"\n'.encode()
    (tmp_path / "big.py").write_bytes(bytes(big))
    everything = FindingFilter(min_confidence="low")
    plain = scan_files([str(tmp_path)], PathFilter(), everything)
    prefiltered = scan_files([str(tmp_path)], PathFilter(), everything, native)
    assert prefiltered.findings == plain.findings
    assert prefiltered.errors == plain.errors
    assert len(plain.findings) > 100
