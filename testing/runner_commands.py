"""What a GitHub Actions runner would act on in a step's output, and how it reads `GITHUB_OUTPUT`.

A faithful port of the parsing in actions/runner (`ActionCommand.TryParseV2` for `::name props::data`
after leading whitespace, `ActionCommand.TryParse` for the legacy `##[name props]data` anywhere in a line,
and the file-command reader for `NAME=value` / `NAME<<DELIMITER` entries), so tests can assert that only
the commands the tool meant to issue are issued, whatever file names and event strings it printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The runner's registered commands (actions/runner `ActionCommandManager` extensions).
REGISTERED = frozenset({
    "add-mask", "add-matcher", "remove-matcher", "debug", "notice", "warning", "error", "group", "endgroup",
    "echo", "save-state", "set-output", "set-env", "add-path", "stop-commands", "internal-set-repo-path",
})  # fmt: skip
_DATA_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_LEGACY_ESCAPES = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))
# .NET `char.IsWhiteSpace`, which `string.TrimStart()` strips: Zs, Zl, Zp, U+0009..U+000D, U+0085, U+00A0.
_DOTNET_WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"  # noqa: E501


@dataclass(frozen=True)
class Command:
    name: str
    properties: dict[str, str] = field(hash=False)
    data: str


def _unescape(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in escapes:
        text = text.replace(escaped, plain)
    return text


def log_lines(text: str) -> list[str]:
    """Lines as the runner reads them (.NET `ReadLine`: `\\n`, `\\r` and `\\r\\n` all end a line)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _parse_v2(line: str) -> Command | None:
    message = line.lstrip(_DOTNET_WHITESPACE)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    name, _, properties_text = info.partition(" ")
    if name not in REGISTERED:
        return None
    properties = {}
    for item in properties_text.strip().split(","):
        key, equals, value = item.partition("=")
        if item and equals and key and value:
            properties[key] = _unescape(value, _PROPERTY_ESCAPES)
    return Command(name, properties, _unescape(message[end + 2 :], _DATA_ESCAPES))


def _parse_legacy(line: str) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    info = line[start + 3 : end]
    name, _, properties_text = info.partition(" ")
    if name not in REGISTERED:
        return None
    properties = {}
    for item in properties_text.split(";"):
        key, equals, value = item.partition("=")
        if item and equals and key and value:
            properties[key] = _unescape(value, _LEGACY_ESCAPES)
    return Command(name, properties, _unescape(line[end + 1 :], _LEGACY_ESCAPES))


def commands(output: str) -> list[Command]:
    """Every workflow command a runner would execute in this output (stdout or stderr of a step)."""
    found = []
    for line in log_lines(output):
        command = _parse_v2(line) or _parse_legacy(line)
        if command is not None:
            found.append(command)
    return found


def read_file_command(text: str) -> dict[str, str]:
    """`GITHUB_OUTPUT` / `GITHUB_ENV` as the runner reads them; raises where the runner fails the step."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if heredoc >= 0 and (equals < 0 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name or not delimiter:
                raise ValueError(f"invalid entry {line!r}")
            body = []
            while True:
                if index >= len(lines):
                    raise ValueError(f"no closing delimiter {delimiter!r}")
                current = lines[index]
                index += 1
                if current == delimiter:
                    break
                body.append(current)
            values[name] = "\n".join(body)
        elif equals >= 0:
            name, value = line[:equals], line[equals + 1 :]
            if not name:
                raise ValueError(f"invalid entry {line!r}")
            values[name] = value
        else:
            raise ValueError(f"invalid entry {line!r}")
    return values
