"""The history's second native passes and the detectors' cheaper first looks never change a finding.

README "Performance" (issue #16): with the `fast` extra, `detect` no longer maps a whole chunk
(`tokens.run_marks`) to find its 64-character runs and the needles of keys split in pieces: a native
locator finds them (`prefilter.NativeLocator`, `detectors.matches.Locator`), and falls back to the map
when it cannot tell. `split_literals` sends a hit to its chain search only when glue leads to a quote
on one side; a secret's name is bounded from one map of its window; whether a block names an exchange
is one search of a trie. Each is compared here with the plain path on inputs built on the edges of its
conditions: runs of 63, 64 and 65 characters, at the start and end of the data, pieces of 23, 24, 63
and 64 characters, glue of 63, 64 and 65 bytes, one and two operators, quotes that do not match.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from binance_secrets.detectors import detect
from binance_secrets.detectors import split_literals as split
from binance_secrets.detectors.credentials import _NAME_MARKS, _name_bounds
from binance_secrets.detectors.exchanges import _PRESENCE, _presence_pattern
from binance_secrets.detectors.tokens import run_marks
from binance_secrets.sources.prefilter import HyperscanPrefilter, NativeLocator, Prefilter
from testing import adversarial
from testing.keys import api_key, random_hex, random_token, secret_key

PATHS = ("src/module.py", "<commit message>", "config/settings.py", ".env", "api_key.txt", "uv.lock")


@pytest.fixture(scope="module")
def native() -> Prefilter:
    hyperscan = pytest.importorskip("hyperscan", reason="the native locator is the optional `fast` extra")
    return HyperscanPrefilter(hyperscan)


def _locator(native: Prefilter) -> NativeLocator:
    assert isinstance(native, HyperscanPrefilter)
    return native.locator


def _split_key_texts() -> list[bytes]:
    """Keys split in pieces on the edges of what makes a chain, and the near misses around them."""
    key, secret = api_key(), secret_key()
    texts = []
    for cut in (1, 8, 23, 24, 32, 40, 41, 63):
        for glue in (" ", "", "\n    ", " + ", " +\n ", " . ", " \\\n ", " ++ ", " .. ", "\t" * 62, " " * 63, " " * 64):
            for quote, other in (('"', '"'), ("'", "'"), ('"', "'")):
                texts.append(f"API_SECRET = ({quote}{key[:cut]}{quote}{glue}{other}{key[cut:]}{other})\n".encode())
    pieces = [secret[i : i + 8] for i in range(0, 64, 8)]
    texts += [
        ('KEY = "' + '" "'.join(pieces) + '"\n').encode(),  # eight pieces of 8: none anchors a chain
        ('KEY = "' + '" "'.join([secret[:24], *pieces[3:]]) + '"\n').encode(),
        ('"' + key[:24] + '" "' + key[24:] + '"').encode(),  # at the very start and end of the data
        ('x"' + key[:40] + '"  "' + key[40:] + '"').encode(),
        ('"' + key[:32] + '"\n"' + key[32:] + '"\n' + '"' + secret[:32] + '" + "' + secret[32:] + '"\n').encode(),
        ('call("' + random_token(24) + '", "' + random_token(30) + '")\n').encode(),  # a comma is no glue
        (('"' + random_token(30) + '" ') * 50).encode(),  # a long chain of full pieces
        ('"' + random_token(64) + '" "' + random_token(10) + '"').encode(),  # a whole key is no piece
        ('"' + random_token(70) + '" "' + random_token(10) + '"').encode(),
    ]
    return texts


def _run_texts() -> list[bytes]:
    """Alphanumeric runs around 64 characters long, alone, glued to escapes, at both ends of the data."""
    texts = []
    for length in (63, 64, 65, 70, 128):
        run = random_token(length)
        texts += [
            run.encode(),
            f"k = '{run}'\n".encode(),
            f"\\n{run} %3D{run}\n".encode(),
            f"{run}-{random_token(length)} {random_hex()}".encode(),
        ]
    texts.append(("\n".join(random_token(64) for _ in range(300))).encode())
    return texts


def _texts() -> list[bytes]:
    return [
        *_split_key_texts(),
        *_run_texts(),
        adversarial.tokens(16 * 1024, b" "),
        adversarial.equals_quotes_and_secret(16 * 1024),
        f'BINANCE_API_KEY = "{api_key()}"\nBINANCE_API_SECRET = "{secret_key()}"\n'.encode(),
        *_random_texts(200, 7),
    ]


def _random_texts(count: int, seed: int) -> list[bytes]:
    """Random texts of the characters that pieces, glue and runs are made of."""
    rng = random.Random(seed)
    alphabet = ["a", "Z", "7", '"', "'", " ", "+", ".", "\\", "\n", ",", "(", "x" * 24, "Q" * 30, "k" * 63]
    return ["".join(rng.choice(alphabet) for _ in range(rng.choice((10, 60, 300)))).encode() for _ in range(count)]


def _runs_of_the_map(data: bytes) -> list[tuple[int, int]]:
    return [match.span() for match in re.finditer(rb"[A-Za-z0-9]{64,}", data)]


def _needle_hits(data: bytes) -> list[int]:
    """The closing quote of every hit of `split_literals`' needle in the map."""
    marks = run_marks(data)
    hits = []
    hit = marks.find(split._NEEDLE)
    while hit != -1:
        hits.append(hit + split.MIN_PIECE)
        hit = marks.find(split._NEEDLE, hit + 1)
    return hits


def _passes_the_glue_test(data: bytes, close: int) -> bool:
    """`split_literals`' tests of a hit, as the map reads them."""
    marks = run_marks(data)
    start = split._run_start(marks, close - split.MIN_PIECE, close)
    return (
        start > 0
        and close - start < split._TOKEN_PIECE_LIMIT
        and data[start - 1] == data[close]
        and (split._glued_quote_after(data, close) or split._glued_quote_before(data, start - 1))
    )


def test_located_runs_are_the_runs_of_the_map(native: Prefilter) -> None:
    compared = 0
    for data in _texts():
        runs = _locator(native).runs(data)
        if runs is not None:
            assert runs == _runs_of_the_map(data), data[:120]
            compared += bool(runs)
    assert compared > 20


def test_located_quotes_hold_every_hit_that_can_pass_the_glue_test_and_only_hits(native: Prefilter) -> None:
    """The needles the locator leaves out are hits `split_literals` would turn away anyway."""
    kept = 0
    for data in _texts():
        quotes = _locator(native).quotes(data)
        if quotes is None:
            continue
        hits = _needle_hits(data)
        assert set(quotes) <= set(hits), data[:120]
        assert quotes == sorted(quotes)
        assert {hit for hit in hits if _passes_the_glue_test(data, hit)} <= set(quotes), data[:120]
        kept += len(quotes)
    assert kept > 100


def test_split_literals_from_located_quotes_are_those_of_the_map(native: Prefilter) -> None:
    chains = 0
    for data in _texts():
        quotes = _locator(native).quotes(data)
        if quotes is None:
            continue
        from_map = list(split.split_literals(data, run_marks(data)))
        assert list(split.split_literals(data, None, quotes)) == from_map, data[:120]
        chains += len(from_map)
    assert chains > 100


def test_a_hit_the_glue_test_turns_away_has_no_chain() -> None:
    """Before the glue test, one glue byte on either side sent a hit to the chain search: every hit that
    passed that looser test and fails this one finds no chain there."""
    turned_away = 0
    for data in _texts():
        marks = run_marks(data)
        for close in _needle_hits(data):
            start = split._run_start(marks, close - split.MIN_PIECE, close)
            if not (start > 0 and close - start < split._TOKEN_PIECE_LIMIT and data[start - 1] == data[close]):
                continue
            if _passes_the_glue_test(data, close):
                continue
            assert split._chain_around(data, marks, start, close) is None, data[:120]
            turned_away += 1
    assert turned_away > 20


def test_locator_gives_up_where_reporting_would_cost_more_than_the_map(native: Prefilter) -> None:
    """A chunk that is mostly long runs (a minified bundle, an embedded image) or a wall of glued pieces
    is mapped as before: the locator says it cannot tell, and `detect` finds the same."""
    long_run = adversarial.one_alphanumeric_line(64 * 1024)
    glued = ('KEY = ("' + '" "'.join(random_token(24) for _ in range(4000)) + '")\n').encode()
    assert _locator(native).runs(long_run) is None
    assert _locator(native).quotes(glued) is None
    key = api_key()
    split_key = f'"{key[:30]}" "{key[30:]}"\n'.encode()
    for data in (
        long_run + b"\napi_secret = " + split_key,
        glued + b"\nBINANCE_API_SECRET = " + f'"{secret_key()}"\n'.encode(),
    ):
        for path in PATHS:
            expected = detect(data, path)
            assert expected, path  # the key is found: the comparison is not between two empty lists
            assert detect(data, path, triggers=native.triggers(data)) == expected, path


def test_detect_with_the_locator_finds_what_it_finds_alone(native: Prefilter) -> None:
    found = 0
    for data in _texts():
        triggers = native.triggers(data)
        for path in PATHS:
            expected = detect(data, path)
            assert detect(data, path, triggers=triggers) == expected, (path, data[:120])
            found += len(expected)
    assert found > 100


def _old_name_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The two searches `_name_bounds` replaced: back from the needle, then on from its end."""
    low = max(0, start - 80)
    name_start = data[low:start].translate(_NAME_MARKS).rfind(b" ") + 1 + low
    high = min(len(data), end + 80)
    after = data[end:high].translate(_NAME_MARKS).find(b" ")
    return name_start, high if after == -1 else end + after


@pytest.mark.parametrize("make", [lambda n: "x" * n, lambda n: "ab_" * (n // 3) + "c" * (n % 3)], ids=["run", "name"])
def test_a_names_bounds_are_those_of_the_two_searches(make: Callable[[int], str]) -> None:
    for before in (0, 1, 79, 80, 81, 200):
        for after in (0, 1, 79, 80, 81, 200):
            for border in ("", " ", "=", "\n"):
                text = f"{border}{make(before)}secret{make(after)}{border}".encode()
                start = text.find(b"secret")
                assert _name_bounds(text, start, start + 6) == _old_name_bounds(text, start, start + 6), text


def test_a_blocks_exchange_words_are_found_by_the_trie_as_one_by_one() -> None:
    rng = random.Random(5)
    words = [word.decode() for word in _PRESENCE]
    blocks = ["", "nothing here at all", "bina nce gat e.io okk by bit"]
    for word in words:
        blocks += [word, f"x{word}y", word[:-1], word[1:], f"{word[:-1]} {word[-1]}"]
    for _ in range(300):
        blocks.append(" ".join(rng.choice(words)[: rng.randrange(2, 9)] for _ in range(rng.randrange(1, 30))))
    for block in blocks:
        text = block.encode()
        assert (_presence_pattern().search(text) is not None) == any(word in text for word in _PRESENCE), block
