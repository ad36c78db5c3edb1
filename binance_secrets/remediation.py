"""`history --remediation DIR`: the plan after an audit, and the file git filter-repo needs to carry it out.

`REMEDIATION.md` orders the work: revoke first (live and unverified mainnet keys before the rest), then
rewrite each repository's history with exact commands, force-push (and what that breaks), have GitHub
purge its cached views and pull-request refs, and rotate wherever the key was used. It holds no secret:
credentials are named by their redacted form and the start of their SHA-256.

`replacements.txt` is the input of `git filter-repo --replace-text` (and `--replace-message`): it holds
the secrets themselves. It is created 0600 (never readable by others, not even for an instant), only
with `--remediation`, and says at the top that it must be deleted after use. git filter-repo has no
comment syntax, so that warning is written as regular expressions that can never match (`(?!)…`).

DIR is created 0700 when missing; a DIR or a file in it that is a symbolic link is refused, so that
neither file is ever written somewhere else.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import shlex
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from binance_secrets.errors import UsageError, UserError
from binance_secrets.exit_codes import ExitCode
from binance_secrets.finding import Finding
from binance_secrets.report.escaping import log_text, path_text
from binance_secrets.result import ScanResult
from binance_secrets.rules import RULES_BY_ID

PLAN_NAME = "REMEDIATION.md"
REPLACEMENTS_NAME = "replacements.txt"
REPLACEMENT = b"***REMOVED***"
# Lines of a private key's body shorter than this are left alone: replacing a short string everywhere
# in a history could change unrelated text, and the rest of the key is useless without the long lines.
MIN_LITERAL_CHARS = 16
TEST_REALMS = frozenset({"testnet", "futures-testnet", "demo"})
_RISK_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, None: 4}
# `report.github.markdown_text`: any text as literal markdown.
_Escape = Callable[[str], str]
_WARNING = (
    "WARNING: this file holds the secrets themselves, in clear (binance-secrets --remediation).",
    "Keep it private, never commit it, never upload it. Delete it (shred -u) once the history is rewritten.",
    "These first lines are regular expressions that can never match: git filter-repo has no comments.",
)
_API_MANAGEMENT = (
    "Binance: log in at https://www.binance.com, open the profile menu → **Account** → **API Management**, "
    "find the key by its label and the first characters of its API key, and **Delete** it. Binance.US: "
    "https://www.binance.us → profile → **API Management**. A testnet key is deleted on the testnet site "
    "that issued it. A self-generated key (`binance-private-key`): delete the API key registered with that "
    "key pair's public key."
)


class RemediationNotWritten(UserError):
    """The plan could not be written after the audit ran (a full disk, a folder that went away): exit 3."""

    exit_code = ExitCode.SCAN_ERROR


@dataclass(frozen=True)
class RemediationWriter:
    folder: str
    # Finding.repository (None for a single-repository audit) -> what to clone: a URL without its
    # credentials, or an absolute path.
    origins: Mapping[str | None, str] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: str) -> RemediationWriter:
        """Create DIR 0700 when missing; refuse a symbolic link or a non-folder (exit 2)."""
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError as error:
            raise UsageError(f"--remediation: cannot create {folder}: {error.strerror or error}") from None
        info = os.lstat(folder)
        if stat.S_ISLNK(info.st_mode):
            raise UsageError(f"--remediation: {folder} is a symbolic link; refusing to write through it")
        if not stat.S_ISDIR(info.st_mode):
            raise UsageError(f"--remediation: {folder} exists and is not a folder")
        for name in (PLAN_NAME, REPLACEMENTS_NAME):
            target = os.path.join(folder, name)
            if os.path.islink(target):
                raise UsageError(f"--remediation: {target} is a symbolic link; refusing to write through it")
        return cls(os.path.abspath(folder))

    def for_repositories(self, origins: Mapping[str | None, str]) -> RemediationWriter:
        return dataclasses.replace(self, origins=dict(origins))

    def write(self, result: ScanResult) -> None:
        replacements_path = os.path.join(self.folder, REPLACEMENTS_NAME)
        lines = replacement_lines(result.findings)
        plan = render_plan(result, self.origins, replacements_path if lines else None)
        try:
            directory = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as error:
            why = error.strerror or error
            raise RemediationNotWritten(f"--remediation: cannot open {self.folder}: {why}") from None
        try:
            if lines:
                _write_at(directory, REPLACEMENTS_NAME, b"".join(line + b"\n" for line in lines), 0o600)
            _write_at(directory, PLAN_NAME, plan.encode("utf-8"), 0o644)
        except OSError as error:
            why = error.strerror or error
            raise RemediationNotWritten(f"--remediation: cannot write to {self.folder}: {why}") from None
        finally:
            os.close(directory)


def _write_at(directory: int, name: str, data: bytes, mode: int) -> None:
    """Write `name` in the open folder: a new file created with `mode` (O_EXCL, never following a link),
    then renamed over the old one, so the file is never, even briefly, readable by others or elsewhere."""
    temporary = f".{name}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary, dir_fd=directory)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=directory)
    try:
        os.fchmod(handle, mode)  # the umask may only have narrowed it; make it exactly `mode`
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        os.fsync(handle)
    except BaseException:
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=directory)
        raise
    os.close(handle)
    os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)


def replacement_lines(findings: Iterable[Finding]) -> list[bytes]:
    """`git filter-repo --replace-text` lines: the warning, then one `literal:` line per text to remove."""
    literals: dict[bytes, None] = {}
    for finding in findings:
        for literal in _literals(finding.secret or ""):
            literals.setdefault(literal, None)
    if not literals:
        return []
    warning = [b"regex:(?!)# " + _regex_safe(text) for text in _WARNING]
    # `literal:` so that a secret starting with `regex:` or `glob:` is still a literal; filter-repo splits
    # at the last `==>`, so a secret holding `==>` stays whole.
    return warning + [b"literal:" + literal + b"==>" + REPLACEMENT for literal in literals]


def _regex_safe(text: str) -> bytes:
    # Only characters that mean themselves in a regular expression ('.' matches itself too).
    return "".join(c if c.isalnum() or c in " .,:#'" else " " for c in text).encode()


def _literals(secret: str) -> list[bytes]:
    """What to replace for one secret: the value as written, and its base64 form (a Kubernetes Secret, a
    `*_B64` variable); a PEM key line by line (its body is spread over lines, escaped or not)."""
    raw = secret.encode("utf-8", "surrogateescape")
    if secret.startswith("-----BEGIN") or "\n" in secret or "\r" in secret:
        lines = [line.strip() for line in raw.replace(b"\r", b"\n").split(b"\n")]
        return [line for line in lines if len(line) >= MIN_LITERAL_CHARS and not line.startswith(b"-----")]
    if not raw:
        return []
    return [raw, base64.b64encode(raw)]


@dataclass
class _Credential:
    """One secret, wherever it was found."""

    finding: Finding  # the first finding of it, for its kind and verification
    locations: list[Finding] = field(default_factory=list)

    @property
    def realm(self) -> str | None:
        verification = self.finding.verification
        if verification is not None and verification.status == "live" and verification.environment:
            return verification.environment
        return self.finding.environment_hint

    @property
    def status(self) -> str:
        verification = self.finding.verification
        return verification.status if verification is not None else "not checked"

    def priority(self) -> tuple[int, int]:
        """0: live on a mainnet; 1: not confirmed either way and not a test realm; 2: rejected; 3: test realm."""
        verification = self.finding.verification
        risk = _RISK_ORDER[verification.risk if verification else None]
        if self.realm in TEST_REALMS:
            return (3, risk)
        if self.status == "live":
            return (0, risk)
        if self.status == "rejected":
            return (2, risk)
        return (1, risk)


def _credentials(findings: Sequence[Finding]) -> list[_Credential]:
    by_secret: dict[str, _Credential] = {}
    for finding in findings:
        credential = by_secret.setdefault(finding.secret_sha256, _Credential(finding))
        credential.locations.append(finding)
        if finding.verification is not None and credential.finding.verification is None:
            credential.finding = finding
    return sorted(by_secret.values(), key=lambda c: (c.priority(), c.finding.secret_sha256))


def render_plan(result: ScanResult, origins: Mapping[str | None, str], replacements: str | None) -> str:
    """REMEDIATION.md. Every text from the scan is escaped for markdown; no secret goes in."""
    from binance_secrets.report.github import markdown_text

    credentials = _credentials(result.findings)
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    repositories = sorted({finding.repository for finding in result.findings}, key=lambda r: r or "")
    lines = [
        "# Remediation plan: Binance credentials in git history",
        "",
        f"Written by binance-secrets on {now} for {len(result.findings)} finding(s) of {len(credentials)} "
        f"credential(s) in {len(repositories)} repositor{'y' if len(repositories) == 1 else 'ies'}.",
        "This file holds no secret: each credential is named by its redacted form and the first 12 hex "
        "digits of its SHA-256 (`secret_sha256` in the JSON report).",
        "",
    ]
    if result.incomplete:
        lines += [
            "> **The audit was incomplete**: some repositories or objects were not scanned (see the warnings "
            "of the run). Secrets in them are not in this plan.",
            "",
        ]
    if not credentials:
        lines += ["Nothing to do: no credential was found.", ""]
        return "\n".join(lines)
    lines += _revoke_section(credentials, markdown_text)
    lines += _rewrite_section(result.findings, repositories, origins, replacements, markdown_text)
    lines += _force_push_section()
    lines += _purge_section(result.findings, repositories, markdown_text)
    lines += _rotate_section()
    return "\n".join(lines)


def _revoke_section(credentials: list[_Credential], markdown_text: _Escape) -> list[str]:
    lines = [
        "## 1. Revoke the keys, most dangerous first",
        "",
        "A key is compromised from the moment it was pushed, and rewriting history does not change that: "
        "revoke first, clean up afterwards. Live and unverified mainnet keys come first (a key not checked is "
        "assumed live: run `binance-secrets verify --report` on the JSON report to check).",
        "",
        _API_MANAGEMENT,
        "",
        "| # | Credential | SHA-256 | Status | Realm | Risk | Found in |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, credential in enumerate(credentials, 1):
        finding = credential.finding
        title = RULES_BY_ID[finding.rule_id].title
        risk = finding.verification.risk if finding.verification else None
        places = "; ".join(_place(location, markdown_text) for location in credential.locations[:5])
        if len(credential.locations) > 5:
            places += f"; and {len(credential.locations) - 5} more"
        urgency = ("**now**: " if credential.priority()[0] <= 1 else "") + credential.status
        lines.append(
            f"| {number} | {markdown_text(title)} <code>{markdown_text(finding.redacted)}</code> | "
            f"<code>{finding.secret_sha256[:12]}</code> | {urgency} | {markdown_text(credential.realm or 'unknown')} | "
            f"{markdown_text(risk or '')} | {places} |"
        )
    lines += [
        "",
        "A secret key found without its API key: the API key it belongs to is the one the same code uses; "
        "when in doubt, delete every key of that account used by the project.",
        "",
    ]
    return lines


def _place(finding: Finding, markdown_text: _Escape) -> str:
    where = markdown_text(path_text(finding.path)) + f":{finding.line}"
    if finding.repository is not None:
        where = f"{markdown_text(finding.repository)} {where}"
    if finding.commit is not None:
        where += f" (commit <code>{markdown_text(finding.commit.sha[:12])}</code>)"
    return where


def _rewrite_section(
    findings: Sequence[Finding],
    repositories: list[str | None],
    origins: Mapping[str | None, str],
    replacements: str | None,
    markdown_text: _Escape,
) -> list[str]:
    replacements_arg = shlex.quote(replacements or REPLACEMENTS_NAME)
    lines = [
        "## 2. Rewrite the history of each repository",
        "",
        f"`{REPLACEMENTS_NAME}` beside this file lists every secret to remove (each becomes "
        f"`{REPLACEMENT.decode()}`, in files and in commit messages). **It holds the secrets in clear: it was "
        "created readable by you only; never commit or upload it, and delete it (`shred -u "
        f"{replacements_arg}`) when every repository is done.**",
        "",
        "Install git filter-repo (`pip install git-filter-repo`). For each repository, in an empty folder, on a "
        "fresh mirror clone (never your working copy: filter-repo refuses one that is not fresh, and the "
        "rewrite must cover every branch and tag):",
        "",
    ]
    for repository in repositories:
        origin = origins.get(repository) or (repository or ".")
        count = sum(1 for finding in findings if finding.repository == repository)
        name = markdown_text(repository) if repository is not None else markdown_text(origin)
        lines += [f"### {name}", "", f"{count} finding(s).", ""]
        if log_text(origin) != origin:
            lines += ["Its name holds control characters: write the commands by hand from the JSON report.", ""]
            continue
        quoted = shlex.quote(origin)
        local = not _looks_like_url(origin)
        lines += [
            "```sh",
            f"git clone --mirror -- {quoted} rewrite.git",
            "cd rewrite.git",
            f"git filter-repo --replace-text {replacements_arg} --replace-message {replacements_arg}",
            # filter-repo removes `origin` so that nothing is pushed by accident; it is added back on purpose.
            f"git remote add origin {quoted}",
            "git push --force --all origin",
            "git push --force --tags origin",
            "cd .. && rm -rf rewrite.git",
            "```",
            "",
        ]
        if local:
            lines += [
                "This repository was audited from a local folder: push to where it is hosted instead "
                f"(<code>git -C {markdown_text(quoted)} remote get-url origin</code>), then re-clone the folder.",
                "",
            ]
    lines += [
        "Check the result before deleting anything: `binance-secrets history rewrite.git` finds nothing in a "
        "clean mirror. A credential written in another encoding than the one found may need a line of its own.",
        "",
    ]
    return lines


def _looks_like_url(origin: str) -> bool:
    return "://" in origin or (":" in origin.split("/", 1)[0])


def _force_push_section() -> list[str]:
    return [
        "## 3. What the force-push breaks",
        "",
        "- Every commit id from the first one holding a secret onwards changes: links to commits, signed "
        "commits and tags (signatures are dropped), CI pins and deployments by commit id.",
        "- Every clone and fork still holds the old history and the secret. Everyone re-clones; nobody pulls, "
        "rebases or merges an old branch (that would bring the secret back).",
        "- Open pull requests are built on the old commits: close and re-open them from rewritten branches.",
        "- Protected branches refuse force-pushes: allow them for the push, then protect them again.",
        "",
    ]


def _purge_section(findings: Sequence[Finding], repositories: list[str | None], markdown_text: _Escape) -> list[str]:
    lines = [
        "## 4. Have GitHub purge cached views and pull-request refs",
        "",
        "GitHub keeps old commits reachable after a force-push: through pull-request refs "
        "(`refs/pull/*/head`, which nobody can push to), cached views and forks. Contact GitHub Support "
        "(https://support.github.com, \"Removing sensitive data\") with the repository and the commits below, "
        "and ask them to remove cached views and dereference the pull requests that hold them.",
        "",
    ]
    for repository in repositories:
        commits = sorted({f.commit.sha for f in findings if f.repository == repository and f.commit is not None})
        if not commits:
            continue
        label = markdown_text(repository) if repository is not None else "this repository"
        lines.append(f"- {label}: " + ", ".join(f"<code>{markdown_text(sha)}</code>" for sha in commits))
    lines.append("")
    return lines


def _rotate_section() -> list[str]:
    return [
        "## 5. Rotate wherever the key was used",
        "",
        "- Create a new key with only the permissions the program needs (never withdrawals unless it must), "
        "restricted to the IP addresses it runs from.",
        "- Store it outside the repository (environment variable, CI secret, secret manager) and update every "
        "deployment, bot, CI secret and colleague's machine that used the old one.",
        "- Check the account's API trade, order and withdrawal history since the date of the first commit "
        "that held the key, for activity you do not recognise.",
        "- Keep the scanner in the commit path (`binance-secrets install-hooks`, the pre-commit hook) so the "
        "new key does not follow the old one.",
        "",
    ]
