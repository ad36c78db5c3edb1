"""`binance-secrets verify`: is this credential live, and what can it do? (opt-in network use)

Credentials come from options or, so that they stay out of shell history, from BINANCE_API_KEY,
BINANCE_API_SECRET and BINANCE_PRIVATE_KEY_FILE; or they are the pairs of an existing JSON report.
Exit 1 when at least one credential is confirmed live, else 0.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from binance_secrets.commands.common import endpoint_options
from binance_secrets.errors import UsageError
from binance_secrets.exit_codes import ExitCode
from binance_secrets.finding import Finding, Verification
from binance_secrets.output import OutputOptions, wants_color, warn, write_report
from binance_secrets.result import ScanResult, ScanStats
from binance_secrets.rules import API_KEY
from binance_secrets.verification.batch import VerifySettings, verify_settings


@click.command("verify")
@click.option("--api-key", envvar="BINANCE_API_KEY", metavar="KEY", help="API key [env: BINANCE_API_KEY].")
@click.option(
    "--secret", envvar="BINANCE_API_SECRET", metavar="SECRET", help="HMAC secret key [env: BINANCE_API_SECRET]."
)
@click.option(
    "--private-key",
    envvar="BINANCE_PRIVATE_KEY_FILE",
    metavar="PEMFILE",
    type=click.Path(dir_okay=False),
    help="PKCS#8 PEM private key of an Ed25519 or RSA key [env: BINANCE_PRIVATE_KEY_FILE].",
)
@click.option(
    "--private-key-passphrase-env",
    metavar="VAR",
    help="Read the PEM passphrase from environment variable VAR (else it is prompted for on a terminal).",
)
@click.option(
    "--report",
    "report_path",
    metavar="FILE",
    help="Verify the pairs of this JSON report and print the enriched report.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="With --report: the folder that was scanned, to recover redacted secrets from.",
)
@endpoint_options
@click.option("-f", "--format", "format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--show-secrets", is_flag=True, help="Print full secrets instead of redacted ones.")
@click.option("-q", "--quiet", is_flag=True, help="Print results only, no summary.")
@click.pass_context
def verify_command(
    ctx: click.Context,
    /,
    api_key: str | None,
    secret: str | None,
    private_key: str | None,
    private_key_passphrase_env: str | None,
    report_path: str | None,
    root: str,
    endpoint: str,
    api_url: str | None,
    timeout: float,
    format: str,
    output: str | None,
    show_secrets: bool,
    quiet: bool,
) -> int:
    """Check Binance credentials live: live, rejected or unknown, with permissions and risk."""
    # A refused URL is a usage error before anything else happens, a connection least of all.
    settings = verify_settings(endpoint, api_url, timeout)
    options = OutputOptions(format=format, output=output, show_secrets=show_secrets, quiet=quiet)
    if report_path is not None:
        if api_key and ctx.get_parameter_source("api_key") == click.core.ParameterSource.COMMANDLINE:
            raise UsageError("give either --report or --api-key, not both")
        return _verify_report(report_path, Path(root), settings, options)
    if not api_key:
        raise UsageError(
            "nothing to verify: give --api-key (or BINANCE_API_KEY) with --secret or --private-key, or --report FILE"
        )
    source = ctx.get_parameter_source("api_key")
    credential = Credential(
        api_key=api_key.strip(),
        secret=secret.strip() if secret else None,
        private_key_file=private_key or None,
        passphrase_env=private_key_passphrase_env,
        path="<environment>" if source == click.core.ParameterSource.ENVIRONMENT else "<command line>",
    )
    return _verify_one(credential, settings, options)


@dataclass(frozen=True)
class Credential:
    """One credential from the command line or the environment, as `verify` was given it."""

    api_key: str = field(repr=False)
    secret: str | None = field(repr=False)  # an HMAC secret
    private_key_file: str | None  # or the PEM file of an Ed25519/RSA key
    passphrase_env: str | None  # the variable holding the PEM's passphrase, if it is encrypted
    path: str  # what the report shows as the finding's path: <command line> or <environment>


def _verify_one(credential: Credential, settings: VerifySettings, options: OutputOptions) -> int:
    from binance_secrets.verification.batch import verify_credentials

    pem_path = credential.private_key_file
    if credential.secret and pem_path:
        raise UsageError("give either --secret or --private-key, not both")
    if not credential.secret and not pem_path:
        raise UsageError(
            "--api-key needs its secret: --secret (or BINANCE_API_SECRET) or --private-key PEMFILE; "
            "no key-only check exists"
        )
    pem = _read_pem(pem_path) if pem_path else None
    passphrase = _passphrase(credential.passphrase_env, pem_path) if pem and "ENCRYPTED" in pem else None
    verification = verify_credentials(
        credential.api_key,
        secret=credential.secret or None,
        private_key_pem=pem,
        passphrase=passphrase,
        settings=settings,
    )
    finding = Finding(
        rule_id=API_KEY.id,
        confidence="high",
        path=credential.path,
        line=1,
        column=1,
        end_column=len(credential.api_key) + 1,
        secret=credential.api_key,
        verification=verification,
    )
    result = ScanResult((finding,), (), ScanStats())
    _write(result, options, json_document=None)
    return _exit_code([verification])


def _verify_report(report_path: str, root: Path, settings: VerifySettings, options: OutputOptions) -> int:
    """The findings of a JSON report verified, written back into that report (its other fields kept as they
    were). Findings the reader refuses are left as they are, unverified: a report may come from anywhere."""
    from binance_secrets.report.json_report import load_report, verification_to_dict
    from binance_secrets.verification.batch import verify_findings
    from binance_secrets.verification.report_input import recover_secrets

    report = load_report(report_path)
    for problem in report.problems:
        warn(f"warning: {report.source}: {problem}; that finding is left unverified")
    entries = recover_secrets(report, root)
    findings = verify_findings([finding for _, finding in entries], settings)
    for (index, _), finding in zip(entries, findings, strict=True):
        raw = report.document["findings"][index]
        raw["verification"] = verification_to_dict(finding.verification)
        if finding.secret is not None:
            raw["secret"] = finding.shown(options.show_secrets)
    result = ScanResult(tuple(findings), (), ScanStats())
    _write(result, options, json_document=report.document)
    return _exit_code([f.verification for f in findings if f.verification is not None])


def _read_pem(path: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise UsageError(f"private key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        # Never the file's content: only why it could not be read.
        reason = error.strerror if isinstance(error, OSError) else "not a text PEM file"
        raise UsageError(f"cannot read private key file {path}: {reason}") from None


def _passphrase(variable: str | None, pem_path: str | None) -> bytes:
    if variable:
        value = os.environ.get(variable)
        if value is None:
            raise UsageError(f"--private-key-passphrase-env {variable}: that environment variable is not set")
        return value.encode("utf-8")
    if sys.stdin.isatty():
        value = click.prompt(f"Passphrase for {pem_path}", hide_input=True, err=True)
        return str(value).encode("utf-8")
    raise UsageError(
        f"{pem_path} is encrypted: give its passphrase with --private-key-passphrase-env VAR "
        "(or run on a terminal to be prompted)"
    )


def _write(result: ScanResult, options: OutputOptions, *, json_document: dict[str, Any] | None) -> None:
    if options.format == "json":
        if json_document is not None:
            report = json.dumps(json_document, indent=2) + "\n"
        else:
            from binance_secrets.report import json_report

            report = json_report.render(result, show_secrets=options.show_secrets)
    else:
        from binance_secrets.report import text

        report = text.render(result, show_secrets=options.show_secrets, color=wants_color(options), quiet=True)
        if not options.quiet:
            report += _summary([f.verification for f in result.findings if f.verification is not None]) + "\n"
    write_report(report, options.output)


def _summary(verifications: list[Verification]) -> str:
    counts = {status: sum(v.status == status for v in verifications) for status in ("live", "rejected", "unknown")}
    return (
        f"Verified {len(verifications)} credential(s): {counts['live']} live, "
        f"{counts['rejected']} rejected, {counts['unknown']} unknown."
    )


def _exit_code(verifications: list[Verification]) -> int:
    return ExitCode.FINDINGS if any(v.status == "live" for v in verifications) else ExitCode.CLEAN
