"""Which commits a history audit covers, as rev-list arguments: tips, and `^sha` for what is left out.

Everything is expanded to object names here because `rev-list --stdin` (used so that thousands of
refs fit no command line) takes no pseudo-options such as `--all` or `--remotes`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from binance_secrets.errors import UsageError
from binance_secrets.git.cat_file import CatFileBatch
from binance_secrets.git.process import run_git, start_git, stop_process
from binance_secrets.git.repository import GitRepository
from binance_secrets.result import ScanError
from binance_secrets.sources.git_objects import ZERO_SHA, object_types, resolve_commit

# Missing commits are cut out of history one `rev-list` run at a time; past this many, give up.
MAX_MISSING_COMMIT_ROUNDS = 64
_FAILED_PARENTS = re.compile(rb"Failed to traverse parents of commit ([0-9a-f]{40,64})")
_PARENT = re.compile(rb"^parent ([0-9a-f]{40,64})$", re.MULTILINE)


def all_tips(repo: GitRepository) -> list[str]:
    """Every ref (branches, remote-tracking branches, tags, notes, stash), HEAD, and older stashes."""
    refs = run_git(repo, "for-each-ref", "--format=%(objectname)").stdout.decode("ascii", "replace").split()
    tips = dict.fromkeys(refs)
    head = resolve_commit(repo, "HEAD")
    if head is not None:
        tips[head] = None  # a detached HEAD is on no branch
    # `refs/stash` names only the newest stash; the others live in its reflog.
    stashes = run_git(repo, "log", "-g", "--format=%H", "refs/stash", "--")
    if stashes.returncode == 0:
        tips.update(dict.fromkeys(stashes.stdout.decode("ascii", "replace").split()))
    return list(tips)


def remote_tips(repo: GitRepository) -> list[str]:
    refs = run_git(repo, "for-each-ref", "--format=%(objectname)", "refs/remotes/").stdout
    return list(dict.fromkeys(refs.decode("ascii", "replace").split()))


def commit_or_usage_error(repo: GitRepository, revision: str, option: str) -> str:
    refuse_option_like(revision, option)
    sha = resolve_commit(repo, revision)
    if sha is None:
        raise UsageError(f"{option}: unknown revision {revision!r} in this repository")
    return sha


def refuse_option_like(revision: str, option: str) -> None:
    """A revision is never passed where git could take it for an option (`--output=...`)."""
    if not revision or revision.startswith("-"):
        raise UsageError(f"{option}: {revision!r} is not a revision (it must not start with '-')")


def parse_range(repo: GitRepository, spec: str) -> list[str]:
    base, separator, head = spec.partition("..")
    if not separator or not base or not head or head.startswith("."):
        raise UsageError(f"--range: expected BASE..HEAD, got {spec!r}")
    return [
        commit_or_usage_error(repo, head, "--range"),
        "^" + commit_or_usage_error(repo, base, "--range"),
    ]


def new_to_remotes(repo: GitRepository, tip: str) -> list[str]:
    """What `tip` has that no remote-tracking ref has: the commits a push of a new branch sends."""
    return [tip, *("^" + sha for sha in remote_tips(repo))]


def from_environment(repo: GitRepository, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """The pre-commit framework's pre-push range, and a sentence saying what it is.

    pre-commit exports PRE_COMMIT_FROM_REF/TO_REF (legacy ORIGIN/SOURCE). A base of all zeros, or one
    this repository does not have (a force push over unknown commits), means a new branch: scan what
    no remote-tracking ref has. pre-commit leaves both unset when the push starts at a root commit, or
    when a hook runs by hand (`--hook-stage manual`): then the local branch, or HEAD, against the
    remotes.
    """
    from_ref = environ.get("PRE_COMMIT_FROM_REF") or environ.get("PRE_COMMIT_ORIGIN") or ""
    to_ref = environ.get("PRE_COMMIT_TO_REF") or environ.get("PRE_COMMIT_SOURCE") or ""
    if from_ref:
        refuse_option_like(from_ref, "PRE_COMMIT_FROM_REF")
    if to_ref:
        tip = commit_or_usage_error(repo, to_ref, "PRE_COMMIT_TO_REF")
        base = resolve_commit(repo, from_ref) if from_ref and from_ref != ZERO_SHA else None
        if base is not None:
            return [tip, "^" + base], f"{from_ref[:12]}..{to_ref[:12]}"
        return new_to_remotes(repo, tip), f"{to_ref[:12]}, commits on no remote"
    local = environ.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    refuse_option_like(local, "PRE_COMMIT_LOCAL_BRANCH")
    tip_sha = resolve_commit(repo, local)
    if tip_sha is None:
        return [], "nothing to push"
    return new_to_remotes(repo, tip_sha), f"{local}, commits on no remote"


def present_revisions(
    repo: GitRepository, revisions: Sequence[str]
) -> tuple[list[str], list[ScanError], dict[str, str]]:
    """The revisions whose objects are all there, an error entry for each one that is not, and the type
    of each object named (`object_types`: the listing needs to know which are tags).

    One ref to a missing object (a dangling ref, a tag to a lost commit) would make every `rev-list`
    of the audit fail: it is left out and reported, and the rest is scanned. A missing exclusion
    (`^sha`) is dropped too: scanning more is safe.
    """
    shas = list(dict.fromkeys(revision.lstrip("^") for revision in revisions))
    types = object_types(repo, shas)
    missing = {sha for sha in shas if sha not in types}
    # Only a tag can lead to an object that is not there (its target, or its target's): anything else
    # that is there is its own `^{}`. Peeling is what costs (numpy's 20,000 refs: 0.43 s of git, against
    # 0.04 s for their types), so only the tags are peeled.
    tags = [sha for sha, kind in types.items() if kind == "tag"]
    if tags:
        with CatFileBatch(repo, check_only=True) as cat_file:
            for read in cat_file.read([f"{sha}^{{}}" for sha in tags]):
                if read.sha is None:
                    missing.add(read.name.removesuffix("^{}"))
    errors = []
    for sha in shas:
        if sha in missing and f"^{sha}" not in revisions:
            refs = run_git(repo, "for-each-ref", f"--points-at={sha}", "--format=%(refname)").stdout
            names = refs.decode("utf-8", "replace").split() or [f"revision {sha[:12]}"]
            errors.append(
                ScanError(
                    _redacted(", ".join(names[:3])),
                    f"points at object {sha[:12]}, which is missing from the repository: "
                    "what only it leads to was not scanned",
                )
            )
    present = [revision for revision in revisions if revision.lstrip("^") not in missing]
    return present, errors, {sha: kind for sha, kind in types.items() if sha not in missing}


def cut_missing_commits(
    repo: GitRepository, revisions: Sequence[str], graft_file: str
) -> tuple[GitRepository, list[str]]:
    """The repository seen with its missing commits cut out, and those commits.

    `rev-list` stops at the first commit whose parent is missing, so one lost commit would leave the
    whole audit unscanned. Each run names the child it could not go past; a graft (written to
    `graft_file`, outside the repository, which is never changed) gives that child its remaining
    parents only, and the next run goes further. Healthy repositories never get here.
    """
    grafts: dict[str, list[str]] = {}
    missing: list[str] = []
    grafted = dataclasses.replace(repo, graft_file=graft_file)
    for _ in range(MAX_MISSING_COMMIT_ROUNDS):
        current = grafted if grafts else repo
        # English: the message read below is git's own, whatever the user's locale.
        process = start_git(current, "rev-list", "--stdin", lines=revisions, stdout=False, english=True)
        try:
            assert process.stderr is not None
            stderr = process.stderr.read()
            returncode = process.wait()
        finally:
            stop_process(process)
        failed = _FAILED_PARENTS.search(stderr)
        if returncode == 0 or failed is None:
            break
        child = failed.group(1).decode("ascii")
        if child in grafts:
            break  # cutting did not help: something else is wrong
        parents = _parents(repo, child)
        if parents is None:
            break
        present = _present_commits(repo, parents)
        missing.extend(parent for parent in parents if parent not in present and parent not in missing)
        grafts[child] = [parent for parent in parents if parent in present]
        with open(graft_file, "w", encoding="ascii") as handle:
            handle.writelines(" ".join([commit, *kept]) + "\n" for commit, kept in grafts.items())
    return (grafted if grafts else repo), missing


def _parents(repo: GitRepository, commit: str) -> list[str] | None:
    completed = run_git(repo, "cat-file", "commit", "--end-of-options", commit)
    if completed.returncode != 0:
        return None
    headers = completed.stdout.split(b"\n\n", 1)[0]
    return [match.decode("ascii") for match in _PARENT.findall(headers)]


def _present_commits(repo: GitRepository, shas: list[str]) -> set[str]:
    with CatFileBatch(repo, check_only=True) as cat_file:
        return {read.name for read in cat_file.read(shas) if read.sha is not None and read.type == "commit"}


def _redacted(text: str) -> str:
    from binance_secrets.sources.git_text import redact_free_text

    return redact_free_text(text)
