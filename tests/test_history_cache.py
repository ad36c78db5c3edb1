"""`history --cache FILE`: incremental re-audits that report exactly what a full audit reports.

README "Incremental audits (`--cache`)": a re-audit scans only objects the cache does not know, yet
reports every finding with its first commit, `in_head` and occurrences per path; the cache holds no
secret; it is rebuilt when the rules change; a cache file anyone could have written (truncated,
edited, signed with another key, from another repository, claiming a key's blob is clean) never
hides a finding.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from binance_secrets.finding import redact
from binance_secrets.sources import history_cache
from binance_secrets.sources.history_cache import MAGIC, CacheData, load, rules_digest, save
from testing.gitrepo import commit_file, git, init_repo
from testing.keys import api_key, secret_key

pytestmark = pytest.mark.slow

KEY_TEXT = "test-cache-signing-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _cache_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test signs with a key of its own; nothing is written to the user's cache folder."""
    monkeypatch.setenv("BINANCE_SECRETS_CACHE_KEY", KEY_TEXT)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["history", *args, "-f", "json", "--no-progress"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    report = json.loads(captured.out) if captured.out.strip() else {}
    return code, report, captured.err


def comparable(report: dict[str, Any]) -> list[str]:
    """The findings as a full audit reports them, in a stable order."""
    return sorted(json.dumps(finding, sort_keys=True) for finding in report["findings"])


def assignment(name: str, value: str) -> str:
    return f'{name} = "{value}"\n'


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


def _delete_object(repo: Path, sha: str) -> None:
    """Remove a loose object: whoever reads it now finds it missing."""
    path = repo / ".git" / "objects" / sha[:2] / sha[2:]
    os.chmod(path, 0o644)
    path.unlink()


def _swap_object(repo: Path, sha: str, content: str) -> None:
    """Put other content under a loose object's name (git reads it without checking the name): whoever
    reads the object now sees `content`, while listing it still names it as before."""
    other = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=content, capture_output=True, text=True, check=True
    ).stdout.strip()
    source = repo / ".git" / "objects" / other[:2] / other[2:]
    target = repo / ".git" / "objects" / sha[:2] / sha[2:]
    os.chmod(target, 0o644)
    target.write_bytes(source.read_bytes())


def test_reaudit_with_unchanged_refs_reads_no_object_and_reports_the_same(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    commit_file(repo, "README.md", "hello\n", "start")
    commit_file(repo, "app/settings.py", assignment("BINANCE_API_KEY", key), "settings")
    commit_file(repo, "README.md", "hello again\n", "docs")
    cache = tmp_path / "audit.cache"
    code, first, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1 and len(first["findings"]) == 1
    assert cache.is_file()
    # A clean blob the first audit scanned disappears: a re-audit that read it would say so.
    _delete_object(repo, git(repo, "rev-parse", "HEAD~2:README.md").strip())
    code, again, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1
    assert comparable(again) == comparable(first)
    assert again["stats"]["blobs"] == first["stats"]["blobs"]
    assert again["errors"] == []
    code, fresh, _ = audit(capsys, str(repo))
    assert any("missing" in error["message"] for error in fresh["errors"])  # the uncached audit does read it


def test_new_commit_is_scanned_and_known_blobs_are_not(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "README.md", "hello\n", "start")
    commit_file(repo, "notes.txt", "nothing here\n", "notes")
    cache = tmp_path / "audit.cache"
    code, first, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 0 and first["findings"] == []
    notes_blob = git(repo, "rev-parse", "HEAD:notes.txt").strip()
    key = api_key()
    added = commit_file(repo, "deploy/keys.py", assignment("BINANCE_API_KEY", key), "deploy keys")
    # The known blob now reads as a key: the re-audit lists it (a new commit, so no listing is
    # replayed) but must not read it again, and must read the new blob.
    _swap_object(repo, notes_blob, assignment("BINANCE_API_KEY", api_key()))
    code, again, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1
    assert [(f["path"], f["commit"]["sha"]) for f in again["findings"]] == [("deploy/keys.py", added)]
    assert again["errors"] == []
    assert again["stats"]["commits"] == 3 and again["stats"]["blobs"] == 3
    _, fresh, _ = audit(capsys, str(repo))
    assert sorted(f["path"] for f in fresh["findings"]) == ["deploy/keys.py", "notes.txt"]  # it does read it


def test_finding_made_before_the_cache_keeps_first_commit_occurrences_and_in_head(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, secret = api_key(), secret_key()
    pair = assignment("BINANCE_API_KEY", key) + assignment("BINANCE_API_SECRET", secret)
    introduced = commit_file(repo, "app/config.py", "import os\n" + pair, "add config")
    commit_file(repo, "README.md", "docs\n", "docs")
    cache = tmp_path / "audit.cache"
    code, before, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1 and {f["commit"]["sha"] for f in before["findings"]} == {introduced}
    # New commits on other paths, a copy to a new path, then the original path cleaned.
    commit_file(repo, "lib/util.py", "def f():\n    return 1\n", "util")
    copied = commit_file(repo, "tests/conftest.py", pair, "copy into tests")
    commit_file(repo, "app/config.py", "import os\nKEY = os.environ['BINANCE_API_KEY']\n", "read from env")
    commit_file(repo, "lib/util.py", "def f():\n    return 2\n", "util 2")
    code, cached, _ = audit(capsys, str(repo), "--cache", str(cache))
    code_fresh, fresh, _ = audit(capsys, str(repo))
    assert code == code_fresh == 1
    assert comparable(cached) == comparable(fresh)
    by_path = {(f["path"], f["secret_sha256"]): f for f in cached["findings"]}
    originals = [f for (path, _), f in by_path.items() if path == "app/config.py"]
    copies = [f for (path, _), f in by_path.items() if path == "tests/conftest.py"]
    assert len(originals) == 2 and len(copies) == 2
    assert all(f["commit"]["sha"] == introduced and f["in_head"] is False and f["occurrences"] == 4 for f in originals)
    assert all(f["commit"]["sha"] == copied and f["in_head"] is True and f["occurrences"] == 3 for f in copies)
    # And once more, now that the cache knows every object: the listing is replayed.
    code, replayed, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1 and comparable(replayed) == comparable(fresh)


def test_commit_message_finding_is_kept_across_reaudits(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = api_key()
    commit_file(repo, "a.txt", "a\n", f"rotate binance api key {key}")
    commit_file(repo, "b.txt", "b\n", "unrelated")
    cache = tmp_path / "audit.cache"
    _, first, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert [f["path"] for f in first["findings"]] == ["<commit message>"]
    commit_file(repo, "c.txt", "c\n", "later")
    _, cached, _ = audit(capsys, str(repo), "--cache", str(cache))
    _, fresh, _ = audit(capsys, str(repo))
    assert comparable(cached) == comparable(fresh) and len(cached["findings"]) == 1


def test_cache_file_holds_no_secret_in_any_form(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, secret = api_key(), secret_key()
    commit_file(repo, "config.py", assignment("BINANCE_API_KEY", key) + assignment("BINANCE_API_SECRET", secret))
    commit_file(repo, "b.txt", "b\n", f"binance secret {secret}")  # and one in a commit message
    cache = tmp_path / "audit.cache"
    code, report, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1 and len(report["findings"]) >= 2
    raw = cache.read_bytes()
    for value in (key, secret):
        redacted = redact(value)
        middle = value[len(value) // 2 - 8 : len(value) // 2 + 8]
        for form in (value, middle, base64.b64encode(value.encode()).decode(), redacted.strip("*…. ")):
            assert form.encode() not in raw, form
        assert value.encode().hex().encode() not in raw


def test_cache_file_is_private_and_written_atomically(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_file(repo, "a.txt", "a\n")
    folder = tmp_path / "ci-cache" / "nested"
    cache = folder / "history.cache"
    audit(capsys, str(repo), "--cache", str(cache))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert sorted(path.name for path in folder.iterdir()) == ["history.cache"]  # no temporary file left


def test_rules_change_rebuilds_the_cache(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = api_key()
    commit_file(repo, "settings.py", assignment("BINANCE_API_KEY", key))
    cache = tmp_path / "audit.cache"
    audit(capsys, str(repo), "--cache", str(cache))
    signing = KEY_TEXT.encode()
    data = load(str(cache), signing, rules_digest())
    assert data is not None and data.blob_findings
    # The same cache, as an older version of the rules wrote it (signed with the right key): every
    # blob "known clean" under those rules.
    stale = CacheData(rules="0" * 64, blobs=dict(data.blobs), listings=dict(data.listings))
    save(str(cache), signing, stale)
    code, report, err = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1 and len(report["findings"]) == 1
    assert "rebuilt" in err and "another version" in err
    rebuilt = load(str(cache), signing, rules_digest())
    assert rebuilt is not None and rebuilt.blob_findings


def test_rules_digest_follows_the_detector_source(tmp_path: Path) -> None:
    """A changed detector file is a new rules version (the digest is of the package's own sources)."""
    package = Path(history_cache.__file__).resolve().parents[1]
    copy = tmp_path / "site" / "binance_secrets"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    probe = "from binance_secrets.sources.history_cache import rules_digest; print(rules_digest())"
    env = {**os.environ, "PYTHONPATH": str(copy.parent)}

    def digest() -> str:
        # `-S`: no site-packages, so the copy is imported, not the installed (editable) package.
        command = [sys.executable, "-S", "-c", probe]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout

    same = digest()
    assert same.strip() == rules_digest()
    tokens = copy / "detectors" / "tokens.py"
    tokens.write_text(tokens.read_text() + "\n# a tweak to a rule\n")
    assert digest() != same


def _forged_clean(cache: Path, data: CacheData, signing: bytes | None) -> None:
    """Every object "scanned, nothing found": what an attacker would write to hide a key."""
    forged = CacheData(rules=data.rules, blobs=dict(data.blobs), tags=set(data.tags), commits=set(data.commits))
    if signing is not None:
        save(str(cache), signing, forged)
    else:
        body = json.dumps({"format": 1, "rules": data.rules, "blobs": "", "note": "clean"}).encode()
        cache.write_bytes(MAGIC + body + b"\n" + b"0" * 64 + b"\n")


@pytest.mark.parametrize(
    "damage",
    ["truncated", "edited", "other key", "unsigned forgery", "wrong format", "empty"],
)
def test_hostile_cache_never_hides_a_finding(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    key = api_key()
    commit_file(repo, "README.md", "hello\n", "start")
    commit_file(repo, "app/settings.py", assignment("BINANCE_API_KEY", key), "settings")
    cache = tmp_path / "audit.cache"
    _, honest, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert len(honest["findings"]) == 1
    signing = KEY_TEXT.encode()
    data = load(str(cache), signing, rules_digest())
    assert data is not None
    raw = cache.read_bytes()
    if damage == "truncated":
        cache.write_bytes(raw[: len(raw) // 2])
    elif damage == "edited":
        # The blob's findings removed, the signature kept: the claim "clean" for the key's blob.
        document = json.loads(raw[len(MAGIC) : -66])
        document["blob_findings"] = {}
        document["listings"] = []
        cache.write_bytes(MAGIC + json.dumps(document).encode() + raw[-66:])
    elif damage == "other key":
        _forged_clean(cache, data, b"an attacker's own key, e.g. from a pull request run")
    elif damage == "unsigned forgery":
        _forged_clean(cache, data, None)
    elif damage == "wrong format":
        body = json.dumps({"format": 99, "rules": data.rules}).encode()
        save(str(cache), signing, CacheData(rules=data.rules))  # a valid file first, then its body swapped
        cache.write_bytes(MAGIC + body + b"\n" + history_cache._mac(signing, body) + b"\n")
    else:
        cache.write_bytes(b"")
    code, report, err = audit(capsys, str(repo), "--cache", str(cache))
    assert code == 1
    assert comparable(report) == comparable(honest)
    assert "ignored and rebuilt" in err
    notices = [e for e in report["errors"] if e["path"] == "<cache>"]
    assert len(notices) == 1 and notices[0].get("notice") is True
    assert load(str(cache), signing, rules_digest()) is not None  # rebuilt, signed again


def test_a_file_that_is_no_cache_is_neither_used_nor_overwritten(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--cache README.md` (a mistyped path) must not destroy the file, nor hide anything."""
    key = api_key()
    commit_file(repo, "settings.py", assignment("BINANCE_API_KEY", key))
    other = tmp_path / "notes.md"
    other.write_text("# my notes\n")
    code, report, err = audit(capsys, str(repo), "--cache", str(other))
    assert code == 1 and len(report["findings"]) == 1
    assert other.read_text() == "# my notes\n"
    assert "not a binance-secrets cache" in err


def test_cache_of_another_repository_is_harmless(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Entries name blobs by content and path: another repository's entries say nothing about ours."""
    other = init_repo(tmp_path / "other")
    commit_file(other, "README.md", "hello\n", "start")
    commit_file(other, "lib.py", "x = 1\n", "lib")
    cache = tmp_path / "shared.cache"
    audit(capsys, str(other), "--cache", str(cache))
    ours = init_repo(tmp_path / "ours")
    commit_file(ours, "README.md", "hello\n", "start")  # the same blob as in the other repository
    key = api_key()
    commit_file(ours, "settings.py", assignment("BINANCE_API_KEY", key), "settings")
    code, report, _ = audit(capsys, str(ours), "--cache", str(cache))
    _, fresh, _ = audit(capsys, str(ours))
    assert code == 1 and comparable(report) == comparable(fresh)


def test_blob_first_listed_under_another_path_is_scanned_again(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path is part of what the detectors read: a known blob met under a new path is not a hit."""
    key = api_key()
    body = f"{key}\n"  # a bare key: `low` in notes/readme.txt, `high` in binance/api_key.txt
    commit_file(repo, "notes/readme.txt", body, "notes")
    cache = tmp_path / "audit.cache"
    audit(capsys, str(repo), "--cache", str(cache))
    (repo / "binance").mkdir()
    git(repo, "mv", "notes/readme.txt", "binance/api_key.txt")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "rename")
    _, cached, _ = audit(capsys, str(repo), "--cache", str(cache))
    _, fresh, _ = audit(capsys, str(repo))
    assert fresh["findings"] and {f["confidence"] for f in fresh["findings"]} == {"high"}
    assert comparable(cached) == comparable(fresh)


def test_default_key_is_made_once_in_the_user_cache_folder(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BINANCE_SECRETS_CACHE_KEY")
    commit_file(repo, "a.txt", "a\n")
    cache = tmp_path / "audit.cache"
    audit(capsys, str(repo), "--cache", str(cache))
    key_file = tmp_path / "xdg" / "binance-secrets" / "cache-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first_key = key_file.read_text()
    _, _, err = audit(capsys, str(repo), "--cache", str(cache))
    assert "ignored" not in err and key_file.read_text() == first_key
    # The same file read with another key (another machine, a CI run without the secret): rebuilt.
    monkeypatch.setenv("BINANCE_SECRETS_CACHE_KEY", "another machine's key")
    _, _, err = audit(capsys, str(repo), "--cache", str(cache))
    assert "ignored and rebuilt" in err and "signature" in err


def test_cache_with_several_repositories_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = init_repo(tmp_path / "one")
    second = init_repo(tmp_path / "two")
    code = main(["history", str(first), str(second), "--cache", str(tmp_path / "c"), "--no-progress"])
    assert code == 2
    assert "--cache" in capsys.readouterr().err


def test_kept_attribution_follows_head_and_threshold(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On refs that have not moved the graph walk is kept, but `in_head` still follows HEAD, and another
    threshold (other secrets to attribute) walks again."""
    key = api_key()
    commit_file(repo, "README.md", "hello\n", "start")
    git(repo, "checkout", "-q", "-b", "feature")
    commit_file(repo, "feature/settings.py", assignment("BINANCE_API_KEY", key), "feature settings")
    commit_file(repo, "bare.txt", api_key() + "\n", "a bare token: low confidence")
    git(repo, "checkout", "-q", "main")
    cache = tmp_path / "audit.cache"
    _, on_main, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert [f["in_head"] for f in on_main["findings"]] == [False]
    _, again, _ = audit(capsys, str(repo), "--cache", str(cache))
    assert comparable(again) == comparable(on_main)
    git(repo, "checkout", "-q", "feature")
    _, on_feature, _ = audit(capsys, str(repo), "--cache", str(cache))
    _, fresh, _ = audit(capsys, str(repo))
    assert comparable(on_feature) == comparable(fresh)
    assert [f["in_head"] for f in on_feature["findings"]] == [True]
    _, low, _ = audit(capsys, str(repo), "--cache", str(cache), "--min-confidence", "low")
    _, fresh_low, _ = audit(capsys, str(repo), "--min-confidence", "low")
    assert comparable(low) == comparable(fresh_low) and len(low["findings"]) == 2


@pytest.mark.parametrize("missing", [True, False], ids=["missing object", "size limit only"])
def test_cache_never_makes_an_incomplete_audit_complete(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], missing: bool
) -> None:
    """README "Partial scans are never reported clean": what one audit could not scan (a blob over the
    size limit, a missing object) is reported again by every re-audit that uses the cache (the size
    limit's warning from a replayed listing, a missing object by listing again: no listing is kept)."""
    commit_file(repo, "big.txt", "x" * 5000 + "\n", "big")
    commit_file(repo, "small.txt", "hello\n", "small")
    if missing:
        lost = commit_file(repo, "lost.txt", "soon missing\n", "lost")
        _delete_object(repo, git(repo, "rev-parse", f"{lost}:lost.txt").strip())
    cache = tmp_path / "audit.cache"
    outcomes = []
    for _ in range(3):
        code, report, _ = audit(capsys, str(repo), "--cache", str(cache), "--max-blob-size", "1k")
        outcomes.append((code, sorted((error["path"], error["message"]) for error in report["errors"])))
    code, errors = outcomes[0]
    assert code == 3
    assert any(path == "big.txt" and "over the" in message for path, message in errors)
    assert any("missing" in message for _, message in errors) == missing
    assert outcomes[1] == outcomes[0] and outcomes[2] == outcomes[0]
