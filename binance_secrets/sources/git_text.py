"""Free text copied from git into reports, with every secret in it redacted.

Commit summaries, author and tagger names and addresses, and git's own error lines (which quote ref
names and paths) are written by whoever made the repository. Reports carry them, and a JSON report
is what a baseline is, which the README calls safe to commit: so whatever the detector finds in them,
at any confidence, is replaced by its redacted form, and so is every long run of the characters keys
are made of, which a one-line summary may hold with no context for the detector to go on.
"""

from __future__ import annotations

import re

from binance_secrets.finding import redact

# The label the detector sees: the text is message-like, and a path changes no rule's outcome here.
FREE_TEXT_PATH = "<commit message>"
# 64 or more of the characters of keys, hex secrets and base64 bodies (a PEM line, an encoded key).
# One character class with a bound: linear on any input.
_LONG_RUN = re.compile(r"[A-Za-z0-9+/]{64,}")


def redact_free_text(text: str) -> str:
    if not text:
        return text
    from binance_secrets.detectors import detect  # only paid when there is text to look at

    findings = detect(text.encode("utf-8", "surrogateescape"), FREE_TEXT_PATH)
    line_starts = [0]
    line_starts.extend(index + 1 for index, character in enumerate(text) if character == "\n")
    spans = []
    for finding in findings:
        if 1 <= finding.line <= len(line_starts):
            start = line_starts[finding.line - 1] + finding.column - 1
            spans.append((start, min(start + max(finding.end_column - finding.column, 1), len(text))))
    redacted = _redact_spans(text, spans)
    # A decoded value (base64 in a `*_B64` name) is reported by the secret it decodes to: the span
    # above covers its encoded form; the plain value is replaced wherever it still appears.
    for secret in sorted({finding.secret or "" for finding in findings}, key=len, reverse=True):
        if secret and secret in redacted:
            redacted = redacted.replace(secret, redact(secret))
    return _LONG_RUN.sub(lambda match: redact(match.group()), redacted)


def _redact_spans(text: str, spans: list[tuple[int, int]]) -> str:
    pieces = []
    cursor = 0
    for start, end in sorted(spans):
        start = max(start, cursor)
        if start >= end:
            continue
        pieces.append(text[cursor:start])
        pieces.append(redact(text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
