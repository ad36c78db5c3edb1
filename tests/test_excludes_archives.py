"""`--exclude` and config `exclude` reach into zip archives the same way in every driver.

README "Suppressing a finding" (excludes): a member of an archive is reported as `ARCHIVE!MEMBER`, and
an exclude glob treats the archive as a folder above its members: `*.zip` or `dist` drops them all, a
glob without `/` matches a member's file name (`*.env`, `keys.env`) as it matches a file's at any depth,
and a glob with `/` stays anchored at the scanned root (`tests/*.env` is the repository's `tests`
folder, not one inside an archive; `*!tests/*.env` reaches in). `scan`, `staged`, the pre-commit hook,
`history` and `merge-reports` report exactly the same paths for every glob.

Real repositories, real archives built at run time, every key generated at run time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from binance_secrets.cli import main as cli_main
from binance_secrets.hook import main as hook_main
from testing import keys
from testing.gitrepo import git, init_repo
from testing.hostile_zips import deflated_member, raw_zip

ARCHIVE = "dist/bundle.zip"
IN_TESTS, AT_ROOT, IN_CONF = f"{ARCHIVE}!tests/x.env", f"{ARCHIVE}!keys.env", f"{ARCHIVE}!conf/app.py"
PLAIN = "tests/plain.env"
EVERYTHING = {IN_TESTS, AT_ROOT, IN_CONF, PLAIN}

# glob -> the paths still reported
EXPECTED = {
    None: EVERYTHING,
    "*.env": {IN_CONF},
    "x.env": {AT_ROOT, IN_CONF, PLAIN},
    "keys.env": {IN_TESTS, IN_CONF, PLAIN},  # a member at the archive's root, by its file name
    "tests/*.env": {IN_TESTS, AT_ROOT, IN_CONF},  # anchored: the repository's tests folder only
    "tests": {IN_TESTS, AT_ROOT, IN_CONF},
    "*!tests/*.env": {AT_ROOT, IN_CONF, PLAIN},
    f"{ARCHIVE}!conf": {IN_TESTS, AT_ROOT, PLAIN},  # a folder inside the archive
    "*.zip": {PLAIN},
    "dist/*.zip": {PLAIN},
    "dist": {PLAIN},
}


def _env(prefix: str) -> bytes:
    return f"{prefix}_API_KEY={keys.api_key()}\n{prefix}_API_SECRET={keys.secret_key()}\n".encode()


def _files() -> dict[str, bytes]:
    python = f'BINANCE_API_KEY = "{keys.api_key()}"\nBINANCE_API_SECRET = "{keys.secret_key()}"\n'
    archive = raw_zip(
        [
            deflated_member("tests/x.env", _env("BINANCE")),
            deflated_member("keys.env", _env("BINANCE")),
            deflated_member("conf/app.py", python.encode()),
        ]
    )
    return {ARCHIVE: archive, PLAIN: _env("BINANCE")}


@pytest.fixture(scope="module")
def repositories(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same files committed in one repository (scan, the hook, history) and staged in another."""
    files = _files()
    committed = init_repo(tmp_path_factory.mktemp("committed") / "repo")
    staged = init_repo(tmp_path_factory.mktemp("staged") / "repo")
    for repo in (committed, staged):
        for relative, data in files.items():
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            (repo / relative).write_bytes(data)
        git(repo, "add", "-A")
    git(committed, "commit", "-qm", "add the bundle")
    return committed, staged


def _paths(report: Path) -> set[str]:
    return {finding["path"] for finding in json.loads(report.read_text())["findings"]}


def _reported(driver: str, glob: str | None, committed: Path, staged: Path, out: Path) -> set[str]:
    exclude = ["--exclude", glob] if glob is not None else []
    common = ["-f", "json", "-o", str(out), *exclude]
    previous = Path.cwd()
    os.chdir(committed)  # scan and the hook scan the current folder, as a user runs them
    try:
        if driver == "scan":
            code = cli_main(["scan", ".", "--no-progress", *common])
        elif driver == "staged":
            code = cli_main(["staged", str(staged), "--no-progress", *common])
        elif driver == "history":
            code = cli_main(["history", str(committed), "--jobs", "1", "--no-progress", *common])
        else:  # merge-reports: a report made without excludes, merged with them
            unfiltered = out.with_suffix(".unfiltered.json")
            assert cli_main(["scan", ".", "-f", "json", "-o", str(unfiltered), "--no-progress"]) == 1
            code = cli_main(["merge-reports", str(unfiltered), *common])
    finally:
        os.chdir(previous)
    assert code in (0, 1), (driver, glob, code)
    return _paths(out) if out.exists() else set()


DRIVERS = ("scan", "hook", "staged", "history", "merge-reports")


@pytest.mark.parametrize("glob", list(EXPECTED), ids=[str(glob) for glob in EXPECTED])
def test_every_driver_applies_an_exclude_to_archive_members_alike(
    repositories: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], glob: str | None
) -> None:
    committed, staged = repositories
    reported = {}
    for driver in DRIVERS:
        if driver == "hook":
            reported[driver] = _hook_report(committed, glob, capsys)
        else:
            reported[driver] = _reported(driver, glob, committed, staged, tmp_path / f"{driver}.json")
    assert reported == {driver: EXPECTED[glob] for driver in DRIVERS}


def _hook_report(committed: Path, glob: str | None, capsys: pytest.CaptureFixture[str]) -> set[str]:
    """The pre-commit hook prints its report on stdout (it has no `-o`)."""
    exclude = ["--exclude", glob] if glob is not None else []
    previous = Path.cwd()
    os.chdir(committed)
    try:
        capsys.readouterr()
        code = hook_main(["-f", "json", *exclude, "--", ARCHIVE, PLAIN])
        out = capsys.readouterr().out
    finally:
        os.chdir(previous)
    assert code in (0, 1), (glob, code)
    return {finding["path"] for finding in json.loads(out)["findings"]}


def test_config_excludes_reach_into_archives_as_command_line_ones_do(
    repositories: tuple[Path, Path], tmp_path: Path
) -> None:
    """README "Suppressing a finding": `exclude = [...]` in the config is the same list as `--exclude`."""
    committed, _ = repositories
    config = tmp_path / "config.toml"
    config.write_text('exclude = ["keys.env", "*!tests/*"]\n')
    out = tmp_path / "scan.json"
    previous = Path.cwd()
    os.chdir(committed)
    try:
        assert cli_main(["scan", ".", "--config", str(config), "-f", "json", "-o", str(out), "--no-progress"]) == 1
    finally:
        os.chdir(previous)
    assert _paths(out) == {IN_CONF, PLAIN}
