"""Copies of Binance's own API documentation are silent; real keys in the same shapes are not.

Issue #10, item 1, and the periodic placeholders of item 5. Every value here is generated at run time:
the documentation's own examples are known to the scanner only by digest, and the tests that scan
them read them from fetched copies of Binance's repositories (skipped when those are not fetched).
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

import pytest

from benchmarks import collect_doc_examples as collector
from binance_secrets.detectors import detect
from binance_secrets.detectors.doc_shapes import listen_key_reason, placeholder_marked
from binance_secrets.detectors.documentation import DOCUMENTATION_SHA256, is_documentation_example
from binance_secrets.detectors.tokens import is_periodic
from binance_secrets.filters import CONFIDENCE_ORDER, DEFAULT_MIN_CONFIDENCE
from binance_secrets.finding import Finding
from testing.examples import DOCUMENTATION_KEYS
from testing.keys import random_hex, random_token

MB = 1024 * 1024
_BASE64 = string.ascii_letters + string.digits + "+/"

# Every shape in which Binance's docs, Postman collections and connectors print a user-data-stream
# listenKey; `{v}` is the listenKey. `{name}` is the name it is written after, so that the same
# template with `apiKey` in its place proves the silence comes from the listenKey shape.
LISTEN_KEY_TEMPLATES: dict[str, tuple[str, str]] = {
    "rest-response": ('{\n  "{name}": "{v}"\n}\n', "user-data-stream.md"),
    "expired-event": ('{"e": "listenKeyExpired", "E": 1699596037418, "{name}": "{v}"}\n', "user-data-stream.md"),
    "wsapi-result": ('{"id": "d3df8a21", "status": 200, "result": {"{name}": "{v}"}}\n', "web-socket-api.md"),
    "wsapi-params": ('{"method": "userDataStream.ping", "params": {"{name}": "{v}"}}\n', "web-socket-api.md"),
    "curl-query": ("curl -X PUT 'https://api.binance.com/api/v3/userDataStream?{name}={v}'\n", "keepalive.sh"),
    "python-kwarg": ('client.stream_keepalive({name}="{v}")  # binance\n', "bot.py"),
    "python-assignment": ('{name} = "{v}"  # binance\n', "bot.py"),
    "js-object": ("const params = { {name}: '{v}' } // binance\n", "bot.js"),
    "go-assignment": ('{name} := "{v}" // binance\n', "main.go"),
    "postman-example-body": ('"body": "{\\"{name}\\": \\"{v}\\"}" // binance\n', "Binance Spot API.json"),
}
# Shapes that carry a listenKey without a name: stream paths and stream names.
UNNAMED_LISTEN_KEY_TEMPLATES: dict[str, tuple[str, str]] = {
    "ws-path": ('ws = websocket.WebSocketApp("wss://stream.binance.com:9443/ws/{v}")\n', "bot.py"),
    "combined-stream-query": ("wss://fstream.binance.com/stream?streams={v}\n", "README.md"),
    "auth-stream-query": ("wss://dstream-auth.binance.com/ws/btcusdt@markPrice?listenKey={v}\n", "README.md"),
    "combined-stream-event": ('{"stream": "{v}", "data": {"e": "ACCOUNT_UPDATE"}}\n', "events.json"),
    "futures-request": ('{"method": "REQUEST", "params": ["{v}@account", "{v}@balance"], "id": 12}\n', "futures.md"),
    "futures-response": ('{"result": [{"req": "{v}@position", "res": {}}], "id": 12}\n', "futures.md"),
    "renew-call": ("client.renewListenKey('{v}') // binance\n", "bot.js"),
    "env": ("BINANCE_LISTEN_KEY={v}\n", ".env"),
}
# A 64-character run cut out of a URL-encoded base64 signature, anywhere in it.
SIGNATURE_TEMPLATES: dict[str, str] = {
    "middle": "&signature={b64}%2F{v}%2B{b64}%3D\n",
    "first": "&signature={v}%2B{b64}%3D\n",
    "last": "&signature={b64}%2F{v}%3D\n",
    "lower-case-escapes": "&signature={b64}%2f{v}%2b{b64}\n",
    "glued-to-escape": "&signature={b64}%2F{v62}%2B{b64}\n",
    "curl": (
        "curl -H 'X-MBX-APIKEY: $API_KEY' -X POST 'https://api.binance.com/api/v3/order?"
        "symbol=BTCUSDT&timestamp=1671090801999&signature={b64}%2F{v}%2B{b64}%3D'\n"
    ),
}
# Docs shapes where a value is a credential: filled with Binance's example values they must stay silent
# (by digest), filled with a generated key they must be reported.
CREDENTIAL_TEMPLATES: dict[str, tuple[str, str]] = {
    "curl-header": ("curl -H \"X-MBX-APIKEY: {v}\" -X POST 'https://api.binance.com/api/v3/order'\n", "order.sh"),
    "wsapi-params": ('{"method": "session.logon", "params": {"apiKey": "{v}", "timestamp": 1}}\n', "ws.json"),
    "bash-script": ('#!/usr/bin/env bash\napiKey="{v}"\napiSecret="{v}"\n', "sign.sh"),
    "python-connector": ('from binance.spot import Spot\nclient = Spot(api_key="{v}")\n', "README.md"),
    "js-connector": ("const { Spot } = require('@binance/connector')\nconst apiSecret = '{v}'\n", "index.js"),
    "postman-environment": ('{"values": [{"key": "api-secret", "value": "{v}"}]}\n', "env.postman_environment.json"),
    "env-file": ("BINANCE_API_SECRET={v}\n", ".env"),
    "hmac-walkthrough": ('echo -n "symbol=LTCBTC" | openssl dgst -sha256 -hmac "{v}"  # binance\n', "signing.md"),
    "fix-logon": ("8=FIX.4.4|35=A|49=EXAMPLE|56=SPOT|553={v}|25035=2|10=227|  binance FIX\n", "fix-api.md"),
}


def _fill(template: str, **values: str) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def _default_threshold(findings: list[Finding]) -> list[Finding]:
    threshold = CONFIDENCE_ORDER[DEFAULT_MIN_CONFIDENCE]
    return [f for f in findings if CONFIDENCE_ORDER[f.confidence] >= threshold]


def _base64(length: int) -> str:
    return "".join(random.choice(_BASE64) for _ in range(length))


# ---- listenKeys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(LISTEN_KEY_TEMPLATES))
@pytest.mark.parametrize("name", ["listenKey", "listen_key", "LISTEN_KEY", "listenkey"])
def test_listen_key_is_silent_at_every_threshold(shape: str, name: str) -> None:
    template, path = LISTEN_KEY_TEMPLATES[shape]
    text = _fill(template, name=name, v=random_token())
    assert detect(text.encode(), path) == []


@pytest.mark.parametrize("shape", sorted(LISTEN_KEY_TEMPLATES))
def test_same_shape_with_an_api_key_name_is_reported(shape: str) -> None:
    """The listenKey shapes are silent because of the listenKey, not because of the shape."""
    template, path = LISTEN_KEY_TEMPLATES[shape]
    key = random_token()
    findings = detect(_fill(template, name="apiKey", v=key).encode(), path)
    assert [f.secret for f in _default_threshold(findings)] == [key]


@pytest.mark.parametrize("shape", sorted(UNNAMED_LISTEN_KEY_TEMPLATES))
def test_unnamed_listen_key_shape_is_silent_at_every_threshold(shape: str) -> None:
    template, path = UNNAMED_LISTEN_KEY_TEMPLATES[shape]
    assert detect(_fill(template, v=random_token()).encode(), path) == []


@pytest.mark.parametrize(
    ("prefix", "suffix", "reason"),
    [
        ('{"listenKey": "', '"}', "user-data-stream listenKey"),
        ("?listen_key=", "&", "user-data-stream listenKey"),
        ("futures_listen_key = '", "'", "user-data-stream listenKey"),
        ('{"stream": "', '"}', "listenKey as a stream name"),
        ('["', '@account"]', "listenKey stream request"),
        ("wss://fstream.binance.com/ws/", "", "listenKey in a stream URL"),
        ("/stream?streams=", "", "listenKey in a stream URL"),
        ('{"apiKey": "', '"}', None),
        ('{"streamKey": "', '"}', None),
        ('"', '@Account"', None),
        ("listenKey is not this one: ", "", None),
    ],
)
def test_listen_key_reason_reads_the_shape(prefix: str, suffix: str, reason: str | None) -> None:
    value = random_token()
    data = (prefix + value + suffix).encode()
    start = len(prefix)
    assert listen_key_reason(data, start, start + len(value)) == reason


def test_real_key_beside_a_listen_key_is_still_reported() -> None:
    key, listen_key = random_token(), random_token()
    text = (
        f'curl -H "X-MBX-APIKEY: {key}" -X PUT '
        f"'https://api.binance.com/api/v3/userDataStream?listenKey={listen_key}'\n"
        f'{{"stream": "{listen_key}", "data": {{}}}}\nwss://stream.binance.com:9443/ws/{listen_key}\n'
    )
    findings = detect(text.encode(), "keepalive.sh")
    assert [(f.secret, f.confidence) for f in findings] == [(key, "high")]


# ---- URL-encoded signatures ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(SIGNATURE_TEMPLATES))
def test_slice_of_url_encoded_signature_is_silent_at_every_threshold(shape: str) -> None:
    token = random_token()
    text = _fill(SIGNATURE_TEMPLATES[shape], v=token, v62=token[:62], b64=_base64(40).replace("+", "%2B"))
    assert detect(text.encode(), "rest-api.md") == []


def test_key_after_url_encoded_equals_sign_is_still_found() -> None:
    """`apiKey%3D<key>` in an encoded URL is a key: only encoded base64 characters mark a signature."""
    key = random_token()
    findings = detect(f"redirect=%2Fapi%3FapiKey%3D{key}%26ts%3D1\n".encode(), "access.log")
    assert [f.secret for f in findings] == [key]


# ---- placeholder markers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    [
        "### REPLACE THIS WITH YOUR API KEY",
        "### 替换成您的 API Key",
        "# replace with your api secret",
        "// Replace with your listenKey",
        "<!-- Replace this with your own secret key -->",
    ],
)
def test_marked_placeholder_is_low_not_dropped(marker: str) -> None:
    """Silent at the default threshold, still listed at `low`: people paste a real key and keep the comment."""
    value = random_token()
    findings = detect(f'apiKey="{value}"   {marker}\napiMethod="POST"\n'.encode(), "sign.sh")
    assert [(f.secret, f.confidence) for f in findings] == [(value, "low")]


@pytest.mark.parametrize(
    "text",
    [
        '# REPLACE THIS WITH YOUR API KEY\nBINANCE_API_KEY="{v}"\n',
        'BINANCE_API_KEY="{v}"\n# REPLACE THIS WITH YOUR API KEY\n',
        'BINANCE_API_KEY="{v}"  # your key, keep it safe\n',
        'BINANCE_API_KEY="{v}"  # replaced the example with my key\n',
    ],
)
def test_marker_elsewhere_or_other_words_do_not_lower_a_key(text: str) -> None:
    key = random_token()
    findings = detect(_fill(text, v=key).encode(), ".env")
    assert [(f.secret, f.confidence) for f in findings] == [(key, "high")]


def test_placeholder_marker_window_is_the_line() -> None:
    value = random_token()
    line = f'apiKey="{value}"   ### REPLACE THIS WITH YOUR API KEY'
    data = f"{line}\n".encode()
    start = data.index(value.encode())
    assert placeholder_marked(data, start, start + 64)
    far = f'apiKey="{value}"{" " * 200}### REPLACE THIS WITH YOUR API KEY\n'.encode()
    assert not placeholder_marked(far, 8, 72)


# ---- periodic placeholders ----------------------------------------------------------------------


def _periodic(period: int, length: int, mutations: int, rng: random.Random) -> str:
    unit = "".join(rng.choices(string.ascii_letters + string.digits, k=period))
    value = list((unit * (length // period + 1))[:length])
    for position in rng.sample(range(length), mutations):
        value[position] = rng.choice(string.ascii_letters + string.digits)
    return "".join(value)


@pytest.mark.parametrize("period", [1, 2, 3, 6, 8, 12, 16])
@pytest.mark.parametrize("mutations", [0, 3, 8])
def test_periodic_value_is_a_placeholder(period: int, mutations: int) -> None:
    rng = random.Random(period * 100 + mutations)
    value = _periodic(period, 64, mutations, rng)
    assert is_periodic(value)
    for text in (f'BINANCE_API_SECRET = "{value}"\n', f'API_KEY = "{value}"\n', f"secret: {value}\n"):
        assert _default_threshold(detect(text.encode(), "settings.py")) == [], text


@pytest.mark.parametrize("text", ["abc123abc123abc123abc123", "A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4", "deadbeef" * 4])
def test_periodic_credential_is_not_reported(text: str) -> None:
    assert detect(f'API_SECRET = "{text}"\n'.encode(), "settings.py") == []


def test_random_keys_secrets_and_hex_are_never_periodic() -> None:
    values = [random_token() for _ in range(2000)] + [random_hex(64) for _ in range(2000)]
    values += [random_token(length) for length in range(8, 40) for _ in range(50)]
    assert [value for value in values if is_periodic(value)] == []


def test_period_longer_than_sixteen_is_not_a_placeholder() -> None:
    value = _periodic(17, 64, 0, random.Random(17))
    assert not is_periodic(value)


# ---- real keys in the docs' shapes ---------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(CREDENTIAL_TEMPLATES))
def test_generated_key_in_docs_shape_is_found(shape: str) -> None:
    """A real key pasted into a docs walkthrough is a leak: found, and at the default threshold
    wherever a key or secret name or Binance context says what it is."""
    template, path = CREDENTIAL_TEMPLATES[shape]
    key = random_token()
    findings = detect(_fill(template, v=key).encode(), path)
    assert key in {f.secret for f in findings}
    if shape not in ("hmac-walkthrough", "fix-logon"):
        assert key in {f.secret for f in _default_threshold(findings)}


def test_documentation_keys_kept_in_tests_are_documented() -> None:
    """The five examples the table tests use (as 16-character pieces) are among the digests."""
    assert all(is_documentation_example(key) for key in DOCUMENTATION_KEYS)


@pytest.mark.parametrize("shape", sorted(CREDENTIAL_TEMPLATES))
def test_documentation_key_in_docs_shape_is_silent(shape: str) -> None:
    template, path = CREDENTIAL_TEMPLATES[shape]
    for key in DOCUMENTATION_KEYS:
        assert detect(_fill(template, v=key).encode(), path) == []


# ---- the digest list and the script that rebuilds it ---------------------------------------------


def _committed_digests() -> list[str]:
    block = collector.committed_block(collector.MODULE.read_text(encoding="utf-8"))
    return re.findall(r'"([^"]*)"', block)


def test_documentation_digests_are_distinct_sha256_hex() -> None:
    digests = _committed_digests()
    assert len(digests) >= 60
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in digests)
    assert len(set(digests)) == len(digests)
    assert set(digests) == DOCUMENTATION_SHA256


def test_every_digest_group_names_a_collected_repository() -> None:
    block = collector.committed_block(collector.MODULE.read_text(encoding="utf-8"))
    repos = {source.repo for source in collector.SOURCES}
    # `        # owner/name path` (a long path continues on the next comment line, without a space).
    comments = re.findall(r"^        # (\S+) \S", block, flags=re.MULTILINE)
    assert comments
    assert set(comments) <= repos


@pytest.fixture(scope="module")
def collected() -> dict[str, collector.Example]:
    root = collector.default_mirror_root()
    missing = collector.missing_sources(root)
    if missing:
        pytest.skip(
            f"Binance's docs and connector repositories are not fetched under {root} "
            f"(set BINANCE_SECRETS_DOC_MIRRORS): {len(missing)} missing, e.g. {missing[0]}"
        )
    return collector.collect(root)


@pytest.mark.slow
def test_collection_script_reproduces_the_committed_list(collected: dict[str, collector.Example]) -> None:
    module_text = collector.MODULE.read_text(encoding="utf-8")
    block = collector.committed_block(module_text)
    assert collector.differences(collected, block) == []
    assert collector.render(collected) == block


@pytest.mark.slow
def test_every_collected_example_is_silent_in_every_docs_shape(collected: dict[str, collector.Example]) -> None:
    """The digest path end to end: Binance's own values, read from the fetched repositories."""
    loud = []
    for example in collected.values():
        if example.kind == "private key":
            texts = [(example.value, "test-prv-key.pem"), (f'KEY = """{example.value}"""\n', "binance_keys.py")]
        elif example.kind == "credential":
            texts = [(f'BINANCE_API_SECRET = "{example.value}"\n', "settings.py")]
        else:
            texts = [(_fill(template, v=example.value), path) for template, path in CREDENTIAL_TEMPLATES.values()]
            texts.append((f"{example.value}\n", "binance_keys.txt"))
        for text, path in texts:
            if detect(text.encode(), path):
                loud.append((example.sha256[:12], example.repo, example.path, path))
    assert loud == []


@pytest.mark.slow
def test_collection_script_output_holds_no_value(collected: dict[str, collector.Example]) -> None:
    printed = collector.render(collected) + "\n".join(collector.differences(collected, ""))
    for example in collected.values():
        for piece in example.value.splitlines():
            if len(piece) >= 16 and "-----" not in piece:
                assert piece not in printed


# ---- linear time on long lines of the new shapes --------------------------------------------------


def _tokens(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_letters + string.digits, k=64)) for _ in range(count)]


@pytest.mark.parametrize(
    "unit",
    ['"listenKey": "{v}", ', '"stream": "{v}", ', "{v}@account/", "%2F{v}%2B", "?listenKey={v}&", "/ws/{v}"],
    ids=["listenKey-json", "stream-json", "at-account", "encoded-signature", "query", "ws-path"],
)
def test_long_line_of_listen_keys_or_signature_slices_is_silent(unit: str) -> None:
    """About 1 MB on one line: no timing is asserted, a quadratic path would take minutes."""
    data = "".join(_fill(unit, v=token) for token in _tokens(MB // (len(unit) + 60), 10)).encode()
    assert detect(data, "adversarial.txt") == []


def test_long_line_of_marked_placeholders_is_all_low() -> None:
    tokens = _tokens(MB // 100, 11)
    data = "".join(f'apiKey="{token}" ### REPLACE THIS WITH YOUR API KEY ' for token in tokens).encode()
    findings = detect(data, "adversarial.sh")
    # A few random tokens hold a placeholder word or a run and are dropped; every other one is low.
    assert len(findings) > 0.99 * len(tokens)
    assert {f.confidence for f in findings} == {"low"}


def test_long_line_of_markers_without_values() -> None:
    data = b"### REPLACE THIS WITH YOUR API KEY " * (2 * MB // 35)
    assert detect(data, "adversarial.sh") == []


def test_periodic_check_on_huge_values() -> None:
    rng = random.Random(12)
    random_value = "".join(rng.choices(string.ascii_letters + string.digits, k=2 * MB))
    assert not is_periodic(random_value)
    assert is_periodic(_periodic(16, 2 * MB, 1000, rng))


def test_long_line_of_named_listen_keys_beside_real_keys() -> None:
    tokens = _tokens(MB // 150, 13)
    data = "".join(f'"listenKey": "{a}", "apiKey": "{b}", ' for a, b in zip(tokens[::2], tokens[1::2])).encode()
    findings = detect(data, "adversarial.json")
    reported = {f.secret for f in findings}
    assert reported <= set(tokens[1::2])
    assert len(reported) > 0.99 * len(tokens[1::2])


def test_paths_are_where_the_collector_looks() -> None:
    """The collector reads `<root>/<owner>+<name>/repo`, the layout of the project's fetch tool."""
    assert collector.mirror_dir(Path("/m"), "binance/binance-spot-api-docs") == Path(
        "/m/binance+binance-spot-api-docs/repo"
    )
