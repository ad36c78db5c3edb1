"""Which commits a history audit covers, as rev-list arguments: tips, and `^sha` for what is left out.

Everything is expanded to object names here because `rev-list --stdin` (used so that thousands of
refs fit no command line) takes no pseudo-options such as `--all` or `--remotes`.
"""

from __future__ import annotations

from collections.abc import Mapping

from binance_secrets.errors import UsageError
from binance_secrets.sources.git_objects import ZERO_SHA, GitRepository, resolve_commit, run_git


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
    if not revision or revision.startswith("-"):
        raise UsageError(f"{option}: {revision!r} is not a revision")
    sha = resolve_commit(repo, revision)
    if sha is None:
        raise UsageError(f"{option}: unknown revision {revision!r} in this repository")
    return sha


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
    if to_ref:
        tip = commit_or_usage_error(repo, to_ref, "PRE_COMMIT_TO_REF")
        base = resolve_commit(repo, from_ref) if from_ref and from_ref != ZERO_SHA else None
        if base is not None:
            return [tip, "^" + base], f"{from_ref[:12]}..{to_ref[:12]}"
        return new_to_remotes(repo, tip), f"{to_ref[:12]}, commits on no remote"
    local = environ.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    tip_sha = resolve_commit(repo, local)
    if tip_sha is None:
        return [], "nothing to push"
    return new_to_remotes(repo, tip_sha), f"{local}, commits on no remote"
