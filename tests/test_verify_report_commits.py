"""`verify --report FILE`: a report is user input, and the commit id of a finding is handed to git.

README "JSON report and exit codes": "A finding with a field of the wrong type or value is refused ...
`verify --report` leaves that finding as it is, unverified, with a warning", and "Live verification":
the secrets are recovered "including from git commits for `history` reports". A commit id that is not
one (empty, abbreviated, upper case, a ref name, an option) must never make git read something else:
`:path` is the index, a prefix is resolved to whichever commit it abbreviates. Real repositories, the
real CLI and the loopback fake Binance; every key is generated at run time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_secrets.finding import CommitInfo
from binance_secrets.report.json_report import load_report
from binance_secrets.verification.report_input import recover_secrets
from testing import keys
from testing.fake_binance import FakeBinance
from testing.gitrepo import commit_file, git, init_repo

from .conftest import KeyPair

NOT_COMMIT_IDS = ["", "ABBREVIATED", "UPPER", "0" * 39, "g" * 40, "HEAD", ":", "--output=x"]


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance() as server:
        yield server


def _pair() -> KeyPair:
    return KeyPair(keys.api_key(), keys.secret_key())


def _config(pair: KeyPair) -> str:
    return f'BINANCE_API_KEY = "{pair.api_key}"\nBINANCE_API_SECRET = "{pair.secret}"\n'


def _leaky_repository(tmp_path: Path, leaked: KeyPair, other: KeyPair) -> tuple[Path, str]:
    """Both pairs committed then removed; `leaked`'s file is staged again (the index holds it) and also in
    the working tree, so that a read of the index or of the working tree would recover its secret."""
    repo = init_repo(tmp_path / "repo")
    introduced = commit_file(repo, "a.py", _config(leaked))
    commit_file(repo, "b.py", _config(other))
    git(repo, "rm", "-q", "a.py", "b.py")
    git(repo, "commit", "-qm", "remove the keys")
    (repo / "a.py").write_text(_config(leaked))
    git(repo, "add", "a.py")
    return repo, introduced


def _bad_id(name: str, introduced: str) -> str:
    return {"ABBREVIATED": introduced[:12], "UPPER": introduced.upper()}.get(name, name)


@pytest.mark.parametrize("bad", NOT_COMMIT_IDS)
def test_report_finding_whose_commit_id_is_not_one_is_refused_and_the_rest_verified(
    run_cli, fake: FakeBinance, tmp_path: Path, bad: str
) -> None:
    leaked, other = _pair(), _pair()
    fake.add_hmac_key(leaked.api_key, leaked.secret)
    fake.add_hmac_key(other.api_key, other.secret)
    repo, introduced = _leaky_repository(tmp_path, leaked, other)
    report = tmp_path / "history.json"
    assert run_cli("history", str(repo), "-f", "json", "-o", str(report)).exit_code == 1
    document = json.loads(report.read_text())
    tampered = [index for index, finding in enumerate(document["findings"]) if finding["path"] == "a.py"]
    assert len(tampered) == 2
    for index in tampered:
        document["findings"][index]["commit"]["sha"] = _bad_id(bad, introduced)
    report.write_text(json.dumps(document))

    result = run_cli("verify", "--report", str(report), "--root", str(repo), "--api-url", fake.url, "-f", "json")

    assert result.exit_code == 1  # the other pair is live: DESIGN.md, verify exits 1 when one credential is
    warnings = [line for line in result.stderr.splitlines() if "commit.sha" in line]
    assert warnings == [
        f"binance-secrets: warning: report {report}: findings[{index}].commit.sha must be a commit id; "
        "that finding is left unverified"
        for index in tampered
    ]
    enriched = json.loads(result.stdout)["findings"]
    assert [f["verification"] for i, f in enumerate(enriched) if i in tampered] == [None, None]
    assert {f["verification"]["status"] for i, f in enumerate(enriched) if i not in tampered} == {"live"}
    assert leaked.api_key not in fake.log.api_keys  # nothing was recovered for the refused findings
    assert other.api_key in fake.log.api_keys


@pytest.mark.parametrize("bad", NOT_COMMIT_IDS)
def test_secret_recovery_reads_nothing_for_a_commit_id_that_is_not_one(tmp_path: Path, bad: str) -> None:
    """The recovery step checks the id again before git sees it: an empty id never falls back to the
    working tree, an abbreviation is never resolved, nothing names the index."""
    leaked, other = _pair(), _pair()
    repo, introduced = _leaky_repository(tmp_path, leaked, other)
    read = load_report(str(_history_report(repo, tmp_path / "history.json")))
    commits = {finding.path: finding.commit for _, finding in read.findings}
    assert commits["a.py"] is not None and commits["a.py"].sha == introduced

    def with_commit(sha: str) -> list[str | None]:
        findings = tuple(
            (index, finding.with_changes(commit=CommitInfo(sha, "a", "e", "d", "s")))
            for index, finding in read.findings
            if finding.path == "a.py"
        )
        recovered = recover_secrets(type(read)(read.source, read.document, findings, (), read.stats, ()), repo)
        return sorted(finding.secret or "" for _, finding in recovered)

    assert with_commit(introduced) == sorted([leaked.api_key, leaked.secret])  # a full id: read from the commit
    assert with_commit(_bad_id(bad, introduced)) == ["", ""]


def _history_report(repo: Path, report: Path) -> Path:
    from binance_secrets.cli import main

    assert main(["history", str(repo), "-f", "json", "-o", str(report), "--no-progress", "-q"]) == 1
    return report
