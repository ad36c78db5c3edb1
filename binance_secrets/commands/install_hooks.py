"""Install the plain git hooks of `hooks/` for teams that do not use the pre-commit framework."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from importlib import resources
from pathlib import Path

import click

from binance_secrets.errors import ScanFailure, UsageError

HOOK_NAMES = ("pre-commit", "pre-push")
MANAGED_MARKER = "binance-secrets-managed-hook"
PYTHON_PLACEHOLDER = 'BINANCE_SECRETS_PYTHON=""'


def hook_source(name: str) -> str:
    """The hook script: packaged in the wheel under binance_secrets/hooks, or hooks/ in a checkout."""
    packaged = resources.files("binance_secrets").joinpath("hooks", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "hooks" / name
    return checkout.read_text(encoding="utf-8")


def hooks_directory(repo: str) -> Path:
    completed = subprocess.run(
        ["git", "rev-parse", "--git-path", "hooks"], cwd=repo, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise ScanFailure(f"{repo} is not a git repository")
    # --git-path honours core.hooksPath and worktrees; it is relative to `repo`.
    return (Path(repo) / completed.stdout.strip()).resolve()


@click.command("install-hooks")
@click.argument("repo", required=False, default=".", type=str)
@click.option("--hook", "hooks", multiple=True, type=click.Choice(HOOK_NAMES), help="Only this hook (repeatable).")
@click.option("--force", is_flag=True, help="Replace existing hooks that binance-secrets did not install.")
def install_hooks_command(repo: str, hooks: tuple[str, ...], force: bool) -> int:
    """Install the pre-commit and pre-push git hooks into REPO (default: the current repository)."""
    directory = hooks_directory(repo)
    directory.mkdir(parents=True, exist_ok=True)
    for name in hooks or HOOK_NAMES:
        target = directory / name
        if target.exists() and MANAGED_MARKER not in target.read_text(encoding="utf-8", errors="replace"):
            if not force:
                raise UsageError(
                    f"{target} exists and was not installed by binance-secrets; "
                    "re-run with --force to replace it (a copy is kept as .bak)"
                )
            target.replace(target.with_name(name + ".bak"))
        script = hook_source(name).replace(
            PYTHON_PLACEHOLDER, f"BINANCE_SECRETS_PYTHON={shlex.quote(sys.executable)}", 1
        )
        target.write_text(script, encoding="utf-8")
        target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        click.echo(f"installed {os.path.relpath(target)}")
    return 0
