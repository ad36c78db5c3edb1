"""Issue #10 on public repositories (the real-world set of `benchmarks/realworld`): the rules that set
needed, each with generated values (`testing.keys`; nothing key-like is committed) and, for the new
scanning logic, an input built against it.

README promises protected ("What is detected"): another exchange's credential is never a `binance-*`
finding (AsterDEX, Gate.io and the other exchanges named there, a file about one other exchange);
hex keys are reported when named as a Binance key in Binance context, and `testnet` alone is no
Binance context; roles from labels written apart (`Secret Key:`), CSV rows and headers, key files,
client calls with a flag first; placeholders, code variables, doctored PEMs and other services'
keys are not reported.
"""

from __future__ import annotations

import pytest

from binance_secrets.detectors import detect
from binance_secrets.filters import CONFIDENCE_ORDER
from binance_secrets.finding import Finding, sha256_hex
from testing.examples import DOCUMENTATION_KEYS
from testing.keys import api_key, ed25519_pem, random_hex, random_token, rsa_pem, secret_key

OTHER = "hardcoded-api-secret"
MB = 1024 * 1024
# Eight lines of code: more than the few lines around a value that count as its context.
FILLER = "x = 1\n" * 8


def _by_secret(findings: list[Finding]) -> dict[str, Finding]:
    return {f.secret: f for f in findings}


def _summary(finding: Finding) -> tuple[str, str]:
    return finding.rule_id, finding.confidence


def _reported(data: bytes, path: str) -> list[Finding]:
    return [f for f in detect(data, path) if CONFIDENCE_ORDER[f.confidence] >= CONFIDENCE_ORDER["medium"]]


# --- Other exchanges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "# AsterDEX API Credentials\nAPI_KEY={h}\nAPI_SECRET={s}\n",
        "ASTER_API_KEY={k}\nASTER_API_SECRET={s}\n",
        "exchange: asterdex\napi_key: {k}\napi_secret: {s}\n",
        "hyperliquid:\n  api_key: {k}\n  secret: {s}\n",
        "[dydx]\napi_key = {k}\napi_secret = {s}\n",
        "BACKPACK_API_KEY={k}\nBACKPACK_API_SECRET={s}\n",
        "# WOO X\nWOO_API_KEY={k}\nWOO_API_SECRET={s}\n",
        "bingx:\n  apiKey: {k}\n  secret: {s}\n",
        "LBANK_API_KEY={k}\nLBANK_SECRET_KEY={s}\n",
        "phemex = ccxt.phemex({{'apiKey': '{k}', 'secret': '{s}'}})\n",
        "PIONEX_API_KEY={k}\nPIONEX_API_SECRET={s}\n",
    ],
    ids=["asterdex-comment", "aster-name", "asterdex-setting", "hyperliquid", "dydx", "backpack", "woo", "bingx",
         "lbank", "phemex", "pionex"],
)  # fmt: skip
def test_more_exchanges_are_attributed(template: str) -> None:
    """The exchanges of the bots people build beside Binance bots: never a `binance-*` finding."""
    key, secret, hex_key = api_key(), secret_key(), random_hex()
    text = "# binance, bnb\n" + template.format(k=key, s=secret, h=hex_key)
    findings = detect(text.encode(), "config.txt")
    assert findings
    assert {_summary(f) for f in findings} == {(OTHER, "low")}, text


def test_a_file_about_one_other_exchange_owns_its_hex_and_short_secrets() -> None:
    """`# AsterDEX` at the top, a Gate.io class, a guide to a Bybit bot: nothing near the value names an
    exchange, but the file names one and never Binance."""
    hex_secret, short_secret = random_hex(), random_token(40)
    for text, value in (
        (f"AsterDEX bot\n\n\n\n\n\n\n\n\nAPI_SECRET={hex_secret}\n", hex_secret),
        (f"class GateIoFactory {{\n  @Value(\"${{gate_io_api_key}}\")\n  String k;\n\n  F() {{\n"
         f"    apiSecret = \"{short_secret}\";\n  }}\n}}\n", short_secret),
    ):  # fmt: skip
        found = _by_secret(detect(text.encode(), "notes.txt"))
        assert _summary(found[value]) == (OTHER, "low"), text


def _reported_secret(length: int) -> str:
    """A random secret that a plain Binance file reports above `low`: about one draw in 600 holds a
    placeholder run (`xxx`) or another look-alike mark and is rightly silent wherever it stands."""
    while True:
        secret = random_token(length)
        found = _by_secret(detect(f"BINANCE_API_SECRET={secret}\n".encode(), "notes.txt"))
        if secret in found and found[secret].confidence != "low":
            return secret


def test_a_file_naming_two_other_exchanges_or_binance_says_nothing_of_its_own() -> None:
    secret = _reported_secret(40)
    for head in ("Bybit and OKX bot", "Bybit bot, Binance next"):
        found = _by_secret(detect(f"{head}\n\n\n\n\n\n\n\nAPI_SECRET={secret}\n".encode(), "notes.txt"))
        assert found[secret].confidence != "low", head


def test_a_guide_about_another_exchange_outweighs_a_passing_binance_mention() -> None:
    """An AsterDEX bot's guide that calls its API "Binance-compatible" once is about AsterDEX."""
    secret = random_hex()
    prose = "AsterDEX is great. " * 8
    text = f"{prose}\nIts API is Binance-compatible.\n{FILLER}```env\nAPI_SECRET={secret}\n```\n"
    found = _by_secret(detect(text.encode(), "GUIDE.md"))
    assert _summary(found[secret]) == (OTHER, "low")
    # Named as often as Binance, the other exchange does not take the file: a plainly named hex
    # secret in a file that names Binance is then a futures-testnet secret.
    text = f"{'AsterDEX and Binance. ' * 8}\n{FILLER}```env\nAPI_SECRET={secret}\n```\n"
    assert _summary(_by_secret(detect(text.encode(), "GUIDE.md"))[secret]) == ("binance-secret-key", "medium")


def test_a_binance_shaped_key_is_not_given_to_the_one_other_exchange_of_its_file() -> None:
    """A 64-character mixed-case key has Binance's shape: a mention elsewhere in the file does not
    outweigh it (a section, a name or a client around the value still do)."""
    key = api_key()
    text = f"Bybit bot settings\n\n\n\n\n\n\n\nAPI_KEY={key}\n"
    assert _summary(_by_secret(detect(text.encode(), "notes.txt"))[key]) == ("binance-api-key", "medium")


# --- Hex testnet keys ------------------------------------------------------------------------------


def test_testnet_alone_is_no_binance_context_for_hex() -> None:
    """TON, Sepolia and others have testnets: `network = "testnet"` beside a hex `api_key` is theirs."""
    value = random_hex()
    for text in (
        f'api_key = "{value}"\nnetwork = "testnet"\n',
        f'# sepolia testnet RPC\nAPI_KEY = "{value}"\n',
    ):
        assert detect(text.encode(), "chain_test.py") == [], text
    # A testnet switch turned on is a client's option; with Binance named anywhere, the word suffices.
    assert _summary(detect(f"c = Client(api_key='{value}', testnet=True)\n".encode(), "bot.py")[0]) == (
        "binance-api-key",
        "high",
    )
    text = f"# binance futures\n{FILLER}x = 1\nx = 1\napi_key = '{value}'  # testnet\n"
    assert _summary(detect(text.encode(), "bot.py")[0]) == ("binance-api-key", "high")


def test_plain_hex_names_count_where_the_file_names_binance() -> None:
    key, secret = random_hex(), random_hex()
    filler = FILLER
    text = f"apiKey_test = '{key}'\napiSecretKey_test = '{secret}'\n{filler}URL = 'https://fapi.binance.com'\n"
    found = _by_secret(detect(text.encode(), "demo.py"))
    assert _summary(found[key]) == ("binance-api-key", "medium")
    assert _summary(found[secret]) == ("binance-secret-key", "medium")
    assert found[key].pair_sha256 == sha256_hex(secret)
    # A name that names another service, a generic name alone, or no Binance in the file: no key.
    for text in (
        f"CRYPTOCOMPARE_API_KEY = '{key}'\n{filler}# binance\n",
        f"secret = '{secret}'\n{filler}# binance\n",
        f"apiKey_test = '{key}'\napiSecretKey_test = '{secret}'\n",
    ):
        assert [f for f in detect(text.encode(), "demo.py") if f.rule_id.startswith("binance-")] == [], text


def test_a_generic_hex_name_counts_beside_a_hex_partner() -> None:
    """ccxt's `'secret': '…'` under `'apiKey': '…'`, in a file that names Binance."""
    key, secret = random_hex(), random_hex()
    text = f"config = {{\n    'apiKey': '{key}',\n    'secret': '{secret}',\n}}\n{FILLER}# binance\n"
    found = _by_secret(detect(text.encode(), "bot.py"))
    assert _summary(found[secret]) == ("binance-secret-key", "medium")
    assert found[secret].pair_sha256 == sha256_hex(key)


def test_a_file_set_for_mainnet_holds_no_testnet_hex_keys() -> None:
    """Hex keys are futures-testnet keys: `TESTNET=false` says these are someone else's."""
    key = random_hex()
    filler = "X=1\n" * 8
    for switch in ("TESTNET_MODE=false", "testnet: False", '"testnet": false', "USE_TESTNET = 0"):
        text = f"# binance\n{filler}API_KEY={key}\n{switch}\n"
        assert [f for f in detect(text.encode(), ".env") if f.secret == key] == [], switch
    # Both switches in one file (a testnet and a mainnet section): the file says nothing.
    text = f"# binance\n{filler}API_KEY={key}\n[test]\ntestnet = true\n[live]\ntestnet = false\n"
    assert [f.secret for f in _reported(text.encode(), "config.ini")] == [key]


# --- Names and roles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "roles"),
    [
        ('pub const TEST_FUTURE_API_KEY: &str =\n    "{k}";\npub const TEST_FUTURE_SECRET_KEY: &str =\n    "{s}";\n',
         ("binance-api-key", "binance-secret-key")),
        ("params: {{\n  apiKey:\n    '{k}',\n  secret:\n    '{s}',\n}}\n", ("binance-api-key", "binance-secret-key")),
        ('API_SECRET = \\\n    "{s}"\nAPI_KEY = \\\n    "{k}"\n', ("binance-api-key", "binance-secret-key")),
        ("API Key: {k}\n\nSecret Key: {s}\n", ("binance-api-key", "binance-secret-key")),
        ("Binance API Secret: {s}\nBinance API Key: {k}\n", ("binance-api-key", "binance-secret-key")),
    ],
    ids=["rust-next-line", "ts-next-line", "python-continuation", "prose-labels", "prose-labels-binance"],
)  # fmt: skip
def test_names_on_the_line_before_and_labels_written_apart(template: str, roles: tuple[str, str]) -> None:
    key, secret = api_key(), secret_key()
    found = _by_secret(detect(template.format(k=key, s=secret).encode(), "a.txt"))
    assert (found[key].rule_id, found[secret].rule_id) == roles
    assert found[key].pair_sha256 == sha256_hex(secret)
    assert found[key].confidence in ("medium", "high")


def test_a_comparison_or_a_word_of_prose_is_no_name() -> None:
    key = api_key()
    for text in (f"if api_key ==\n    '{key}':\n    pass\n", f"we use the key: {key}\n", f"Key: {key}\n"):
        assert _reported(text.encode(), "a.py") == [], text


def test_csv_rows_and_headers_give_the_roles() -> None:
    """A copy trader's CSV: each row headed by what it holds, two accounts per row; a table with a
    header row; a first column that is no label leaves the header to speak."""
    keys_, secrets_ = [api_key(), api_key()], [secret_key(), secret_key()]
    text = f"Slave API Keys,{keys_[0]},{keys_[1]},\nSlave API Secrets,{secrets_[0]},{secrets_[1]},\n"
    found = _by_secret(detect(text.encode(), "config.csv"))
    assert [found[k].rule_id for k in keys_] == ["binance-api-key"] * 2
    assert [found[s].rule_id for s in secrets_] == ["binance-secret-key"] * 2
    text = f"exchange;api_secret;api_key\nbinance;{secrets_[0]};{keys_[0]}\n"
    found = _by_secret(detect(text.encode(), "accounts.csv"))
    assert _summary(found[secrets_[0]]) == ("binance-secret-key", "high")
    assert _summary(found[keys_[0]]) == ("binance-api-key", "high")
    # Outside a CSV, a comma after a label is a comma: no table reading.
    text = f"Slave API Keys,{keys_[0]},{keys_[1]},\n"
    assert {f.rule_id for f in detect(text.encode(), "notes.txt")} == {"binance-api-key", "binance-secret-key"}


@pytest.mark.parametrize(
    "call",
    [
        'new BinanceApiClientFactory(true, "{k}", "{s}")',
        'new BinanceApiClientFactory(\n    false,\n    "{k}",\n    "{s}")',
        'Client(0, "{k}", "{s}")',
        'Client(None, "{k}", "{s}")',
    ],
)
def test_a_flag_before_the_credentials_does_not_move_them(call: str) -> None:
    key, secret = api_key(), secret_key()
    text = "import com.binance.api.client.*;\n" + call.format(k=key, s=secret) + ";\n"
    found = _by_secret(detect(text.encode(), "Test.java"))
    assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key")


def test_key_files_of_two_values() -> None:
    """`Key`, `keys.txt`, `binance.key`: the key, then the secret; named like that, not at `low`."""
    key, secret = api_key(), secret_key()
    for path in ("Key", "keys.txt", "binance.key", "secrets/api_key"):
        found = _by_secret(detect(f"{key}\n\n{secret}\n".encode(), path))
        assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key"), path
        assert found[key].confidence == found[secret].confidence == "high", path
    # Three values, or words beside them, are no key file; an unnamed file is no key file.
    for text, path in (
        (f"{key}\n{secret}\n{api_key()}\n", "Key"),
        (f"hello {key}\n{secret}\n", "Key"),
        (f"{key}\n\n{secret}\n", "data.txt"),
    ):
        assert _reported(text.encode(), path) == [], (text, path)


def test_commented_bare_keys_are_no_base64() -> None:
    """`//<key>` opening a line is a commented-out key; a run after a `/` inside base64 is not."""
    key, secret = api_key(), secret_key()
    text = f"func TestClient(t *testing.T) {{}}\n\n//{key}\n  //{secret}\n"
    found = _by_secret(detect(text.encode(), "binance_test.go"))
    assert (_summary(found[key]), _summary(found[secret])) == (
        ("binance-api-key", "high"),
        ("binance-secret-key", "high"),
    )
    for text in (f"data = 'abc//{key}'\n", f"x //{key}\n", f"https://example.com//{key}\n"):
        assert detect(text.encode(), "binance_test.go") == [], text


# --- Placeholders, variables, documentation, PEMs ----------------------------------------------------


def test_code_variables_are_no_values_but_config_values_are() -> None:
    secret = random_token(40)
    for text in (
        "new MainClient({\n  api_key: apiKey,\n  api_secret: ed25519PrivateKey,\n});\n",
        "client = Client(api_key=key, api_secret=loadedSecret2)\n",
        "cfg = {apiSecret: rsaPrivateKeyPem};\n",
    ):
        assert [f for f in detect(text.encode(), "bot.ts") if f.rule_id == OTHER] == [], text
    # A camelCase value that ends its line is a value (built here so that this file holds none).
    words = "".join(("blue", "Horse", "Battery9"))
    for text, path in (
        (f"API_SECRET={words}\n", ".env"),
        (f"api_secret: {words}\n", "config.yaml"),
        (f"{{apiKey: k, apiSecret: {secret}, x: 1}}\n", "config.yaml"),
    ):
        assert [f.rule_id for f in _reported(text.encode(), path)] == [OTHER], text


def test_placeholders_in_other_languages() -> None:
    values = ("你的API密钥", "您的密钥替换这里", "ваш_секретный_ключ", "votre_cle_secrete_123", "tu_clave_secreta_1")
    for value in values:
        assert detect(f"API_SECRET='{value}'\n".encode(), "README.md") == [], value


def test_the_rest_of_a_documentation_example_is_silent() -> None:
    """Beside Binance's documented example key, the example's secret stays silent however it was cut;
    a value further away is not part of the example."""
    docs_key, docs_secret = DOCUMENTATION_KEYS[0], DOCUMENTATION_KEYS[1]
    text = f'//{{\n//"apikey":"{docs_key}",\n//"secretkey":"{docs_secret[:63]}",\n//"canTrade": true\n//}}\n'
    assert detect(text.encode(), "binance/Binance.go") == []
    secret = random_token(40)
    text = f'"apikey": "{docs_key}",\n{FILLER}API_SECRET = "{secret}"\n'
    assert [f.secret for f in _reported(text.encode(), "binance/example.py")] == [secret]


@pytest.mark.parametrize("filler", ["x = 1\n", "\n", "  \n"])
def test_a_documentation_example_reaches_three_lines_whatever_they_hold(filler: str) -> None:
    """The example's neighbourhood is three lines either way, blank lines counted as lines: a value
    four lines below the documented key is someone's own."""
    docs_key, secret = DOCUMENTATION_KEYS[0], random_token(40)
    near = f'"apikey": "{docs_key}",\n{filler * 2}API_SECRET = "{secret}"\n'
    assert [f for f in detect(near.encode(), "binance/example.py") if f.secret == secret] == []
    far = f'"apikey": "{docs_key}",\n{filler * 3}API_SECRET = "{secret}"\n'
    assert [f.secret for f in _reported(far.encode(), "binance/example.py")] == [secret]
    # Below, from a value that ends its line (no closing quote before the line break).
    near = f"API_SECRET={secret}\n{filler * 2}#apikey={docs_key}\n"
    assert [f for f in detect(near.encode(), "binance/.env") if f.secret == secret] == []
    far = f"API_SECRET={secret}\n{filler * 3}#apikey={docs_key}\n"
    assert [f.secret for f in _reported(far.encode(), "binance/.env")] == [secret]


def _doctored(pem: str, word: str) -> str:
    lines = pem.splitlines(keepends=True)
    line = lines[3]
    lines[3] = line[:10] + word + line[10 + len(word) :]
    return "".join(lines)


@pytest.mark.parametrize("word", ["EXAMPLE", "Example", "PLACEHOLDER", "REDACTED"])
def test_a_pem_with_a_placeholder_word_in_its_body_is_an_illustration(word: str) -> None:
    pem = _doctored(rsa_pem(), word)
    text = f"// Received after creating an RSA API key on binance\nconst rsaPrivateKey = `\n{pem}`;\n"
    assert detect(text.encode(), "rest-private-rsa.ts") == []


def test_a_google_service_account_key_is_not_a_binance_key() -> None:
    pem = rsa_pem().replace("\n", "\\n")
    text = (
        f'{{\n  "type": "service_account",\n  "project_id": "binance-trading-robot",\n'
        f'  "private_key_id": "{random_hex(40)}",\n  "private_key": "{pem}",\n'
        f'  "client_email": "firebase-adminsdk@binance-trading-robot.iam.gserviceaccount.com"\n}}\n'
    )
    assert [_summary(f) for f in detect(text.encode(), "serviceAccountKey.json")] == [(OTHER, "low")]


def test_rsa_and_encrypted_pems_named_as_binance_keys() -> None:
    """Passed as `private_key` in a file that speaks of Binance, or saved as Binance's examples name
    the file (`test-prv-key.pem`): reported at `medium`. A TLS key stays at `low`."""
    encrypted = ed25519_pem(passphrase=b"testpwd")
    text = (
        f"from binance.client import Client\n{FILLER}"
        f'CASES = [{{"private_key": b"""{encrypted}""", "password": "testpwd"}}]\n'
    )
    assert [_summary(f) for f in detect(text.encode(), "tests/test_cryptography.py")] == [
        ("binance-private-key", "medium")
    ]
    rsa = rsa_pem()
    assert [_summary(f) for f in detect(rsa.encode(), "test-prv-key.pem")] == [("binance-private-key", "medium")]
    assert [_summary(f) for f in detect(rsa.encode(), "server.key")] == [("binance-private-key", "low")]
    escaped = rsa.replace("\n", "\\n")
    text = f'ssl:\n  private_key: "{escaped}"\n'
    assert [_summary(f) for f in detect(text.encode(), "nginx.yaml")] == [("binance-private-key", "low")]


# --- Linear time on inputs built against the new paths ---------------------------------------------
# No timing is asserted: each input is 1 MB, so a quadratic path would take minutes.


def _repeat(unit: str, size: int = MB) -> bytes:
    return (unit * (size // len(unit) + 1)).encode()[:size]


def test_a_megabyte_of_labels_written_apart_is_linear() -> None:
    data = _repeat(f"api secret api secret Key: {random_token()} ")
    assert detect(data, "notes.txt")
    data = _repeat("api " * 1000 + "key: x\n")
    assert detect(data, "notes.txt") == []


def test_a_megabyte_of_names_ending_lines_is_linear() -> None:
    data = _repeat(f"API_KEY =\n    '{random_token()}'\n")
    assert {f.rule_id for f in detect(data, "a.py")} == {"binance-api-key"}
    data = _repeat("x =\n" * 100 + "=\n:\n=>\n\\\n")
    assert detect(data, "a.py") == []


def test_a_megabyte_csv_is_linear() -> None:
    row = ",".join(random_token() for _ in range(8))
    data = _repeat(f"Slave API Keys,{row}\n")
    findings = detect(data, "config.csv")
    assert findings and {f.rule_id for f in findings} == {"binance-api-key"}
    # One huge row: each cell reads a bounded stretch of it.
    data = b"label," + _repeat(f"{random_token()},", MB)
    assert detect(data, "one-row.csv")


def test_a_megabyte_of_testnet_switches_and_hex_is_linear() -> None:
    data = _repeat(f"# binance\napi_key = '{random_hex()}'\nTESTNET=false\ntestnet: true\nnetwork = 'testnet'\n")
    assert detect(data, "bot.py")
    data = _repeat("testnet" * 100 + "=" + " " * 100)
    assert detect(data, "bot.py") == []


def test_a_megabyte_of_exchange_names_before_a_hex_secret_is_linear() -> None:
    """The whole-file count of exchange names runs once per file, not once per candidate."""
    body = _repeat("AsterDEX bybit okx binance ", MB // 2)
    lines = "".join(f"API_SECRET={random_hex()}\n" for _ in range(2000))
    findings = detect(body + b"\n" + lines.encode(), "GUIDE.md")
    # (A random hex value now and then holds a typed-looking run and is dropped.)
    assert len(findings) > 1900


def test_a_megabyte_of_commas_and_flags_in_a_call_is_linear() -> None:
    data = b"Client(" + _repeat("true, 0, None, ") + f'"{api_key()}")'.encode()
    detect(data, "a.py")
    data = _repeat(f'Client(true, "{api_key()}", "{secret_key()}")\n')
    assert {f.rule_id for f in detect(data, "a.py")} == {"binance-api-key", "binance-secret-key"}


def test_a_megabyte_of_commented_runs_and_identifiers_is_linear() -> None:
    data = _repeat(f"//{random_token()}\n")
    assert detect(data, "binance_test.go")
    data = _repeat("api_secret: ed25519PrivateKey, " + "aB" * 40 + ", ")
    assert _reported(data, "a.ts") == []
    data = _repeat("apiSecret: " + "Ab" * 300 + ",")
    detect(data, "a.ts")


def test_a_megabyte_around_documentation_examples_is_linear() -> None:
    data = _repeat(f'"apikey": "{DOCUMENTATION_KEYS[0]}", "secretkey": "{random_token(40)}",\n')
    assert _reported(data, "docs.md") == []
