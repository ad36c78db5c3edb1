"""The pre-commit hook's clean shortcut never answers "clean" where the full scan would say anything else.

README "Performance": a hook run without options whose files hold none of detection's triggers is
answered without loading the scanner (`clean_shortcut`); every other run is the full scan. These tests
hold the shortcut to that: over every example of every rule and the inputs that the scan opens or
decodes, whenever the shortcut says clean, the full scan of the same file at the same path finds
nothing at any confidence and reports no error; and where the full run has more to say (a config file,
an unreadable or special file, an archive), the hook's answer is the full run's.
"""

from __future__ import annotations

import base64
import io
import os
import py_compile
import re
import sysconfig
import zipfile
from pathlib import Path

import pytest

from binance_secrets import config
from binance_secrets.clean_shortcut import CONFIG_FILE_NAMES, clean_file_count
from binance_secrets.detectors.examples import RULE_EXAMPLES
from binance_secrets.filters import FindingFilter
from binance_secrets.hook import main as hook_main
from binance_secrets.paths import PathFilter
from binance_secrets.scanning import scan_files
from binance_secrets.triggers import nothing_to_find
from testing.examples import example_values, fill
from testing.keys import api_key, ed25519_pem, secret_key
from tests.conftest import modules_a_hook_run_loads

_SECONDS = re.compile(r"\d+\.\d\ds\)")


def _examples() -> list[tuple[bytes, str, bool]]:
    """(content, path, is a positive example) for every example of every rule."""
    values = example_values()
    return [
        (fill(example.text, values).encode(example.encoding), example.path, positive)
        for rule in RULE_EXAMPLES
        for examples, positive in ((rule.positives, True), (rule.negatives, False))
        for example in examples
    ]


def _zip_of(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # no trigger in its bytes
        archive.writestr(name, text)
    return buffer.getvalue()


def _compiled(tmp_path: Path, source: str) -> bytes:
    module = tmp_path / "compiled_source.py"
    module.write_text(source)
    return Path(py_compile.compile(str(module), cfile=str(tmp_path / "compiled.pyc"))).read_bytes()


def _edge_cases(tmp_path: Path) -> list[tuple[bytes, str]]:
    """Inputs that the scan opens, decodes or reads by their path, each holding a credential."""
    key, secret = api_key(), secret_key()
    env = f"BINANCE_API_KEY={key}\nBINANCE_API_SECRET={secret}\n"
    encoded_env = base64.b64encode(env.encode()).decode()
    return [
        (_zip_of("inner/settings.py", f'API_KEY = "{key}"\n'), "bundle.zip"),
        (_zip_of("inner/settings.py", f'API_KEY = "{key}"\n'), "bundle.bin"),  # a zip by its bytes
        (env.encode("utf-16"), "notes.txt"),  # UTF-16: no trigger in its bytes
        (b"\xfe\xff" + env.encode("utf-16-be"), "notes.md"),  # big-endian
        (b"\x00\x01" + env.encode() + b"\x00", "image.png"),  # binary: read as printable runs
        (b"\x00" + ed25519_pem().encode().replace(b" PRIVATE", b"\x00PRIVATE"), "blob.bin"),
        (f"CONFIG_B64={encoded_env}\n".encode(), "deploy.sh"),  # found only once decoded
        (f"data:\n  env: {encoded_env}\n".encode(), "values.yaml"),
        (f'k = "{key[:24]}" \\\n    "{key[24:48]}" \\\n    "{key[48:]}"\n'.encode(), "settings.py"),  # in pieces
        (_compiled(tmp_path, f'API_SECRET = "{secret}"\n'), "settings.cpython-311.pyc"),
        (f"API_SECRET={secret}\n".encode(), ".env"),
    ]


def _full_scan(path: str):  # type: ignore[no-untyped-def]
    return scan_files([path], PathFilter(), FindingFilter(min_confidence="low"))


def test_no_example_of_any_rule_is_answered_clean_when_the_scan_finds_something(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every positive and negative example, written at its own path: where the shortcut says clean,
    the full scan finds nothing at any confidence and has nothing to warn about."""
    answered_clean = positives_found = 0
    for index, (content, path, positive) in enumerate(_examples()):
        case = tmp_path / f"case{index}"
        (case / path).parent.mkdir(parents=True, exist_ok=True)
        (case / path).write_bytes(content)
        monkeypatch.chdir(case)
        result = _full_scan(path)
        if clean_file_count([path], str(case)) is not None:
            answered_clean += 1
            assert not result.findings and not result.errors, (path, content[:200])
        elif positive and result.findings:
            positives_found += 1
    assert positives_found > 100  # the positives were found, and none of them was answered clean
    assert answered_clean > 0  # most negatives are look-alikes, with a trigger; a few have none


def test_ordinary_source_files_at_any_path_agree_with_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real text without credentials (standard-library modules), at plain paths and at paths where the
    scan decodes values or looks for split keys: the shortcut says clean only where the scan is clean."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = sorted(path for path in stdlib.glob("*.py") if path.stat().st_size < 60_000)[:60]
    monkeypatch.chdir(tmp_path)
    answered_clean = 0
    for index, source in enumerate(sources):
        for name in (source.name, f"config/{index}_{source.name}", f"deploy/{index}.sh", f"{index}.env"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_bytes(source.read_bytes())
            if clean_file_count([name], str(tmp_path)) is not None:
                answered_clean += 1
                result = _full_scan(name)
                assert not result.findings and not result.errors, name
    assert answered_clean > 60


def test_inputs_the_scan_opens_or_decodes_are_never_answered_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for content, name in _edge_cases(tmp_path):
        Path(name).write_bytes(content)
        assert _full_scan(name).findings, name  # the scan finds the credential...
        assert clean_file_count([name], str(tmp_path)) is None, name  # ...and the shortcut does not say clean


def test_trigger_free_files_are_answered_clean_and_counted_once(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import os\n\nprint(os.getcwd())\n")
    (tmp_path / "README.md").write_text("# A project\n\nNothing here.\n")
    names = ["app.py", "./app.py", str(tmp_path / "app.py"), "README.md"]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert clean_file_count(names, str(tmp_path)) == 2
        assert _full_scan(".").stats.files == 2
    finally:
        os.chdir(cwd)


def test_a_path_is_judged_as_the_scan_reports_it() -> None:
    """`sources/files.display_path` shortens and normalises a name; what the shorter path says about
    credentials (a folder named `config`, a `.env`) is in the name given too."""
    base64_run = b"x = 'PendingDeprecationWarningAbc'\n"  # 24 base64 characters, no trigger
    assert nothing_to_find(base64_run, "lib/app.py")
    assert not nothing_to_find(base64_run, "config.py")  # split keys are looked for in a config file
    assert not nothing_to_find(base64_run, "./deploy/run.sh")  # base64 values are decoded in scripts
    assert not nothing_to_find(base64_run, "/abs/binance/app.py")


def test_a_name_the_scan_may_read_as_a_commit_message_takes_the_full_run(in_tmp: Path) -> None:
    Path("<commit message>").write_text("nothing\n")
    assert clean_file_count(["<commit message>"], str(in_tmp)) is None


def _hook(capsys: pytest.CaptureFixture[str], *names: str) -> tuple[int, str, str]:
    code = hook_main(list(names))
    captured = capsys.readouterr()
    return code, _SECONDS.sub("N.NNs)", captured.out), captured.err


def test_the_shortcut_prints_what_the_full_run_prints(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("app.py").write_text("def main() -> None:\n    print('hello')\n")
    Path("notes.txt").write_text("plain notes\n")
    assert clean_file_count(["app.py", "notes.txt"], str(in_tmp)) == 2
    shortcut = _hook(capsys, "app.py", "notes.txt")
    Path(".binance-secrets.toml").write_text("")  # an empty config file: the full run, same settings
    assert clean_file_count(["app.py", "notes.txt"], str(in_tmp)) is None
    full = _hook(capsys, "app.py", "notes.txt")
    assert shortcut == full == (0, "No Binance credentials found (2 files, N.NNs).\n", "")


@pytest.mark.parametrize(
    ("config_name", "text"),
    [
        (".binance-secrets.toml", "min-confidence = [\n"),  # not TOML
        ("pyproject.toml", '[tool.binance-secrets]\nmin-confidence = "bogus"\n'),
        ("pyproject.toml", '[tool."binance\\u002dsecrets"]\nmin-confidence = "bogus"\n'),  # an escaped key
    ],
)
def test_a_broken_config_is_reported_even_when_the_files_are_clean(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], config_name: str, text: str
) -> None:
    """README "Configuration": a bad config file is a usage error (exit 2) on every run, not only on
    runs that find something."""
    Path("app.py").write_text("print('hello')\n")
    Path(config_name).write_text(text)
    code, _, err = _hook(capsys, "app.py")
    assert code == 2 and "binance-secrets-hook: error:" in err


def test_pyproject_without_our_section_keeps_the_shortcut(in_tmp: Path) -> None:
    Path("pyproject.toml").write_text('[project]\nname = "demo"\n')
    Path("app.py").write_text("print('hello')\n")
    assert clean_file_count(["app.py"], str(in_tmp)) == 1
    assert config.CONFIG_FILE_NAMES == CONFIG_FILE_NAMES  # the shortcut looks for the files config reads


def test_what_is_not_a_readable_regular_file_takes_the_full_run(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("app.py").write_text("print('hello')\n")
    Path("link.py").symlink_to("app.py")
    os.mkfifo("pipe")
    Path("folder").mkdir()
    (Path("folder") / "inner.py").write_text("print('inner')\n")
    for name in ("link.py", "pipe", "folder", "missing.py"):
        assert clean_file_count(["app.py", name], str(in_tmp)) is None, name
    assert _hook(capsys, "app.py", "missing.py")[0] == 3  # a named file that is not there: not clean
    code, _, err = _hook(capsys, "app.py", "pipe")
    assert code == 3 and "not a regular file" in err
    code, _, err = _hook(capsys, "app.py", "link.py")
    assert code == 0 and "symbolic link" in err  # the full run's notice, not a silent clean


def test_a_file_over_the_read_limit_takes_the_full_run(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from binance_secrets.clean_shortcut import MAX_BYTES

    secret = secret_key()
    Path("big.txt").write_bytes(b"plain words\n" * (MAX_BYTES // 12 + 1))
    assert clean_file_count(["big.txt"], str(in_tmp)) is None
    with open("big.txt", "ab") as handle:
        handle.write(f'API_SECRET = "{secret}"\n'.encode())
    assert _hook(capsys, "big.txt")[0] == 1


def test_a_clean_run_of_trigger_free_files_loads_no_scanner(tmp_path: Path) -> None:
    """README "Performance": a commit of ordinary files is answered with the shortcut and two small
    modules; no detector, settings, report or result type, no dataclasses or typing, no enum of exit codes."""
    (tmp_path / "app.py").write_text("import os\n\nprint(os.getcwd())\n")
    unwanted = (
        "dataclasses", "typing", "argparse", "tomllib", "binance_secrets.detectors", "binance_secrets.scanning",
        "binance_secrets.settings", "binance_secrets.output", "binance_secrets.result", "binance_secrets.errors",
        "binance_secrets.exit_codes", "binance_secrets.report.text", "binance_secrets.sources",
    )  # fmt: skip
    assert modules_a_hook_run_loads(tmp_path, "app.py", unwanted) == ([], 0)


def test_hostile_file_names_are_read_by_the_shortcut_and_never_obeyed(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README "With the pre-commit framework": an argument naming an existing file is a file. Trigger-free
    files named like options, with a newline or with bytes that are not UTF-8 are read and counted by
    the shortcut; a key beside them, in a file named like an option, still fails the commit."""
    names = ["--help", "-f", "--exclude=*", "line\nbreak.py", os.fsdecode(b"caf\xe9.py")]
    for name in names:
        Path(name).write_text("print('hello')\n")
    assert clean_file_count(names, str(in_tmp)) == len(names)
    code, out, _ = _hook(capsys, *names)
    assert (code, out) == (0, f"No Binance credentials found ({len(names)} files, N.NNs).\n")
    Path("--exclude=*").write_text(f'API_SECRET = "{secret_key()}"\n')
    assert clean_file_count(names, str(in_tmp)) is None
    assert _hook(capsys, *names)[0] == 1
