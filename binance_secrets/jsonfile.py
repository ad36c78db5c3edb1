"""Reading a JSON file a user named (a baseline, a report), with errors that say which and why."""

from __future__ import annotations

from typing import Any

from binance_secrets.errors import UsageError


def read_json_file(path: str, what: str) -> Any:
    """The parsed document, or a UsageError naming `what` (e.g. "baseline") and the problem."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {what} {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{what} {path} is not JSON: {error}") from None
    except RecursionError:
        raise UsageError(f"{what} {path} is nested too deeply to be a {what}") from None
    except ValueError:  # e.g. an integer longer than Python's 4300-digit limit
        raise UsageError(f"{what} {path} is not usable JSON: a value out of range") from None
