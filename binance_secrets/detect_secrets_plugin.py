"""The Binance rules as detect-secrets 1.5 plugins, for teams that already run detect-secrets.

    detect-secrets scan --plugin "$(binance-secrets detect-secrets-plugin-path)" > .secrets.baseline

One detector class per rule, each with the rule's own `secret_type` (`binance_secrets.rules`), so a
baseline says which rule found a secret and `detect-secrets audit` can re-find it. Every class reads the
file through the same pipeline as `binance-secrets scan`: its chunks (`sources.files.read_chunks`, with
the same expansion) through the one chunk loop, `scanning.ChunkScan` (detect, place, filter), and
reports the same lines at the same default threshold. Two things differ, both because detect-secrets
does them itself: the loop's filter keeps every confidence (each class applies its own `min_confidence`;
detect-secrets applies its baseline and its filters), and the members of an archive are left out (their
lines are not the file's, and detect-secrets never asks about them). Where there is no file to read
(`scan --string`, a diff), the lines detect-secrets hands over go to `detect()` as they are.

detect-secrets imports this file by path (`import_file_as_module`), not as
`binance_secrets.detect_secrets_plugin`, so every import here is absolute, and every public name of
the module is inspected for plugin classes: helpers are private. Such a module is not in
`sys.modules`, which `dataclasses` needs, hence the plain classes.

Verification: detect-secrets calls `verify()` by default during every scan. Ours sends nothing
anywhere unless the user sets `BINANCE_SECRETS_DETECT_SECRETS_VERIFY=1`.

detect-secrets' default heuristic filters are tuned for its own entropy and keyword plugins, and they
would silently drop what our detector already judged: `is_indirect_reference` drops every line shaped
`name = call(...)` (so `Client(api_key="...", api_secret="...")`) before any plugin sees it, and
`is_likely_id_string`, `is_prefixed_with_dollar_sign`, `is_not_alphanumeric_string`... drop secrets
after. detect-secrets cannot scope a filter to a plugin, and a line-level filter runs before every
plugin, so no plugin can get around it on its own. Hence `_scope_heuristics_to_other_plugins`: when a
Binance detector is set up, the heuristics we supersede are moved from detect-secrets' filter list into
one filter of ours, `heuristics_except_for_binance_rules`, which applies the very same functions to the
secrets of every other plugin, on the same line. detect-secrets' own plugins report exactly what they
reported before; the change is recorded in the baseline's `filters_used`, so `detect-secrets-hook` and
`audit` run with it too. It goes through detect-secrets' settings object (what `--disable-filter`,
`--filter` and a baseline's `filters_used` set), not through its code.

detect-secrets also never asks about the lines its YAML and INI transformers leave out (a block value
that ends the file): those findings are reported under the last line it reads, the value's key line.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import stat
import sys
from collections.abc import Callable, Generator
from typing import Any

from detect_secrets.constants import VerifiedResult
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.filters import heuristic as _heuristics
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.settings import get_filters, get_settings

from binance_secrets import rules as _rules
from binance_secrets.detectors import detect
from binance_secrets.filters import CONFIDENCE_ORDER, FindingFilter
from binance_secrets.finding import Finding
from binance_secrets.scanning import ChunkScan
from binance_secrets.sources import Chunk
from binance_secrets.sources.files import FileTarget, display_path, read_chunks

# What a one-line shim committed to a repository re-exports (`from binance_secrets.detect_secrets_plugin
# import *`), so that its baseline can name the plugin by a path relative to the repository root.
__all__ = [
    "BinanceApiKeyDetector",
    "BinancePrivateKeyDetector",
    "BinanceSecretKeyDetector",
    "HardcodedApiSecretDetector",
]

VERIFY_ENV = "BINANCE_SECRETS_DETECT_SECRETS_VERIFY"
_OPT_IN_VALUES = frozenset({"1", "true", "yes", "on"})
# detect-secrets runs plugin verification only while this filter is configured (no `--no-verify`).
_VERIFICATION_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
_DEFAULT_MIN_CONFIDENCE = "medium"  # the default of `binance-secrets scan`

_FileKey = tuple[str, int, int, int]

# Where detect-secrets finds the filter below: a module path, the same on every machine, unlike the
# plugin's own `file://` path.
SCOPED_HEURISTICS_FILTER = "binance_secrets.detect_secrets_plugin.heuristics_except_for_binance_rules"
_HEURISTIC = "detect_secrets.filters.heuristic."
# The default heuristics our detector supersedes: it judges call arguments, ids, `$`-prefixed, digit-only
# and placeholder values itself. The file-level ones (`is_lock_file`, `is_swagger_file`) stay where they
# are: moving them would make every other plugin read whole lock files only to throw the results away.
SUPERSEDED_HEURISTICS = (
    _HEURISTIC + "is_indirect_reference",
    _HEURISTIC + "is_likely_id_string",
    _HEURISTIC + "is_not_alphanumeric_string",
    _HEURISTIC + "is_potential_uuid",
    _HEURISTIC + "is_prefixed_with_dollar_sign",
    _HEURISTIC + "is_sequential_string",
    _HEURISTIC + "is_templated_secret",
)
# detect-secrets applies these to lines, before the plugins, except in `scan --string`, which applies no
# line filter at all: the moved filter must not start applying them there.
_LINE_HEURISTICS = frozenset({_HEURISTIC + "is_indirect_reference"})
_ADHOC_FILENAME = "adhoc-string-scan"  # detect-secrets' file name for `scan --string`


class _BinanceDetector(BasePlugin):
    """Reports the findings of one rule on the line detect-secrets is looking at."""

    rule_id = ""

    def __init__(self, min_confidence: str = _DEFAULT_MIN_CONFIDENCE) -> None:
        if min_confidence not in CONFIDENCE_ORDER:
            # detect-secrets reports a TypeError at initialisation as "Unable to initialize plugin".
            raise TypeError(f"min_confidence must be one of low, medium, high, not {min_confidence!r}")
        self.min_confidence = min_confidence
        # detect-secrets asks for a verdict twice per secret (analyze_line, then its filter).
        self._verdicts: dict[str, VerifiedResult] = {}
        # The file whose findings on lines detect-secrets never asks about were already reported.
        self._tail_reported: _FileKey | None = None
        _scope_heuristics_to_other_plugins()

    def json(self) -> dict[str, Any]:
        # Recorded in the baseline's `plugins_used`, and given back to __init__ when it is loaded.
        return {"name": type(self).__name__, "min_confidence": self.min_confidence}

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for finding in _detect_text([string], "adhoc-string-scan"):
            if self._reports(finding) and finding.secret is not None:  # detect() always sets it
                yield finding.secret

    def analyze_line(
        self,
        filename: str,
        line: str,
        line_number: int = 0,
        context: Any = None,
        **kwargs: Any,
    ) -> set[PotentialSecret]:
        output: set[PotentialSecret] = set()
        for reported_line, finding in self._findings_for(filename, line, line_number, context):
            secret = finding.secret  # detect() always sets it
            if secret is None or not self._reports(finding):
                continue
            is_verified = False
            if _VERIFICATION_FILTER in get_settings().filters:
                is_verified = self.verify(secret, context) == VerifiedResult.VERIFIED_TRUE
            output.add(
                PotentialSecret(
                    type=self.secret_type,
                    filename=filename,
                    secret=secret,
                    line_number=reported_line,
                    is_verified=is_verified,
                )
            )
        return output

    def verify(self, secret: str, context: Any = None) -> VerifiedResult:
        """Live check, only with the explicit opt-in; never raises, never prints the secret."""
        if os.environ.get(VERIFY_ENV, "").strip().lower() not in _OPT_IN_VALUES:
            return VerifiedResult.UNVERIFIED
        pair = _pair_of(secret, context)
        if pair is None:
            # No partner in sight: a key alone cannot be checked (README "Live verification"), so no request is sent.
            return VerifiedResult.UNVERIFIED
        identity = hashlib.sha256("\0".join(part or "" for part in pair.parts()).encode()).hexdigest()
        if identity not in self._verdicts:
            self._verdicts[identity] = _verify_pair(pair)
        return self._verdicts[identity]

    def _findings_for(self, filename: str, line: str, line_number: int, context: Any) -> list[tuple[int, Finding]]:
        """The findings to report for the line detect-secrets asks about, each with its line number.

        Whole-file detection when the file is there to read, so that context, pairing and multi-line
        PEM keys are judged exactly as `binance-secrets scan` judges them; otherwise the snippet of
        lines detect-secrets hands over (`scan --string`, diffs).
        """
        if line_number > 0 and _load_file(filename):
            found = [(line_number, finding) for finding in _last_file.by_line.get(line_number, [])]
            if _last_file.key != self._tail_reported:
                asked = _lines_asked(context)
                if asked is not None:
                    # Near the end of the lines detect-secrets goes through: a YAML or INI file it
                    # transformed ends with the last key, before a block value that closes the file
                    # does. What lies beyond is reported now, once, under that last line: the line
                    # where detect-secrets puts the value (its own plugins report it there), and one
                    # that `audit` can show (it indexes the transformed lines by line number).
                    self._tail_reported = _last_file.key
                    found += [(asked, finding) for finding in _last_file.findings if finding.line > asked]
            return found
        lines, target = _snippet_lines(line, context)
        return [(line_number, finding) for finding in _detect_text(lines, filename) if finding.line == target + 1]

    def _reports(self, finding: Finding) -> bool:
        return (
            finding.rule_id == self.rule_id
            and CONFIDENCE_ORDER[finding.confidence] >= CONFIDENCE_ORDER[self.min_confidence]
        )


class BinanceApiKeyDetector(_BinanceDetector):
    """64-character Binance API keys."""

    secret_type = _rules.API_KEY.secret_type
    rule_id = _rules.API_KEY.id


class BinanceSecretKeyDetector(_BinanceDetector):
    """64-character Binance HMAC secret keys."""

    secret_type = _rules.SECRET_KEY.secret_type
    rule_id = _rules.SECRET_KEY.id


class BinancePrivateKeyDetector(_BinanceDetector):
    """PEM private keys (Ed25519, RSA) of self-generated Binance API keys."""

    secret_type = _rules.PRIVATE_KEY.secret_type
    rule_id = _rules.PRIVATE_KEY.id


class HardcodedApiSecretDetector(_BinanceDetector):
    """String literals assigned to API-secret-like names."""

    secret_type = _rules.CREDENTIAL.secret_type
    rule_id = _rules.CREDENTIAL.id


# How the filter below recognises our plugins: by secret type, whichever copy of this module (the file
# detect-secrets loads by path, or the package module it imports the filter from) defined their class.
_SECRET_TYPES = frozenset(detector.secret_type for detector in _BinanceDetector.__subclasses__())


# --- which findings sit on a line ---------------------------------------------------------------


class _LastFile:
    """The findings of the file being scanned: detect-secrets asks line by line, per plugin."""

    def __init__(self) -> None:
        self.key: _FileKey | None = None
        self.findings: tuple[Finding, ...] = ()
        self.by_line: dict[int, list[Finding]] = {}


_last_file = _LastFile()


# detect-secrets' CodeSnippet holds up to this many lines after the target (`get_code_snippet`).
_SNIPPET_LINES_AFTER = 5


def _lines_asked(context: Any) -> int | None:
    """How many lines detect-secrets goes through in this file, once its snippet reaches their end."""
    lines = getattr(context, "lines", None)
    target = getattr(context, "target_index", None)
    start = getattr(context, "start_line", None)
    if not isinstance(lines, list) or not isinstance(target, int) or not isinstance(start, int):
        return None
    if len(lines) - 1 - target >= _SNIPPET_LINES_AFTER:
        return None  # more lines may follow
    return start + len(lines)


def _load_file(filename: str) -> bool:
    try:
        status = os.stat(filename)
    except (OSError, ValueError):
        return False
    if not stat.S_ISREG(status.st_mode):
        return False
    key = (os.path.abspath(filename), status.st_mtime_ns, status.st_size, status.st_ino)
    if key == _last_file.key:
        return True
    shown = display_path(filename)

    def file_findings(chunk: Chunk) -> list[Finding]:
        # Archive members have lines of their own, which detect-secrets never asks about.
        return detect(chunk.data, chunk.path, first_line=chunk.first_line) if chunk.path == shown else []

    # Every confidence kept: each detector class applies its own threshold, detect-secrets the rest.
    scan = ChunkScan(FindingFilter(min_confidence="low"), file_findings)
    try:
        scan.chunks(read_chunks(FileTarget(filename, shown)))
    except OSError:
        return False
    findings = scan.findings
    by_line: dict[int, list[Finding]] = {}
    for finding in findings:
        by_line.setdefault(finding.line, []).append(finding)
    _last_file.key, _last_file.findings, _last_file.by_line = key, tuple(findings), by_line
    return True


def _snippet_lines(line: str, context: Any) -> tuple[list[str], int]:
    """The lines around the target (detect-secrets' CodeSnippet) and the target's index in them."""
    lines = getattr(context, "lines", None)
    target = getattr(context, "target_index", None)
    if not lines or not isinstance(target, int) or not 0 <= target < len(lines):
        return [line], 0
    # Lines read from a file keep their newline; transformed or audited ones do not.
    return [str(text).rstrip("\r\n") for text in lines], target


def _detect_text(lines: list[str], path: str) -> list[Finding]:
    return detect("\n".join(lines).encode("utf-8", "replace"), path)


# --- detect-secrets' heuristics, for the other plugins only ----------------------------------------


def _scope_heuristics_to_other_plugins() -> None:
    """Move the default heuristics our detector supersedes into `heuristics_except_for_binance_rules`.

    Runs whenever detect-secrets sets up one of our detectors, before it scans anything (and again in
    each of its worker processes, where it finds the work already done). A heuristic the user disabled
    stays disabled. The baseline's `filters_used` then lists our filter, with the heuristics it applies
    to the other plugins, instead of those heuristics.
    """
    settings = get_settings()
    moved = [path for path in SUPERSEDED_HEURISTICS if path in settings.filters]
    if not moved:
        return
    already = settings.filters.get(SCOPED_HEURISTICS_FILTER, {}).get("heuristics", [])
    settings.disable_filters(*moved)
    settings.filters[SCOPED_HEURISTICS_FILTER] = {"heuristics": sorted({*already, *moved})}
    get_filters.cache_clear()


def heuristics_except_for_binance_rules(filename: str, secret: str, line: str, plugin: Any) -> bool:
    """A detect-secrets filter: True (drop the secret) when one of the heuristics it holds drops it.

    It applies them, with the same arguments, to the secrets of every plugin but ours, so detect-secrets'
    own plugins report what they reported when the heuristics were filters of their own. A line-level
    heuristic now runs after the plugins instead of before them: same results, and our plugin gets to
    see the line. detect-secrets calls this only once a plugin has found a secret (it needs `secret` and
    `plugin`); called for a bare line, the missing arguments make it skip this filter, as it does for
    its own `is_likely_id_string`.
    """
    if getattr(plugin, "secret_type", None) in _SECRET_TYPES:
        return False
    arguments = {"filename": filename, "secret": secret, "line": line, "plugin": plugin}
    config = get_settings().filters.get(SCOPED_HEURISTICS_FILTER, {})
    for path in config.get("heuristics", []):
        if path in _LINE_HEURISTICS and filename == _ADHOC_FILENAME:
            continue
        heuristic = _heuristic(path)
        if heuristic is None:
            continue
        # detect-secrets' own injection, by parameter name: each heuristic takes some of these four.
        wanted = inspect.signature(heuristic).parameters
        if heuristic(**{name: value for name, value in arguments.items() if name in wanted}):
            return True
    return False


def _heuristic(path: str) -> Callable[..., Any] | None:
    """One of the heuristics this filter moves, by the path detect-secrets' settings use for it."""
    # Only those are ever moved here: whatever else a baseline lists is neither imported nor called.
    if path not in SUPERSEDED_HEURISTICS:
        return None
    function = getattr(_heuristics, path[len(_HEURISTIC) :], None)
    return function if callable(function) else None


# --- verification (opt-in) ----------------------------------------------------------------------


class _Pair:
    __slots__ = ("api_key", "private_key_pem", "secret")

    def __init__(self, api_key: str, secret: str | None = None, private_key_pem: str | None = None) -> None:
        self.api_key = api_key
        self.secret = secret
        self.private_key_pem = private_key_pem

    def __repr__(self) -> str:
        return "_Pair(<redacted>)"  # never the secrets, should one end up in a log

    def parts(self) -> tuple[str | None, ...]:
        return (self.api_key, self.secret, self.private_key_pem)


def _pair_of(secret: str, context: Any) -> _Pair | None:
    """The key and its partner, looked up like detect-secrets' AWSKeyDetector does: in the lines
    around the hit first, then in the whole file being scanned (pairs up to 12 lines apart, long PEM
    keys)."""
    if context is not None:
        lines, _ = _snippet_lines(secret, context)
        pair = _pair_among(secret, _detect_text(lines, "snippet"))
        if pair is not None:
            return pair
    return _pair_among(secret, _last_file.findings)


def _pair_among(secret: str, findings: tuple[Finding, ...] | list[Finding]) -> _Pair | None:
    by_hash = {finding.secret_sha256: finding for finding in findings}
    for finding in findings:
        if finding.secret != secret or finding.pair_sha256 is None:
            continue
        partner = by_hash.get(finding.pair_sha256)
        if partner is None:
            continue
        key, other = (finding, partner) if finding.rule_id == _rules.API_KEY.id else (partner, finding)
        if key.rule_id != _rules.API_KEY.id or key.secret is None or other.secret is None:
            continue
        if other.rule_id == _rules.SECRET_KEY.id:
            return _Pair(key.secret, secret=other.secret)
        if other.rule_id == _rules.PRIVATE_KEY.id:
            return _Pair(key.secret, private_key_pem=other.secret)
    return None


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    # The same refusal for every pair of every file would bury the scan's own output.
    if message not in _warned:
        _warned.add(message)
        print(f"binance-secrets plugin: {message}", file=sys.stderr)


def _verify_pair(pair: _Pair) -> VerifiedResult:
    # Imported here: the HTTP client is needed only by users who opted in.
    from binance_secrets.errors import UserError

    try:
        from binance_secrets.verification.batch import verify_credentials, verify_settings_from_env

        verification = verify_credentials(
            pair.api_key,
            secret=pair.secret,
            private_key_pem=pair.private_key_pem,
            settings=verify_settings_from_env(),
        )
    except UserError as error:  # e.g. a refused BINANCE_SECRETS_API_URL: say so, keep scanning
        _warn_once(f"verification skipped: {error}")
        return VerifiedResult.UNVERIFIED
    except Exception as error:  # a plugin must not crash the user's scan; "unknown" is the honest answer
        _warn_once(f"verification failed ({type(error).__name__})")
        return VerifiedResult.UNVERIFIED
    if verification.status == "live":
        return VerifiedResult.VERIFIED_TRUE
    if verification.status == "rejected":
        return VerifiedResult.VERIFIED_FALSE
    return VerifiedResult.UNVERIFIED


# --- `python -m binance_secrets.detect_secrets_plugin audit ...` ------------------------------------


def main(argv: list[str] | None = None) -> int:
    """detect-secrets' own command line, with the baseline's custom plugins known from the start.

    detect-secrets 1.5 `audit` builds its table of secret types before it reads the baseline, so the
    types of every custom plugin are unknown to it and it fails with a TypeError (Yelp/detect-secrets
    issue #611). Loading the baseline's plugin settings first lets that table include them; the
    command itself is detect-secrets', unchanged.
    """
    from detect_secrets.core.baseline import load_from_file
    from detect_secrets.main import main as detect_secrets_main
    from detect_secrets.settings import configure_settings_from_baseline

    args = list(sys.argv[1:] if argv is None else argv)
    if "audit" in args:
        for argument in args[args.index("audit") + 1 :]:
            if argument.startswith("-") or not os.path.isfile(argument):
                continue
            # Not a baseline: detect-secrets itself reports that below, in its own words.
            with contextlib.suppress(Exception):
                configure_settings_from_baseline(load_from_file(argument))
    return int(detect_secrets_main(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
