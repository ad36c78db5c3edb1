"""Issue #10 items 2, 3 and 5: which exchange a credential is for, hex testnet keys, split literals,
roles and confidence. Values are generated at run time (`testing.keys`); nothing key-like is committed.

README promise protected throughout: "Another exchange's credential (Bybit, OKX, KuCoin, Kraken,
Bitfinex, Coinbase, …) is never a `binance-*` finding", and the confidence and role rules of "What is
detected".
"""

from __future__ import annotations

import itertools
import json
import py_compile
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from binance_secrets.detectors import detect
from binance_secrets.filters import CONFIDENCE_ORDER
from binance_secrets.finding import Finding, sha256_hex
from binance_secrets.sources.content import printable_text
from testing.gitrepo import commit_file, init_repo
from testing.keys import api_key, ed25519_pem, random_hex, random_token, secret_key

OTHER = "hardcoded-api-secret"


def _by_secret(findings: list[Finding]) -> dict[str, Finding]:
    return {f.secret: f for f in findings}


def _summary(finding: Finding) -> tuple[str, str]:
    return finding.rule_id, finding.confidence


def _binance_pair(found: dict[str, Finding], key: str, secret: str, confidence: str = "high") -> None:
    assert _summary(found[key]) == ("binance-api-key", confidence)
    assert _summary(found[secret]) == ("binance-secret-key", confidence)
    assert found[key].pair_sha256 == sha256_hex(secret)
    assert found[secret].pair_sha256 == sha256_hex(key)


def _other_exchange(found: dict[str, Finding], *values: str) -> None:
    for value in values:
        assert _summary(found[value]) == (OTHER, "low"), value
        assert found[value].pair_sha256 is None


# --- Item 2: other exchanges ------------------------------------------------------------------


def _sections(fmt: str, first: str, second: str, k1: str, s1: str, k2: str, s2: str) -> tuple[str, str]:
    """A config holding two exchanges' credentials, each in its own section, in the format asked for."""
    if fmt == "yaml":
        text = f"{first}:\n  api_key: {k1}\n  api_secret: {s1}\n{second}:\n  api_key: {k2}\n  api_secret: {s2}\n"
        return text, "config.yaml"
    if fmt == "ini":
        text = f"[{first}]\napi_key = {k1}\nsecret = {s1}\n\n[{second}]\napi_key = {k2}\nsecret = {s2}\n"
        return text, "config.ini"
    if fmt == "toml":
        text = (
            f'[exchanges.{first}]\napi_key = "{k1}"\napi_secret = "{s1}"\n\n'
            f'[exchanges.{second}]\napi_key = "{k2}"\napi_secret = "{s2}"\n'
        )
        return text, "config.toml"
    if fmt == "json":
        text = (
            f'{{\n  "{first}": {{\n    "apiKey": "{k1}",\n    "secret": "{s1}"\n  }},\n'
            f'  "{second}": {{\n    "apiKey": "{k2}",\n    "secret": "{s2}"\n  }}\n}}\n'
        )
        return text, "config.json"
    if fmt == "minified-json":
        text = f'{{"{first}":{{"apiKey":"{k1}","secret":"{s1}"}},"{second}":{{"apiKey":"{k2}","secret":"{s2}"}}}}'
        return text, "config.min.json"
    if fmt == "python-dict":
        text = (
            f"EXCHANGES = {{\n    '{first}': {{'apiKey': '{k1}', 'secret': '{s1}'}},\n"
            f"    '{second}': {{'apiKey': '{k2}', 'secret': '{s2}'}},\n}}\n"
        )
        return text, "config.py"
    assert fmt == "comments"
    text = f"# {first}\nAPI_KEY={k1}\nAPI_SECRET={s1}\n\n# {second}\nAPI_KEY_2={k2}\nAPI_SECRET_2={s2}\n"
    return text, ".env"


FORMATS = ["yaml", "ini", "toml", "json", "minified-json", "python-dict", "comments"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("other", ["bybit", "okx", "kucoin", "kraken", "bitfinex", "coinbase", "gateio", "mexc"])
def test_each_value_gets_the_exchange_of_its_own_section(fmt: str, other: str) -> None:
    """A Binance section beside another exchange's, in either order: each value gets its own exchange."""
    binance_key, binance_secret, other_key, other_secret = api_key(), secret_key(), api_key(), secret_key()
    for first, second, k1, s1, k2, s2 in (
        ("binance", other, binance_key, binance_secret, other_key, other_secret),
        (other, "binance", other_key, other_secret, binance_key, binance_secret),
    ):
        text, path = _sections(fmt, first, second, k1, s1, k2, s2)
        found = _by_secret(detect(text.encode(), path))
        _binance_pair(found, binance_key, binance_secret)
        _other_exchange(found, other_key, other_secret)


@pytest.mark.parametrize(
    "name",
    ["BYBIT", "OKX", "KUCOIN", "KRAKEN", "BITFINEX", "COINBASE", "GATE", "HUOBI", "HTX", "MEXC", "BITGET",
     "BITMEX", "DERIBIT", "FTX", "GEMINI", "BITSTAMP", "POLONIEX", "BITTREX", "PHEMEX", "BINGX", "UPBIT"],
)  # fmt: skip
def test_other_exchange_named_credential_is_never_binance_whatever_the_file_mentions(name: str) -> None:
    key, secret = api_key(), secret_key()
    text = (
        "# Binance bot: binance, bnb, ccxt, X-MBX-APIKEY, https://api.binance.com\n"
        "BINANCE_ENABLED=false\n"
        f"{name}_API_KEY={key}\n{name}_API_SECRET={secret}\n"
    )
    found = _by_secret(detect(text.encode(), "binance-bot/.env"))
    _other_exchange(found, key, secret)
    camel = name.capitalize()
    found = _by_secret(
        detect(f'const {name.lower()}ApiKey = "{key}";\nconst {camel}Secret = "{secret}";\n'.encode(), "binance.js")
    )
    _other_exchange(found, key, secret)


def test_other_exchange_credential_of_any_length_is_at_most_low() -> None:
    short = random_token(36)
    for text in (f"BYBIT_API_SECRET={short}\n", f"okx:\n  secret: {short}\n", f"[kraken]\napi_secret = {short}\n"):
        findings = detect(text.encode(), "config.txt")
        assert [_summary(f) for f in findings] == [(OTHER, "low")], text


@pytest.mark.parametrize(
    "template",
    [
        "import ccxt\nexchange = ccxt.bybit({{\n    'apiKey': '{k}',\n    'secret': '{s}',\n}})\n",
        "exchange = ccxt.pro.okx({{'apiKey': '{k}', 'secret': '{s}', 'password': 'p'}})\n",
        "const ex = new ccxt.kucoin({{ apiKey: '{k}', secret: '{s}' }});\n",
        "exchange = ccxt.gate({{'apiKey': '{k}', 'secret': '{s}'}})\n",
        "exchange_id = 'okx'\nexchange = getattr(ccxt, exchange_id)({{\n"
        "    'apiKey': '{k}',\n    'secret': '{s}',\n}})\n",
        "exchange:\n  name: kraken\n  key: {k}\n  secret: {s}\n",
        "EXCHANGE=bitget\nAPI_KEY={k}\nAPI_SECRET={s}\n",
        '{{"exchange": {{\n    "name": "kucoin",\n    "key": "{k}",\n    "secret": "{s}"\n}}}}\n',
    ],
    ids=[
        "ccxt.bybit",
        "ccxt.pro.okx",
        "js-ccxt-kucoin",
        "ccxt.gate",
        "exchange-id",
        "yaml-name",
        "env-var",
        "freqtrade",
    ],
)
def test_ccxt_ids_and_exchange_settings_attribute_the_credential(template: str) -> None:
    key, secret = api_key(), secret_key()
    found = _by_secret(detect(template.format(k=key, s=secret).encode(), "bot.py"))
    _other_exchange(found, key, secret)


@pytest.mark.parametrize(
    "template",
    [
        'from pybit.unified_trading import HTTP\n\n\nsession = HTTP(\n    testnet=True,\n    api_key="{k}",\n'
        '    api_secret="{s}",\n)\n',
        'client = KucoinClient("{k}", "{s}", "passphrase")\n',
        "k = krakenex.API(key='{k}', secret='{s}')\n",
        "import okx.Trade as Trade\n\ntrade = Trade.TradeAPI('{k}', '{s}', 'passphrase', False, '1')\n",
        "from kucoin.client import Client\n\nclient = Client('{k}', '{s}', 'passphrase')\n",
        "const {{ RestClientV5 }} = require('bybit-api');\n"
        "const client = new RestClientV5({{ key: '{k}', secret: '{s}' }});\n",
    ],
    ids=["pybit-HTTP", "KucoinClient", "krakenex", "python-okx", "python-kucoin-Client", "bybit-api-node"],
)
def test_credentials_passed_to_another_exchanges_client_are_not_binance(template: str) -> None:
    key, secret = api_key(), secret_key()
    found = _by_secret(detect(template.format(k=key, s=secret).encode(), "bot.py"))
    _other_exchange(found, key, secret)


def test_another_exchanges_own_setting_does_not_label_its_neighbours() -> None:
    """`GEMINI_API_KEY=…` above a Binance pair names Gemini's key, not the block."""
    key, secret = api_key(), secret_key()
    text = f"GEMINI_API_KEY=AIzaSyA-not-a-binance-key\nAPI_KEY={key}\nAPI_SECRET={secret}\nOKX_PASSPHRASE=x1\n"
    found = _by_secret(detect(text.encode(), ".env"))
    assert found[key].rule_id == "binance-api-key"
    assert found[secret].rule_id == "binance-secret-key"


def test_a_closed_block_of_another_exchange_does_not_label_what_follows() -> None:
    key, bybit_key = api_key(), api_key()
    text = f"bybit = ccxt.bybit({{\n    'apiKey': '{bybit_key}',\n}})\nAPI_KEY = '{key}'\n"
    found = _by_secret(detect(text.encode(), "bot.py"))
    _other_exchange(found, bybit_key)
    # `ccxt` alone would be Binance context; beside `ccxt.bybit` it is not.
    assert _summary(found[key]) == ("binance-api-key", "medium")


def test_imports_of_several_exchanges_leave_a_binance_client_binance() -> None:
    key, secret = api_key(), secret_key()
    text = (
        "from binance.client import Client\nfrom pybit.unified_trading import HTTP\n\n\n"
        f"def connect():\n    return Client('{key}', '{secret}')\n"
    )
    _binance_pair(_by_secret(detect(text.encode(), "bot.py")), key, secret)


def test_other_exchange_keys_do_not_pair_with_binance_keys() -> None:
    key, bybit_secret = api_key(), secret_key()
    text = f"BINANCE_API_KEY={key}\nBYBIT_API_SECRET={bybit_secret}\n"
    found = _by_secret(detect(text.encode(), ".env"))
    assert found[key].pair_sha256 is None
    _other_exchange(found, bybit_secret)


def test_other_exchange_private_key_is_not_a_binance_private_key() -> None:
    pem = ed25519_pem()
    findings = detect(f'# binance too\nCOINBASE_PRIVATE_KEY = """{pem}"""\n'.encode(), "keys.py")
    assert [_summary(f) for f in findings] == [(OTHER, "low")]
    findings = detect(f'BINANCE_PRIVATE_KEY = """{pem}"""\n'.encode(), "keys.py")
    assert [_summary(f) for f in findings] == [("binance-private-key", "high")]


def test_exchange_words_inside_random_tokens_attribute_nothing() -> None:
    """A key or a base64 blob that happens to spell `pybit` is no mention of Bybit."""
    key = api_key()
    blob = random_token(30) + "pybit" + random_token(30)
    found = _by_secret(detect(f"BLOB = '{blob}'\nAPI_KEY = '{key}'\n".encode(), "settings.py"))
    assert _summary(found[key]) == ("binance-api-key", "medium")


# --- Item 3: hex testnet keys -------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "from binance.client import Client\nclient = Client('{k}', '{s}', testnet=True)\n",
        "BINANCE_API_KEY={k}\nBINANCE_API_SECRET={s}\n",
        "BASE_URL = 'https://testnet.binancefuture.com'\napi_key = '{k}'\napi_secret = '{s}'\n",
        "client = Client(api_key='{k}', api_secret='{s}', testnet=True)\n",
        "binance:\n  testnet: true\n  apiKey: {k}\n  secret: {s}\n",
        "from binance.um_futures import UMFutures\nc = UMFutures(key='{k}', secret='{s}', "
        "base_url='https://testnet.binancefuture.com')\n",
    ],
    ids=["python-binance-testnet", "dotenv", "futures-testnet-url", "testnet-kwarg", "yaml", "connector"],
)
def test_named_hex_testnet_pair_is_a_binance_pair(template: str) -> None:
    key, secret = random_hex(), random_hex()
    found = _by_secret(detect(template.format(k=key, s=secret).encode(), "bot.py"))
    _binance_pair(found, key, secret)


def test_named_hex_without_binance_context_is_no_binance_key() -> None:
    key, secret = random_hex(), random_hex()
    found = _by_secret(detect(f"api_key = '{key}'\napi_secret = '{secret}'\n".encode(), "settings.py"))
    assert key not in found
    # A hex value assigned to a secret name is still a hardcoded secret, as before.
    assert _summary(found[secret]) == (OTHER, "medium")


@pytest.mark.parametrize(
    "template",
    [
        "# binance\nsignature = '{h}'\n",
        "GET /fapi/v1/order?symbol=BTCUSDT&timestamp=1&signature={h} HTTP/1.1\nX-MBX-APIKEY: {k}\n",
        "# binance testnet\napi_key_sha256 = '{h}'\n",
        "binance_api_key: sha256:{h}\n",
        "python-binance==1.0.19 \\\n    --hash=sha256:{h}\n",
        "# binance, bnb\nWALLET_PRIVATE_KEY={h}\n",
        "binance testnet: pinned to commit {h}\n",
        "binance withdrawal txId: {h}\n",
        "BINANCE_API_KEY={H}\n",
        "binance testnet listenKey: {h}\n",
    ],
    ids=["signature", "signed-request", "digest-name", "sha256-prefix", "requirements-hash", "wallet-key",
         "commit", "tx-id", "upper-case", "listen-key"],
)  # fmt: skip
def test_hex_digests_and_signatures_stay_silent_beside_binance(template: str) -> None:
    hex_value = random_hex()
    text = template.format(h=hex_value, H=random_hex().upper(), k=api_key())
    assert hex_value not in {f.secret for f in detect(text.encode(), "notes.txt")}


def test_hex_in_lock_files_is_never_a_key() -> None:
    hex_value = random_hex()
    for path in ("poetry.lock", "package-lock.json", "go.sum", "SHA256SUMS"):
        assert detect(f'binance_api_key = "{hex_value}"\n'.encode(), path) == [], path


def test_other_exchange_hex_secret_is_not_binance() -> None:
    """Gate.io and Bitget issue 64-digit hex secrets too."""
    secret = random_hex()
    for text in (f"GATE_API_SECRET={secret}\n", f"bitget:\n  testnet: true\n  secret_key: {secret}\n"):
        findings = detect(text.encode(), "config.txt")
        assert [_summary(f) for f in findings] == [(OTHER, "low")], text


# --- Item 5: split literals ---------------------------------------------------------------------


def _split(value: str, *cuts: int) -> list[str]:
    bounds = [0, *cuts, len(value)]
    return [value[a:b] for a, b in itertools.pairwise(bounds)]


# Split keys are looked for where credentials are likely: a secret's name in the file (as here, the
# secret read from the environment), a 64-character key, or a path that says so.
_SECRET_FROM_ENV = 'API_SECRET = os.environ["BINANCE_API_SECRET"]\n'
SPLIT_SHAPES = {
    # name: (template with {p0}, {p1}..., path, cuts)
    "python-parentheses-one-line": ('BINANCE_API_KEY = ("{p0}" "{p1}")\n' + _SECRET_FROM_ENV, "bot.py", (32,)),
    "python-implicit-across-lines": ('BINANCE_API_KEY = (\n    "{p0}"\n    "{p1}"\n)\n', "settings.py", (32,)),
    "plus-across-lines": ('BINANCE_API_KEY = "{p0}" +\n    "{p1}"\n' + _SECRET_FROM_ENV, "bot.py", (30,)),
    "plus-leading": ('BINANCE_API_KEY = "{p0}"\n    + "{p1}"\n', "config.py", (34,)),
    "backslash-continuation": ("BINANCE_API_KEY='{p0}' \\\n'{p1}'\n", ".env.sh", (40,)),
    "php-dot": ("$binanceApiKey = '{p0}' . '{p1}';\n$binanceSecret = getenv('S');\n", "bot.php", (32,)),
    "js-plus": ("const binanceApiKey = '{p0}' + '{p1}';\n", "keys.js", (16,)),
    "three-pieces": ('BINANCE_API_KEY = ("{p0}" "{p1}" "{p2}")\n', "binance/client.py", (10, 40)),
    "short-first-piece": ('BINANCE_API_KEY = ("{p0}" "{p1}")\n' + _SECRET_FROM_ENV, "bot.py", (6,)),
}


@pytest.mark.parametrize("shape", list(SPLIT_SHAPES))
def test_split_literal_is_reported_joined_at_its_first_piece(shape: str) -> None:
    template, path, cuts = SPLIT_SHAPES[shape]
    key = api_key()
    pieces = _split(key, *cuts)
    text = template.format(**{f"p{i}": piece for i, piece in enumerate(pieces)})
    findings = [f for f in detect(text.encode(), path) if f.secret == key]
    assert len(findings) == 1, [(f.rule_id, f.redacted) for f in detect(text.encode(), path)]
    finding = findings[0]
    assert _summary(finding) == ("binance-api-key", "high")
    offset = text.index(pieces[0])
    assert (finding.line, finding.column) == (text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))
    assert finding.end_column == finding.column + len(pieces[0])


def test_both_arguments_of_a_client_call_split_in_halves_are_a_pair() -> None:
    key, secret = api_key(), secret_key()
    text = (
        f'from binance.client import Client\nclient = Client(\n    "{key[:32]}"\n    "{key[32:]}",\n'
        f'    "{secret[:32]}"\n    "{secret[32:]}",\n)\n'
    )
    _binance_pair(_by_secret(detect(text.encode(), "binance_bot.py")), key, secret)


def test_split_hex_testnet_secret_is_joined() -> None:
    secret = random_hex()
    text = f'# binance futures testnet\nBINANCE_API_SECRET = (\n    "{secret[:32]}"\n    "{secret[32:]}"\n)\n'
    assert [(_summary(f), f.secret) for f in detect(text.encode(), "bot.py")] == [
        (("binance-secret-key", "high"), secret)
    ]


def test_split_credential_of_any_length_is_joined() -> None:
    secret = random_token(40)
    text = f'API_SECRET = (\n    "{secret[:18]}"\n    "{secret[18:]}"\n)\n'
    findings = detect(text.encode(), "settings.py")
    assert [(_summary(f), f.secret, f.line) for f in findings] == [((OTHER, "medium"), secret, 2)]
    text = f'api_secret = "{secret[:10]}" + "{secret[10:]}"\n'
    assert [f.secret for f in detect(text.encode(), "settings.py")] == [secret]


def test_strings_that_are_not_joined_are_not_joined() -> None:
    key = api_key()
    separate = [
        f'values = ["{key[:32]}", "{key[32:]}"]\n',  # a comma: two strings
        f'print("{key[:32]}" if x else "{key[32:]}")\n',
        f'f("{key[:32]}")\ng("{key[32:]}")\n',
    ]
    for text in separate:
        assert key not in {f.secret for f in detect(text.encode(), "bot.py")}, text


def test_two_whole_tokens_in_a_row_are_two_findings_not_one_joined() -> None:
    key, secret = api_key(), secret_key()
    findings = detect(f'KEYS = (\n    "{key}"\n    "{secret}"\n)\n'.encode(), "bot.py")
    assert {f.secret for f in findings} == {key, secret}


# --- Item 5: roles and confidence ---------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        'from binance.client import Client\nclient = Client(\n    "{k}",\n    "{s}",\n)\n',
        'from binance.client import Client\nclient = Client(\n    "{k}",  # the key\n    "{s}",  # the secret\n)\n',
        "from binance.client import Client\ndef f():\n    if x:\n        return Client(\n"
        '                "{k}",\n                "{s}"\n        )\n',
        'from binance.client import Client\nclient = Client(\n    "{k}",\n\n    # read-only key\n    "{s}"\n)\n',
    ],
    ids=["plain", "comments", "deep-indent", "blank-and-comment"],
)
def test_second_argument_of_a_multiline_client_call_is_the_secret_with_the_pairs_confidence(template: str) -> None:
    key, secret = api_key(), secret_key()
    _binance_pair(_by_secret(detect(template.format(k=key, s=secret).encode(), "bot.py")), key, secret)


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("from binance.client import Client\nclient = Client(API_KEY, '{s}')\n", "bot.py"),
        ("from binance.spot import Spot\nclient = Spot(api_key, '{s}')\n", "bot.py"),
        ('client := binance.NewClient(apiKey, "{s}")\n', "main.go"),
        ('client := futures.NewFuturesClient(apiKey, "{s}") // binance\n', "main.go"),
        ('// Binance.Net\nvar creds = new ApiCredentials(key, "{s}");\n', "Program.cs"),
        ('import com.binance.connector.client.impl.SpotClientImpl;\nnew SpotClientImpl(API_KEY, "{s}");\n', "A.java"),
        ('BinanceApiClientFactory.newInstance(API_KEY, "{s}");\n', "A.java"),
        ('let market: Market = Binance::new(Some(key.into()), Some("{s}".into()));\n', "main.rs"),
        ("from binance.client import Client\nclient = Client(get_api_key(), '{s}')\n", "bot.py"),
    ],
    ids=["python-binance", "connector-spot", "go-binance", "go-futures", "binance-net", "java-connector",
         "java-factory", "rust-binance", "getter-first"],
)  # fmt: skip
def test_the_second_argument_of_a_known_client_is_the_secret(template: str, path: str) -> None:
    secret = secret_key()
    findings = detect(template.format(s=secret).encode(), path)
    assert [(f.rule_id, f.confidence) for f in findings] == [("binance-secret-key", "high")]


def test_ccxt_and_node_binance_api_names_give_the_roles() -> None:
    key, secret = api_key(), secret_key()
    for text in (
        f"exchange = ccxt.binance({{'apiKey': '{key}', 'secret': '{secret}'}})\n",
        f"const binance = new Binance().options({{\n  APIKEY: '{key}',\n  APISECRET: '{secret}'\n}});\n",
    ):
        _binance_pair(_by_secret(detect(text.encode(), "bot.js")), key, secret)


def test_a_pairs_partner_inherits_the_pairs_confidence() -> None:
    key, secret = api_key(), secret_key()
    # The key is named for Binance; the secret three lines below has no name of its own.
    found = _by_secret(detect(f"BINANCE_API_KEY = '{key}'\n\n\n\n\n\n\n'{secret}'\n".encode(), "bot.py"))
    _binance_pair(found, key, secret)
    # A key named generically and, after a comment, a secret without a name: both at the key's `medium`.
    found = _by_secret(detect(f"API_KEY = '{key}'\n# the other half:\n'{secret}'\n".encode(), "bot.py"))
    _binance_pair(found, key, secret, "medium")


def test_a_value_named_as_something_else_is_no_partner() -> None:
    key, order_id = api_key(), random_token()
    found = _by_secret(detect(f'{{"apiKey": "{key}",\n "orderId": "{order_id}"}}\n'.encode(), "fixture.json"))
    assert found[key].pair_sha256 is None
    assert found[order_id].confidence == "low"


@pytest.mark.parametrize(
    "template",
    [
        "api_key = get_secret('{k}')\napi_secret = load_secret_key('{s}')\n",
        "api_key = secrets_manager.get_secret_value('{k}')\napi_secret = decrypt_secret('{s}')\n",
        "config = {{'api_key': read_secret('{k}'), 'api_secret': fetch('{s}')}}\n",
    ],
)
def test_functions_named_for_secrets_do_not_swap_roles(template: str) -> None:
    key, secret = api_key(), secret_key()
    found = _by_secret(detect(template.format(k=key, s=secret).encode(), "bot.py"))
    assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key")


def test_a_setter_named_for_the_secret_gives_the_secret_role() -> None:
    secret = secret_key()
    findings = detect(f'client.setApiSecret("{secret}");\n'.encode(), "Bot.java")
    assert [f.rule_id for f in findings] == ["binance-secret-key"]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("BINANCE_SEKKEY", "binance-secret-key"),
        ("APISECRT", "binance-secret-key"),
        ("api_secert", "binance-secret-key"),
        ("SCRET", "binance-secret-key"),
        ("binanceSecretKye", "binance-secret-key"),
        ("sekret_key", "binance-secret-key"),
        ("pvt_key", "binance-secret-key"),
        ("binance_sk", "binance-secret-key"),
        ("sec_key", "binance-secret-key"),
        ("api_kye", "binance-api-key"),
        ("binance_ak", "binance-api-key"),
        ("second_key", "binance-api-key"),
        ("secure_key", "binance-api-key"),
    ],
)
def test_misspelt_and_abbreviated_names_give_the_right_role(name: str, rule: str) -> None:
    value = random_token()
    findings = detect(f"{name}={value}\n".encode(), ".env")
    assert [f.rule_id for f in findings] == [rule]


def test_a_value_with_a_trailing_space_in_its_quotes_is_one_finding() -> None:
    secret = secret_key()
    for text in (f'API_SECRET = "{secret} "\n', f"api_secret: ' {secret}'\n", f'BINANCE_API_SECRET="{secret}  "\n'):
        findings = detect(text.encode(), "settings.py")
        assert [f.secret for f in findings] == [secret], text


@pytest.mark.parametrize(
    ("path", "rule", "confidence"),
    [
        ("api_key.txt", "binance-api-key", "medium"),
        ("api_secret.txt", "binance-secret-key", "medium"),
        ("secret.txt", "binance-secret-key", "medium"),
        ("keys/secret_key", "binance-secret-key", "medium"),
        ("api.key", "binance-api-key", "medium"),
        ("binance_key", "binance-api-key", "high"),
        ("binance_secret.txt", "binance-secret-key", "high"),
    ],
)
def test_a_bare_key_file_gets_its_role_from_its_name(path: str, rule: str, confidence: str) -> None:
    value = random_token()
    for text in (f"{value}\n", value, f"  {value}\r\n", f'"{value}"\n'):
        assert [_summary(f) for f in detect(text.encode(), path)] == [(rule, confidence)], (path, text)


def test_a_file_holding_more_than_a_key_gets_no_role_from_its_name() -> None:
    value = random_token()
    findings = detect(f"# notes\nid {value}\n".encode(), "api_key.txt")
    assert [f.confidence for f in findings] == ["low"]


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("temporarily use key {v}\n\nwill rotate\n", "binance-api-key"),
        ("Fix auth\n\nsecret: {v}\n", "binance-secret-key"),
        ("Rotate the API secret\n\nold one was {v}\n", "binance-secret-key"),
        ("{v} is the new api key\n", "binance-api-key"),
    ],
)
def test_keys_in_commit_messages_near_a_key_word_are_medium(message: str, rule: str) -> None:
    value = random_token()
    findings = detect(message.format(v=value).encode(), "<commit message>")
    assert [_summary(f) for f in findings] == [(rule, "medium")]


def test_a_token_in_a_commit_message_without_a_key_word_stays_low() -> None:
    findings = detect(f"Merge {random_token()} into main\n".encode(), "<commit message>")
    assert [f.confidence for f in findings] == ["low"]


def _history(capsys: pytest.CaptureFixture[str], repo: Path) -> dict[str, Any]:
    code = main(["history", str(repo), "-f", "json", "--no-progress"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == 1
    return report


@pytest.mark.slow
def test_history_reports_a_key_pasted_in_a_commit_message_at_medium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    key = api_key()
    sha = commit_file(repo, "bot.py", "print('hello')\n", f"Connect the bot\n\ntemporarily use key {key}\n")
    findings = _history(capsys, repo)["findings"]
    assert [(f["rule_id"], f["confidence"], f["path"], f["line"], f["commit"]["sha"]) for f in findings] == [
        ("binance-api-key", "medium", "<commit message>", 3, sha)
    ]


def _compiled(tmp_path: Path, source: str) -> bytes:
    module = tmp_path / "settings.py"
    module.write_text(source, encoding="utf-8")
    compiled = py_compile.compile(str(module), cfile=str(tmp_path / "settings.cpython-312.pyc"), doraise=True)
    return Path(compiled).read_bytes()


def test_pyc_constants_near_key_names_are_reported(tmp_path: Path) -> None:
    key, secret = api_key(), secret_key()
    data = printable_text(_compiled(tmp_path, f'API_KEY = "{key}"\nAPI_SECRET = "{secret}"\n'))
    found = _by_secret(detect(data, "pkg/__pycache__/settings.cpython-312.pyc"))
    assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key")
    assert CONFIDENCE_ORDER[found[key].confidence] >= CONFIDENCE_ORDER["medium"]
    assert found[key].pair_sha256 == sha256_hex(secret)
    lone = printable_text(_compiled(tmp_path, f'import os\nDEBUG = 1\nMY_SECRET = "{secret}"\n'))
    assert [_summary(f) for f in detect(lone, "settings.pyc")] == [("binance-secret-key", "medium")]


def test_pyc_constant_without_a_key_word_stays_low(tmp_path: Path) -> None:
    data = printable_text(_compiled(tmp_path, f'VALUES = ["{random_token()}"]\n'))
    assert [f.confidence for f in detect(data, "settings.pyc")] == ["low"]


def test_scan_reports_a_compiled_module_holding_a_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = api_key()
    cache = tmp_path / "proj" / "__pycache__"
    cache.mkdir(parents=True)
    (cache / "settings.cpython-312.pyc").write_bytes(_compiled(tmp_path, f'API_KEY = "{key}"\n'))
    code = main(["scan", str(tmp_path / "proj"), "-f", "json", "--no-progress"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1
    assert [(f["rule_id"], f["confidence"]) for f in findings] == [("binance-api-key", "medium")]


# --- Linear time on inputs built against the new paths ---------------------------------------------

MB = 1024 * 1024


def _repeat(unit: str, size: int) -> bytes:
    return (unit * (size // len(unit) + 1)).encode()[:size]


def _reported(data: bytes, path: str = "adversarial.txt") -> list[Finding]:
    return [f for f in detect(data, path) if CONFIDENCE_ORDER[f.confidence] >= CONFIDENCE_ORDER["medium"]]


def test_a_megabyte_of_exchange_words_and_key_shaped_runs_is_linear() -> None:
    """No timing: a quadratic walk over 1 MB of mentions would take minutes."""
    tokens = " ".join(random_token() for _ in range(64))
    unit = "bybit okx kucoin ccxt.gate binance " * 4 + tokens + "\n"
    data = _repeat(unit, MB)
    findings = detect(data, "adversarial.txt")
    assert findings
    assert all(f.rule_id == OTHER or f.rule_id.startswith("binance-") for f in findings)


def test_a_single_megabyte_line_of_exchange_words_and_key_shaped_runs_is_linear() -> None:
    """One line, no newline to stop a look-back: each candidate must read a bounded window."""
    data = _repeat(f"bybit {random_token()} okx: {random_token()} ", MB)
    findings = detect(data, "adversarial.txt")
    assert findings
    assert {(f.rule_id, f.confidence) for f in findings} == {(OTHER, "low")}
    data = _repeat(f"x {random_token()} ", MB) + b" bybit"
    assert detect(data, "adversarial.txt")


def test_a_megabyte_of_nested_sections_is_linear() -> None:
    unit = "".join(f"{'  ' * depth}bybit{depth}:\n" for depth in range(30)) + f"{'  ' * 30}api_key: {api_key()}\n"
    data = _repeat(unit, MB)
    assert _reported(data, "config.yaml") == []


def test_a_megabyte_of_deepening_indentation_without_mentions_is_linear() -> None:
    unit = "".join(f"{' ' * (depth % 200)}x = '{random_token()}'\n" for depth in range(400))
    data = _repeat(unit, MB)
    assert detect(data, "a.py")


def test_a_megabyte_of_split_literal_pieces_is_linear() -> None:
    data = _repeat('"abcdefghijklmnopqrstu" "ABCDEFGHIJKLMNOPQ" + ', MB)
    assert _reported(data) == []
    data = _repeat(f'"{random_token(32)}"\n', MB)
    detect(data, "a.py")


def test_a_megabyte_of_open_calls_is_linear() -> None:
    data = _repeat(f'Client("{random_token()}", ', MB)
    assert detect(data, "a.py")
    data = _repeat('Client(("""(,', MB)
    assert detect(data, "a.py") == []


def test_a_megabyte_of_named_hex_in_binance_context_is_linear() -> None:
    data = b"".join(f"BINANCE_API_SECRET={random_hex()}\n".encode() for _ in range(MB // 84))
    findings = detect(data, ".env")
    assert {f.rule_id for f in findings} == {"binance-secret-key"}


def test_a_megabyte_commit_message_of_key_words_is_linear() -> None:
    data = _repeat(f"key secret apikey {random_token()} ", MB)
    assert detect(data, "<commit message>")
