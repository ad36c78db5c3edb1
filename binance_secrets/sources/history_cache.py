"""`history --cache FILE`: what earlier audits scanned, so that a re-audit reads only new objects.

What is kept, per object, is what a scan of it found, as secret digests and confidences, never a
secret: the id of each blob scanned with a digest of the path it was scanned under (a path is part of
what the detectors look at), the annotated tags and commits whose messages were scanned, and for
those that held findings, the SHA-256 of each secret and its confidence. A report needs the findings
themselves (line, column, the redacted secret) only for the few objects where a secret was first
introduced: those objects are read and scanned again when reporting. And per set of revisions
audited, a summary of the listing (the revisions, a digest of the order git walked their commits in,
which blobs were over the size limit, where the flagged blobs were listed), so that a re-audit of refs
that have not moved does not even list the history, and one of refs that only moved forward lists only
the new commits (`history_increment`); and what its attribution walk read (which commits added or
removed the blobs that held secrets, at which paths), so that such a re-audit asks git for the new
commits' changes only.

Entries are valid only for this tool version, this cache format and these detectors (a digest of
the detection code, `rules_digest`): any change and the cache is rebuilt.

Trust model. A cache that says "this blob holds nothing" makes the audit skip that blob, so whoever
can write the file can hide a key from the audit. The file is therefore authenticated: an HMAC-SHA256
over all of it, keyed by `BINANCE_SECRETS_CACHE_KEY` when that is set (in CI: a repository secret,
which workflows run for pull requests from forks never see) or else by a random key made on first use
in the user's cache folder (`$XDG_CACHE_HOME/binance-secrets/cache-key`, mode 0600), never stored
beside the cache. A file whose HMAC does not verify (written by anyone without the key, truncated,
edited, from another machine, a cache restored from a pull request's branch) is never parsed: the
audit warns, scans everything and writes a new cache. The worst a writer without the key can do is
make an audit slower. Whoever holds the key can forge entries: keep it where untrusted code does not
run (no `pull_request_target` workflow that runs a pull request's code with secrets).

The file is written atomically (a temporary file in the same folder, then renamed), mode 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import binance_secrets

FORMAT = 2
MAGIC = b"binance-secrets history cache\n"
KEY_ENVIRONMENT = "BINANCE_SECRETS_CACHE_KEY"
KEY_FILE_NAME = "cache-key"
# A cache file larger than this is not read (a hostile file must not exhaust memory).
MAX_CACHE_BYTES = 512 * 1024 * 1024
# Listing summaries kept, most recent first (one per set of revisions: every ref, a branch, a range).
MAX_LISTINGS = 8
_MAC_HEX = 64
# Length of the path digest kept per blob (hex characters).
PATH_DIGEST_HEX = 16
# The code whose output a cache entry records: every detector, how blobs become chunks, how history
# objects are scanned, the finding model.
_DETECTION_SOURCES = ("detectors", "sources/content.py", "sources/git_scan.py", "sources/prefilter.py",
                      "finding.py", "scanning.py")  # fmt: skip

Secrets = tuple[tuple[str, str], ...]  # (secret_sha256, confidence) of each finding


class CacheUnusable(Exception):
    """The cache cannot be used (missing key, unreadable, forged, stale): the message says why."""


class NotACache(CacheUnusable):
    """FILE holds something else (a mistyped path?): it is neither used nor overwritten."""


@dataclass
class Listing:
    """What listing the objects of one set of revisions found, for a re-audit of the same refs."""

    max_blob_bytes: int
    commits: int
    objects: int
    blobs: int
    bytes: int
    submodules: bool
    oversized: list[tuple[str, str, int]]  # (blob, path, size)
    flagged_blobs: dict[str, str]  # blob -> the path it was listed (and scanned) under
    flagged_tags: list[str]
    flagged_commits: list[str]
    # The revisions audited (object ids: tips, `^sha` for a range) and a digest of the order
    # `git rev-list` walks their commits in ("" when not recorded): what a re-audit of refs that only
    # moved forward needs to build on this listing (`history_increment`).
    revisions: list[str] = field(default_factory=list)
    order: str = ""


@dataclass
class Walked:
    """What an attribution walk of one listing read: every commit's changes, against its first parent,
    that add or remove one of the blobs it was asked about. A re-audit that adds commits to that
    listing asks git for the new commits' changes only (`history._History._attribute`)."""

    blobs: str  # `blobs_digest` of the blobs asked about
    changes: list[tuple[str, str, str]]  # (commit, path, the new blob, or "" when the path lost it)


@dataclass
class CacheData:
    rules: str
    blobs: dict[str, str] = field(default_factory=dict)  # blob -> path digest, for every blob scanned
    # Keyed by blob id and path digest (`finding_key`): what a blob holds depends on the path it was
    # scanned under, and a blob scanned again under another path must not inherit the old answer.
    blob_findings: dict[str, Secrets] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    tag_findings: dict[str, Secrets] = field(default_factory=dict)
    commits: set[str] = field(default_factory=set)
    commit_findings: dict[str, Secrets] = field(default_factory=dict)
    listings: dict[str, Listing] = field(default_factory=dict)
    # The listing whose blobs `blobs` holds, exactly (every blob it listed under the size limit, and no
    # other), or "": only on that listing can a re-audit build (`history_increment`).
    blob_listing: str = ""
    # Attribution results, per (revisions, HEAD, blobs holding the secrets asked about): on refs that
    # have not moved, the graph walk's answer is the same, so a re-audit need not walk it again.
    attributions: dict[str, list[Attributed]] = field(default_factory=dict)
    walks: dict[str, Walked] = field(default_factory=dict)  # per listing name


# (secret_sha256, path, first commit, blob in that commit, occurrences, in_head): no secret.
Attributed = tuple[str, str, str, str, int, bool]


def attribution_digest(
    listing_name: str, head: str | None, wanted: Iterable[str], blob_secrets: Mapping[str, Iterable[str]]
) -> str:
    digest = hashlib.sha256(f"{listing_name}\n{head or ''}\n{','.join(sorted(wanted))}\n".encode())
    for sha in sorted(blob_secrets):
        digest.update(f"{sha}:{','.join(sorted(blob_secrets[sha]))}\n".encode())
    return digest.hexdigest()


def rules_digest() -> str:
    """A digest of the tool version and the source of everything that decides what a blob holds."""
    digest = hashlib.sha256(f"format {FORMAT}\nversion {binance_secrets.__version__}\n".encode())
    package = Path(binance_secrets.__file__).parent
    files: list[Path] = []
    for name in _DETECTION_SOURCES:
        location = package / name
        files.extend(sorted(location.glob("*.py")) if location.is_dir() else [location])
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def path_digest(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:PATH_DIGEST_HEX]


def finding_key(sha: str, digest: str) -> str:
    """The key of a blob's findings: its id and the digest of the path it was scanned under."""
    return sha + digest


def blobs_digest(shas: Iterable[str]) -> str:
    """Names a set of blobs (those an attribution walk was asked about)."""
    return hashlib.sha256("\n".join(sorted(shas)).encode("ascii", "replace")).hexdigest()


def order_digest(commits: Sequence[str]) -> str:
    """Names the order in which `git rev-list` walked a set of revisions' commits."""
    return hashlib.sha256("\n".join(commits).encode("ascii", "replace")).hexdigest()


def revisions_digest(revisions: Sequence[str], max_blob_bytes: int) -> str:
    """Names one audited set of revisions (order kept: it decides the path git lists a blob under)."""
    text = "\n".join([f"max {max_blob_bytes}", *revisions])
    return hashlib.sha256(text.encode()).hexdigest()


def cache_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key: `BINANCE_SECRETS_CACHE_KEY`, else this user's own, made on first use."""
    environ = os.environ if environ is None else environ
    given = environ.get(KEY_ENVIRONMENT, "")
    if given:
        return given.encode("utf-8", "surrogateescape")
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "binance-secrets")
    path = os.path.join(folder, KEY_FILE_NAME)
    try:
        with open(path, encoding="ascii") as handle:
            key = handle.read().strip()
        if len(key) >= 32:
            return key.encode("ascii")
    except (OSError, UnicodeDecodeError):
        pass
    import secrets

    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        key = secrets.token_hex(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        return key.encode("ascii")
    except FileExistsError:
        # Another audit made it first: read its key (the loop ends: the file exists now).
        with contextlib.suppress(OSError, UnicodeDecodeError), open(path, encoding="ascii") as handle:
            key = handle.read().strip()
            if len(key) >= 32:
                return key.encode("ascii")
    except OSError as error:
        reason = error.strerror or str(error)
        raise CacheUnusable(f"no key to sign the cache with ({reason}); set {KEY_ENVIRONMENT}") from None
    raise CacheUnusable(f"the key file {path} is unreadable; set {KEY_ENVIRONMENT}")


def load(path: str, key: bytes, rules: str) -> CacheData | None:
    """The cache at `path`, None when there is none yet; `CacheUnusable` when it cannot be trusted or used.

    Nothing in the file is parsed before its HMAC is verified.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CACHE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CacheUnusable(f"cannot read it ({error.strerror or error})") from None
    if len(raw) > MAX_CACHE_BYTES:
        raise CacheUnusable("it is larger than any cache this tool writes")
    if raw and not raw.startswith(MAGIC[: len(raw)]):  # neither the magic line nor a piece of it
        raise NotACache("it is not a binance-secrets cache: left as it is, and no cache is used or written")
    if not raw.startswith(MAGIC) or len(raw) < len(MAGIC) + _MAC_HEX + 2 or raw[-1:] != b"\n":
        raise CacheUnusable("it was cut short")
    body, mac = raw[len(MAGIC) : -(_MAC_HEX + 2)], raw[-(_MAC_HEX + 1) : -1]
    if raw[-(_MAC_HEX + 2) : -(_MAC_HEX + 1)] != b"\n" or not hmac.compare_digest(_mac(key, body), mac):
        raise CacheUnusable(
            f"its signature does not match this machine's key ({KEY_ENVIRONMENT}): it was written elsewhere or "
            "changed since"
        )
    try:
        document = json.loads(body)
        if isinstance(document, dict) and document.get("format") != FORMAT:
            # Signed, so written by this tool: an older (or newer) one, whose entries this one cannot read.
            raise CacheUnusable("it was made by another version of the tool or of its rules")
        data = _decode(document)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise CacheUnusable("it is damaged") from None
    if data.rules != rules:
        raise CacheUnusable("it was made by another version of the tool or of its rules")
    return data


def save(path: str, key: bytes, data: CacheData) -> None:
    """Write atomically, mode 0600: readers see the old file or the new one, never half of one."""
    import tempfile

    body = json.dumps(_encode(data), separators=(",", ":"), sort_keys=True).encode("utf-8", "surrogateescape")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".binance-secrets-cache-", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(MAGIC + body + b"\n" + _mac(key, body) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, MAGIC + body, hashlib.sha256).hexdigest().encode("ascii")


# --- the document -------------------------------------------------------------------------------
# Object ids are concatenated into one string per kind (fixed width): a cache of 100,000 blobs loads
# in a few hundredths of a second, where a JSON object per blob took ten times as long.


def _encode(data: CacheData) -> dict[str, object]:
    width = _width(itertools.chain(data.blobs, data.tags, data.commits))
    return {
        "format": FORMAT,
        "tool": binance_secrets.__version__,
        "rules": data.rules,
        "width": width,
        "blobs": "".join(sha + digest for sha, digest in sorted(data.blobs.items())),
        "blob_findings": {sha: _secrets_out(found) for sha, found in data.blob_findings.items()},
        "tags": "".join(sorted(data.tags)),
        "tag_findings": {sha: _secrets_out(found) for sha, found in data.tag_findings.items()},
        "commits": "".join(sorted(data.commits)),
        "commit_findings": {sha: _secrets_out(found) for sha, found in data.commit_findings.items()},
        "listings": [[name, _listing_out(listing)] for name, listing in data.listings.items()],
        "blob_listing": data.blob_listing,
        "attributions": [[name, [list(item) for item in items]] for name, items in data.attributions.items()],
        "walks": [
            [name, {"blobs": walked.blobs, "changes": [list(change) for change in walked.changes]}]
            for name, walked in data.walks.items()
        ],
    }


def _decode(document: dict[str, object]) -> CacheData:
    if document.get("format") != FORMAT:
        raise ValueError("format")
    rules = _text(document["rules"])
    width = document["width"]
    if width not in (40, 64):
        raise ValueError("width")
    assert isinstance(width, int)
    entry = width + PATH_DIGEST_HEX
    blobs_text = _hex(document["blobs"])
    if len(blobs_text) % entry:
        raise ValueError("blobs")
    data = CacheData(rules=rules)
    data.blobs = {
        blobs_text[i : i + width]: blobs_text[i + width : i + entry] for i in range(0, len(blobs_text), entry)
    }
    data.tags = _ids(document["tags"], width)
    data.commits = _ids(document["commits"], width)
    data.blob_findings = _findings_in(document["blob_findings"])
    data.tag_findings = _findings_in(document["tag_findings"])
    data.commit_findings = _findings_in(document["commit_findings"])
    listings = document["listings"]
    if not isinstance(listings, list):
        raise ValueError("listings")
    for name, listing in listings:
        data.listings[_text(name)] = _listing_in(listing)
    data.blob_listing = _hex(document["blob_listing"])
    attributions = document["attributions"]
    if not isinstance(attributions, list):
        raise ValueError("attributions")
    for name, items in attributions:
        data.attributions[_hex(name)] = [_attributed_in(item) for item in items]
    walks = document["walks"]
    if not isinstance(walks, list):
        raise ValueError("walks")
    for name, walked in walks:
        if not isinstance(walked, dict) or not isinstance(walked["changes"], list):
            raise ValueError("walk")
        changes = [(_hex(commit), _text(path), _hex(blob)) for commit, path, blob in walked["changes"]]
        data.walks[_hex(name)] = Walked(_hex(walked["blobs"]), changes)
    return data


def _attributed_in(value: object) -> Attributed:
    if not isinstance(value, list) or len(value) != 6:
        raise ValueError("attribution")
    secret, path, commit, blob, occurrences, in_head = value
    if not isinstance(in_head, bool):
        raise ValueError("attribution")
    return _hex(secret), _text(path), _hex(commit), _hex(blob), _number(occurrences), in_head


def _listing_out(listing: Listing) -> dict[str, object]:
    return {
        "max_blob_bytes": listing.max_blob_bytes,
        "commits": listing.commits,
        "objects": listing.objects,
        "blobs": listing.blobs,
        "bytes": listing.bytes,
        "submodules": listing.submodules,
        "oversized": [list(item) for item in listing.oversized],
        "flagged_blobs": listing.flagged_blobs,
        "flagged_tags": listing.flagged_tags,
        "flagged_commits": listing.flagged_commits,
        "revisions": listing.revisions,
        "order": listing.order,
    }


def _listing_in(value: object) -> Listing:
    if not isinstance(value, dict):
        raise ValueError("listing")
    flagged_blobs = value["flagged_blobs"]
    if not isinstance(flagged_blobs, dict):
        raise ValueError("listing")
    return Listing(
        max_blob_bytes=_number(value["max_blob_bytes"]),
        commits=_number(value["commits"]),
        objects=_number(value["objects"]),
        blobs=_number(value["blobs"]),
        bytes=_number(value["bytes"]),
        submodules=bool(value["submodules"]),
        oversized=[(_hex(sha), _text(path), _number(size)) for sha, path, size in value["oversized"]],
        flagged_blobs={_hex(sha): _text(path) for sha, path in flagged_blobs.items()},
        flagged_tags=[_hex(sha) for sha in value["flagged_tags"]],
        flagged_commits=[_hex(sha) for sha in value["flagged_commits"]],
        revisions=[_revision(revision) for revision in value["revisions"]],
        order=_hex(value["order"]),
    )


def _revision(value: object) -> str:
    text = _text(value)
    _hex(text.removeprefix("^"))
    return text


def _secrets_out(found: Secrets) -> list[list[str]]:
    return [[secret, confidence] for secret, confidence in found]


def _findings_in(value: object) -> dict[str, Secrets]:
    if not isinstance(value, dict):
        raise ValueError("findings")
    return {
        _hex(sha): tuple((_hex(secret), _confidence(confidence)) for secret, confidence in found)
        for sha, found in value.items()
    }


def _ids(value: object, width: int) -> set[str]:
    text = _hex(value)
    if len(text) % width:
        raise ValueError("ids")
    return {text[i : i + width] for i in range(0, len(text), width)}


def _width(ids: Iterable[str]) -> int:
    for sha in ids:
        return len(sha)
    return 40


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("text")
    return value


def _hex(value: object) -> str:
    text = _text(value)
    if text.strip("0123456789abcdef"):
        raise ValueError("hex")
    return text


def _number(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("number")
    return value


def _confidence(value: object) -> str:
    if value not in ("low", "medium", "high"):
        raise ValueError("confidence")
    assert isinstance(value, str)
    return value


class CachedObject(NamedTuple):
    """An object an earlier audit scanned and found secrets in: what it found, not the findings."""

    sha: str
    type: str  # "blob", "tag" or "commit"
    path: str  # blobs: the path it was scanned under (and will be scanned under again to report)
    secrets: Secrets


class HistoryCache:
    """One audit's use of a cache file: what the old file says, and what this audit adds to it."""

    def __init__(self, path: str, key: bytes, old: CacheData | None, rules: str) -> None:
        self.path = path
        self._key = key
        self.old = old if old is not None else CacheData(rules=rules)
        self.new = CacheData(rules=rules)
        self.hits = 0
        self.listing_used = False  # a recorded listing was replayed: nothing was listed
        self.listing_extended = False  # a recorded listing was extended by the new commits' objects

    @classmethod
    def open(cls, path: str, environ: Mapping[str, str] | None = None) -> tuple[HistoryCache | None, str | None]:
        """The cache for `path`, and a warning when the file there was not usable (it is then rebuilt)."""
        rules = rules_digest()
        try:
            key = cache_key(environ)
        except CacheUnusable as problem:
            return None, f"--cache {path} not used: {problem}"
        try:
            old = load(path, key, rules)
        except NotACache as problem:
            return None, f"--cache {path} not used: {problem}"
        except CacheUnusable as problem:
            return cls(path, key, None, rules), f"cache {path} ignored and rebuilt: {problem}"
        return cls(path, key, old, rules), None

    # --- looking up -----------------------------------------------------------------------------

    def blob(self, sha: str, digest: str) -> Secrets | None:
        """What an earlier scan of this blob under the path of this digest (`path_digest`) found, or
        None when it was not scanned under that path."""
        if self.old.blobs.get(sha) != digest:
            return None
        key = finding_key(sha, digest)
        found = self.old.blob_findings.get(key, ())
        self.new.blobs[sha] = digest
        if found:
            self.new.blob_findings[key] = found
        self.hits += 1
        return found

    def flagged_blob(self, sha: str, path: str) -> Secrets:
        """What a recorded listing's flagged blob holds (`listing` checked that it is recorded)."""
        return self.old.blob_findings[finding_key(sha, path_digest(path))]

    def tag(self, sha: str) -> Secrets | None:
        if sha not in self.old.tags:
            return None
        found = self.old.tag_findings.get(sha, ())
        self.new.tags.add(sha)
        if found:
            self.new.tag_findings[sha] = found
        self.hits += 1
        return found

    def known_commits(self) -> tuple[frozenset[str], frozenset[str]]:
        """Commits whose messages were scanned, and those of them that held findings."""
        return frozenset(self.old.commits), frozenset(self.old.commit_findings)

    def commit_secrets(self, sha: str) -> Secrets:
        return self.old.commit_findings.get(sha, ())

    def listing(self, name: str) -> Listing | None:
        """The listing recorded for these revisions, when every object it names is still recorded."""
        listing = self.old.listings.get(name)
        if listing is None:
            return None
        blob_findings = self.old.blob_findings
        if any(finding_key(sha, path_digest(path)) not in blob_findings for sha, path in listing.flagged_blobs.items()):
            return None
        if any(sha not in self.old.tag_findings for sha in listing.flagged_tags):
            return None
        if any(sha not in self.old.commit_findings for sha in listing.flagged_commits):
            return None
        return listing

    def attributions(self, name: str) -> list[Attributed] | None:
        found = self.old.attributions.get(name)
        if found is not None:
            self.new.attributions[name] = found
        return found

    # --- recording ------------------------------------------------------------------------------

    def attributed(self, name: str, items: list[Attributed]) -> None:
        self.new.attributions[name] = items

    def walked(self, name: str) -> Walked | None:
        """The changes an attribution walk of this listing read, if one was recorded."""
        return self.old.walks.get(name)

    def walk(self, name: str, walked: Walked) -> None:
        self.new.walks[name] = walked

    def scanned_blob(self, sha: str, path: str, found: Secrets) -> None:
        digest = self.new.blobs[sha] = path_digest(path)
        if found:
            self.new.blob_findings[finding_key(sha, digest)] = found

    def scanned_tag(self, sha: str, found: Secrets) -> None:
        self.new.tags.add(sha)
        if found:
            self.new.tag_findings[sha] = found

    def scanned_commit(self, sha: str, found: Secrets) -> None:
        self.new.commits.add(sha)
        if found:
            self.new.commit_findings[sha] = found

    def save(self, listing_name: str | None, listing: Listing | None) -> None:
        """Write what this audit saw. Blob ids are kept for the blobs this audit listed (all of the old
        ones when it replayed a listing, the old ones and the new when it extended one); messages and
        findings once recorded stay recorded."""
        old, new = self.old, self.new
        nothing_new = (
            not (new.blobs or new.tags or new.commits)
            and new.attributions.keys() <= old.attributions.keys()
            and new.walks.keys() <= old.walks.keys()
        )
        if self.listing_used and nothing_new:
            return  # a replayed listing with nothing new: the file already says all of it
        data = CacheData(rules=new.rules)
        if self.listing_used:
            data.blobs, data.blob_listing = dict(old.blobs), old.blob_listing
        else:
            # Extended: every old blob is still reachable (the old commits are), under the same path.
            data.blobs = {**old.blobs, **new.blobs} if self.listing_extended else new.blobs
            # `blobs` is then exactly the blobs of this listing, if it is recorded.
            data.blob_listing = listing_name if listing_name is not None and listing is not None else ""
        data.blob_findings = {**old.blob_findings, **new.blob_findings}
        data.tags = old.tags | new.tags
        data.tag_findings = {**old.tag_findings, **new.tag_findings}
        data.commits = old.commits | new.commits
        data.commit_findings = {**old.commit_findings, **new.commit_findings}
        if listing_name is not None and listing is not None:
            data.listings[listing_name] = listing
        for name, kept in old.listings.items():
            if len(data.listings) >= MAX_LISTINGS:
                break
            data.listings.setdefault(name, kept)
        data.attributions = dict(new.attributions)
        for name, items in old.attributions.items():
            if len(data.attributions) >= MAX_LISTINGS:
                break
            data.attributions.setdefault(name, items)
        data.walks = dict(new.walks)
        for name, walked in old.walks.items():
            if len(data.walks) >= MAX_LISTINGS:
                break
            data.walks.setdefault(name, walked)
        save(self.path, self._key, data)
