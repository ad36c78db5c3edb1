"""Each rule's own examples: snippets it must report and look-alikes it must leave alone.

`RULE_EXAMPLES` holds them by rule id; the rule itself (`binance_secrets.rules.Rule`) reaches its
examples through `Rule.examples()`. Only tests read these tables: nothing on the hook's path imports them.

The examples are templates, never real values: `{key}`, `{secret}`, `{pem}` and the other
placeholders listed in `PLACEHOLDERS` are filled at test time with freshly generated keys, digests and
PEMs (`tests/test_detectors_table.py`), so this module holds nothing key-like and the repository
stays clean under its own scan. A placeholder is replaced only when its name is one of
`PLACEHOLDERS`; any other brace (JSON, Go, C#) is left as written.

Positives name the placeholder whose value must come out as the finding's secret (by default the
rule's own: `{key}`, `{secret}`, `{pem}`, `{cred}`) and, where it is meaningful, the confidence
expected. Negatives must not be reported by their rule at the default threshold (`medium`); unless
`others_allowed` is set, no other rule may report anything on them either.
"""

from __future__ import annotations

from dataclasses import dataclass

from binance_secrets.finding import Confidence

PLACEHOLDERS: dict[str, str] = {
    "key": "a random 64-character API key",
    "secret": "a random 64-character secret key",
    "key2": "a second API key",
    "secret2": "a second secret key",
    "token": "a random 64-character token with no role of its own",
    "token63": "a random 63-character token",
    "cred": "a random 40-character credential (not key-shaped)",
    "hex64": "64 lower-case hex digits (SHA-256, HMAC signature)",
    "x64": "the placeholder `xxxx…` of 64 x's, built at run time like every other 64-character value",
    "HEX64": "64 upper-case hex digits",
    "sha1": "a 40-hex commit id",
    "uuid": "a random UUID",
    "jwt": "a JWT whose payload is a 64-character alphanumeric run between dots",
    "b64blob": "base64 with a 64-character alphanumeric run between `+` and `/`",
    "b64img": "base64 image data starting with a 64-character alphanumeric run",
    "sri": "a sha512 integrity body starting with a 64-character alphanumeric run",
    "b64line": "a 64-character base64 line containing `+` or `/`",
    "b64pad": "a 64-character alphanumeric run followed by base64 padding",
    "lower64": "64 lower-case letters and digits",
    "upper60": "60 upper-case letters and digits",
    "seq64": "an ascending run of letters and digits",
    "repeat64": "a short pattern repeated to 64 characters",
    "pem": "an Ed25519 PKCS#8 private key",
    "rsa_pem": "an RSA PKCS#8 private key",
    "enc_pem": "a passphrase-encrypted PKCS#8 private key",
    "pkcs1_pem": "an RSA key in the traditional `RSA PRIVATE KEY` format",
    "ec_pem": "an EC private key (not a Binance key type)",
    "openssh_pem": "an OpenSSH private key (not a Binance key format)",
    "pub_pem": "an Ed25519 public key",
    "ssh_pub": "an OpenSSH RSA public key line",
    "pem_json": "{pem} with newlines escaped as in a JSON string",
    "pem_yaml": "{pem} indented by two spaces, for a YAML block scalar",
    "pem_crlf": "{pem} with CRLF line endings",
    "pem_nbody": "{pem} without its last line break",
    "pem_pragma": "{pem} with `# pragma: allowlist secret` on its BEGIN line",
    "doc0": "Binance documentation example key 0 (five in all, doc0..doc4)",
    "doc1": "documentation example key 1",
    "doc2": "documentation example key 2",
    "doc3": "documentation example key 3",
    "doc4": "documentation example key 4",
    # Encoded values (issue #10, item 4): base64 made at run time of what the name says.
    "hex64_b64": "base64 of {hex64}, a SHA-256 digest",
    "doc0_b64": "base64 of {doc0}, Binance's documentation example key",
    "placeholder_env_b64": "base64 of a `.env` whose key and secret are `your_api_key_here`-style placeholders",
    "cert_b64": "base64 of a PEM certificate",
    "png_b64": "base64 of PNG image bytes",
    "bytes_b64": "base64 of 300 random bytes (an encrypted or sealed value)",
}


@dataclass(frozen=True)
class Example:
    label: str
    text: str
    path: str = "snippet.txt"
    # Positives: the exact confidence expected, when the example is about it.
    confidence: Confidence | None = None
    # Positives: reported at this threshold (a bare token is `low`, and that is the point).
    threshold: Confidence = "medium"
    # Positives: the placeholder whose value must be the finding's secret ("" = the rule's own).
    secret: str = ""
    # Negatives: another rule may report something here (the look-alike is about this rule only).
    others_allowed: bool = False
    # Text is encoded with this before scanning (UTF-16 files are decoded by the content reader).
    encoding: str = "utf-8"


@dataclass(frozen=True)
class RuleExamples:
    rule_id: str
    default_secret: str
    positives: tuple[Example, ...]
    negatives: tuple[Example, ...]


E = Example

# Look-alikes that no rule may report: digests, signatures, ids, placeholders, lookups, other
# providers' tokens. Every rule's negatives include these.
COMMON_NEGATIVES: tuple[Example, ...] = (
    E("package-lock-integrity", '    "integrity": "sha512-{sri}",\n', "package-lock.json"),
    E("yarn-lock-integrity", "  integrity sha512-{sri}\n", "yarn.lock"),
    E("pnpm-lock-integrity", "    resolution: {integrity: sha512-{sri}}\n", "pnpm-lock.yaml"),
    E(
        "poetry-lock-hash",
        '    {file = "requests-2.31.0-py3-none-any.whl", hash = "sha256:{hex64}"},\n',
        "poetry.lock",
    ),
    E("cargo-lock-checksum", 'name = "serde"\nversion = "1.0.0"\nchecksum = "{hex64}"\n', "Cargo.lock"),
    E("go-sum-line", "github.com/adshao/go-binance/v2 v2.4.5/go.mod h1:{b64pad}\n", "go.sum"),
    E("requirements-hash", "python-binance==1.0.19 \\\n    --hash=sha256:{hex64}\n", "requirements.txt"),
    E("hmac-signature-query", "GET /api/v3/account?timestamp=1700000000000&signature={hex64}\n"),
    E(
        "hmac-signature-python",
        'params["signature"] = "{hex64}"  # hmac.new(secret, query, sha256).hexdigest()\n',
        "sign.py",
    ),
    E("sha256-upper-hex", "SHA256 hash of file: {HEX64}\n", "checksums.txt"),
    E("docker-digest", "FROM python:3.12-slim@sha256:{hex64}\n", "Dockerfile"),
    E("git-lfs-pointer", "version https://git-lfs.github.com/spec/v1\noid sha256:{hex64}\nsize 12\n"),
    E("commit-id", "commit {sha1}\nMerge: {sha1}\n"),
    E("git-sha256-commit", "pick {hex64} Add binance client\n", "git-rebase-todo"),
    E("eth-tx-hash", 'tx_hash = "0x{hex64}"  # BNB Smart Chain\n', "chain.py"),
    E("bsc-private-key-hex", "BSC_PRIVATE_KEY=0x{hex64}\n", ".env"),
    E("placeholder-your-key", "BINANCE_API_KEY=your_api_key_here\nBINANCE_API_SECRET=your_api_secret_here\n"),
    E("placeholder-xxxx", 'API_KEY = "{x64}"\n'),
    E("placeholder-angle", "BINANCE_API_KEY=<BINANCE_API_KEY>\nBINANCE_API_SECRET=<BINANCE_API_SECRET>\n"),
    E("placeholder-shell-var", 'BINANCE_API_SECRET="${BINANCE_API_SECRET}"\n', "deploy.sh"),
    E("placeholder-actions-secret", "env:\n  BINANCE_API_SECRET: ${{ secrets.BINANCE_API_SECRET }}\n", "ci.yml"),
    E("os-getenv", 'api_secret = os.getenv("BINANCE_API_SECRET")\n', "bot.py"),
    E("os-environ", 'API_SECRET = os.environ["BINANCE_API_SECRET"]\n', "bot.py"),
    E("process-env", "const apiSecret = process.env.BINANCE_API_SECRET;\n", "bot.js"),
    E("empty-env-values", "BINANCE_API_KEY=\nBINANCE_API_SECRET=\nBINANCE_READ_API_KEY=\n", ".env.example"),
    E("empty-quoted", 'API_SECRET = ""\napi_key = ""\n', "settings.py"),
    E("repeated-run", 'BINANCE_API_KEY = "{repeat64}"\n'),
    E("sequential-run", 'BINANCE_API_SECRET = "{seq64}"\n'),
    E("uuid", 'BINANCE_API_KEY_ID = "{uuid}"\n'),
    E("jwt", "Authorization: Bearer {jwt}\n"),
    E("base64-image", '<img src="data:image/png;base64,{b64img}" alt="binance logo">\n', "index.html"),
    E("base64-blob", '"data": "{b64blob}"\n', "fixture.json"),
    E("github-token", "GITHUB_TOKEN=ghp_{token}\n"),
    E("stripe-live-key", 'STRIPE_SECRET_KEY = "sk_live_{token}"\n'),
    E("slack-bot-token", "SLACK_BOT_TOKEN=xoxb-123456789012-{token}\n"),
    E("gitlab-token", "GITLAB_TOKEN=glpat-{token}\n"),
    E("aws-key-id", "AWS_ACCESS_KEY_ID=AKIA{upper60}\n"),
    E("openai-project-key", "OPENAI_API_KEY=sk-proj-{token}\n"),
    E("lowercase-only", 'cache_key = "{lower64}"\n'),
    E("pgp-armor-line", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{b64line}\n{token}\n{b64line}\n"),
    E("ssh-public-key", "{ssh_pub}\n", "authorized_keys"),
    # Django's settings key and CSRF tokens are 50-64 characters, some of them Binance-shaped.
    E("django-secret-key", "SECRET_KEY = 'django-insecure-{cred}'\n", "settings.py"),
    E("django-csrf-input", '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">\n', "form.html"),
    E("django-csrf-cookie", "Cookie: sessionid=abc123; csrftoken={token}\n", "request.log"),
    E("type-annotation", "    api_secret: str\n    api_key: Optional[str] = None\n", "client.py"),
    E("function-params", "def __init__(self, api_key: str, api_secret: str) -> None:\n", "client.py"),
    E("docstring", ":param api_secret: your Binance API secret, kept out of the code\n", "client.py"),
    E("redacted-output", "api_secret=**************** api_key=vmPU…Eh8A\n", "run.log"),
    E("f-string", 'headers = {"X-MBX-APIKEY": f"{api_key}"}\nsecret = f"{api_secret}"\n', "bot.py"),
    E("getenv-go", 'secret := os.Getenv("BINANCE_SECRET_KEY")\n', "main.go"),
    E("getenv-java", 'String apiSecret = System.getenv("BINANCE_API_SECRET");\n', "Bot.java"),
    E("getenv-csharp", 'var apiSecret = Environment.GetEnvironmentVariable("BINANCE_API_SECRET");\n', "Bot.cs"),
    E("getenv-rust", 'let api_secret = env::var("BINANCE_API_SECRET")?;\n', "main.rs"),
    E("getenv-php", "$apiSecret = getenv('BINANCE_API_SECRET');\n", "bot.php"),
    E("getenv-ruby", "api_secret = ENV.fetch('BINANCE_API_SECRET')\n", "bot.rb"),
    E("compose-passthrough", "    environment:\n      - BINANCE_API_SECRET=${BINANCE_API_SECRET}\n", "compose.yml"),
    E("docker-arg-no-value", "ARG BINANCE_API_SECRET\nENV BINANCE_API_SECRET=$BINANCE_API_SECRET\n", "Dockerfile"),
    E("k8s-secret-ref", "valueFrom:\n  secretKeyRef:\n    name: binance\n    key: api-secret\n", "deploy.yaml"),
    E("input-prompt", 'api_secret = getpass.getpass("Binance API secret: ")\n', "setup.py"),
    E("settings-reference", "client = Client(settings.BINANCE_API_KEY, settings.BINANCE_API_SECRET)\n", "bot.py"),
)

API_KEY_POSITIVES: tuple[Example, ...] = (
    E("python-binance-name", 'BINANCE_API_KEY = "{key}"\n', "settings.py", "high"),
    E("python-generic-name", 'API_KEY = "{key}"\n', "settings.py", "medium"),
    E(
        "python-binance-positional",
        'from binance.client import Client\n\nclient = Client("{key}", "{secret}")\n',
        "bot.py",
        "high",
    ),
    E("python-kwargs", 'client = Client(api_key="{key}", api_secret="{secret}")\n', "bot.py", "high"),
    E("python-async-create", 'client = await AsyncClient.create("{key}", "{secret}")\n', "bot.py", "high"),
    E(
        "python-connector",
        'from binance.spot import Spot\nclient = Spot(api_key="{key}", api_secret="{secret}")\n',
        "bot.py",
        "high",
    ),
    E(
        "python-ccxt",
        "exchange = ccxt.binance({\n    'apiKey': '{key}',\n    'secret': '{secret}',\n})\n",
        "bot.py",
        "high",
    ),
    E("js-const", "const apiKey = '{key}';\n", "bot.js", "medium"),
    E(
        "js-binance-api-node",
        "const client = Binance({ apiKey: '{key}', apiSecret: '{secret}' })\n",
        "bot.js",
        "high",
    ),
    E("ts-class-field", '  private readonly apiKey: string = "{key}";\n', "client.ts", "medium"),
    E("go-newclient", 'client := binance.NewClient("{key}", "{secret}")\n', "main.go", "high"),
    E("go-var", 'apiKey := "{key}"\n', "main.go", "medium"),
    E("java-field", 'private static final String API_KEY = "{key}";\n', "Bot.java", "medium"),
    E(
        "java-factory-positional",
        'BinanceApiClientFactory f = BinanceApiClientFactory.newInstance("{key}", "{secret}");\n',
        "Bot.java",
        "high",
    ),
    E(
        "csharp-apicredentials",
        'options.ApiCredentials = new ApiCredentials("{key}", "{secret}");\n',
        "Program.cs",
        "high",
    ),
    E("csharp-appsettings", '{\n  "Binance": {\n    "ApiKey": "{key}"\n  }\n}\n', "appsettings.json", "high"),
    E("rust-string-from", 'let api_key = String::from("{key}");\n', "main.rs", "medium"),
    E(
        "rust-binance-new",
        'let market: Account = Binance::new(Some("{key}".into()), Some("{secret}".into()));\n',
        "main.rs",
        "high",
    ),
    E("php-array", "    'api_key' => '{key}',\n", "config.php", "medium"),
    E("php-binance-api", '$api = new Binance\\API("{key}", "{secret}");\n', "bot.php", "high"),
    E("ruby-config", "Binance::Api::Configuration.api_key = '{key}'\n", "bot.rb", "high"),
    E("ruby-hash", "  api_key: '{key}',\n", "bot.rb", "medium"),
    E("dotenv-binance", "BINANCE_API_KEY={key}\n", ".env", "high"),
    E("dotenv-quoted", 'API_KEY="{key}"\n', ".env", "medium"),
    E("yaml-nested", "binance:\n  api_key: {key}\n  api_secret: {secret}\n", "config.yaml", "high"),
    E("yaml-quoted", 'api_key: "{key}"\n', "config.yaml", "medium"),
    E("json-config", '{"apiKey": "{key}", "testnet": false}\n', "config.json", "medium"),
    E(
        "ipynb-escaped",
        '   "source": [\n    "api_key = \\"{key}\\"\\n",\n    "client = binance.Client(api_key, api_secret)"\n   ]\n',
        "notebook.ipynb",
        "high",
    ),
    E("toml-section", '[binance]\napi_key = "{key}"\n', "config.toml", "high"),
    E("ini-section", "[exchange]\napikey = {key}\n", "config.ini", "medium"),
    E("properties", "binance.api.key={key}\n", "application.properties", "high"),
    E("shell-export", "export BINANCE_API_KEY='{key}'\n", "env.sh", "high"),
    E("dockerfile-env-equals", "ENV BINANCE_API_KEY={key}\n", "Dockerfile", "high"),
    E("dockerfile-env-space", "ENV BINANCE_API_KEY {key}\n", "Dockerfile", "high"),
    E(
        "github-actions-env",
        "jobs:\n  trade:\n    env:\n      BINANCE_API_KEY: {key}\n",
        ".github/workflows/trade.yml",
        "high",
    ),
    E("gitlab-ci-variables", 'variables:\n  API_KEY: "{key}"\n', ".gitlab-ci.yml", "medium"),
    E(
        "curl-header",
        "curl -H 'X-MBX-APIKEY: {key}' 'https://api.binance.com/api/v3/account?signature={hex64}'\n",
        "notes.sh",
        "high",
    ),
    E("http-log-header", "> GET /api/v3/account HTTP/1.1\n> X-MBX-APIKEY: {key}\n", "http.log", "high"),
    E("url-query", "https://example.com/webhook?apiKey={key}&ts=1700000000\n", "urls.txt", "medium"),
    E("crlf-lines", "OTHER=1\r\nAPI_KEY={key}\r\nDEBUG=0\r\n", ".env", "medium"),
    E("minified-js", 'var a=1;function f(){return{apiKey:"{key}",b:2}}var c=3;\n', "app.min.js", "medium"),
    E("csv-row", "exchange,api_key,api_secret\nbinance,{key},{secret}\n", "keys.csv", "high"),
    E(
        "sql-insert",
        "INSERT INTO keys (exchange, api_key, api_secret) VALUES ('binance', '{key}', '{secret}');\n",
        "seed.sql",
        "high",
    ),
    E("xml-appsettings", '<add key="BinanceApiKey" value="{key}" />\n', "App.config", "high"),
    E("markdown-inline", "Set the Binance key: `api_key = {key}`\n", "README.md", "high"),
    E("binary-nul-separated", "\x00\x01BINANCE_API_KEY\x00\x00{key}\x00\x02", "bot.pyc", "high"),
    E("utf16-file", "BINANCE_API_KEY={key}\r\n", "keys.txt", "high", encoding="utf-16"),
    E("non-ascii-before", 'описание = "ключ"; api_key = "{key}"\n', "bot.py", "medium"),
    E("bare-token-low", "{key}\n", "notes.txt", "low", threshold="low"),
    E("path-mentions-binance", "{key}\n", "binance_keys.txt", "high"),
)

SECRET_KEY_POSITIVES: tuple[Example, ...] = (
    E("python-binance-name", 'BINANCE_API_SECRET = "{secret}"\n', "settings.py", "high"),
    E("python-generic-name", 'API_SECRET = "{secret}"\n', "settings.py", "medium"),
    E("python-secret-key-name", 'secret_key = "{secret}"\napi_key = "{key}"\n', "settings.py", "high"),
    E(
        "python-binance-positional",
        'from binance.client import Client\n\nclient = Client("{key}", "{secret}")\n',
        "bot.py",
        "high",
    ),
    E(
        "python-positional-multiline",
        'client = Client(\n    "{key}",\n    "{secret}",\n)\n',
        "bot.py",
        "high",
    ),
    E("python-kwargs", 'client = Client(api_key="{key}", api_secret="{secret}")\n', "bot.py", "high"),
    E(
        "python-ccxt-secret",
        "exchange = ccxt.binance({\n    'apiKey': '{key}',\n    'secret': '{secret}',\n})\n",
        "bot.py",
        "high",
    ),
    E("js-const", "const apiSecret = '{secret}';\n", "bot.js", "medium"),
    E("js-secret-key", 'const secretKey = "{secret}";\n', "bot.js", "medium"),
    E("ts-object", "export const config = { apiSecret: `{secret}` };\n", "config.ts", "medium"),
    E("go-newclient", 'client := binance.NewClient("{key}", "{secret}")\n', "main.go", "high"),
    E("go-futures-client", 'client := futures.NewFuturesClient("{key}", "{secret}")\n', "main.go", "high"),
    E(
        "java-field",
        'private static final String SECRET_KEY = "{secret}";\nString apiKey = "{key}";\n',
        "Bot.java",
        "high",
    ),
    E("csharp-apicredentials", 'new ApiCredentials("{key}", "{secret}")\n', "Program.cs", "high"),
    E("csharp-property", 'public string ApiSecret { get; } = "{secret}";\n', "Settings.cs", "medium"),
    E("rust-let", 'let secret_key = "{secret}";\nlet api_key = "{key}";\n', "main.rs", "high"),
    E("php-define", "define('BINANCE_API_SECRET', '{secret}');\n", "config.php", "high"),
    E("ruby-symbol", "  secret_key: '{secret}',\n  api_key: '{key}',\n", "bot.rb", "high"),
    E("dotenv-binance", "BINANCE_API_SECRET={secret}\n", ".env", "high"),
    E("dotenv-pair", "API_KEY={key}\nAPI_SECRET={secret}\n", ".env", "high"),
    E("yaml-nested", "binance:\n  api_key: {key}\n  api_secret: {secret}\n", "config.yaml", "high"),
    E("json-config", '{"apiKey": "{key}", "apiSecret": "{secret}"}\n', "config.json", "high"),
    E(
        "ipynb-escaped",
        '    "api_key = \\"{key}\\"\\n",\n    "api_secret = \\"{secret}\\"\\n",\n',
        "notebook.ipynb",
        "high",
    ),
    E("toml", '[binance]\napi_secret = "{secret}"\n', "config.toml", "high"),
    E("ini", "[binance]\nsecret = {secret}\n", "config.ini", "high"),
    E("properties", "binance.api.secret={secret}\n", "application.properties", "high"),
    E("shell-export", 'export BINANCE_SECRET_KEY="{secret}"\n', "env.sh", "high"),
    E("dockerfile-env", "ENV BINANCE_API_SECRET={secret}\n", "Dockerfile", "high"),
    E("dockerfile-env-space", "ENV API_SECRET {secret}\n", "Dockerfile", "medium"),
    E("github-actions-env", "    env:\n      BINANCE_API_SECRET: {secret}\n", ".github/workflows/a.yml", "high"),
    E("gitlab-ci", "variables:\n  BINANCE_SECRET: {secret}\n", ".gitlab-ci.yml", "high"),
    E("url-query", "https://example.com/hook?apiSecret={secret}&ts=1\n", "urls.txt", "medium"),
    E("crlf", "API_KEY={key}\r\nAPI_SECRET={secret}\r\n", ".env", "high"),
    E(
        "minified-js",
        'var a=1;var c={apiKey:"{key}",apiSecret:"{secret}"};function f(){}\n',
        "app.min.js",
        "high",
    ),
    E("csv-row", "exchange,api_key,api_secret\nbinance,{key},{secret}\n", "keys.csv", "high"),
    E(
        "sql-update",
        "UPDATE accounts SET api_secret = '{secret}' WHERE exchange = 'binance';\n",
        "fix.sql",
        "high",
    ),
    E("xml-element", "<binance>\n  <apiSecret>{secret}</apiSecret>\n</binance>\n", "config.xml", "high"),
    E("markdown-code", "```\nBINANCE_API_SECRET={secret}\n```\n", "SETUP.md", "high"),
    E("binary-nul-separated", "\x00BINANCE_API_SECRET\x00{secret}\x00", "bot.pyc", "high"),
    # A file named for keys holding a key and a secret and nothing else: a named pair (issue #10 item 5).
    E("key-file-position", "{key}\n{secret}\n", "keys.txt", "high"),
    E("non-ascii-before", '# clé secrète → api_secret = "{secret}"\n', "bot.py", "medium"),
)

PRIVATE_KEY_POSITIVES: tuple[Example, ...] = (
    E("pem-file", "{pem}", "ed25519.pem", "medium"),
    E("pem-file-binance-path", "{pem}", "binance/private_key.pem", "high"),
    E("pem-file-no-trailing-newline", "{pem_nbody}", "key.pem", "medium"),
    E("pem-crlf", "{pem_crlf}", "key.pem", "medium"),
    E(
        "python-triple-quoted",
        'from binance.spot import Spot\n\nPRIVATE_KEY = """{pem}"""\n',
        "bot.py",
        "high",
    ),
    E("python-single-line-escaped", 'PRIVATE_KEY = "{pem_json}"\n', "bot.py", "medium"),
    E("yaml-block-scalar", "binance:\n  api_key: abc\n  private_key: |\n{pem_yaml}", "config.yaml", "high"),
    E("json-escaped", '{"exchange": "binance", "privateKey": "{pem_json}"}\n', "config.json", "high"),
    E("json-escaped-no-context", '{"privateKey": "{pem_json}"}\n', "config.json", "medium"),
    E("ipynb-source-lines", '    "key = \\"{pem_json}\\"\\n",\n', "notebook.ipynb", "medium"),
    E("encrypted-pkcs8-binance", "# ed25519 key\n{enc_pem}", "keys/binance.txt", "high", secret="enc_pem"),
    E("encrypted-pkcs8-context", "BINANCE_KEY_PASSPHRASE=x\n{enc_pem}", "key.txt", "high", secret="enc_pem"),
    E("rsa-pkcs8-binance", "# Binance RSA API key\n{rsa_pem}", "rsa.pem", "high", secret="rsa_pem"),
    E("rsa-pkcs1-binance", "# Binance RSA API key\n{pkcs1_pem}", "rsa.pem", "high", secret="pkcs1_pem"),
    E("js-template-literal", "const privateKey = `{pem}`;\n", "bot.js", "medium"),
    E("js-binance-connector", "const { Spot } = require('@binance/connector')\nconst k = `{pem}`\n", "bot.js", "high"),
    E("go-raw-string", "const privateKey = `{pem}`\n", "main.go", "medium"),
    E("java-text-block", 'String pem = """\n{pem}""";\n', "Bot.java", "medium"),
    E("csharp-verbatim", 'var pem = @"{pem}";\n', "Bot.cs", "medium"),
    E("rust-raw-string", 'let pem = r#"{pem}"#;\n', "main.rs", "medium"),
    E("php-heredoc", "$pem = <<<EOT\n{pem}EOT;\n", "bot.php", "medium"),
    E("ruby-heredoc", "PEM = <<~KEY\n{pem}KEY\n", "bot.rb", "medium"),
    E("dotenv-quoted-multiline", 'BINANCE_PRIVATE_KEY="{pem}"\n', ".env", "high"),
    E("dotenv-escaped", 'BINANCE_PRIVATE_KEY="{pem_json}"\n', ".env", "high"),
    E("toml-multiline", 'private_key = """\n{pem}"""\n', "config.toml", "medium"),
    E("shell-heredoc", "cat > binance.pem <<'EOF'\n{pem}EOF\n", "setup.sh", "high"),
    E("github-actions-step", "    run: |\n      echo '{pem_json}' > key.pem\n", ".github/workflows/a.yml", "medium"),
    E("k8s-string-data", "stringData:\n  binance.pem: |\n{pem_yaml}", "secret.yaml", "high"),
    E("xml-element", "<privateKey>{pem}</privateKey>\n", "config.xml", "medium"),
    E("markdown-fence", "My Binance key:\n\n```\n{pem}```\n", "NOTES.md", "high"),
    E("binary-nul-separated", "\x00\x00{pem}\x00\x00", "blob.bin", "medium"),
    E("utf16-file", "{pem}", "key.pem", "medium", encoding="utf-16"),
    E(
        "python-binance-private-key-arg",
        'from binance.client import Client\nclient = Client(api_key, private_key="{pem_json}")\n',
        "bot.py",
        "high",
    ),
    E("csv-cell", 'name,pem\nmain,"{pem}"\n', "keys.csv", "medium"),
    E("sql-literal", "INSERT INTO k VALUES ('{pem}');\n", "seed.sql", "medium"),
    E("ini-continuation", "[binance]\nprivate_key = {pem_yaml}", "config.ini", "high"),
    E("two-keys-second", "{rsa_pem}\n{pem}", "keys.txt", "medium"),
    E("http-log-body", 'POST /keys HTTP/1.1\n\n{"pem": "{pem_json}"}\n', "http.log", "medium"),
    E("minified-js", 'var a=1,k="{pem_json}";function f(){}\n', "app.min.js", "medium"),
    E("after-non-ascii", "# ключ Binance\n{pem}", "key.txt", "high"),
    E("ec-key-low", "{ec_pem}", "ec.pem", "low", threshold="low", secret="ec_pem"),
)

CREDENTIAL_POSITIVES: tuple[Example, ...] = (
    E("python-api-secret", 'API_SECRET = "{cred}"\n', "settings.py", "medium"),
    E("python-binance-secret", 'BINANCE_SECRET = "{cred}"\n', "settings.py", "high"),
    E("python-binance-secret-key", "binance_secret_key = '{cred}'\n", "settings.py", "high"),
    E("python-kwarg", 'client = Client(api_key=key, api_secret="{cred}")\n', "bot.py", "medium"),
    E("python-dict", 'config = {"api_secret": "{cred}"}\n', "bot.py", "medium"),
    E("python-ccxt-secret", "ccxt.binance({'apiKey': key, 'secret': '{cred}'})\n", "bot.py", "high"),
    E("python-secret-key-binance", '# binance\nSECRET_KEY = "{cred}"\n', "bot.py", "high"),
    E("js-const", "const apiSecret = '{cred}';\n", "bot.js", "medium"),
    E("js-object", '  apiSecret: "{cred}",\n', "bot.js", "medium"),
    E("ts-typed", 'const apiSecret: string = "{cred}";\n', "bot.ts", "medium"),
    E("go-short-var", 'apiSecret := "{cred}"\n', "main.go", "medium"),
    E("go-struct-field", '    APISecret: "{cred}",\n', "main.go", "medium"),
    E("java-field", 'private String apiSecret = "{cred}";\n', "Bot.java", "medium"),
    E("csharp-field", 'const string ApiSecret = "{cred}";\n', "Bot.cs", "medium"),
    E("rust-let", 'let api_secret = "{cred}";\n', "main.rs", "medium"),
    E("php-variable", "$apiSecret = '{cred}';\n", "bot.php", "medium"),
    E("php-array", "    'api_secret' => '{cred}',\n", "config.php", "medium"),
    E("ruby-assign", "api_secret = '{cred}'\n", "bot.rb", "medium"),
    E("dotenv", "API_SECRET={cred}\n", ".env", "medium"),
    E("dotenv-binance", "BINANCE_API_SECRET={cred}\n", ".env", "high"),
    E("dotenv-quoted", "API_SECRET='{cred}'\n", ".env", "medium"),
    E("yaml", "api_secret: {cred}\n", "config.yaml", "medium"),
    E("yaml-exchange", "exchange:\n  name: binance\n  secret: {cred}\n", "config.yaml", "high"),
    E("json", '{"apiSecret": "{cred}"}\n', "config.json", "medium"),
    E("ipynb-escaped", '    "api_secret = \\"{cred}\\"\\n",\n', "nb.ipynb", "medium"),
    E("toml", 'api_secret = "{cred}"\n', "config.toml", "medium"),
    E("ini", "[binance]\napi_secret = {cred}\n", "config.ini", "high"),
    E("properties", "exchange.api.secret={cred}\n", "app.properties", "medium"),
    E("shell-export", 'export API_SECRET="{cred}"\n', "env.sh", "medium"),
    E("dockerfile-env-equals", "ENV API_SECRET={cred}\n", "Dockerfile", "medium"),
    E("dockerfile-env-space", "ENV API_SECRET {cred}\n", "Dockerfile", "medium"),
    E("github-actions", "    env:\n      API_SECRET: {cred}\n", ".github/workflows/a.yml", "medium"),
    E("gitlab-ci", 'variables:\n  BINANCE_API_SECRET: "{cred}"\n', ".gitlab-ci.yml", "high"),
    E("url-query", "https://example.com/hook?api_secret={cred}&ts=1\n", "urls.txt", "medium"),
    E("crlf", "DEBUG=1\r\nAPI_SECRET={cred}\r\n", ".env", "medium"),
    E("minified-js", 'var a=1;var c={apiSecret:"{cred}"};function f(){}\n', "app.min.js", "medium"),
    E("sql", "UPDATE accounts SET api_secret = '{cred}' WHERE id = 1;\n", "fix.sql", "medium"),
    E("xml-element", "<apiSecret>{cred}</apiSecret>\n", "config.xml", "medium"),
    E("xml-appsettings", '<add key="ApiSecret" value="{cred}" />\n', "App.config", "medium"),
    E("markdown", "Then set `API_SECRET={cred}` in the shell.\n", "README.md", "medium"),
    E("binary-nul-separated", "\x00API_SECRET=\x00{cred}\x00", "blob.bin", "medium", secret="cred"),
    E("non-ascii-before", '# секрет: api_secret = "{cred}"\n', "bot.py", "medium"),
    E("hex-api-secret", 'API_SECRET = "{hex64}"\n', "settings.py", "medium", secret="hex64"),
)

# Look-alikes particular to the 64-character token rules.
_TOKEN_NEGATIVES: tuple[Example, ...] = (
    E("doc-key-hmac", 'client = Client("{doc0}", "{doc1}")  # Binance docs\n', "bot.py"),
    E("doc-key-ed25519", "X-MBX-APIKEY: {doc2}\n", "notes.md"),
    E("doc-key-rsa", "BINANCE_API_KEY={doc3}\n", ".env"),
    E("doc-key-sample", "BINANCE_API_SECRET={doc4}\n", ".env"),
    E("bare-token-default-threshold", "{token}\n", "notes.txt"),
    E("two-bare-tokens", "{token}\n{key}\n", "data.txt"),
    E("longer-run-65", 'API_KEY = "{token}Z"\n'),
    E("shorter-run-63", 'API_KEY = "{token63}"\n'),
    E("glued-prefix", "API_KEY=pk_{token}\n"),
    E("glued-suffix", "API_KEY={token}-v2\n"),
    E("path-segment", "https://cdn.example.com/assets/{token}.js\n"),
    E("base64-padding", 'API_KEY = "{b64pad}"\n'),
    E("pragma-same-line", 'API_KEY = "{key}"  # pragma: allowlist secret\n'),
    E("pragma-ours", 'API_SECRET = "{secret}"  # binance-secrets:allow\n'),
    E("pragma-nextline", '# pragma: allowlist nextline secret\nBINANCE_API_KEY = "{key}"\n'),
    E("csrf-header", "X-CSRFToken: {token}\n", "request.log"),
    E("public-key-name", 'public_key = "{token}"\n', "wallet.py"),
    E("django-secret-key-64", "SECRET_KEY = '{token}'\n", "settings.py"),
    E("flask-secret", 'app.secret_key = "{token}"\n', "app.py"),
    E("license-key", 'LICENSE_KEY = "{token}"\n', "settings.py"),
)

_API_KEY_ONLY_NEGATIVES: tuple[Example, ...] = (
    E("secret-is-not-key", 'API_SECRET = "{secret}"\n', others_allowed=True),
    E("ccxt-secret-is-not-key", "{'secret': '{secret}'}  # ccxt\n", others_allowed=True),
)

_SECRET_KEY_ONLY_NEGATIVES: tuple[Example, ...] = (
    E("key-is-not-secret", 'BINANCE_API_KEY = "{key}"\n', others_allowed=True),
    E("first-positional-is-key", 'Client("{key}", api_secret)\n', "bot.py", others_allowed=True),
)

_PRIVATE_KEY_NEGATIVES: tuple[Example, ...] = (
    E("public-key-pem", "{pub_pem}", "ed25519_pub.pem"),
    E("truncated-no-end", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n", "key.pem"),
    E("placeholder-body", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n", "README.md"),
    E(
        "placeholder-pem-body",
        "-----BEGIN PRIVATE KEY-----\nyour private key here\n-----END PRIVATE KEY-----\n",
        "README.md",
    ),
    E("regex-in-code", 'PEM = re.compile(r"-----BEGIN (RSA )?PRIVATE KEY-----")\n', "detect.py"),
    E("ec-key", "{ec_pem}", "ec.pem"),
    E("openssh-key", "{openssh_pem}", "id_ed25519"),
    E("rsa-tls-key", "{rsa_pem}", "server.key"),
    E("encrypted-without-context", "{enc_pem}", "tls.key"),
    E("pragma-nextline-before-begin", "# pragma: allowlist nextline secret\n{pem}", "key.pem"),
    E("pragma-on-begin-line", 'KEY = """{pem_pragma}"""\n', "key.py"),
    E("ssh-pub", "{ssh_pub}\n", "id_rsa.pub"),
    E("pgp-public", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{b64line}\n-----END PGP PUBLIC KEY BLOCK-----\n"),
)

_CREDENTIAL_NEGATIVES: tuple[Example, ...] = (
    E("doc-key-as-secret", 'BINANCE_API_SECRET = "{doc1}"\n', "bot.py"),
    E("placeholder-changeme", "API_SECRET=changeme\n", ".env"),
    E("placeholder-todo", 'api_secret = "TODO: fill in"\n', "bot.py"),
    E("placeholder-stars", 'apiSecret: "********"\n', "config.yaml"),
    E("placeholder-mustache", 'api_secret: "{{ binance_api_secret }}"\n', "config.yaml"),
    E("placeholder-percent", "api_secret = %(BINANCE_SECRET)s\n", "config.ini"),
    E("none-value", "API_SECRET = None\napi_secret = null\n", "bot.py"),
    E("type-name", 'api_secret: "string"\n', "schema.yaml"),
    E("reference-name", "API_SECRET_NAME = 'binance/api-secret'\n", "infra.py"),
    E("secret-arn", "API_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:binance'\n", "infra.py"),
    E("same-as-name", 'API_SECRET = "API_SECRET"\n', "constants.py"),
    E("short-value", 'api_secret = "abc"\n', "test.py"),
    E("bare-word-reference", "api_secret = settings.API_SECRET\n", "bot.py"),
    E("client-secret-oauth", 'CLIENT_SECRET = "{cred}"\n', "oauth.py"),
    E("generic-secret-no-context", 'SECRET = "{cred}"\n', "app.py"),
    E("vault-reference", "api_secret = vault:secret/data/binance#api_secret\n", "config.ini"),
    E("pragma", 'API_SECRET = "{cred}"  # pragma: allowlist secret\n', "bot.py"),
    E("pragma-nextline", '# pragma: allowlist nextline secret\nAPI_SECRET = "{cred}"\n', "bot.py"),
    E("comparison", "if api_secret == '':\n    raise ValueError\n", "bot.py"),
    E("secrets-store-id", 'secret_id = "{uuid}"\n', "infra.py"),
)

# ---------------------------------------------------------------------------------------------------
# Binance's documentation (issue #10, item 1): copies of the docs and connectors stay silent.
# User-data-stream listenKeys (short-lived stream tokens) in every shape the docs and connectors print
# them, slices of URL-encoded signatures, periodic placeholders, and values marked
# `### REPLACE THIS WITH YOUR API KEY` are not reported; a real key in the same shapes still is.
# ---------------------------------------------------------------------------------------------------
_DOCS_NEGATIVES: tuple[Example, ...] = (
    E("docs-listenkey-response", '{\n  "listenKey": "{token}"\n}\n', "user-data-stream.md"),
    E(
        "docs-listenkey-expired-event",
        '{\n  "e": "listenKeyExpired",\n  "E": 1699596037418,\n  "listenKey": "{token}"\n}\n',
        "user-data-stream.md",
    ),
    E(
        "docs-wsapi-listenkey-result",
        '{"id": "d3df8a21", "status": 200, "result": {"listenKey": "{token}"}, "rateLimits": []}\n',
        "web-socket-api.md",
    ),
    E(
        "docs-wsapi-listenkey-ping",
        '{"id": "815d5fce", "method": "userDataStream.ping", "params": {"listenKey": "{token}"}}\n',
        "web-socket-api.md",
    ),
    E(
        "docs-curl-listenkey-query",
        "curl -X PUT 'https://api.binance.com/api/v3/userDataStream?listenKey={token}' "
        "-H 'X-MBX-APIKEY: $BINANCE_API_KEY'\n",
        "keepalive.sh",
    ),
    E("docs-ws-listenkey-path", 'ws = websocket.WebSocketApp("wss://stream.binance.com:9443/ws/{token}")\n', "bot.py"),
    E("docs-stream-listenkey", "wss://fstream.binance.com/stream?streams={token}\n", "README.md"),
    E("docs-auth-stream-listenkey", "wss://dstream-auth.binance.com/ws/btcusdt@markPrice?listenKey={token}\n"),
    E(
        "docs-combined-stream-event",
        '{"stream": "{token}", "data": {"e": "ACCOUNT_UPDATE", "E": 1564745798939}}\n',
        "events.json",
    ),
    E(
        "docs-futures-listenkey-request",
        '{"method": "REQUEST", "params": ["{token}@account", "{token}@balance"], "id": 12}\n',
        "futures.md",
    ),
    E(
        "docs-futures-listenkey-response",
        '{"result": [{"req": "{token}@position", "res": {"positions": []}}], "id": 12}\n',
        "futures.md",
    ),
    E("python-listen-key-variable", 'listen_key = "{token}"  # binance user data stream\n', "bot.py"),
    E("python-keepalive-kwarg", 'client.stream_keepalive(listenKey="{token}")  # binance\n', "bot.py"),
    E("python-connector-user-data", 'ws_client.user_data(listen_key="{token}", id=1)\n', "bot.py"),
    E("js-renew-listen-key", "client.renewListenKey('{token}').then(console.log) // binance\n", "bot.js"),
    E("go-listen-key", 'listenKey := "{token}" // binance futures\n', "main.go"),
    E("env-listen-key", "BINANCE_LISTEN_KEY={token}\n", ".env"),
    E(
        "docs-url-encoded-signature",
        "curl -H 'X-MBX-APIKEY: $API_KEY' -X POST 'https://api.binance.com/api/v3/order?"
        "symbol=BTCUSDT&timestamp=1671090801999&signature=Kx2c%2F{token}%2Bq8R%2BbcddKjyz5XBrBM%3D'\n",
        "rest-api.md",
    ),
    E("url-encoded-signature-first-piece", "&signature={token}%2BbcddKjyz5XBrBM%3D\n", "request.log"),
    E("url-encoded-signature-last-piece", "&signature=aap36wD5lo%2F{token}%3D\n", "request.log"),
    E("url-encoded-signature-lower-case", "&signature=aap36wD5lo%2f{token}%2bbcddKjyz5XB\n", "request.log"),
    E("periodic-placeholder-abc123", 'BINANCE_API_SECRET = "abc123abc123abc123abc123abc123"\n', "settings.py"),
    E("periodic-placeholder-a1b2c3d4", 'api_secret: "A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4A1b2C3d4"\n', "config.yaml"),
    E("near-periodic-placeholder", 'API_SECRET = "abc123abc123abc124abc123abd123abc123"\n', "settings.py"),
    E("periodic-hex-placeholder", 'BINANCE_SECRET_KEY = "deadbeefdeadbeefdeadbeefdeadbeef"\n', "settings.py"),
    E(
        "docs-replace-this-marker",
        'apiKey="{token}"   ### REPLACE THIS WITH YOUR API KEY\napiMethod="POST"\n',
        "sign.sh",
    ),
    E("docs-replace-this-marker-zh", 'apiKey="{token}"   ### 替换成您的 API Key\n', "sign.sh"),
)

_DOCS_API_KEY_POSITIVES: tuple[Example, ...] = (
    E(
        "docs-curl-real-key",
        'curl -H "X-MBX-APIKEY: {key}" -X POST '
        "'https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1&signature={hex64}'\n",
        "order.sh",
        "high",
    ),
    E(
        "docs-wsapi-params-real-key",
        '{"id": "e2a85d9f", "method": "order.place", "params": {"apiKey": "{key}", "signature": "{hex64}"}}\n',
        "ws.json",
        "medium",
    ),
    E(
        "docs-wsapi-ping-real-key-beside-listenkey",
        '{"method": "userDataStream.ping", "params": {"listenKey": "{token}", "apiKey": "{key}"}}\n',
        "ws.json",
        "medium",
    ),
    E(
        "docs-curl-keepalive-real-key",
        "curl -H \"X-MBX-APIKEY: {key}\" -X PUT 'https://api.binance.com/api/v3/userDataStream?listenKey={token}'\n",
        "keepalive.sh",
        "high",
    ),
    E("real-key-after-stream-url", 'url = "wss://fstream.binance.com/ws/{token}"\nAPI_KEY = "{key}"\n', "bot.py"),
    E("real-key-named-stream-api-key", 'binance_stream_api_key = "{key}"\n', "bot.py", "high"),
    E("real-key-marker-on-line-before", '# REPLACE THIS WITH YOUR API KEY\nBINANCE_API_KEY="{key}"\n', ".env", "high"),
    E("real-key-url-encoded-query", "redirect=%2Fapi%3FapiKey%3D{key}%26ts%3D1\n", "access.log", threshold="low"),
)

_DOCS_SECRET_KEY_POSITIVES: tuple[Example, ...] = (
    E(
        "docs-python-connector-readme-real-pair",
        'from binance.spot import Spot\n\nclient = Spot(api_key="{key}", api_secret="{secret}")\n',
        "README.md",
        "high",
    ),
    E(
        "docs-js-connector-real-pair",
        "const { Spot } = require('@binance/connector')\nconst apiKey = '{key}'\nconst apiSecret = '{secret}'\n",
        "index.js",
        "high",
    ),
    E(
        "postman-environment-real-pair",
        '{"values": [{"key": "api-key", "value": "{key}"}, {"key": "api-secret", "value": "{secret}"}]}\n',
        "binance.postman_environment.json",
        "high",
    ),
    E(
        "docs-key-value-table-real-pair",
        "Key | Value\n------------ | ------------\napiKey | {key}\nsecretKey | {secret}\n",
        "signing.md",
        threshold="low",
    ),
)

COMMON_NEGATIVES = COMMON_NEGATIVES + _DOCS_NEGATIVES
API_KEY_POSITIVES = API_KEY_POSITIVES + _DOCS_API_KEY_POSITIVES
SECRET_KEY_POSITIVES = SECRET_KEY_POSITIVES + _DOCS_SECRET_KEY_POSITIVES
# ------------------------------------------------- end of Binance's documentation (issue #10, item 1)

# ---------------------------------------------------------------------------------------------------
# Issue #10 items 2, 3 and 5: other exchanges, hex testnet keys, roles and confidence.
# (Appended as its own block: each tuple below extends a rule's examples before `RULE_EXAMPLES` is built.)
# ---------------------------------------------------------------------------------------------------

API_KEY_POSITIVES += (
    # The futures testnet issues 64-digit lowercase hex keys: named, in Binance context, they count.
    E("hex-testnet-env", "BINANCE_API_KEY={hex64}\n", ".env", "high", secret="hex64"),
    E(
        "hex-futures-testnet-url",
        "BASE_URL = 'https://testnet.binancefuture.com'\napi_key = '{hex64}'\n",
        "bot.py",
        "high",
        secret="hex64",
    ),
    E("hex-x-mbx-header", "X-MBX-APIKEY: {hex64}\n", "http.log", "high", secret="hex64"),
    E(
        "hex-testnet-true",
        "from binance.client import Client\nclient = Client('{hex64}', api_secret, testnet=True)\n",
        "bot.py",
        "high",
        secret="hex64",
    ),
    # Each value gets the exchange of its own section.
    E("binance-section-beside-bybit", "bybit:\n  api_key: {key2}\nbinance:\n  api_key: {key}\n", "c.yaml", "high"),
    E(
        "binance-dict-beside-okx",
        "EX = {\n  'okx': {'apiKey': '{key2}'},\n  'binance': {'apiKey': '{key}'},\n}\n",
        "c.py",
    ),
    E("java-spot-client-impl", 'SpotClientImpl c = new SpotClientImpl("{key}", "{secret}");\n', "Bot.java", "high"),
    E(
        "node-binance-api-options",
        "const binance = new Binance().options({\n  APIKEY: '{key}',\n  APISECRET: '{secret}'\n});\n",
        "bot.js",
        "high",
    ),
    E("getter-call-keeps-the-role", "api_key = get_secret('{key}')\n", "bot.py", "medium"),
    E("misspelt-key-name", "binance_api_kye = '{key}'\n", "bot.py", "high"),
    E("commit-message-key-word", "temporarily use key {key}\n\nrotate later\n", "<commit message>", "medium"),
    E("bare-api-key-file", "{key}\n", "api_key.txt", "medium"),
    E("bare-binance-key-file", "{key}", "keys/binance_key", "high"),
    E("bare-dot-key-file", "{key}\n", "api.key", "medium"),
)

SECRET_KEY_POSITIVES += (
    E("hex-testnet-env", "BINANCE_API_SECRET={hex64}\n", ".env", "high", secret="hex64"),
    E(
        "hex-testnet-positional",
        "from binance.client import Client\nclient = Client('{key}', '{hex64}', testnet=True)\n",
        "bot.py",
        "high",
        secret="hex64",
    ),
    E("hex-testnet-yaml", "binance:\n  testnet: true\n  api_secret: {hex64}\n", "config.yaml", "high", secret="hex64"),
    # The second argument of a multi-line call is the secret, with the pair's confidence.
    E(
        "multiline-client-with-comments",
        'client = Client(\n    "{key}",  # the key\n    "{secret}",  # the secret\n)\n',
        "bot.py",
        "high",
    ),
    E(
        "multiline-client-deep-indent",
        'def connect():\n    if live:\n        return Client(\n                "{key}",\n                "{secret}")\n',
        "bot.py",
        "high",
    ),
    E(
        "client-variable-then-literal",
        'from binance.client import Client\nc = Client(API_KEY, "{secret}")\n',
        "b.py",
        "high",
    ),
    E("go-newclient-variable", 'client := binance.NewClient(apiKey, "{secret}")\n', "main.go", "high"),
    E("binance-net-variable", '// Binance.Net\nvar c = new ApiCredentials(key, "{secret}");\n', "Program.cs", "high"),
    E("java-impl-variable", 'SpotClientImpl c = new SpotClientImpl(API_KEY, "{secret}");\n', "Bot.java", "medium"),
    E("getter-does-not-swap", "api_key = get_secret(a)\napi_secret = load_secret_key('{secret}')\n", "b.py", "medium"),
    E("misspelt-sekkey", "BINANCE_SEKKEY={secret}\n", ".env", "high"),
    E("misspelt-apisecrt", "APISECRT={secret}\n", ".env", "medium"),
    E("misspelt-api-secert", "api_secert = '{secret}'\n", "bot.py", "medium"),
    E("misspelt-scret", "SCRET={secret}\n", ".env", "medium"),
    E("abbreviated-pvt-key", "pvt_key = '{secret}'\n", "bot.py", "medium"),
    E("partner-inherits-confidence", "BINANCE_API_KEY = '{key}'\n\n\n'{secret}'\n", "bot.py", "high"),
    E("trailing-space-in-quotes", 'API_SECRET = "{secret} "\n', "settings.py", "medium"),
    E("bare-api-secret-file", "{secret}\n", "api_secret.txt", "medium"),
    E("bare-secret-file", "{secret}", "secret.txt", "medium"),
    E("commit-message-secret-word", "Fix auth\n\nsecret: {secret}\n", "<commit message>", "medium"),
)

# Split literals (`("abc" "def")`) are reported with the joined value, which no single placeholder
# holds: their table is in tests/test_detectors_attribution.py.

# Another exchange's credential is never a Binance finding, whatever else the file says: at most
# `hardcoded-api-secret` at `low`, below the default threshold.
_OTHER_EXCHANGE_NEGATIVES: tuple[Example, ...] = (
    E("bybit-named-env", "BYBIT_API_KEY={key}\nBYBIT_API_SECRET={secret}\n", ".env"),
    E("bybit-named-in-binance-file", "# binance bot, bnb\nBYBIT_API_KEY={key}\nBYBIT_API_SECRET={secret}\n", ".env"),
    E("okx-yaml-section", "okx:\n  api_key: {key}\n  secret: {secret}\n  passphrase: hunter2\n", "config.yaml"),
    E("kraken-ini-section", "[kraken]\napi_key = {key}\nsecret = {secret}\n", "config.ini"),
    E("kucoin-json-section", '{"binance": {}, "kucoin": {"apiKey": "{key}", "secret": "{secret}"}}\n', "c.json"),
    E("bitfinex-toml-section", '[exchanges.bitfinex]\napi_key = "{key}"\napi_secret = "{secret}"\n', "c.toml"),
    E(
        "ccxt-bybit-beside-binance-comment",
        "import ccxt  # binance next\nexchange = ccxt.bybit({\n    'apiKey': '{key}',\n    'secret': '{secret}',\n})\n",
        "bot.py",
    ),
    E("ccxt-exchange-id", "exchange_id: okx\napiKey: {key}\nsecret: {secret}\n", "config.yml"),
    E("ccxt-gate-id", "exchange = ccxt.gate({'apiKey': '{key}', 'secret': '{secret}'})\n", "bot.py"),
    E(
        "freqtrade-kucoin",
        '{"exchange": {\n  "name": "kucoin",\n  "key": "{key}",\n  "secret": "{secret}"\n}}\n',
        "config.json",
    ),
    E(
        "pybit-http",
        'from pybit.unified_trading import HTTP\n\ns = HTTP(\n    testnet=True,\n    api_key="{key}",\n'
        '    api_secret="{secret}",\n)\n',
        "bot.py",
    ),
    E("kucoin-client", 'client = KucoinClient("{key}", "{secret}", "passphrase")\n', "bot.py"),
    E("krakenex-api", "k = krakenex.API(key='{key}', secret='{secret}')\n", "bot.py"),
    E("coinbase-short-secret", "COINBASE_API_SECRET = '{cred}'\n", "settings.py"),
    E("gate-named", "gate_apikey = '{key}'\ngate_apisecret = '{secret}'\n", "config.py"),
    E("mexc-dict-same-line", "CEX = {'mexc': {'api_key': '{key}', 'api_secret': '{secret}'}}\n", "data.py"),
    E("comment-labelled-bybit", "# Bybit\nAPI_KEY = '{key}'\nAPI_SECRET = '{secret}'\n", "keys.py"),
    E("exchange-variable-kraken", "EXCHANGE=kraken\nAPI_KEY={key}\nAPI_SECRET={secret}\n", ".env"),
    E("hex-bybit-secret", "# binance testnet too\nBYBIT_API_SECRET={hex64}\n", ".env"),
    E("bitget-hex-secret", "bitget:\n  api_key: bg_{cred}\n  secret_key: {hex64}\n", "config.yaml"),
    E("coinbase-ed25519-key", 'COINBASE_PRIVATE_KEY = """{pem}"""\n', "cdp.py"),
)

# 64-digit hex that is no testnet key: digests and signatures, even beside the word Binance.
_HEX_NEGATIVES: tuple[Example, ...] = (
    E("hex-named-without-binance", "api_key = '{hex64}'\n", "settings.py"),
    E("hex-signature-beside-binance", "# binance\nsignature = '{hex64}'\n", "sign.py"),
    E("hex-sha256-prefix", "binance_api_key: sha256:{hex64}\n", "manifest.yaml"),
    E("hex-digest-name", "# binance testnet\napi_key_sha256 = '{hex64}'\n", "audit.py"),
    E("hex-in-lock-file", 'binance_api_key = "{hex64}"\n', "poetry.lock"),
    E("hex-wallet-key-bnb", "# BNB chain, binance\nWALLET_PRIVATE_KEY={hex64}\n", ".env"),
    E("hex-upper-case", "BINANCE_API_KEY={HEX64}\n", ".env"),
    E("hex-commit-id", "binance testnet: pinned to commit {hex64}\n", "NOTES.md"),
    E("hex-tx-id", "binance withdrawal txId: {hex64}\n", "log.txt"),
)

_ATTRIBUTION_NEGATIVES = _OTHER_EXCHANGE_NEGATIVES + _HEX_NEGATIVES
_TOKEN_NEGATIVES += _ATTRIBUTION_NEGATIVES
_CREDENTIAL_NEGATIVES += _OTHER_EXCHANGE_NEGATIVES
_PRIVATE_KEY_NEGATIVES += (E("coinbase-ed25519-pem", 'COINBASE_PRIVATE_KEY = """{pem}"""\n', "cdp.py"),)

# --------------------------------------------- end of the issue #10 (items 2, 3, 5) block --------

# ---------------------------------------------------------------------------------------------------
# Encoded values (issue #10, item 4): base64 is decoded in configuration, manifest and script files
# (`detectors/encoded.py`); what decodes to a digest, a documentation key, a placeholder, a certificate,
# an image or random bytes stays silent. The positives (a decoded key reported at the encoded value,
# where the key itself is not written) are in `tests/test_detectors_encoded.py`: this table locates a
# positive by finding its secret in the text.
# ---------------------------------------------------------------------------------------------------
_ENCODED_NEGATIVES: tuple[Example, ...] = (
    E("b64-hex-digest-in-kubernetes-data", "kind: Secret\ndata:\n  checksum: {hex64_b64}\n", "secret.yaml"),
    E(
        "b64-documentation-key-in-kubernetes-data",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: binance\ndata:\n  BINANCE_API_KEY: {doc0_b64}\n",
        "secret.yaml",
    ),
    E("b64-documentation-key-named", "BINANCE_API_KEY_B64={doc0_b64}\n", ".env"),
    E("b64-placeholder-env-blob", "DOTENV_B64={placeholder_env_b64}\n", ".env.example"),
    E("b64-certificate-named", "env:\n  CA_CERT_BASE64: {cert_b64}\n", ".github/workflows/deploy.yml"),
    E(
        "b64-tls-certificate-in-kubernetes-secret",
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {cert_b64}\n",
        "binance-proxy-tls.yaml",
    ),
    E("b64-png-in-helm-values", "branding:\n  logo: {png_b64}\n", "values.yaml"),
    E("b64-random-bytes-named", "BINANCE_SESSION_B64={bytes_b64}\n", "deploy.env"),
)

COMMON_NEGATIVES = COMMON_NEGATIVES + _ENCODED_NEGATIVES
# ------------------------------------------------------------------------ end of encoded values (item 4)

# ---------------------------------------------------------------------------------------------------
# Issue #10, as public repositories write them (the real-world set of benchmarks/realworld): names on
# the line before, prose and CSV labels, key files, commented bare keys, flags before a client's
# arguments, hex testnet keys named where Binance is named, other exchanges named once per file,
# code variables and placeholders in other languages, doctored and service-account PEMs.
# ---------------------------------------------------------------------------------------------------

API_KEY_POSITIVES += (
    E("rust-const-value-on-next-line", 'pub const TEST_SPOT_API_KEY: &str =\n    "{key}";\n', "consts.rs", "medium"),
    E("ts-key-value-on-next-line", "params: {\n  apiKey:\n    '{key}',\n}\n", "fixture.ts", "medium"),
    E("python-backslash-continuation", 'API_KEY = \\\n    "{key}"\n', "settings.py", "medium"),
    E("prose-api-key-label", "API Key: {key}\n", "notes.md", "medium"),
    E("prose-binance-api-key-label", "My Binance API key: {key}\n", "notes.md", "high"),
    E("csv-row-label", "Master API Key,{key},\n", "config.csv", "medium"),
    E("csv-row-label-second-key", "Slave API Keys,{key2},{key},\n", "config.csv", "medium"),
    E(
        "java-factory-flag-first",
        'new BinanceApiClientFactory(\n    true, "{key}",\n    "{secret}");\n',
        "OrderTest.java",
        "high",
    ),
    E("commented-bare-pair-in-binance-file", "func TestX() {}\n\n//{key}\n//{secret}\n", "binance_test.go", "high"),
    E("key-file-of-two-lines", "{key}\n\n{secret}\n", "Key", "high"),
    E(
        "hex-testnet-switch-on",
        "c = Client(api_key='{hex64}', api_secret=s, testnet=True)\n",
        "bot.py",
        "high",
        secret="hex64",
    ),
    E(
        "hex-plain-name-binance-named-far-away",
        "apiKey_test = '{hex64}'\n" + "x = 1\n" * 8 + "base = 'https://testnet.binancefuture.com'\n",
        "demo.py",
        "medium",
        secret="hex64",
    ),
    E(
        "hex-rust-const-in-binance-folder",
        'pub const TEST_FUTURE_API_KEY: &str =\n    "{hex64}";\n',
        "exchange/src/binance/consts.rs",
        "high",
        secret="hex64",
    ),
)

SECRET_KEY_POSITIVES += (
    E("prose-secret-key-label", "API Key: {key}\n\nSecret Key: {secret}\n", "notes.md", "high"),
    E("csv-row-label-secrets", "Slave API Secrets,{secret},{secret2},\n", "config.csv", "medium"),
    E("csv-column-header", "name,api_key,api_secret\nmain,{key},{secret}\n", "accounts.csv", "high"),
    E(
        "rust-const-secret-on-next-line",
        'pub const TEST_SPOT_SECRET_KEY: &str =\n    "{secret}";\n',
        "consts.rs",
        "medium",
    ),
    E(
        "java-factory-flag-first",
        'new BinanceApiClientFactory(\n    true, "{key}",\n    "{secret}");\n',
        "OrderTest.java",
        "high",
    ),
    E("key-file-of-two-lines", "{key}\n\n{secret}\n", "Key", "high"),
    E("commented-bare-pair-in-binance-file", "func TestX() {}\n\n//{key}\n//{secret}\n", "binance_test.go", "high"),
)

PRIVATE_KEY_POSITIVES += (
    E(
        "encrypted-named-in-binance-file",
        "from binance.client import Client\n" + "x = 1\n" * 8 + 'CASE = {"private_key": b"""{enc_pem}"""}\n',
        "tests/test_signing.py",
        "medium",
        secret="enc_pem",
    ),
    E("rsa-prv-key-file", "{rsa_pem}", "test-prv-key.pem", "medium", secret="rsa_pem"),
)

CREDENTIAL_POSITIVES += (
    E("bare-value-with-digits-ends-line", "api_secret: {cred}\n", "config.yaml", "medium"),
    E("random-value-before-comma", "{apiKey: k, apiSecret: {cred}, recvWindow: 5000}\n", "config.yaml", "medium"),
)

_REALWORLD_NEGATIVES: tuple[Example, ...] = (
    E("asterdex-comment-env", "# AsterDEX API Credentials\nAPI_KEY={hex64}\nAPI_SECRET={cred}\n", ".env"),
    E("asterdex-comment-mixed-case", "# AsterDEX API Credentials\nAPI_KEY={key}\nAPI_SECRET={secret}\n", ".env"),
    E("hyperliquid-named", "HYPERLIQUID_API_SECRET={cred}\n", ".env"),
    E("dydx-section", "dydx:\n  api_key: {key}\n  api_secret: {secret}\n", "config.yaml"),
    E("backpack-section", "[backpack]\napi_key = {key}\napi_secret = {secret}\n", "config.ini"),
    E("woo-named", "WOO_API_KEY={key}\nWOO_API_SECRET={secret}\n", ".env"),
    E(
        "gate-sdk-import",
        'import io.gate.gateapi.ApiClient;\n\nclass F {\n  F() {\n    apiSecret = "{hex64}";\n  }\n}\n',
        "GateClient.java",
    ),
    E("one-other-exchange-in-file", "Bybit bot settings\n\nAPI_SECRET={cred}\n", ".env"),
    E("hex-ton-testnet", 'api_key = "{hex64}"\nnetwork = "testnet"\n', "connect_ton_test.py"),
    E(
        "hex-plain-name-mainnet-file",
        "# binance futures bot\nSYMBOLS=BTCUSDT\n" + "X=1\n" * 8 + "API_KEY={hex64}\nTESTNET_MODE=false\n",
        ".env",
    ),
    E(
        "hex-other-service-name-binance-file",
        "# binance bot\n" + "x = 1\n" * 8 + "CRYPTOCOMPARE_API_KEY = '{hex64}'\n",
        "prices.py",
    ),
    E("js-variable-as-value", "new MainClient({\n  api_key: apiKey,\n  api_secret: ed25519PrivateKey,\n});\n", "a.ts"),
    E("chinese-placeholder", "  apiKey: '你的API密钥',\n  apiSecret: '你的API密钥'\n", "README_CN.md"),
    E("russian-placeholder", "API_SECRET=ваш_секретный_ключ_2024\n", ".env"),
    E("docs-secret-cut-beside-docs-key", '//"apikey":"{doc0}",\n//"secretkey":"{doc1}x",\n', "Binance.go"),
    E(
        "service-account-json",
        '{\n  "type": "service_account",\n  "project_id": "binance-bot",\n  "private_key_id": "{sha1}",\n'
        '  "private_key": "{pem_json}",\n  "client_email": "x@binance-bot.iam.gserviceaccount.com"\n}\n',
        "serviceAccountKey.json",
    ),
    E("prose-key-word-keeps-its-role", "use the key: {token}\n", "notes.txt"),
    E("two-bare-tokens-unnamed-file", "{token}\n{key}\n", "data.txt"),
)

_TOKEN_NEGATIVES += _REALWORLD_NEGATIVES
_CREDENTIAL_NEGATIVES += _REALWORLD_NEGATIVES
_PRIVATE_KEY_NEGATIVES += _REALWORLD_NEGATIVES

# --------------------------------------------- end of the real-world block -------------------------


RULE_EXAMPLES: tuple[RuleExamples, ...] = (
    RuleExamples(
        "binance-api-key", "key", API_KEY_POSITIVES, COMMON_NEGATIVES + _TOKEN_NEGATIVES + _API_KEY_ONLY_NEGATIVES
    ),
    RuleExamples(
        "binance-secret-key",
        "secret",
        SECRET_KEY_POSITIVES,
        COMMON_NEGATIVES + _TOKEN_NEGATIVES + _SECRET_KEY_ONLY_NEGATIVES,
    ),
    RuleExamples("binance-private-key", "pem", PRIVATE_KEY_POSITIVES, COMMON_NEGATIVES + _PRIVATE_KEY_NEGATIVES),
    RuleExamples("hardcoded-api-secret", "cred", CREDENTIAL_POSITIVES, COMMON_NEGATIVES + _CREDENTIAL_NEGATIVES),
)
