"""Golden report files: a report in a stable form, so that it can be compared with a file in the repository.

A report of generated keys differs on every run (the keys, their digests, their redacted forms), and so
do timings, dates, loopback ports and the tool's version. `Normaliser` replaces each of these with a
stable stand-in of the same shape, so a normalised JSON or SARIF report still matches its schema:

- each generated value named in `values` (redacted form, or in full) -> `<NAME>` / `<NAME…>`;
- each 64-hex digest -> the n-th one as `0001`, `0002`… repeated to 64 digits (same digest, same stand-in:
  pairs stay linked), and each 40-hex commit id likewise in 40 digits;
- timings -> 0.0 s, ISO 8601 times -> 2000-01-01T00:00:00+00:00, a loopback URL's port -> 8000, the
  tool's version -> 0.0.0.

No key-like literal is ever written: the stand-ins are short words and zero-padded counters.
Set BINANCE_SECRETS_UPDATE_GOLDEN=1 to rewrite the files from the current output (then review the diff).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from binance_secrets import __version__
from binance_secrets.finding import redact

UPDATE_VARIABLE = "BINANCE_SECRETS_UPDATE_GOLDEN"
_HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_HEX40 = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")
_HEX12 = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])")  # the short commit ids of the text report
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_SECONDS_JSON = re.compile(r'"seconds": [0-9.e-]+')
_SECONDS_TEXT = re.compile(r"\b\d+\.\d\ds\)")
_LOOPBACK_PORT = re.compile(r"(127\.0\.0\.1|\[::1\]):\d+")


class Normaliser:
    """`values`: name -> generated value; `commits`: the commit ids in the order their stand-ins should take
    (the text report shows only their first 12 digits, which cannot be told from other hex by shape)."""

    def __init__(self, values: Mapping[str, str], commits: Sequence[str] = ()) -> None:
        # Longest first, so that a value inside another is replaced after it.
        self._values = sorted(values.items(), key=lambda item: len(item[1]), reverse=True)
        self._digests: dict[str, str] = {}
        self._commits: dict[str, str] = {}
        for commit in commits:
            self._stand_in(commit, self._commits, 40)

    def __call__(self, text: str) -> str:
        for name, value in self._values:
            text = text.replace(value, f"<{name}>").replace(redact(value), f"<{name}…>")
            # JSON and SARIF write the ellipsis as \u2026.
            text = text.replace(json.dumps(redact(value))[1:-1], f"<{name}\\u2026>")
        text = _HEX64.sub(lambda match: self._stand_in(match.group(), self._digests, 64), text)
        text = _HEX40.sub(lambda match: self._stand_in(match.group(), self._commits, 40), text)
        short = {commit[:12]: stand_in[:12] for commit, stand_in in self._commits.items()}
        text = _HEX12.sub(lambda match: short.get(match.group(), match.group()), text)
        text = _ISO_TIME.sub("2000-01-01T00:00:00+00:00", text)
        text = _SECONDS_JSON.sub('"seconds": 0.0', text)
        text = _SECONDS_TEXT.sub("0.00s)", text)
        text = _LOOPBACK_PORT.sub(r"\1:8000", text)
        return text.replace(f'"{__version__}"', '"0.0.0"')

    @staticmethod
    def _stand_in(value: str, seen: dict[str, str], width: int) -> str:
        """The n-th distinct value as n in four hex digits, repeated: `00010001…` (its first 12 digits, all
        the text report shows of a commit, differ from every other stand-in's too)."""
        if value not in seen:
            seen[value] = (format(len(seen) + 1, "04x") * width)[:width]
        return seen[value]


def check_golden(path: Path, actual: str) -> None:
    """`actual` equals the golden file at `path` (rewritten instead when BINANCE_SECRETS_UPDATE_GOLDEN is set)."""
    if os.environ.get(UPDATE_VARIABLE):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs from its golden file (set {UPDATE_VARIABLE}=1 to rewrite it)"
