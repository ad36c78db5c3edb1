"""Install the plain git hooks of `hooks/` for teams that do not use the pre-commit framework."""

from __future__ import annotations

import contextlib
import os
import shlex
import stat
import sys
from importlib import resources
from pathlib import Path

import click

from binance_secrets.errors import ScanFailure, UsageError
from binance_secrets.git.process import run_git
from binance_secrets.git.repository import GitFolder

HOOK_NAMES = ("pre-commit", "pre-push")
MANAGED_MARKER = "binance-secrets-managed-hook"
PYTHON_PLACEHOLDER = 'BINANCE_SECRETS_PYTHON=""'
HOOK_MODE = stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH  # 0o755


def hook_source(name: str) -> str:
    """The hook script: packaged in the wheel under binance_secrets/hooks, or hooks/ in a checkout."""
    packaged = resources.files("binance_secrets").joinpath("hooks", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "hooks" / name
    return checkout.read_text(encoding="utf-8")


def hooks_directory(repo: str) -> Path:
    if not repo:
        raise UsageError("REPO must be the path of a folder in a git repository, not an empty string")
    folder = Path(repo)
    if not folder.exists():
        raise ScanFailure(f"{repo}: no such file or directory")
    if not folder.is_dir():
        raise ScanFailure(f"{repo} is not a folder (give the folder of a git repository)")
    # The folder is git's working directory, never an argument: no name can become an option.
    completed = run_git(GitFolder(str(folder)), "rev-parse", "--git-path", "hooks")
    if completed.returncode != 0:
        raise ScanFailure(f"{repo} is not a git repository")
    # --git-path honours core.hooksPath and worktrees; it is relative to `repo`.
    answer = completed.stdout[:-1] if completed.stdout.endswith(b"\n") else completed.stdout
    return (folder / os.fsdecode(answer)).resolve()


@click.command("install-hooks")
@click.argument("repo", required=False, default=".", type=str)
@click.option("--hook", "hooks", multiple=True, type=click.Choice(HOOK_NAMES), help="Only this hook (repeatable).")
@click.option(
    "--force", is_flag=True, help="Replace existing hooks that binance-secrets did not install (kept as .bak)."
)
def install_hooks_command(repo: str, hooks: tuple[str, ...], force: bool) -> int:
    """Install the pre-commit and pre-push git hooks into REPO (default: the current repository)."""
    directory = hooks_directory(repo)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in hooks or HOOK_NAMES:
            install_hook(directory, name, force)
    except OSError as error:
        raise ScanFailure(f"cannot install the hooks in {directory}: {error.strerror or error}") from error
    return 0


def install_hook(directory: Path, name: str, force: bool) -> None:
    target = directory / name
    if os.path.lexists(target) and not _is_managed(target):
        if not force:
            raise UsageError(
                f"{target} exists and was not installed by binance-secrets; "
                "re-run with --force to replace it (a copy is kept as .bak)"
            )
        backup = _free_backup_name(target)
        target.replace(backup)
        click.echo(f"kept the existing {name} hook as {os.path.relpath(backup)}")
    script = hook_source(name).replace(PYTHON_PLACEHOLDER, f"BINANCE_SECRETS_PYTHON={shlex.quote(sys.executable)}", 1)
    _write_executable(target, script)
    click.echo(f"installed {os.path.relpath(target)}")


def _is_managed(target: Path) -> bool:
    """Our own hook (re-installing it is an update); anything else, unreadable or not a file, is foreign."""
    if target.is_symlink() or not target.is_file():
        return False
    try:
        return MANAGED_MARKER in target.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _free_backup_name(target: Path) -> Path:
    """`NAME.bak`, or `NAME.bak.1`, `.bak.2`... when taken: an earlier backup (the user's original hook,
    perhaps) is never overwritten, whatever it is (file, folder, link)."""
    candidate = target.with_name(target.name + ".bak")
    number = 0
    while os.path.lexists(candidate):
        number += 1
        candidate = target.with_name(f"{target.name}.bak.{number}")
    return candidate


def _write_executable(target: Path, script: str) -> None:
    """Write beside the target, then rename over it: mode 0755 whatever the umask (no group or other
    write: a hook others can edit runs their code on every commit), and never a half-written hook."""
    temporary = target.with_name(f".{target.name}.binance-secrets-{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, HOOK_MODE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(script)
            os.fchmod(stream.fileno(), HOOK_MODE)
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
