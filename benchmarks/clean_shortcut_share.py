"""How many real commits the pre-commit hook answers with its clean shortcut, without loading the scanner.

    .venv/bin/python benchmarks/clean_shortcut_share.py REPO... [--commits 1000]

For each repository (a clone or a bare mirror), the last `--commits` non-merge commits of HEAD are
replayed as the hook would see them: the files each commit adds or modifies, with their content at that
commit. A commit is answered by the shortcut (`binance_secrets/clean_shortcut.py`) when every one of its
files is `certainly_clean` at its path; the others take the full scan (about 30 ms more, README
"Performance"). A repository whose config file applies would send every commit to the full scan; the
benchmark says when one is present at HEAD. Nothing is timed: this is the share the timing applies to.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binance_secrets.clean_shortcut import certainly_clean


def git(repo: str, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", repo, *args], input=data, capture_output=True, check=True).stdout


def commit_files(repo: str, commits: int) -> list[list[tuple[str, str]]]:
    """(blob id, path) of the files each of the last `commits` non-merge commits adds or modifies."""
    log = git(repo, "log", "--no-merges", f"-n{commits}", "--format=%x00commit", "--raw", "-z", "--no-abbrev",
              "--diff-filter=AM", "--no-renames", "HEAD")  # fmt: skip
    changes: list[list[tuple[str, str]]] = []
    fields = log.split(b"\0")
    index = 0
    while index < len(fields):
        field = fields[index].strip()
        index += 1
        if field == b"commit":
            changes.append([])
        elif field.startswith(b":") and changes:
            mode_info = field.split()
            path = fields[index].decode("utf-8", "surrogateescape")
            index += 1
            if mode_info[1].startswith(b"100"):  # a regular file, not a symlink or submodule
                changes[-1].append((mode_info[3].decode(), path))
    return changes


def blobs(repo: str, ids: set[str]) -> dict[str, bytes]:
    ordered = sorted(ids)
    output = git(repo, "cat-file", "--batch", data="".join(f"{blob}\n" for blob in ordered).encode())
    contents: dict[str, bytes] = {}
    position = 0
    for blob in ordered:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].split()
        if header[-1] == b"missing":  # a partial mirror: the commits that need it are left out
            position = header_end + 1
            continue
        size = int(header[2])
        contents[blob] = output[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1
    return contents


def has_config(repo: str) -> bool:
    names = git(repo, "ls-tree", "--name-only", "HEAD").decode(errors="replace").splitlines()
    if ".binance-secrets.toml" in names:
        return True
    if "pyproject.toml" in names:
        return b"binance-secrets" in git(repo, "cat-file", "blob", "HEAD:pyproject.toml")
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", nargs="+")
    parser.add_argument("--commits", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'repository':40s} {'commits':>8s} {'answered':>9s} {'files':>7s} {'clean':>7s}  config")
    for repo in args.repos:
        changes = [files for files in commit_files(repo, args.commits) if files]
        contents = blobs(repo, {blob for files in changes for blob, _ in files})
        changes = [files for files in changes if all(blob in contents for blob, _ in files)]
        clean = {(blob, path): certainly_clean(contents[blob], path) for files in changes for blob, path in files}
        answered = sum(all(clean[change] for change in files) for files in changes)
        name = Path(repo).parent.name if Path(repo).name == "repo" else Path(repo).name  # mirrors: owner+name/repo
        print(
            f"{name:40s} {len(changes):8d} {answered / len(changes):9.1%} {len(clean):7d} "
            f"{sum(clean.values()) / len(clean):7.1%}  {'present' if has_config(repo) else 'none'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
