"""Same findings before and after a change: two revisions of this repository over the benchmark corpora.

    .venv/bin/python benchmarks/compare_findings.py OLD [NEW] [--size-mb 200] [--history-commits 20000]
                                                    [--mirrors DIR] [--only CORPUS ...] [--keep DIR] [-v]

OLD and NEW are git revisions of this repository (NEW defaults to HEAD; `.` is the working tree as it is
on disk, uncommitted changes included). Each corpus is built once and scanned by both, with `-f json
--min-confidence low` (every finding, at every confidence), and the two reports are compared:

- `scan-tree`: the generated tree of `benchmarks/scan_throughput.py` (`binance-secrets scan`);
- `history`: the generated repository of `benchmarks/history.py` (`binance-secrets history`);
- `realworld/OWNER/NAME`, with `--mirrors DIR`: the labelled commit of every repository of
  `benchmarks/realworld/repos.jsonl` found in DIR (as `benchmarks/realworld.py` reads them).

Prints one line per difference, and nothing when the reports agree; exit 0 when they all agree, 1 when
something differs, 2 when a revision or a corpus could not be used. A line says which corpus, then `-`
(only OLD reports it), `+` (only NEW) or `~` (the same finding, with the fields that changed). Findings
are matched by repository, path, line, column and the secret's SHA-256; what no two runs share (the
scan's duration, the tool's version) is left out. Secrets are never printed (the reports are redacted).

How the two versions run: `git archive REV binance_secrets` into a temporary folder (byte-compiled),
put in front of the installed package with PYTHONPATH and run as `python -P -m binance_secrets` with this
interpreter and its installed dependencies. That needs no network and no install, and a difference can
only come from the package's code; history's worker processes inherit PYTHONPATH too. It is only as good
as the dependencies are the same: when the two revisions' `pyproject.toml` list different ones, a warning
says so (then install each revision in a virtualenv of its own instead). `-P` keeps the scanned folder off
`sys.path`, so a file there named like a module cannot shadow it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORKTREE = "."
CORPORA = ("scan-tree", "history", "realworld")
# What differs between any two runs, whatever the code: the scan's duration and the tool's version.
_IGNORED = {"stats": {"seconds"}, "tool": {"version"}}
_MATCH_FIELDS = ("repository", "path", "line", "column", "secret_sha256")


# --------------------------------------------------------------------------------------------- comparing


def differences(corpus: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The lines that tell two JSON reports apart; none when they agree outside timing and version."""
    lines = [f"{corpus}: {line}" for line in _finding_lines(old.get("findings", []), new.get("findings", []))]
    lines += [f"{corpus}: {line}" for line in _error_lines(old.get("errors", []), new.get("errors", []))]
    for section in sorted((set(old) | set(new)) - {"findings", "errors"}):
        before, after = _without_ignored(section, old.get(section)), _without_ignored(section, new.get(section))
        if before != after:
            lines.append(f"{corpus}: ~ {section}: {_json(before)} -> {_json(after)}")
    return lines


def _without_ignored(section: str, value: Any) -> Any:
    if isinstance(value, dict) and section in _IGNORED:
        return {key: item for key, item in value.items() if key not in _IGNORED[section]}
    return value


def _finding_lines(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    old_by, new_by = _by_place(old), _by_place(new)
    for place in sorted(set(old_by) | set(new_by), key=_json):
        before, after = old_by.get(place, []), new_by.get(place, [])
        if len(before) == 1 and len(after) == 1:
            changed = [
                f"{field} {_json(before[0].get(field))} -> {_json(after[0].get(field))}"
                for field in sorted(set(before[0]) | set(after[0]))
                if before[0].get(field) != after[0].get(field)
            ]
            if changed:
                yield f"~ {_describe(after[0])}: {'; '.join(changed)}"
            continue
        only_old, only_new = _multiset_minus(before, after), _multiset_minus(after, before)
        yield from (f"- {_describe(finding)}" for finding in only_old)
        yield from (f"+ {_describe(finding)}" for finding in only_new)


def _error_lines(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    yield from (f"- error {_json(error)}" for error in _multiset_minus(old, new))
    yield from (f"+ error {_json(error)}" for error in _multiset_minus(new, old))


def _by_place(findings: Iterable[Mapping[str, Any]]) -> dict[tuple[Any, ...], list[Mapping[str, Any]]]:
    places: dict[tuple[Any, ...], list[Mapping[str, Any]]] = defaultdict(list)
    for finding in findings:
        places[tuple(finding.get(field) or "" for field in _MATCH_FIELDS)].append(finding)
    return places


def _multiset_minus(these: Sequence[Mapping[str, Any]], those: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The entries of `these` left once each entry of `those` has cancelled one equal to it."""
    cancelling = Counter(_json(item) for item in those)
    left = []
    for item in sorted(these, key=_json):
        if cancelling[_json(item)] > 0:
            cancelling[_json(item)] -= 1
        else:
            left.append(item)
    return left


def _describe(finding: Mapping[str, Any]) -> str:
    where = f"{finding.get('path')}:{finding.get('line')}:{finding.get('column')}"
    if finding.get("repository"):
        where = f"{finding['repository']}  {where}"
    digest = str(finding.get("secret_sha256") or "")[:12]
    return f"{finding.get('rule_id')} {finding.get('confidence')} {where} sha256:{digest}"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


# --------------------------------------------------------------------------------------------- running


class Unusable(Exception):
    """A revision or a corpus that cannot be used: exit 2."""


def package_of(revision: str, folder: Path) -> Path:
    """A folder whose `binance_secrets` is that of `revision` (the checkout itself for `.`)."""
    if revision == WORKTREE:
        return ROOT
    command = ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "binance_secrets"]
    archive = subprocess.run(command, capture_output=True, check=False)
    if archive.returncode != 0:
        raise Unusable(f"git archive {revision}: {archive.stderr.decode(errors='replace').strip()}")
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / "binance_secrets")], check=True)
    return folder


def dependencies_of(revision: str) -> list[str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    if revision == WORKTREE:
        text = (ROOT / "pyproject.toml").read_text()
    else:
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:pyproject.toml"], capture_output=True, text=True, check=False
        )
        if shown.returncode != 0:
            raise Unusable(f"{revision}: no pyproject.toml ({shown.stderr.strip()})")
        text = shown.stdout
    return sorted(tomllib.loads(text).get("project", {}).get("dependencies", []))


def report_of(package: Path, arguments: Sequence[str], cwd: Path) -> dict[str, Any]:
    """The JSON report of `binance-secrets ARGUMENTS` run from `package` in `cwd`."""
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []  # Python 3.10 has no -P: mind the folder's files
    command = [sys.executable, *safe_path, "-m", "binance_secrets", *arguments, "-f", "json", "--min-confidence", "low"]
    env = {**os.environ, "PYTHONPATH": str(package)}
    completed = subprocess.run([*command, "--no-progress"], cwd=cwd, env=env, capture_output=True, check=False)
    if completed.returncode not in (0, 1, 3) or not completed.stdout.strip():
        message = completed.stderr.decode(errors="replace").strip()[-400:]
        raise Unusable(f"{' '.join(arguments)} in {cwd} exited {completed.returncode}: {message}")
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def corpora(args: argparse.Namespace, folder: Path) -> Iterator[tuple[str, list[str], Path]]:
    """(name, command arguments, folder to run in) of each corpus, built on demand."""
    if _wanted("scan-tree", args.only):
        from benchmarks.scan_throughput import build_tree

        tree = folder / "scan-tree"
        tree.mkdir()
        build_tree(tree, args.size_mb * 1024 * 1024)
        yield "scan-tree", ["scan", "."], tree
    if _wanted("history", args.only):
        from benchmarks.history import generate

        repo = generate(folder / "history", args.history_commits)
        yield "history", ["history", "."], repo
    if args.mirrors:
        from benchmarks.realworld import extract_tree, git_dir, load_repos

        for repo in load_repos():
            gitdir = git_dir(Path(args.mirrors), repo.repo)
            if gitdir is None or not _wanted(f"realworld/{repo.repo}", args.only):
                continue
            tree = folder / "realworld" / repo.repo.replace("/", "__")
            tree.mkdir(parents=True)
            extract_tree(gitdir, repo.commit, tree)
            yield f"realworld/{repo.repo}", ["scan", "."], tree
            shutil.rmtree(tree)


def _wanted(corpus: str, only: Sequence[str]) -> bool:
    return any(corpus == name or corpus.startswith(f"{name}/") for name in only)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", metavar="OLD")
    parser.add_argument("new", metavar="NEW", nargs="?", default="HEAD")
    parser.add_argument("--size-mb", type=int, default=200, help="size of the generated scan tree")
    parser.add_argument("--history-commits", type=int, default=20_000, help="commits of the generated history")
    parser.add_argument("--mirrors", metavar="DIR", help="also the real-world repositories found in DIR")
    parser.add_argument(
        "--only", nargs="+", default=list(CORPORA), metavar="CORPUS", help="scan-tree, history, realworld[/OWNER/NAME]"
    )
    parser.add_argument("--keep", metavar="DIR", help="build the corpora in DIR and keep them")
    parser.add_argument("-v", "--verbose", action="store_true", help="say what is compared (on stderr)")
    args = parser.parse_args(argv)
    if any(name.split("/")[0] not in CORPORA for name in args.only):
        parser.error(f"--only: each CORPUS is one of {', '.join(CORPORA)} (realworld/OWNER/NAME for one repository)")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="compare-findings-"))
    try:
        return compare(args, folder)
    except Unusable as error:
        print(f"compare_findings: {error}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def compare(args: argparse.Namespace, folder: Path) -> int:
    if dependencies_of(args.old) != dependencies_of(args.new):
        print(f"warning: {args.old} and {args.new} list different dependencies; both run with these", file=sys.stderr)
    old, new = package_of(args.old, folder / "old"), package_of(args.new, folder / "new")
    differing = False
    for name, arguments, cwd in corpora(args, folder):
        before, after = report_of(old, arguments, cwd), report_of(new, arguments, cwd)
        lines = differences(name, before, after)
        if args.verbose:
            print(f"{name}: {len(before['findings'])} findings, {len(after['findings'])} findings", file=sys.stderr)
        for line in lines:
            print(line)
        differing = differing or bool(lines)
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
