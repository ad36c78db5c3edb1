"""Base64-encoded credentials (issue #10, item 4): decoded within bounds, reported at the encoded value.

README "What is detected", paragraph "Encoded values": Kubernetes `Secret` `data:`, `*_B64`/`*_BASE64`
names and standalone base64 of text are decoded; the decoded credential is reported at the encoded
value's line and columns, with its role, its pair and its confidence; the finding's secret (and so its
`secret_sha256`) is the decoded credential. Every key here is generated and encoded at run time.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from binance_secrets.detectors import detect
from binance_secrets.detectors.encoded import decodes_in
from binance_secrets.detectors.encoded_values import MAX_ENCODED_BYTES
from binance_secrets.detectors.examples import RULE_EXAMPLES
from binance_secrets.filters import CONFIDENCE_ORDER
from binance_secrets.finding import Finding, sha256_hex
from testing.examples import DOCUMENTATION_KEYS, certificate_pem, example_values, fill
from testing.gitrepo import commit_file, git, init_repo
from testing.keys import api_key, ed25519_pem, random_hex, random_token, secret_key

MB = 1024 * 1024


def b64(value: str | bytes) -> str:
    return base64.b64encode(value.encode() if isinstance(value, str) else value).decode()


def span_of(text: str, encoded: str) -> tuple[int, int, int]:
    """(line, column, end_column) of `encoded` in `text`, 1-based, as a finding reports them."""
    offset = text.index(encoded)
    line_start = text.rfind("\n", 0, offset) + 1
    column = offset - line_start + 1
    return text.count("\n", 0, offset) + 1, column, column + len(encoded)


def reported(findings: list[Finding], threshold: str = "medium") -> list[Finding]:
    return [f for f in findings if CONFIDENCE_ORDER[f.confidence] >= CONFIDENCE_ORDER[threshold]]


@dataclass(frozen=True)
class Credentials:
    key: str
    secret: str

    def values(self) -> dict[str, str]:
        key, secret = self.key, self.secret
        env = f"# trading bot\nBINANCE_API_KEY={key}\nBINANCE_API_SECRET={secret}\n"
        nested = f"LOG_LEVEL=info\nBINANCE_API_KEY_B64={b64(key)}\nBINANCE_API_SECRET_B64={b64(secret)}\n"
        return {
            "key_b64": b64(key),
            "secret_b64": b64(secret),
            # `echo "$KEY" | base64`: the line break is encoded too.
            "key_nl_b64": b64(key + "\n"),
            "secret_nl_b64": b64(secret + "\n"),
            "key_b64_unpadded": b64(key).rstrip("="),
            "secret_b64_unpadded": b64(secret).rstrip("="),
            "env_b64": b64(env),
            "json_b64": b64(json.dumps({"exchange": "binance", "apiKey": key, "secret": secret}, indent=2)),
            "nested_b64": b64(nested),
        }


@pytest.fixture()
def credentials() -> Credentials:
    return Credentials(api_key(), secret_key())


@dataclass(frozen=True)
class Shape:
    """A file holding an encoded key and secret; `key_at`/`secret_at` name the encoded value of each."""

    label: str
    path: str
    template: str
    key_at: str = "key_b64"
    secret_at: str = "secret_b64"


SHAPES = (
    Shape(
        "kubernetes-secret-yaml",
        "deploy/bot-secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bot-credentials\n  namespace: trading\ntype: Opaque\n"
        "data:\n  BINANCE_API_KEY: {key_b64}\n  BINANCE_API_SECRET: {secret_b64}\n",
    ),
    Shape(
        # The pair split over two neighbouring `data:` entries named only api-key / api-secret.
        "kubernetes-secret-yaml-pair-over-two-entries",
        "k8s/secret.yml",
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: exchange\ntype: Opaque\ndata:\n"
        "  # base64 -w0\n  api-key: {key_b64}\n  api-secret: '{secret_b64}'\n",
    ),
    Shape(
        "kubernetes-secret-json",
        "manifests/secret.json",
        '{\n  "apiVersion": "v1",\n  "data": {\n    "apiKey": "{key_b64}",\n    "secretKey": "{secret_b64}"\n'
        '  },\n  "kind": "Secret",\n  "metadata": {"name": "binance"}\n}\n',
    ),
    Shape(
        "kubernetes-secret-json-one-line",
        "secret.json",
        '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"binance"},'
        '"data":{"api-key":"{key_b64}","api-secret":"{secret_b64}"}}\n',
    ),
    Shape(
        "helm-values",
        "charts/bot/values.yaml",
        "replicaCount: 1\nimage:\n  repository: ghcr.io/example/bot\nbinance:\n  apiKey: {key_b64}\n"
        "  apiSecret: {secret_b64}\n",
    ),
    Shape("env-b64-names", ".env", "BINANCE_API_KEY_B64={key_b64}\nBINANCE_API_SECRET_B64={secret_b64}\n"),
    Shape(
        "env-base64-names-echo-with-newline",
        "config/prod.env",
        "BINANCE_API_KEY_BASE64={key_nl_b64}\nBINANCE_API_SECRET_BASE64={secret_nl_b64}\n",
        "key_nl_b64",
        "secret_nl_b64",
    ),
    Shape(
        "shell-exports",
        "scripts/deploy.sh",
        '#!/bin/sh\nexport BINANCE_API_KEY_B64="{key_b64}"\nexport BINANCE_API_SECRET_B64="{secret_b64}"\n'
        'python bot.py --key "$(echo "$BINANCE_API_KEY_B64" | base64 -d)"\n',
    ),
    Shape(
        "dockerfile-env",
        "Dockerfile",
        "FROM python:3.12-slim\nENV BINANCE_API_KEY_B64 {key_b64}\nENV BINANCE_API_SECRET_B64={secret_b64}\n"
        'CMD ["python", "bot.py"]\n',
    ),
    Shape(
        "github-workflow-unpadded-camel-case",
        ".github/workflows/bot.yml",
        "on: push\njobs:\n  run:\n    runs-on: ubuntu-latest\n    env:\n"
        "      binanceApiKeyBase64: {key_b64_unpadded}\n      binanceApiSecretBase64: {secret_b64_unpadded}\n"
        "    steps:\n      - run: python bot.py\n",
        "key_b64_unpadded",
        "secret_b64_unpadded",
    ),
    Shape("terraform-tfvars", "prod.tfvars", 'binance_key_b64    = "{key_b64}"\nbinance_secret_b64 = "{secret_b64}"\n'),
    Shape(
        "env-blob-decoded-by-a-script",
        "scripts/bootstrap.sh",
        "#!/bin/sh\necho '{env_b64}' | base64 --decode > .env\n",
        "env_b64",
        "env_b64",
    ),
    Shape("env-file-encoded-whole", "deploy/.env.b64", "{env_b64}", "env_b64", "env_b64"),
    Shape("env-blob-in-a-ci-variable", ".gitlab-ci.yml", "variables:\n  DOTENV: {env_b64}\n", "env_b64", "env_b64"),
    Shape(
        "json-config-blob",
        "settings.json",
        '{\n  "service": "bot",\n  "exchangeConfig": "{json_b64}"\n}\n',
        "json_b64",
        "json_b64",
    ),
    Shape("nested-b64-inside-an-env-blob", "app.env", "APP_ENV_B64={nested_b64}\n", "nested_b64", "nested_b64"),
)


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.label)
def test_encoded_pair_is_reported_decoded_at_the_encoded_value(shape: Shape, credentials: Credentials) -> None:
    """README "Encoded values": the decoded key and secret, each at its encoded value, with role and pair."""
    values = credentials.values()
    text = _fill(shape.template, values)
    findings = detect(text.encode(), shape.path)
    by_secret = {f.secret: f for f in findings}
    assert set(by_secret) >= {credentials.key, credentials.secret}, [(f.rule_id, f.redacted) for f in findings]
    key, secret = by_secret[credentials.key], by_secret[credentials.secret]
    assert (key.rule_id, secret.rule_id) == ("binance-api-key", "binance-secret-key")
    assert (key.line, key.column, key.end_column) == span_of(text, values[shape.key_at])
    assert (secret.line, secret.column, secret.end_column) == span_of(text, values[shape.secret_at])
    assert key.secret_sha256 == sha256_hex(credentials.key)
    assert (key.pair_sha256, secret.pair_sha256) == (secret.secret_sha256, key.secret_sha256)
    assert (key.confidence, secret.confidence) == ("high", "high")
    # Nothing else: above all, no encoded string reported as a credential of its own.
    assert [f for f in reported(findings, "low") if f not in (key, secret)] == []


def test_without_decoding_the_same_files_miss_the_pair(credentials: Credentials) -> None:
    """What the table above proves is new: read as written, the encoded shapes give no pair."""
    values = credentials.values()
    for shape in SHAPES:
        text = _fill(shape.template, values)
        plain = {f.secret for f in detect(text.encode(), shape.path, decode=False)}
        assert not plain & {credentials.key, credentials.secret}, shape.label


def test_encoded_string_is_not_reported_as_a_key_of_its_own() -> None:
    """README "Encoded values": a 64-character base64 string whose decoding is a credential assignment
    was reported as a 64-character secret key; it is now the decoded credential that is reported."""
    while True:
        credential = random_token(27)
        encoded = b64(f"binance_api_secret = {credential}")  # 48 bytes: 64 characters, no padding
        if encoded.isalnum():
            break
    text = f"BINANCE_API_SECRET_B64={encoded}\n"
    assert [f.secret for f in detect(text.encode(), "prod.env", decode=False)] == [encoded]
    findings = detect(text.encode(), "prod.env")
    assert [(f.rule_id, f.secret, f.column, f.end_column) for f in findings] == [
        ("hardcoded-api-secret", credential, 24, 88)
    ]


def test_short_kubernetes_data_value_is_decoded() -> None:
    """A `Secret`'s `data:` values are base64 whatever their length: a short credential is reported
    decoded, and its encoded form is not."""
    while True:
        credential = random_token(12)
        encoded = b64(credential)
        # Read as written, an unquoted value without a digit is taken for a word (one draw in ten).
        if any(char.isdigit() for char in encoded):
            break
    text = f"kind: Secret\napiVersion: v1\ndata:\n  binance-api-secret: {encoded}\n"
    assert [f.secret for f in detect(text.encode(), "secret.yaml", decode=False)] == [encoded]
    findings = reported(detect(text.encode(), "secret.yaml"))
    assert [(f.rule_id, f.secret, f.line, f.column) for f in findings] == [("hardcoded-api-secret", credential, 4, 23)]


def test_encoded_placeholder_in_kubernetes_data_is_silent() -> None:
    """Seen in public repositories: a documented `Secret` whose values are base64 of placeholders."""
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: quantflow-secrets\ntype: Opaque\ndata:\n"
        f"  database-password: {b64('postgres')}\n  binance-api-key: {b64('your-api-key')}\n"
        f"  binance-api-secret: {b64('your-api-secret')}\n"
    )
    assert reported(detect(text.encode(), "secrets.yaml", decode=False)), "read as written, it was reported"
    assert reported(detect(text.encode(), "secrets.yaml")) == []


def test_encoded_private_key_is_reported_at_the_encoded_value() -> None:
    pem = ed25519_pem()
    encoded = b64(pem)
    text = f"BINANCE_PRIVATE_KEY_B64={encoded}\nBINANCE_API_KEY={api_key()}\n"
    findings = [f for f in detect(text.encode(), ".env") if f.rule_id == "binance-private-key"]
    assert [(f.secret, f.confidence, f.line, f.column, f.end_column) for f in findings] == [
        (pem, "high", 1, 25, 25 + len(encoded))
    ]


def test_base64_credential_that_decodes_to_binary_is_reported_as_written() -> None:
    """Some exchanges issue base64 secrets (random bytes): their encoded form is the credential."""
    encoded = b64(secrets.token_bytes(64))
    text = f'API_SECRET = "{encoded}"\n'
    findings = detect(text.encode(), "config.toml")
    assert [(f.rule_id, f.secret) for f in findings] == [("hardcoded-api-secret", encoded)]


def test_pragma_on_the_encoded_line_covers_its_decoding(credentials: Credentials) -> None:
    values = credentials.values()
    text = f"DOTENV_B64={values['env_b64']}  # pragma: allowlist secret\n"
    assert detect(text.encode(), "ci.env") == []
    nextline = f"# pragma: allowlist nextline secret\nDOTENV_B64={values['env_b64']}\n"
    assert detect(nextline.encode(), "ci.env") == []


def test_chunk_offset_and_columns_after_a_decoded_value_are_the_files_own(credentials: Credentials) -> None:
    encoded = credentials.values()["secret_b64"]
    other = api_key()
    text = f'{{"kind": "Secret", "data": {{"api-secret": "{encoded}"}}, "note": "é", "BINANCE_API_KEY": "{other}"}}\n'
    findings = detect(text.encode(), "secret.json", first_line=41)
    by_secret = {f.secret: f for f in findings}
    decoded, plain = by_secret[credentials.secret], by_secret[other]
    assert (decoded.line, decoded.column, decoded.end_column) == (41, *span_of(text, encoded)[1:])
    # After the decoded value, on its line: the columns of the file, not of the decoded copy.
    assert (plain.line, plain.column, plain.end_column) == (41, *span_of(text, other)[1:])


def _table_examples_read_decoded() -> list[object]:
    """The detectors' own table examples in the files that are decoded, each once (a commit message
    is no file)."""
    seen: dict[str, tuple[str, str]] = {}
    for rule in RULE_EXAMPLES:
        for example in rule.positives + rule.negatives:
            file = example.encoding == "utf-8" and not example.path.startswith("<")
            if file and decodes_in(example.path) and example.label not in seen:
                seen[example.label] = (example.text, example.path)
    return [pytest.param(text, path, id=label) for label, (text, path) in seen.items()]


@pytest.fixture(scope="module")
def table_values() -> dict[str, str]:
    return example_values()


@pytest.mark.parametrize(("template", "path"), _table_examples_read_decoded())
def test_an_encoded_file_is_read_as_the_file_it_was(template: str, path: str, table_values: dict[str, str]) -> None:
    """README "Encoded values": a whole file encoded (`base64 -w 0 .env > .env.b64`) gives what the file
    gives, at every confidence: the rules that read the line before, the section, the other exchange
    named above or a pragma on the next line see its lines as they were, not one line."""
    text = fill(template, table_values)

    def found(data: str, where: str) -> list[tuple[str, str, str]]:
        return sorted((f.rule_id, f.secret_sha256, f.confidence) for f in detect(data.encode(), where))

    assert found(f"{b64(text)}\n", path + ".b64") == found(text, path)


def test_a_decoded_env_keeps_its_lines_in_a_kubernetes_secret(credentials: Credentials) -> None:
    """An `.env` kept in a `Secret`'s `data:` entry: the OKX secret on its first line is OKX's, and
    the plainly named Binance pair on the next lines stays a Binance pair at `high`."""
    okx = secret_key()
    env = f"OKX_SECRET={okx}\nAPI_KEY={credentials.key}\nAPI_SECRET={credentials.secret}\n"
    encoded = b64(env)
    text = f"apiVersion: v1\nkind: Secret\ndata:\n  bot.env: {encoded}\n  region: {b64('eu-west-1')}\n"
    findings = {f.secret: f for f in detect(text.encode(), "k8s/secret.yaml")}
    key, secret = findings[credentials.key], findings[credentials.secret]
    assert (key.rule_id, key.confidence, secret.rule_id, secret.confidence) == (
        "binance-api-key", "high", "binance-secret-key", "high"
    )  # fmt: skip
    assert (findings[okx].rule_id, findings[okx].confidence) == ("hardcoded-api-secret", "low")
    assert {(f.line, f.column, f.end_column) for f in findings.values()} == {span_of(text, encoded)}


def test_what_follows_a_decoded_file_keeps_its_lines_and_columns(credentials: Credentials) -> None:
    """A decoded file stands on lines of its own in the copy that is read; what follows it on its line
    and on the next lines is reported where it is in the file."""
    blob = b64(f"LOG_LEVEL=info\nBINANCE_API_KEY={credentials.key}\n")
    other = secret_key()
    text = (
        f'{{"data": {{"env_b64": "{blob}", "BINANCE_API_SECRET": "{other}"}},\n'
        f' "API_SECRET": "{credentials.secret}"}}\n'
    )
    findings = {f.secret: f for f in detect(text.encode(), "config.json", first_line=7)}
    assert (findings[credentials.key].line, findings[credentials.key].column) == (7, span_of(text, blob)[1])
    assert (findings[other].line, findings[other].column, findings[other].end_column) == (7, *span_of(text, other)[1:])
    secret = findings[credentials.secret]
    assert (secret.line, secret.column, secret.end_column) == (8, *span_of(text, credentials.secret)[1:])


def test_a_pragma_inside_a_decoded_file_covers_its_next_line(credentials: Credentials) -> None:
    env = f"# pragma: allowlist nextline secret\nBINANCE_API_KEY={credentials.key}\nLOG_LEVEL=info\n"
    assert detect(f"DOTENV_B64={b64(env)}\n".encode(), "ci.env") == []


def test_decoding_stops_after_two_levels(credentials: Credentials) -> None:
    """README "Encoded values": one level deep plus one nested level, no deeper."""
    inner = f"BINANCE_API_SECRET={credentials.secret}\n"
    two = b64(f"INNER_B64={b64(inner)}\n")
    three = b64(f"OUTER_B64={two}\n")
    assert [f.secret for f in reported(detect(f"CONFIG_B64={two}\n".encode(), ".env"))] == [credentials.secret]
    assert reported(detect(f"CONFIG_B64={three}\n".encode(), ".env")) == []


def test_values_over_the_size_bound_stay_encoded(credentials: Credentials) -> None:
    """README "Encoded values": values up to 64 KiB encoded are decoded, longer ones are not."""
    line = f"BINANCE_API_KEY={credentials.key}\nBINANCE_API_SECRET={credentials.secret}\n"

    def padded(size: int) -> str:
        text = line + "# " + "x" * size + "\n"
        while len(b64(text)) > MAX_ENCODED_BYTES and size > 0:
            size -= 3
            text = line + "# " + "x" * size + "\n"
        return text

    fits = b64(padded(MAX_ENCODED_BYTES))
    assert len(fits) <= MAX_ENCODED_BYTES
    assert len(reported(detect(f"BLOB_B64={fits}\n".encode(), ".env"))) == 2
    too_long = b64(line + "# " + "x" * MAX_ENCODED_BYTES + "\n")
    assert reported(detect(f"BLOB_B64={too_long}\n".encode(), ".env")) == []


def test_source_code_is_read_as_written(credentials: Credentials) -> None:
    """README "Encoded values": decoded in configuration, manifest, script and text files, not in source."""
    text = f'BINANCE_API_SECRET_B64 = "{b64(credentials.secret)}"\n'
    assert credentials.secret in {f.secret for f in detect(text.encode(), "settings.env")}
    assert credentials.secret not in {f.secret for f in detect(text.encode(), "settings.py")}


@pytest.mark.parametrize(
    ("path", "decoded"),
    [
        ("deploy/secret.yaml", True),
        ("values.yaml.j2", True),
        (".env", True),
        (".env.production", True),
        ("Dockerfile", True),
        ("Dockerfile.prod", True),
        ("bin/deploy", True),
        ("archive.zip!config/app.json", True),
        ("deploy/.env.b64", True),
        ("secrets.base64", True),
        ("bot.py", False),
        ("src/index.ts", False),
        ("README.md", False),
        ("package-lock.json", False),
        ("archive.zip!bot.py", False),
    ],
)
def test_which_files_are_decoded(path: str, decoded: bool) -> None:
    assert decodes_in(path) is decoded


def test_scanning_source_files_does_not_load_the_decoding() -> None:
    """The hook's usual staged files (source code) never pay for importing the decoding."""
    program = (
        "import sys\n"
        "from binance_secrets.detectors import detect\n"
        "detect(b'x = 1\\n', 'bot.py')\n"
        "print('binance_secrets.detectors.encoded_values' in sys.modules)\n"
        "detect(b'x: 1\\n', 'values.yaml')\n"
        "print('binance_secrets.detectors.encoded_values' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["False", "True"]


# --- look-alikes ----------------------------------------------------------------------------------------


DER = serialization.Encoding.DER


def _negative_values() -> dict[str, str]:
    certificate = certificate_pem()
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + secrets.token_bytes(600)
    return {
        "hex_b64": b64(random_hex(64)),
        "hex_nl_b64": b64(random_hex(64) + "\n"),
        "doc_b64": b64(DOCUMENTATION_KEYS[0]),
        "doc_pair_b64": b64(f"apiKey={DOCUMENTATION_KEYS[1]}\nsecretKey={DOCUMENTATION_KEYS[2]}\n"),
        "placeholder_b64": b64("BINANCE_API_KEY=your_api_key_here\nBINANCE_API_SECRET=your_api_secret_here\n"),
        "x64_b64": b64("x" * 64),
        "random48_b64": b64(secrets.token_bytes(48)),
        "random300_b64": b64(secrets.token_bytes(300)),
        "png_b64": b64(png),
        "cert_b64": b64(certificate),
        "cert_der_b64": b64(x509.load_pem_x509_certificate(certificate.encode()).public_bytes(DER)),
        "text_b64": b64("Deployed by the release pipeline; see the runbook for rotation steps.\n"),
        "jwt": example_values()["jwt"],
        "sha256_b64": b64(secrets.token_bytes(32)),
    }


NEGATIVES = (
    ("hex-digest-in-kubernetes-data", "secret.yaml", "kind: Secret\ndata:\n  checksum: {hex_b64}\n"),
    ("hex-digest-named-b64", "release.env", "ARTIFACT_SHA256_B64={hex_nl_b64}\n"),
    ("documentation-key-b64", ".env", "BINANCE_API_KEY_B64={doc_b64}\n"),
    ("documentation-pair-blob", "docs.env", "EXAMPLE_B64={doc_pair_b64}\n"),
    ("placeholder-env-blob", ".env.example", "DOTENV_B64={placeholder_b64}\n"),
    ("x-placeholder-b64", "secret.yaml", "kind: Secret\ndata:\n  api-key: {x64_b64}\n"),
    ("random-bytes-named", "keys.env", "SESSION_KEY_B64={random48_b64}\nNONCE_B64={random300_b64}\n"),
    ("random-bytes-standalone", "blob.txt", "{random300_b64}\n"),
    ("png-data-uri", "theme.json", '{"logo": "data:image/png;base64,{png_b64}"}\n'),
    ("png-in-config", "branding.yaml", "logo: {png_b64}\n"),
    (
        "tls-certificate-in-kubernetes-secret",
        "tls.yaml",
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: binance-proxy-tls\ndata:\n"
        "  tls.crt: {cert_b64}\n  ca.crt: {cert_der_b64}\n",
    ),
    ("certificate-named-b64", "ci.env", "CA_CERT_B64={cert_b64}\n"),
    ("plain-text-b64", "notes.yaml", "description_b64: {text_b64}\n"),
    ("jwt-in-config", "auth.yaml", "token: {jwt}\n"),
    ("sha256-digest-b64", "checksums.txt", "bot.tar.gz sha256-b64 {sha256_b64}\n"),
)


@pytest.mark.parametrize(("label", "path", "template"), NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_encoded_lookalike_is_silent(label: str, path: str, template: str) -> None:
    """README "Encoded values": digests, images, certificates, random and encrypted bytes and Binance's
    documentation keys stay silent once decoded."""
    text = _fill(template, _negative_values())
    found = reported(detect(text.encode(), path))
    assert found == [], [(f.rule_id, f.confidence, f.redacted) for f in found]


def test_encrypted_values_are_not_decoded() -> None:
    """A SealedSecret's `encryptedData` decodes to binary: decoding changes nothing about that file
    (what the credential rule makes of a value under a secret-like name is its own business)."""
    values = _negative_values()
    text = (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: binance\nspec:\n"
        f"  encryptedData:\n    api-key: {values['random300_b64']}\n    BINANCE_API_SECRET: {values['random48_b64']}\n"
    )
    assert detect(text.encode(), "sealed.yaml") == detect(text.encode(), "sealed.yaml", decode=False)
    assert {f.secret for f in detect(text.encode(), "sealed.yaml")} <= {values["random300_b64"], values["random48_b64"]}


# --- every source calls detect(): history and staged see decoded keys too --------------------------------


def _manifest(credentials: Credentials) -> tuple[str, dict[str, str]]:
    values = credentials.values()
    text = _fill(SHAPES[0].template, values)
    return text, values


def _expected(text: str, values: dict[str, str], credentials: Credentials) -> set[tuple[str, int, int, int, str]]:
    return {
        ("binance-api-key", *span_of(text, values["key_b64"]), sha256_hex(credentials.key)),
        ("binance-secret-key", *span_of(text, values["secret_b64"]), sha256_hex(credentials.secret)),
    }


def _located(report: dict[str, object]) -> set[tuple[str, int, int, int, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {(f["rule_id"], f["line"], f["column"], f["end_column"], f["secret_sha256"]) for f in findings}


def test_history_reports_the_encoded_key_at_the_encoded_location(
    tmp_path: Path, run_cli: Callable[..., object], credentials: Credentials
) -> None:
    repo = init_repo(tmp_path / "repo")
    text, values = _manifest(credentials)
    commit_file(repo, "README.md", "bot\n", "init")
    sha = commit_file(repo, "deploy/secret.yaml", text, "add the deployment secret")
    result = run_cli("history", str(repo), "-f", "json", "--no-progress")
    assert result.exit_code == 1, result.stderr  # type: ignore[attr-defined]
    report = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert _located(report) == _expected(text, values, credentials)
    assert {f["commit"]["sha"] for f in report["findings"]} == {sha}
    assert {f["path"] for f in report["findings"]} == {"deploy/secret.yaml"}


def test_staged_reports_the_encoded_key_at_the_encoded_location(
    tmp_path: Path, run_cli: Callable[..., object], credentials: Credentials
) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_file(repo, "README.md", "bot\n", "init")
    text, values = _manifest(credentials)
    (repo / "deploy").mkdir()
    (repo / "deploy/secret.yaml").write_text(text)
    git(repo, "add", "--", "deploy/secret.yaml")
    result = run_cli("staged", str(repo), "-f", "json")
    assert result.exit_code == 1, result.stderr  # type: ignore[attr-defined]
    assert _located(json.loads(result.stdout)) == _expected(text, values, credentials)  # type: ignore[attr-defined]


def test_baseline_and_allow_list_keyed_on_the_decoded_secret_keep_working(
    in_tmp: Path, run_cli: Callable[..., object], credentials: Credentials
) -> None:
    text, _ = _manifest(credentials)
    (in_tmp / "secret.yaml").write_text(text)
    report = run_cli("scan", "secret.yaml", "-f", "json", "-o", "baseline.json")
    assert report.exit_code == 1  # type: ignore[attr-defined]
    assert run_cli("scan", "secret.yaml", "--baseline", "baseline.json").exit_code == 0  # type: ignore[attr-defined]
    hashes = ", ".join(f'"{sha256_hex(value)}"' for value in (credentials.key, credentials.secret))
    (in_tmp / ".binance-secrets.toml").write_text(f"allow = [{hashes}]\n")
    assert run_cli("scan", "secret.yaml").exit_code == 0  # type: ignore[attr-defined]


# --- linear on adversarial input (no timing asserted: a quadratic path would take minutes) ----------------


def _random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choices(string.ascii_letters + " ", k=size))


# No vowels and no `x`: no generated credential spells a placeholder word (`todo`, `fake`, `xxx`); the
# digits at the end make it a value rather than a word, and four cannot make a run of five.
_CONSONANTS = "BCDFGHJKLMNPQRSTVWZbcdfghjklmnpqrstvwz"


def _credential(rng: random.Random) -> str:
    return "".join(rng.choices(_CONSONANTS, k=20)) + "".join(rng.choices(string.digits, k=4))


def test_one_huge_base64_line_is_left_encoded() -> None:
    rng = random.Random(11)
    line = "".join(rng.choices(string.ascii_letters + string.digits + "+/", k=2 * MB)) + "=="
    assert detect(f"BLOB_B64={line}\n".encode(), "blob.yaml") == []


def test_many_small_base64_texts_on_many_lines() -> None:
    rng = random.Random(12)
    lines = [f"k{index}: {b64(_random_text(rng, 30))}" for index in range(MB // 50)]
    assert reported(detect("\n".join(lines).encode(), "values.yaml")) == []


def test_many_encoded_credentials_are_each_found_at_their_line() -> None:
    rng = random.Random(13)
    count = MB // 80
    lines = [f"S{index}_B64={b64('API_SECRET=' + _credential(rng))}" for index in range(count)]
    findings = detect("\n".join(lines).encode(), "many.env")
    assert [f.line for f in findings] == list(range(1, count + 1))
    assert {f.rule_id for f in findings} == {"hardcoded-api-secret"}


def test_many_encoded_values_on_one_line_keep_their_columns() -> None:
    rng = random.Random(14)
    count = MB // 60
    values = [b64("API_SECRET=" + _credential(rng)) for index in range(count)]
    text = "{" + ",".join(f'"v{index}_b64": "{value}"' for index, value in enumerate(values)) + "}\n"
    findings = detect(text.encode(), "minified.json")
    assert len(findings) == count
    offsets = [text.index(value) for value in (values[0], values[count // 2], values[-1])]
    assert [findings[i].column for i in (0, count // 2, count - 1)] == [offset + 1 for offset in offsets]


def test_hex_digests_by_the_thousand() -> None:
    text = json.dumps({"integrity": [random_hex(64) for _ in range(MB // 70)]})
    assert detect(text.encode(), "package.json") == []


def test_names_that_say_base64_everywhere() -> None:
    assert detect(("x_b64=" * (MB // 6)).encode(), "a.env") == []
    assert detect(("key_base64: aGVsbG8gd29y " * (MB // 26)).encode(), "a.yaml") == []


def test_kubernetes_data_keys_everywhere() -> None:
    nested = "kind: Secret\n" + "".join(" " * depth + "data:\n" for depth in range(2000)) * 8
    assert detect(nested.encode(), "deep.yaml") == []
    one_line = "kind: Secret\n" + "data " * (MB // 5) + "\ndata:\n  a: " + b64("hello world") + "\n"
    assert detect(one_line.encode(), "wide.yaml") == []
    json_like = '{"kind": "Secret", ' + '"data": {' * (MB // 10) + "}"
    assert detect(json_like.encode(), "deep.json") == []


def test_decoding_within_decoding_is_bounded() -> None:
    value = "API_SECRET=" + random_token(20)
    for _ in range(12):
        value = f"LEVEL_B64={b64(value)}"
    assert reported(detect(value.encode(), "deep.env")) == []
