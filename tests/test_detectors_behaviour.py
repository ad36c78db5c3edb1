"""What `detect()` promises beyond "found or not": pairing, roles, confidence, positions, pragmas."""

from __future__ import annotations

import json

from binance_secrets.detectors import detect
from binance_secrets.detectors.pairing import PAIR_WINDOW_LINES
from binance_secrets.finding import Finding
from testing.keys import api_key, ed25519_pem, random_token, secret_key


def _by_secret(findings: list[Finding]) -> dict[str, Finding]:
    return {f.secret: f for f in findings}


def test_key_and_secret_close_together_are_paired_both_ways() -> None:
    key, secret = api_key(), secret_key()
    found = _by_secret(detect(f'API_KEY = "{key}"\n# spacer\nAPI_SECRET = "{secret}"\n'.encode(), "a.py"))
    assert found[key].rule_id == "binance-api-key"
    assert found[secret].rule_id == "binance-secret-key"
    assert found[key].pair_sha256 == found[secret].secret_sha256
    assert found[secret].pair_sha256 == found[key].secret_sha256


def test_key_and_secret_far_apart_are_not_paired() -> None:
    key, secret = api_key(), secret_key()
    filler = "x = 1\n" * (PAIR_WINDOW_LINES + 5)
    found = _by_secret(detect(f'API_KEY = "{key}"\n{filler}API_SECRET = "{secret}"\n'.encode(), "a.py"))
    assert found[key].pair_sha256 is None
    assert found[secret].pair_sha256 is None


def test_two_pairs_pair_with_their_nearest_partner() -> None:
    keys, secrets = (api_key(), api_key()), (secret_key(), secret_key())
    text = "".join(f'API_KEY = "{k}"\nAPI_SECRET = "{s}"\n\n' for k, s in zip(keys, secrets, strict=True))
    found = _by_secret(detect(text.encode(), "a.py"))
    for k, s in zip(keys, secrets, strict=True):
        assert found[k].pair_sha256 == found[s].secret_sha256


def test_role_comes_from_the_name_whatever_the_order() -> None:
    key, secret = api_key(), secret_key()
    found = _by_secret(detect(f"BINANCE_SECRET_KEY={secret}\nBINANCE_API_KEY={key}\n".encode(), ".env"))
    assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key")


def test_role_comes_from_the_position_in_a_client_call() -> None:
    key, secret = api_key(), secret_key()
    text = f'from binance.client import Client\nc = Client("{key}", "{secret}")\n'
    found = _by_secret(detect(text.encode(), "bot.py"))
    assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key")
    assert found[key].pair_sha256 == found[secret].secret_sha256


def test_unnamed_tokens_on_consecutive_lines_are_read_as_key_then_secret() -> None:
    key, secret = api_key(), secret_key()
    found = _by_secret(detect(f"{key}\n{secret}\n".encode(), "notes.txt"))
    assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key")
    assert found[key].confidence == found[secret].confidence == "low"
    # Issue #10 item 5: a file named for keys that holds the two values and nothing else is a key
    # file, its two lines a named pair (README "What is detected": bare key files).
    found = _by_secret(detect(f"{key}\n{secret}\n".encode(), "keys.txt"))
    assert (found[key].rule_id, found[secret].rule_id) == ("binance-api-key", "binance-secret-key")
    assert found[key].confidence == found[secret].confidence == "high"


def test_confidence_levels() -> None:
    key = api_key()
    assert detect(f"BINANCE_API_KEY={key}\n".encode(), ".env")[0].confidence == "high"
    assert detect(f"X-MBX-APIKEY: {key}\n".encode(), "h.log")[0].confidence == "high"
    assert detect(f"API_KEY={key}\n".encode(), ".env")[0].confidence == "medium"
    assert detect(f"{key}\n".encode(), "notes.txt")[0].confidence == "low"
    # Binance context a few lines away still counts.
    assert detect(f"# binance\n\n\nAPI_KEY={key}\n".encode(), ".env")[0].confidence == "high"


def test_a_key_that_happens_to_contain_bnb_is_not_binance_context_by_itself() -> None:
    for _ in range(50):
        key = api_key()
        if "bnb" in key.lower():
            break
    else:
        key = api_key()[:30] + "bNb" + api_key()[:31]
    assert detect(f"{key}\n".encode(), "notes.txt")[0].confidence == "low"


def test_column_and_end_column_count_characters_after_non_ascii_text() -> None:
    key = api_key()
    line = f'名前 = "🔑"; api_key = "{key}"'
    finding = detect(f"# first\n{line}\n".encode(), "a.py")[0]
    assert finding.line == 2
    assert finding.column == line.index(key) + 1
    assert finding.end_column == finding.column + 64


def test_line_numbers_and_columns_with_crlf_line_endings() -> None:
    key, secret = api_key(), secret_key()
    text = f"A=1\r\nB=2\r\nAPI_KEY={key}\r\nAPI_SECRET={secret}\r\n"
    found = _by_secret(detect(text.encode(), ".env"))
    assert (found[key].line, found[key].column, found[key].end_column) == (3, 9, 73)
    assert (found[secret].line, found[secret].column) == (4, 12)


def test_first_line_offsets_the_reported_line() -> None:
    key = api_key()
    assert detect(f"\nAPI_KEY={key}\n".encode(), ".env", first_line=101)[0].line == 102


def test_private_key_is_reported_at_its_begin_line() -> None:
    pem = ed25519_pem()
    finding = detect(f"x = 1\n  {pem}".encode(), "key.txt")[0]
    assert (finding.line, finding.column) == (2, 3)
    assert finding.end_column == finding.column + len("-----BEGIN PRIVATE KEY-----")


def test_the_same_private_key_hashes_alike_in_every_form() -> None:
    pem = ed25519_pem()
    forms = [pem, pem.replace("\n", "\r\n"), json.dumps({"key": pem}), f'K = """{pem}"""']
    hashes = {detect(form.encode(), "k.txt")[0].secret_sha256 for form in forms}
    assert len(hashes) == 1


def test_pragmas_suppress_their_line_only() -> None:
    key = api_key()
    for marker in ("# pragma: allowlist secret", "// binance-secrets:allow"):
        assert detect(f"API_KEY={key} {marker}\n".encode(), "a") == []
    assert detect(f"# pragma: allowlist nextline secret\nAPI_KEY={key}\n".encode(), "a") == []
    # The next-line marker covers exactly the next line.
    found = detect(f"# pragma: allowlist nextline secret\nX=1\nAPI_KEY={key}\n".encode(), "a")
    assert [f.line for f in found] == [3]
    # A marker on another line does not suppress this one.
    found = detect(f"API_KEY={key}\nOTHER=1  # pragma: allowlist secret\n".encode(), "a")
    assert [f.line for f in found] == [1]


def test_empty_and_tiny_inputs() -> None:
    assert detect(b"", "a") == []
    assert detect(b"secret", "a") == []
    assert detect(b"-----BEGIN PRIVATE KEY-----", "a") == []


def test_a_binance_folder_vouches_for_named_values_not_for_bare_tokens() -> None:
    bare = f"id {random_token()} end\n".encode()
    assert [f.confidence for f in detect(bare, "binance-bot/data/ids.txt")] == ["low"]
    named = f'API_KEY = "{api_key()}"\n'.encode()
    assert [f.confidence for f in detect(named, "binance-bot/settings.py")] == ["high"]
    assert [f.confidence for f in detect(named, "bot/settings.py")] == ["medium"]


def test_a_binance_folder_does_not_raise_generic_secret_names() -> None:
    data = b'    "AWS::MSK::BatchScramSecret": "ff2b807a577495b0",\n'  # pragma: allowlist secret
    assert [f.confidence for f in detect(data, "binance-bot/vendor/regions.py")] == ["low"]


def test_a_uuid_assigned_to_a_secret_name_is_an_id_not_a_secret() -> None:
    data = b'    "alias/aws/secretsmanager": "fee5173a-3972-428e-ae73-cd4c2a371222",\n'
    assert detect(data, "binance/regions.py") == []


def test_three_xs_inside_a_random_secret_do_not_make_it_a_placeholder() -> None:
    """README "Silent on look-alikes": a hardcoded secret is reported whatever its random characters spell;
    three x's in a row turn up in about one random 40-character secret in 750 (a real one is no
    exception), while `xxxx…` and `your_key_xxx` stay placeholders."""
    def found_secrets(value: str) -> list[str]:
        return [finding.secret for finding in detect(f'API_SECRET = "{value}"\n'.encode(), "settings.py")]

    for position in (0, 17, 37):
        while True:
            # No other x around: a random neighbour x would spell `xxxx`, which is a placeholder's mark.
            base = random_token(40).replace("x", "a").replace("X", "B")
            if not any(char.isdigit() for char in base):
                base = base[:-1] + "7"
            # The same value with `aBa` where the x's go must be found: a random value that spells a
            # word (`yours`, `test`) is a known miss of its own (README "Silent on look-alikes").
            control = base[:position] + "aBa" + base[position + 3 :]
            if found_secrets(control) == [control]:
                break
        secret = base[:position] + "xXx" + base[position + 3 :]
        found = detect(f'API_SECRET = "{secret}"\n'.encode(), "settings.py")
        assert [finding.secret for finding in found] == [secret], secret
    for placeholder in ("x" * 40, "your_secret_xxx", "sk_live_xxx_" + "a1B2" * 6, random_token(30) + "xxxx"):
        assert detect(f'API_SECRET = "{placeholder}"\n'.encode(), "settings.py") == [], placeholder
