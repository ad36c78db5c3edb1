"""SARIF 2.1.0 for GitHub code scanning. It never holds the secret, not even redacted.

`artifactLocation.uri` is a URI reference (RFC 3986): the path's bytes percent-encoded, so that spaces,
`%`, `#`, `?`, `:`, non-ASCII and bytes that are not UTF-8 all make a valid, lossless reference.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from binance_secrets import __version__
from binance_secrets.finding import Finding, sha256_hex
from binance_secrets.report.escaping import path_bytes, utf8_text
from binance_secrets.result import ScanError, ScanResult
from binance_secrets.rules import RULES, RULES_BY_ID, Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/binance-secrets/"
FINGERPRINT_KEY = "binanceSecrets/v1"
REPOSITORY_FINGERPRINT_KEY = "binanceSecretsRepository/v1"


# RFC 3986 unreserved characters stay; `/` separates segments; everything else is percent-encoded.
_URI_SAFE = "/"
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:/")


def artifact_location(path: str) -> dict[str, str]:
    """A relative path against `%SRCROOT%`; a path outside the scanned root as a `file:` URI."""
    encoded = quote(path_bytes(path), safe=_URI_SAFE)
    if path.startswith("/"):
        return {"uri": "file://" + encoded}
    if _WINDOWS_DRIVE.match(path):
        return {"uri": "file:///" + path[:2] + quote(path_bytes(path[2:]), safe=_URI_SAFE)}
    return {"uri": encoded, "uriBaseId": "%SRCROOT%"}


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.sarif_name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.sarif_help, "markdown": rule.sarif_help},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["security", "secret", "external/cwe/cwe-798"],
            "precision": "high",
            "security-severity": rule.security_severity,
        },
    }


def _level(finding: Finding) -> str:
    if finding.verification is not None and finding.verification.status == "live":
        return "error"
    return "error" if finding.confidence == "high" else "warning"


def _message(finding: Finding) -> str:
    text = f"{RULES_BY_ID[finding.rule_id].title} committed ({finding.confidence} confidence)"
    if finding.verification is not None:
        text += f", verification: {finding.verification.status}"
        if finding.verification.risk:
            text += f", risk: {finding.verification.risk}"
    if finding.commit is not None:
        text += f", first added in commit {finding.commit.sha[:12]}"
    if finding.repository is not None:
        text += f", in repository {utf8_text(finding.repository)}"
    return text + ". Revoke it in Binance API Management, then remove it from history."


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    properties: dict[str, Any] = {"confidence": finding.confidence, "kind": finding.kind}
    if finding.commit is not None:
        properties["commit"] = finding.commit.sha
        properties["inHead"] = finding.in_head
    if finding.environment_hint is not None:
        properties["environmentHint"] = finding.environment_hint
    fingerprints = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.repository is not None:
        # Multi-repository audits: one run, paths relative to each repository's root (%SRCROOT%, the only
        # base code scanning resolves), the repository as a property and in a fingerprint of its own, so
        # that the same secret at the same path of two repositories stays two results.
        properties["repository"] = utf8_text(finding.repository)
        fingerprints[REPOSITORY_FINGERPRINT_KEY] = sha256_hex(f"{finding.repository}\n{finding.fingerprint}")
    if finding.verification is not None:
        properties["verification"] = finding.verification.status
        properties["risk"] = finding.verification.risk
        if finding.verification.environment is not None:
            properties["environment"] = finding.verification.environment
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index[finding.rule_id],
        "level": _level(finding),
        "message": {"text": _message(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(finding.path),
                    "region": {
                        "startLine": finding.line,
                        "startColumn": finding.column,
                        "endLine": finding.line,
                        "endColumn": finding.end_column,
                    },
                }
            }
        ],
        "partialFingerprints": fingerprints,
        "properties": properties,
    }


def report_to_sarif(result: ScanResult) -> dict[str, Any]:
    rule_index = {rule.id: index for index, rule in enumerate(RULES)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "binance-secrets",
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in RULES],
                    }
                },
                "results": [_result(finding, rule_index) for finding in result.findings],
                "invocations": [
                    {
                        "executionSuccessful": not result.failed,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {"text": _notification(error)},
                                "locations": [
                                    {"physicalLocation": {"artifactLocation": artifact_location(error.path)}}
                                ],
                            }
                            for error in result.errors
                        ],
                    }
                ],
            }
        ],
    }


def _notification(error: ScanError) -> str:
    if error.repository is None:
        return utf8_text(error.message)
    return f"{utf8_text(error.repository)}: {utf8_text(error.message)}"


def render(result: ScanResult) -> str:
    return json.dumps(report_to_sarif(result), indent=2) + "\n"
