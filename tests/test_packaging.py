"""What a release ships: the sdist and wheel built from a clean clone of HEAD (what the release workflow builds
from the tag), what each holds, their metadata and `twine check`; the container image's Dockerfile; the
README's install commands and container recipes.

Builds run offline: `python -m build --no-isolation` with the dev extra's hatchling, the sdist first and the
wheel from the unpacked sdist, as on PyPI. Uncommitted changes are not in the clone, by design: a release is
built from what is committed.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
import shlex
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
import tomllib
import trove_classifiers
import yaml

from binance_secrets import __version__
from testing.gitrepo import git_env
from tests.conftest import PROJECT_ROOT

# build, twine, hatchling, hadolint, pre-commit and PyYAML come with the dev extra.
pytestmark = [pytest.mark.slow, pytest.mark.dev_extra]

BIN = Path(sys.executable).parent
PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
PROJECT_URL = "https://github.com/binance-secrets/binance-secrets"
WHEEL_DIST_INFO = f"binance_secrets-{__version__}.dist-info"


@dataclass(frozen=True)
class Dists:
    checkout: Path
    tracked: tuple[str, ...]  # the files git tracks at HEAD
    sdist: Path
    wheel: Path


def _run(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=git_env(), capture_output=True, text=True, check=False)


def _tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is not installed: pip install -e '.[dev]'"
    return str(path)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("builds from a git clone of the project, and this is no git checkout (an unpacked sdist?)")
    root = tmp_path_factory.mktemp("packaging")
    checkout = root / "checkout"
    cloned = _run("git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_ROOT), str(checkout))
    assert cloned.returncode == 0, cloned.stderr
    head = _run("git", "rev-parse", "HEAD").stdout
    assert _run("git", "rev-parse", "HEAD", cwd=checkout).stdout == head
    tracked = tuple(_run("git", "ls-files", "-z", cwd=checkout).stdout.split("\0")[:-1])
    out = root / "dist"
    built = _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(checkout))
    assert built.returncode == 0, built.stdout + built.stderr
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return Dists(checkout, tracked, sdist, wheel)


def _wheel_names(dists: Dists) -> list[str]:
    with zipfile.ZipFile(dists.wheel) as archive:
        return archive.namelist()


def _sdist_names(dists: Dists) -> list[str]:
    prefix = f"binance_secrets-{__version__}/"
    with tarfile.open(dists.sdist) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    assert all(name.startswith(prefix) for name in names)
    return [name.removeprefix(prefix) for name in names]


def _metadata(text: str) -> Message:
    return email.parser.Parser(policy=email.policy.compat32).parsestr(text)


def _wheel_metadata(dists: Dists) -> Message:
    with zipfile.ZipFile(dists.wheel) as archive:
        return _metadata(archive.read(f"{WHEEL_DIST_INFO}/METADATA").decode())


def test_sdist_and_wheel_of_this_version_build_from_a_clean_checkout(dists: Dists) -> None:
    assert dists.sdist.name == f"binance_secrets-{__version__}.tar.gz"
    assert dists.wheel.name == f"binance_secrets-{__version__}-py3-none-any.whl"
    assert not (dists.checkout / ".venv").exists()  # the clone holds only what is committed


def test_wheel_holds_every_file_of_the_package_and_the_plain_hooks(dists: Dists) -> None:
    """README "With plain git hooks": `install-hooks` installs hooks/pre-commit and hooks/pre-push, which an
    installed package finds inside itself."""
    with zipfile.ZipFile(dists.wheel) as archive:
        for name in dists.tracked:
            if name.startswith("binance_secrets/"):
                assert archive.read(name) == (dists.checkout / name).read_bytes(), name
        for hook in ("pre-commit", "pre-push"):
            info = archive.getinfo(f"binance_secrets/hooks/{hook}")
            assert archive.read(info) == (dists.checkout / "hooks" / hook).read_bytes()
            assert (info.external_attr >> 16) & 0o111, f"{hook} is not executable in the wheel"


def test_wheel_holds_the_report_schema(dists: Dists) -> None:
    """README "JSON report": the report's JSON Schema ships inside the package; every JSON file under
    binance_secrets/ is in the wheel, and none is left out by the build configuration."""
    package_json = sorted(
        name for name in dists.tracked if name.startswith("binance_secrets/") and name.endswith(".json")
    )
    wheel_json = sorted(
        name for name in _wheel_names(dists) if name.startswith("binance_secrets/") and name.endswith(".json")
    )
    assert wheel_json == package_json
    assert "binance_secrets/report/schema/report.schema.json" in wheel_json


def test_wheel_holds_nothing_but_the_package_and_its_metadata(dists: Dists) -> None:
    names = _wheel_names(dists)
    strays = [name for name in names if not name.startswith(("binance_secrets/", f"{WHEEL_DIST_INFO}/"))]
    assert strays == []
    assert not any(part in {"tests", "testing", "benchmarks"} for name in names for part in name.split("/"))
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_sdist_holds_what_a_distro_packager_needs(dists: Dists) -> None:
    """Every committed file (tests, test helpers, benchmarks the tests import, LICENSE, README, CHANGELOG,
    pyproject) and nothing else but PKG-INFO: the tests run from the unpacked sdist."""
    names = _sdist_names(dists)
    assert sorted(names) == sorted([*dists.tracked, "PKG-INFO"])
    for needed in ("LICENSE", "README.md", "CHANGELOG.md", "SECURITY.md", "pyproject.toml", "tests/conftest.py"):
        assert needed in names


def test_the_tests_collect_from_the_unpacked_sdist(dists: Dists, tmp_path: Path) -> None:
    with tarfile.open(dists.sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    unpacked = tmp_path / f"binance_secrets-{__version__}"
    collected = _run(sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", cwd=unpacked)
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    assert re.search(r"^\d{4,} tests collected", collected.stdout, re.MULTILINE), collected.stdout[-500:]


def test_metadata_names_license_classifiers_urls_python_floor_and_readme(dists: Dists) -> None:
    metadata = _wheel_metadata(dists)
    assert metadata["Name"] == "binance-secrets"
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Requires-Python"] == ">=3.10"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().strip() == (PROJECT_ROOT / "README.md").read_text().strip()

    classifiers = metadata.get_all("Classifier") or []
    assert set(classifiers) <= trove_classifiers.classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: the expression says it
    versions = [
        c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions[0] == "3.10" and len(versions) >= 5
    assert "Topic :: Security" in classifiers

    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog", "Security"} <= set(urls)
    assert all(url.startswith(PROJECT_URL) for url in urls.values())

    with zipfile.ZipFile(dists.wheel) as archive:
        assert archive.read(f"{WHEEL_DIST_INFO}/licenses/LICENSE") == (PROJECT_ROOT / "LICENSE").read_bytes()
    assert (PROJECT_ROOT / "LICENSE").read_text().startswith("MIT License\n")

    with tarfile.open(dists.sdist) as sdist:
        member = sdist.extractfile(f"binance_secrets-{__version__}/PKG-INFO")
        assert member is not None
        pkg_info = _metadata(member.read().decode())
    for field in ("Name", "Version", "License-Expression", "Requires-Python", "Description-Content-Type"):
        assert pkg_info[field] == metadata[field], field


def test_twine_check_passes_on_the_sdist_and_wheel(dists: Dists) -> None:
    checked = _run(_tool("twine"), "check", "--strict", str(dists.sdist), str(dists.wheel))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_twine_check_fails_on_a_readme_pypi_cannot_render(tmp_path: Path, dists: Dists) -> None:
    """Proves the previous test can fail: the same wheel, with a reStructuredText description that does not
    parse, is refused."""
    broken = tmp_path / dists.wheel.name
    with zipfile.ZipFile(dists.wheel) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("/METADATA"):
                data = data.replace(b"Description-Content-Type: text/markdown", b"Description-Content-Type: text/x-rst")
                data += b"\n.. broken:: directive\n   `unclosed\n"
            target.writestr(info, data)
    checked = _run(_tool("twine"), "check", "--strict", str(broken))
    assert checked.returncode == 1
    assert "FAILED" in checked.stdout


# The container image --------------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped) as (INSTRUCTION, arguments)."""
    joined = re.sub(r"\\\n(?:\s*#.*\n)*", " ", (PROJECT_ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines if line and not line.startswith("#")
    ]


def test_hadolint_accepts_the_dockerfile() -> None:
    result = _run(_tool("hadolint"), "--no-color", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_refuses_a_dockerfile_that_breaks_its_rules(tmp_path: Path) -> None:
    """Proves the previous test can fail: without the one documented exception, DL3008 is reported."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "".join(
            line for line in (PROJECT_ROOT / "Dockerfile").read_text().splitlines(True) if "hadolint ignore" not in line
        )
    )
    result = _run(_tool("hadolint"), "--no-color", str(dockerfile))
    assert result.returncode == 1
    assert "DL3008" in result.stdout


def test_image_runs_binance_secrets_as_a_non_root_user_in_repo() -> None:
    """The image the README documents: a pinned slim Python base of a supported version, git with /repo and
    /src as safe directories, the wheel installed from binary wheels only, a non-root user, /repo as working
    directory and binance-secrets as entrypoint."""
    instructions = _instructions()
    [base] = [args for name, args in instructions if name == "FROM"]
    match = re.fullmatch(r"python:(3\.\d+)\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base)
    assert match, f"the base image is not pinned to an exact slim Python release: {base}"
    assert f"Programming Language :: Python :: {match[1]}" in PYPROJECT["project"]["classifiers"]

    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert re.search(r"apt-get install --yes --no-install-recommends git(\s|$)", runs)
    assert "rm -rf /var/lib/apt/lists/*" in runs
    assert "git config --system --add safe.directory /repo" in runs
    assert "git config --system --add safe.directory /src" in runs
    assert re.search(r"--mount=type=bind,source=dist,\S*\s+python -m pip install --only-binary=:all: \S+\.whl", runs)
    assert not re.search(r"\b(gcc|g\+\+|make|build-essential|python3-dev)\b", runs)

    [user] = [args for name, args in instructions if name == "USER"][-1:]
    assert user.split(":")[0] not in {"root", "0"}
    assert [args for name, args in instructions if name == "WORKDIR"][-1] == "/repo"
    assert [args for name, args in instructions if name == "ENTRYPOINT"] == ['["binance-secrets"]']
    # Only the wheel reaches the build context.
    patterns = [
        line for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert patterns == ["*", "!dist/*.whl"]


# The README --------------------------------------------------------------------------------------------


def _readme_section(heading: str) -> str:
    """From `heading` to the next heading of the same or a higher level (`#` lines in code blocks are not)."""
    lines = (PROJECT_ROOT / "README.md").read_text().splitlines(keepends=True)
    start = lines.index(f"{heading}\n")
    level = len(heading.split(" ", 1)[0])
    fenced = False
    for end in range(start + 1, len(lines)):
        fenced ^= lines[end].startswith("```")
        if not fenced and re.match(rf"#{{1,{level}}} ", lines[end]):
            return "".join(lines[start:end])
    return "".join(lines[start:])


def test_readme_set_up_still_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", _readme_section("## Set-up: the two commands"), re.DOTALL)
    assert blocks[:2] == [
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/binance-secrets scan .\n",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/python -m pytest -q\n",
    ]


def test_readme_pre_commit_docker_recipe_is_a_valid_pre_commit_config(tmp_path: Path) -> None:
    """README "Container image": the pre-commit `docker_image` recipe is a config pre-commit accepts, and runs
    the image's hook entry point with pre-commit's file names."""
    section = _readme_section("## Container image")
    [recipe] = [block for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL) if "docker_image" in block]
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(recipe)
    validated = _run(sys.executable, "-m", "pre_commit", "validate-config", str(config))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    [hook] = yaml.safe_load(recipe)["repos"][0]["hooks"]
    assert hook["language"] == "docker_image"
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["--entrypoint", "binance-secrets-hook"]
    assert entry[1] in PYPROJECT["project"]["scripts"]
    assert re.fullmatch(r"ghcr\.io/OWNER/binance-secrets:\d+\.\d+\.\d+", entry[2])
