from __future__ import annotations

import ast
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from binance_secrets.cli import main as cli_main
from testing import keys, network_guard

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


network_guard.install()


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """Fails any test that tried to open a socket or resolve a name outside loopback (testing/network_guard.py),
    even when the code under test took the refusal for a network error and went on."""
    before = len(network_guard.attempts())
    yield
    made = network_guard.attempts()[before:]
    if made:
        pytest.fail(f"the test tried to reach the network: {'; '.join(made)}", pytrace=False)


@pytest.fixture(autouse=True)
def _no_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the credentials they generate, never a key that happens to be exported."""
    for name in ("BINANCE_API_KEY", "BINANCE_API_SECRET", "BINANCE_PRIVATE_KEY_FILE", "BINANCE_SECRETS_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("BINANCE_SECRETS_API_URL_"):  # per-realm overrides
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Runs `binance-secrets ARGS` in-process through `main()`, as the console script does."""

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        code = cli_main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return CliRun(int(code), captured.out, captured.err)

    return run


def modules_a_hook_run_loads(folder: Path, file_name: str, modules: tuple[str, ...]) -> tuple[list[str], int]:
    """Which of `modules` a fresh interpreter has loaded after `binance-secrets-hook FILE` in `folder`,
    and the hook's exit code."""
    probe = (
        "import sys\n"
        "from binance_secrets.hook import main\n"
        f"code = main([{file_name!r}])\n"
        f"print(repr(([m for m in {modules!r} if m in sys.modules], int(code))))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=folder, capture_output=True, text=True, check=True)
    loaded, code = ast.literal_eval(completed.stdout.strip().splitlines()[-1])
    return loaded, code


def run_subprocess(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> CliRun:
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


@dataclass(frozen=True)
class KeyPair:
    api_key: str
    secret: str


@pytest.fixture
def key_pair() -> KeyPair:
    return KeyPair(keys.api_key(), keys.secret_key())


@pytest.fixture(scope="session")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUNNER_TEMP after the action's install step ran (`tests.test_action.install_action`): one install
    per session, shared by every module that runs the action's steps."""
    from tests.test_action import install_action

    return install_action(tmp_path_factory)


# The core suite: `pytest --core` runs what needs only the package and pytest (CI runs it on Python 3.10, where
# the dev extra cannot be installed). A test that needs the dev extra's packages or tools is marked dev_extra;
# a module that imports them at its top is marked as a whole (`pytestmark`) and is then not even imported.


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--core",
        action="store_true",
        help="run only the tests that need no package or tool of the dev extra (not those marked dev_extra)",
    )


def _module_marked_dev_extra(path: Path) -> bool:
    for node in ast.parse(path.read_bytes(), str(path)).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        ):
            return any(isinstance(part, ast.Attribute) and part.attr == "dev_extra" for part in ast.walk(node.value))
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("core") and collection_path.suffix == ".py" and _module_marked_dev_extra(collection_path):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("core"):
        return
    deselected = [item for item in items if item.get_closest_marker("dev_extra")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("dev_extra")]


def _refuses_non_utf8_names(error: BaseException | None) -> bool:
    # macOS's APFS refuses file names that are not valid UTF-8 (EILSEQ); Linux file systems take any bytes.
    return isinstance(error, OSError) and error.errno == errno.EILSEQ


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    outcome = yield
    if _refuses_non_utf8_names(outcome.excinfo[1] if outcome.excinfo else None):
        outcome.force_exception(pytest.skip.Exception("this file system refuses file names that are not UTF-8"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    outcome = yield
    if _refuses_non_utf8_names(outcome.excinfo[1] if outcome.excinfo else None):
        outcome.force_exception(pytest.skip.Exception("this file system refuses file names that are not UTF-8"))
