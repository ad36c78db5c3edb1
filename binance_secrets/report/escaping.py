"""How reports write text they did not write themselves: paths, author names, server reasons, errors.

Paths reach reporters as `str` the way `os.fsdecode` makes them: a byte that is not valid UTF-8 is a lone
surrogate (U+DC80..U+DCFF), which no UTF-8 encoder accepts. Every report writes a path in one lossless,
printable form (`path_text`):

- each byte that is not part of valid UTF-8 is written `\\xNN` (two lowercase hex digits);
- each backslash is written `\\\\`, so that a name holding the four characters `\\xff` stays distinct;
- everything else is kept.

The text and GitHub formats go to terminals and CI logs, so they also escape control characters
(`log_text`): C0 and DEL as `\\xNN`, C1, line separators and bidirectional overrides as `\\uNNNN`, and
neutralise what a GitHub runner would take for a workflow command (a line starting with `::`, or holding
`##[` anywhere) by writing one of its characters `\\xNN`. Applied to `path_text`, this stays lossless:
`path_from_text` reads both forms back into the original path.
"""

from __future__ import annotations

import re

# Lone surrogates (escaped bytes or stray ones) and the backslash: what `path_text` rewrites.
_PATH_SPECIALS = re.compile(r"[\\\ud800-\udfff]")
_TEXT_SPECIALS = re.compile(r"[\ud800-\udfff]")
# Control characters, line and paragraph separators, and bidirectional controls that could reorder or
# hide what a log shows (the "Trojan Source" characters).
# (No re.VERBOSE here: whitespace inside a character class would be one of its members.)
_LOG_SPECIALS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What the runner parses as a command: `::name ...::` after leading whitespace (.NET `TrimStart`), or the
# legacy `##[name ...]` anywhere in a line.
_LEADING_COMMAND = re.compile(r"\A(\s*):(?=:)")
_LEGACY_COMMAND = "##["
# Reading back: `\\`, `\xNN` and `\uNNNN`; a backslash followed by anything else is itself.
_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})")


def _surrogate(character: str) -> str:
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte os.fsdecode could not decode
    return f"\\u{code:04x}"


def _path_special(match: re.Match[str]) -> str:
    character = match.group()
    return "\\\\" if character == "\\" else _surrogate(character)


def path_text(path: str) -> str:
    """A path as every report writes it: valid UTF-8, lossless (see the module docstring)."""
    return _PATH_SPECIALS.sub(_path_special, path)


def utf8_text(text: str) -> str:
    """Free text (a commit summary, a reason) made valid UTF-8: lone surrogates become `\\xNN`."""
    return _TEXT_SPECIALS.sub(lambda match: _surrogate(match.group()), text)


def _log_special(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if 0xD800 <= code <= 0xDFFF:
        return _surrogate(character)
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def log_text(text: str) -> str:
    """Free text as a terminal or CI log may show it: one line, no escape sequences, no workflow command."""
    escaped = _LOG_SPECIALS.sub(_log_special, text)
    escaped = _LEADING_COMMAND.sub(lambda match: match.group(1) + "\\x3a", escaped, count=1)
    return escaped.replace(_LEGACY_COMMAND, "#\\x23[")


def log_path(path: str) -> str:
    """A path in the text and GitHub formats: `path_text`, then `log_text`; still lossless."""
    return log_text(path_text(path))


def _unescape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape == "\\":
        return "\\"
    code = int(escape[1:], 16)
    if escape[0] == "x" and code >= 0x80:
        return chr(0xDC00 + code)  # back to the surrogate os.fsdecode made of that byte
    if 0xD800 <= code <= 0xDFFF:
        return match.group()  # never a stray surrogate: no encoder downstream would accept it
    return chr(code)


def path_from_text(text: str) -> str:
    """The inverse of `path_text` and `log_path`: the path as `os.fsdecode` gives it."""
    return _ESCAPE.sub(_unescape, text)


def path_bytes(path: str) -> bytes:
    """The file name's bytes, for percent-encoding."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # A surrogate that is no escaped byte (not from os.fsdecode): keep its printable form.
        return path_text(path).encode("utf-8")
