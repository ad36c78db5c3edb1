"""Repositories named by the user: local paths and clone URLs, and the bare mirrors URLs are fetched into.

A repos file is attacker-controlled input: a line must never become a git option (`--upload-pack=…`,
`-c core.sshCommand=…`), a transport helper (`ext::sh -c …`, `fd::`) or a protocol git would run a
program for. So a line is either a URL of an allowed protocol (https, ssh, git, file, or the scp-like
`user@host:path`), or a local path; anything else is refused before git sees it. Git runs with
`GIT_ALLOW_PROTOCOL` limited to those protocols as a backstop, with `--` before every URL, and it never
prompts: no terminal (a session of its own), no askpass program, `GIT_TERMINAL_PROMPT=0`.

Credentials in URLs (`https://user:token@host/…`) are used to fetch and nowhere else: every text shown
or stored (reports, errors, progress, the names of the clone folders, the clones' own files) uses the
URL without them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from urllib.parse import unquote

from binance_secrets.errors import ScanFailure, UsageError
from binance_secrets.git.process import git_message, run_networked

ALLOWED_PROTOCOLS = ("https", "ssh", "git", "file")
# Spellings git accepts for ssh.
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})
_ALLOWED_SCHEMES = frozenset({"https", "git", "file"}) | _SSH_SCHEMES
# `scheme://authority/path`: the authority ends at the first `/`, `?` or `#`.
_SCHEME_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)", re.DOTALL)
# git's transport-helper syntax `<transport>::<address>` (`ext::`, `fd::`, remote helpers).
_TRANSPORT = re.compile(r"[A-Za-z0-9+.-]*::")
# git's scp-like syntax: `[user@]host:path`, a colon before any slash. Host and user are plain names (never
# starting with `-`, which ssh would read as an option); an IPv6 host is bracketed.
_SCP_LIKE = re.compile(
    r"""
    (?:(?P<user>[A-Za-z0-9_.][A-Za-z0-9_.+-]*)@)?   # user: no `:` (that would be a password), no `-` first
    (?P<host>[A-Za-z0-9_][A-Za-z0-9_.-]*|\[[0-9A-Fa-f:.]+\])
    :(?P<path>[^:].*|)                               # path; `host::x` is transport syntax, refused above
    """,
    re.VERBOSE | re.DOTALL,
)
_HOST = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_.-]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?")
# `scheme://userinfo@` anywhere in a text: what is removed from URLs found inside other text.
_EMBEDDED_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")
# Whitespace and control characters have no place in a URL; in a repos file they hint at an injection.
_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")
_UNSAFE_URL_REASON = "refused: a URL may not hold whitespace or control characters"
# How a clone folder is named: readable, stable across runs (`--keep-clones`), never a credential.
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MIRROR_MARKER = "binance-secrets-mirror"
# The refs a mirror holds: every ref of the remote, as `git clone --mirror` takes them.
MIRROR_REFSPEC = "+refs/*:refs/*"
_HEAD_SYMREF = re.compile(rb"^ref: (refs/heads/[^\t\n]+)\tHEAD$", re.MULTILINE)
_BRANCH_NAME = re.compile(r"refs/heads/[A-Za-z0-9._/+@-]+")


@dataclass(frozen=True)
class RepositorySource:
    """One repository the user named: as typed (it may hold credentials) and as shown."""

    given: str = field(repr=False)  # used only to fetch; never printed, logged or stored
    display: str  # what every output shows: the path, or the URL without credentials
    is_url: bool
    refused: str | None = None  # why it will not be read (an error entry), or None

    @property
    def clone_name(self) -> str:
        """The mirror's folder name: a readable slug and a digest of the shown URL, no credential."""
        tail = self.display.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        slug = _SLUG_UNSAFE.sub("-", tail.removesuffix(".git")).strip(".-")[:40] or "repository"
        digest = hashlib.sha256(self.display.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        return f"{slug}-{digest}.git"


def strip_credentials(text: str) -> str:
    """The URL without the credentials in it: `https://user:token@host/x` → `https://host/x`.

    For https, git and file URLs the whole user part goes (a token is often the user name: `TOKEN@host`);
    ssh keeps the user name (`git@host`), never a password. Anything else is returned as it is.
    """
    match = _SCHEME_URL.fullmatch(text)
    if match is not None:
        authority = match["authority"]
        if "@" in authority:
            userinfo, _, host = authority.rpartition("@")
            user = userinfo.split(":", 1)[0]
            keep = f"{user}@" if match["scheme"].lower() in _SSH_SCHEMES and ":" not in userinfo and user else ""
            authority = keep + host
        return f"{match['scheme']}://{authority}{match['rest']}"
    first, slash, rest = text.partition("/")
    if "@" in first:
        userinfo, _, host = first.rpartition("@")
        if ":" in userinfo:
            # `user:password@host:path` is no scp syntax git accepts, but the password must not be shown.
            return host + slash + rest
    # A URL inside something else (`ext::https://user:token@host/…`, refused, but shown in its error entry).
    return _EMBEDDED_USERINFO.sub(r"\1", text)


def scrub(message: str, source: RepositorySource) -> str:
    """A message about `source` (git's stderr, an exception) with every trace of its credentials removed."""
    if source.given != source.display:
        message = message.replace(source.given, source.display)
        for secret in _credential_parts(source.given):
            message = message.replace(secret, "***")
    # Any other URL with credentials git may have printed (a redirect target, a submodule URL).
    return _EMBEDDED_USERINFO.sub(r"\1", message)


def _credential_parts(url: str) -> list[str]:
    match = _SCHEME_URL.fullmatch(url)
    authority = match["authority"] if match else url.split("/", 1)[0]
    if "@" not in authority:
        return []
    userinfo = authority.rpartition("@")[0]
    parts = {userinfo, unquote(userinfo)}
    for piece in userinfo.split(":", 1):
        parts.update({piece, unquote(piece)})
    # Longest first, and nothing so short that replacing it would garble the message.
    return sorted((part for part in parts if len(part) >= 3), key=len, reverse=True)


def parse_source(text: str) -> RepositorySource:
    """What a command-line argument or a repos-file line names, refused when git could misread it."""
    display = strip_credentials(text)
    if text.startswith("-"):
        return RepositorySource(text, display, False, "refused: it starts with '-' and would be read as an option")
    if _TRANSPORT.match(text):
        return RepositorySource(
            text, display, True, "refused: transport helpers (`ext::`, `fd::`, `<helper>::`) are not allowed"
        )
    match = _SCHEME_URL.fullmatch(text)
    if match is not None:
        return RepositorySource(text, display, True, _url_problem(text, match))
    if os.path.lexists(text):
        return RepositorySource(text, text, False)  # a folder named `a:b` is that folder, as before
    scp = _SCP_LIKE.fullmatch(text)
    if scp is not None and "/" not in text.split(":", 1)[0]:
        problem = _UNSAFE_URL_REASON if _UNSAFE_IN_URL.search(text) else None
        return RepositorySource(text, display, True, problem)
    first = text.split("/", 1)[0]
    if ":" in first:
        # git would read this as `host:path` (ssh); it is not one we can pass safely.
        return RepositorySource(
            text, display, True, "refused: not a URL of an allowed protocol (https, ssh, git, file) nor a local path"
        )
    return RepositorySource(text, text, False)


def _url_problem(text: str, match: re.Match[str]) -> str | None:
    scheme = match["scheme"].lower()
    if scheme not in _ALLOWED_SCHEMES:
        return f"refused: protocol {scheme!r} is not allowed (only {', '.join(ALLOWED_PROTOCOLS)})"
    if _UNSAFE_IN_URL.search(text):
        return _UNSAFE_URL_REASON
    host = match["authority"].rpartition("@")[2]
    user = match["authority"].rpartition("@")[0]
    if scheme != "file" and not _HOST.fullmatch(host):
        return "refused: the host name is not a plain host name"
    if scheme == "file" and host not in ("", "localhost"):
        return "refused: a file:// URL names a local path (file:///path)"
    if user.startswith("-"):
        return "refused: the user name starts with '-'"
    return None


def read_repos_file(path: str) -> list[str]:
    """The repositories of a repos file: one a line; blank lines and `#` comments are skipped."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        raise UsageError(f"--repos-file: {path} does not exist") from None
    except OSError as error:
        raise UsageError(f"--repos-file: cannot read {path}: {error.strerror or error}") from None
    entries = []
    for line in lines:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            entries.append(entry)
    return entries


# `-c` settings of every fetch: no reflog (its messages would name the URL), no interactive credential
# helper (git 2.46+; older git ignores the key), no fetch of submodules, and an https transfer that
# stalls (under 1 KB/s for a minute) is given up rather than holding its repository process forever.
_FETCH_CONFIG = (
    "-c", "core.logAllRefUpdates=false",
    "-c", "http.lowSpeedLimit=1000",
    "-c", "http.lowSpeedTime=60",
    "-c", "credential.interactive=false",
    "-c", "fetch.recurseSubmodules=false",
)  # fmt: skip


@dataclass
class MirrorStore:
    """The folder the URLs' bare mirrors live in: a private temporary one, or `--keep-clones DIR`."""

    root: str
    keep: bool

    @classmethod
    def temporary(cls) -> MirrorStore:
        # mkdtemp makes the folder 0700; its name holds nothing of any URL.
        return cls(tempfile.mkdtemp(prefix="binance-secrets-clones-"), keep=False)

    @classmethod
    def kept(cls, path: str) -> MirrorStore:
        """`--keep-clones DIR`: created 0700 when missing; a symlink or a file is refused (exit 2)."""
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except FileExistsError:
            raise UsageError(f"--keep-clones: {path} exists and is not a folder") from None
        except OSError as error:
            raise UsageError(f"--keep-clones: cannot create {path}: {error.strerror or error}") from None
        if os.path.islink(path) or not os.path.isdir(path):
            raise UsageError(f"--keep-clones: {path} is a symbolic link or not a folder; refusing to write through it")
        return cls(os.path.abspath(path), keep=True)

    def remove(self) -> None:
        """The temporary folder and every clone in it; kept clones stay."""
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def mirror(self, source: RepositorySource) -> tuple[str, str]:
        """The git dir of an up-to-date bare mirror of `source`, and whether it was `cloned` or `fetched`.

        A first time makes an empty bare repository and fetches every ref into it; a kept mirror is
        fetched again (`--prune`: refs deleted upstream go). The URL is given to each fetch and stored
        nowhere: no remote is configured, FETCH_HEAD is not written, no reflog is kept.
        """
        assert source.is_url and source.refused is None
        target = os.path.join(self.root, source.clone_name)
        action = "fetched"
        if os.path.lexists(target):
            if os.path.islink(target) or not os.path.isfile(os.path.join(target, MIRROR_MARKER)):
                raise ScanFailure(f"{target} exists and is not a mirror made by binance-secrets: left untouched")
        else:
            action = "cloned"
            os.mkdir(target, 0o700)
            _git(source, "init", "--quiet", "--bare", "--", target)
            with open(os.path.join(target, MIRROR_MARKER), "w", encoding="utf-8") as marker:
                marker.write(source.display + "\n")
        head = _remote_head(source, target)
        _git(
            source, f"--git-dir={target}", *_FETCH_CONFIG, "fetch", "--quiet", "--prune", "--no-write-fetch-head",
            "--", source.given, MIRROR_REFSPEC,
        )  # fmt: skip
        if head is not None:
            _git(source, f"--git-dir={target}", "symbolic-ref", "HEAD", head)
        return target, action


def _remote_head(source: RepositorySource, git_dir: str) -> str | None:
    """The remote's default branch, so that `in_head` means what it means for a local repository."""
    output = _git(source, f"--git-dir={git_dir}", *_FETCH_CONFIG, "ls-remote", "--symref", "--", source.given, "HEAD")
    match = _HEAD_SYMREF.search(output)
    if match is None:
        return None
    name = match.group(1).decode("utf-8", "replace")
    return name if _BRANCH_NAME.fullmatch(name) and ".." not in name else None


def _git(source: RepositorySource, *args: str) -> bytes:
    """Run git for a fetch; on failure a ScanFailure with git's message, credentials scrubbed."""
    completed = run_networked(*args, protocols=ALLOWED_PROTOCOLS)
    if completed.returncode != 0:
        raise ScanFailure(scrub(f"cannot fetch {source.display}: {git_message(completed.stderr)}", source))
    return completed.stdout
