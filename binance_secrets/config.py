"""`[tool.binance-secrets]` in pyproject.toml, or a `.binance-secrets.toml` file."""

from __future__ import annotations

import os
from dataclasses import dataclass

from binance_secrets.errors import UsageError
from binance_secrets.filters import CONFIDENCE_ORDER

# typing.TYPE_CHECKING without importing typing: the pre-commit hook loads this module (README "Performance").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CONFIG_FILE_NAMES = (".binance-secrets.toml", "pyproject.toml")
_KNOWN_KEYS = frozenset({"exclude", "allow", "min-confidence", "max-file-size"})


@dataclass(frozen=True)
class Config:
    exclude: tuple[str, ...] = ()
    allow: frozenset[str] = frozenset()  # secret_sha256 values
    min_confidence: str | None = None
    max_file_size: int | None = None  # bytes; history blobs above it are skipped with a warning
    source: str | None = None


def _toml() -> Any:
    """tomllib (3.11+) or its backport, imported only when a config file is actually read."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    return tomllib


def find_config(directory: str | os.PathLike[str]) -> str | None:
    for name in CONFIG_FILE_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            if name == "pyproject.toml" and not _pyproject_has_section(candidate):
                continue
            return candidate
    return None


def load_config(explicit: str | None, directory: str | os.PathLike[str]) -> Config:
    path = explicit or find_config(directory)
    if path is None:
        return Config()
    document = _parse_toml(path)
    return _parse(_settings_table(document, path), path)


def _parse_toml(path: str) -> dict[str, Any]:
    tomllib = _toml()
    try:
        document: dict[str, Any] = tomllib.loads(_read_text(path))
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read config file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config file {path} is not valid TOML: {error}") from None
    except RecursionError:
        raise UsageError(f"config file {path} is nested too deeply to be a config file") from None
    return document


def _settings_table(document: dict[str, Any], path: str) -> dict[str, Any]:
    """`[tool.binance-secrets]`; in a `.binance-secrets.toml` without that table, the whole file."""
    tool = document.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise UsageError(f"{path}: `tool` must be a table")
    table = tool.get("binance-secrets") if tool else None
    if table is None:
        return {} if os.path.basename(path) == "pyproject.toml" else document
    if not isinstance(table, dict):
        raise UsageError(f"{path}: `tool.binance-secrets` must be a table ([tool.binance-secrets])")
    return table


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _pyproject_has_section(path: str) -> bool:
    tomllib = _toml()
    try:
        tool = tomllib.loads(_read_text(path)).get("tool", {})
    except (OSError, UnicodeDecodeError, RecursionError, tomllib.TOMLDecodeError):
        return False
    return isinstance(tool, dict) and "binance-secrets" in tool


def _parse(table: dict[str, Any], source: str) -> Config:
    unknown = set(table) - _KNOWN_KEYS - {"tool"}
    if unknown:
        raise UsageError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}")
    exclude = table.get("exclude", [])
    allow = table.get("allow", [])
    if not _is_string_list(exclude):
        raise UsageError(f"{source}: `exclude` must be a list of path globs")
    if not _is_string_list(allow):
        raise UsageError(f"{source}: `allow` must be a list of secret_sha256 values")
    bad_hashes = [value for value in allow if len(value) != 64 or not _is_hex(value)]
    if bad_hashes:
        raise UsageError(f"{source}: `allow` holds values that are not SHA-256 hex digests")
    min_confidence = table.get("min-confidence")
    if min_confidence is not None and (not isinstance(min_confidence, str) or min_confidence not in CONFIDENCE_ORDER):
        raise UsageError(f"{source}: `min-confidence` must be one of low, medium, high")
    max_file_size = table.get("max-file-size")
    # bool is an int in Python; `max-file-size = true` is not a size.
    if max_file_size is not None and (
        isinstance(max_file_size, bool) or not isinstance(max_file_size, int) or max_file_size <= 0
    ):
        raise UsageError(f"{source}: `max-file-size` must be a positive number of bytes")
    return Config(
        exclude=tuple(exclude),
        allow=frozenset(value.lower() for value in allow),
        min_confidence=min_confidence,
        max_file_size=max_file_size,
        source=source,
    )


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_hex(value: str) -> bool:
    return all(char in "0123456789abcdefABCDEF" for char in value)
