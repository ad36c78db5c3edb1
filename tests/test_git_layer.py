"""The one git layer (`binance_secrets/git`), on real repositories: names that look like options or
pathspec magic stay names, a corrupt or missing object is an answer and not the end of a read, the
reader asks a bounded number of names ahead, no git process reaches a transport unless it is a fetch,
and a machine without git gets one line and exit 3, never a traceback.

README promises protected: "Partial scans are never reported clean", "Guarding commits", "Auditing
git history" (file names, ref names and messages are data; missing or corrupt objects are reported
and the rest is still scanned), exit codes (3: nothing could be scanned) and "no traceback for any
user error".
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_secrets.git.cat_file import MAX_IN_FLIGHT_REQUEST_BYTES, CatFileBatch, ObjectRead
from binance_secrets.git.process import run_git, run_networked
from binance_secrets.git.repository import GitFolder, GitRepository, find_git_dir
from testing.gitrepo import GitRepo, git_env
from testing.keys import api_key, random_hex
from tests.conftest import run_subprocess

PACKAGE = Path(__file__).resolve().parents[1] / "binance_secrets"


def _repository(repo: GitRepo) -> GitRepository:
    return GitRepository(str(repo.path / ".git"), str(repo.path))


def _write_object(repo: GitRepo, content: str) -> str:
    written = repo.run("git", "hash-object", "-w", "--stdin", stdin=content)
    assert written.code == 0, written.stderr
    return written.stdout.strip()


def _cut_short(repo: GitRepo, object_id: str) -> None:
    """The loose object loses the second half of its bytes: its header still reads, its content no longer
    does, and `git cat-file --batch` dies while streaming it."""
    path = repo.path / ".git" / "objects" / object_id[:2] / object_id[2:]
    data = path.read_bytes()
    os.chmod(path, 0o644)
    path.write_bytes(data[: len(data) // 2])


@pytest.fixture
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The layer runs git with this process's environment: the tests' identity and empty config."""
    for name, value in git_env().items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("isolated_git")
def test_a_path_named_like_an_option_is_read_as_a_path(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("--output=x", "first\n")
    repo.write("-h", "second\n")
    head = repo.commit_file("plain.txt", "third\n")
    repository = _repository(repo)
    with CatFileBatch(repository) as cat_file:
        reads = list(cat_file.read([f"{head}:--output=x", f"{head}:-h"]))
    assert [(read.type, read.data) for read in reads] == [("blob", b"first\n"), ("blob", b"second\n")]
    listed = run_git(repository, "ls-tree", "-z", "--name-only", "--end-of-options", head, "--output=x", "-h")
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split(b"\0")[:-1]) == [b"--output=x", b"-h"]
    assert not (repo.path / "x").exists() and not Path("x").exists()  # no option wrote a file


@pytest.mark.usefixtures("isolated_git")
def test_a_repository_in_a_folder_named_like_an_option_is_found_there(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "--git-dir=elsewhere")
    repo.commit_file("a.txt", "a\n")
    completed = run_git(GitFolder(str(repo.path)), "rev-parse", "--show-toplevel", check=True)
    assert os.fsdecode(completed.stdout.rstrip(b"\n")) == str(repo.path)


@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize("where", ["work tree", "sub/folder", ".git/objects", "bare", "git dir without config"])
def test_the_repository_is_found_from_any_path_in_it(tmp_path: Path, where: str) -> None:
    """`history PATH` audits the repository at or above PATH: plain `git rev-parse` answers for a work tree
    and a bare repository; inside `.git` and for a git dir without a config file GitPython does."""
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit_file("sub/folder/a.txt", "a\n")
    git_dir, work_tree = repo.path / ".git", repo.path
    if where == "bare":
        bare = tmp_path / "bare.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], env=git_env(), check=True)
        git_dir, work_tree, path = bare, None, bare
    elif where == "git dir without config":
        (git_dir / "config").unlink()
        path = git_dir
    else:
        path = repo.path / where if where != "work tree" else repo.path
    assert find_git_dir(str(path)) == (str(git_dir), None if work_tree is None else str(work_tree))


@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize("setting", ["GIT_GLOB_PATHSPECS", "GIT_ICASE_PATHSPECS", "GIT_NOGLOB_PATHSPECS"])
def test_the_callers_pathspec_settings_never_turn_a_name_into_magic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    # The fixture's own `git add` must take the name literally too.
    repo = GitRepo.create(tmp_path / "repo", env={**git_env(), "GIT_LITERAL_PATHSPECS": "1"})
    repo.commit_file("other.txt", "other\n", "other")
    magic = repo.commit_file(":(exclude)*", "named like magic\n", "magic")
    monkeypatch.setenv(setting, "1")  # git refuses to combine it with literal pathspecs: the layer drops it
    for place in (_repository(repo), GitFolder(str(repo.path))):
        completed = run_git(place, "log", "--format=%H", "--", ":(exclude)*")
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.decode().split() == [magic]


@pytest.mark.usefixtures("isolated_git")
def test_a_corrupt_object_is_reported_and_the_reader_goes_on(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    before = _write_object(repo, "before\n")
    broken = _write_object(repo, random_hex(8000))
    after = _write_object(repo, "after\n")
    _cut_short(repo, broken)
    with CatFileBatch(_repository(repo)) as cat_file:
        reads = list(cat_file.read([before, broken, after, before]))
    assert [read.name for read in reads] == [before, broken, after, before]
    assert [read.type for read in reads] == ["blob", "error", "blob", "blob"]
    assert reads[1].sha is None and reads[1].error is not None and "unreadable object" in reads[1].error
    assert [reads[0].data, reads[2].data, reads[3].data] == [b"before\n", b"after\n", b"before\n"]


@pytest.mark.usefixtures("isolated_git")
def test_many_unreadable_objects_never_block_the_reader(tmp_path: Path) -> None:
    """git writes an error line per object it cannot unpack and goes on: more of them than a pipe holds
    must not leave git blocked on its stderr while the reader waits for the next answer."""
    repo = GitRepo.create(tmp_path / "repo")
    names = [random_hex(40) for _ in range(1200)]
    for name in names:  # loose objects whose zlib check fails: git cannot even read their header
        folder = repo.path / ".git" / "objects" / name[:2]
        folder.mkdir(exist_ok=True)
        (folder / name[2:]).write_bytes(zlib.compress(b"blob 5\0hello")[:-1] + b"\0")
    reads: list[ObjectRead] = []

    def read_all() -> None:
        with CatFileBatch(_repository(repo)) as cat_file:
            reads.extend(cat_file.read(names))

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(120)
    assert not reader.is_alive(), f"the reader is stuck after {len(reads)} of {len(names)} answers"
    assert [read.name for read in reads] == names
    assert {read.type for read in reads} == {"missing"}


@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize("check_only", [False, True])
def test_a_missing_object_is_an_answer_not_the_end_of_the_read(tmp_path: Path, check_only: bool) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    head = repo.commit_file("here.txt", "here\n")
    names = [random_hex(40), f"{head}:absent.txt", f"{head}:here.txt\n{head}:here.txt", f"{head}:here.txt"]
    with CatFileBatch(_repository(repo), check_only=check_only) as cat_file:
        reads = list(cat_file.read(names))
    assert [read.name for read in reads] == names
    assert [read.type for read in reads] == ["missing", "missing", "missing", "blob"]
    assert [read.sha is None for read in reads] == [True, True, True, False]
    assert reads[3].data == (b"" if check_only else b"here\n")


@pytest.mark.usefixtures("isolated_git")
def test_the_reader_asks_a_bounded_number_of_names_ahead_of_its_answers(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    blob = _write_object(repo, "same blob, asked many times\n")
    asked = 0

    def names() -> Iterator[str]:
        nonlocal asked
        for _ in range(3000):
            asked += 1
            yield blob

    ahead = []
    with CatFileBatch(_repository(repo)) as cat_file:
        for answered, read in enumerate(cat_file.read(names()), start=1):
            assert read.sha == blob
            ahead.append(asked - answered)
    assert len(ahead) == 3000
    assert max(ahead) <= MAX_IN_FLIGHT_REQUEST_BYTES // (len(blob) + 1)


@pytest.mark.usefixtures("isolated_git")
def test_the_audit_ignores_the_callers_git_dir_and_a_hooks_folder_follows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audited = GitRepo.create(tmp_path / "audited")
    hooked = GitRepo.create(tmp_path / "hooked")
    monkeypatch.setenv("GIT_DIR", str(hooked.path / ".git"))  # as a running hook of `hooked` has it
    repository_answer = run_git(_repository(audited), "rev-parse", "--absolute-git-dir", check=True)
    folder_answer = run_git(GitFolder(str(audited.path)), "rev-parse", "--absolute-git-dir", check=True)
    assert os.fsdecode(repository_answer.stdout.strip()) == str(audited.path / ".git")
    assert os.fsdecode(folder_answer.stdout.strip()) == str(hooked.path / ".git")


@pytest.mark.usefixtures("isolated_git")
def test_no_git_process_reaches_a_transport_unless_it_is_a_fetch(tmp_path: Path) -> None:
    local = GitRepo.create(tmp_path / "local")
    remote = GitRepo.create(tmp_path / "remote")
    remote.commit_file("a.txt", "a\n")
    url = (remote.path / ".git").as_uri()
    refused = run_git(_repository(local), "ls-remote", "--", url)
    assert refused.returncode != 0
    assert b"transport 'file' not allowed" in refused.stderr
    fetched = run_networked(f"--git-dir={local.path / '.git'}", "ls-remote", "--", url, protocols=("file",))
    assert fetched.returncode == 0, fetched.stderr
    assert b"refs/heads/main" in fetched.stdout


def test_staged_reads_the_staged_blob_not_a_replacement_of_it(tmp_path: Path) -> None:
    """`refs/replace` can show another object in place of the staged one; a commit records the staged one."""
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit_file("README.md", "readme\n")
    repo.write("bot.py", f'BINANCE_API_KEY = "{api_key()}"\n')
    staged = repo.git("ls-files", "-s", "bot.py").split()[1]
    clean = _write_object(repo, "nothing here\n")
    repo.git("replace", staged, clean)
    result = run_subprocess(["staged", "-f", "json"], cwd=repo.path, env=repo.env)
    assert result.exit_code == 1, result.stderr
    assert [finding["path"] for finding in json.loads(result.stdout)["findings"]] == ["bot.py"]


def test_a_corrupt_staged_blob_is_reported_and_the_other_staged_files_still_scanned(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit_file("README.md", "readme\n")
    repo.write("a.txt", random_hex(8000))
    repo.write("b.py", f'BINANCE_API_KEY = "{api_key()}"\n')
    _cut_short(repo, repo.git("ls-files", "-s", "a.txt").split()[1])
    result = run_subprocess(["staged", "-f", "json"], cwd=repo.path, env=repo.env)
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert [finding["path"] for finding in report["findings"]] == ["b.py"]
    assert [error["path"] for error in report["errors"]] == ["a.txt"]
    assert "not scanned" in report["errors"][0]["message"]


def _without_git(tmp_path: Path) -> dict[str, str]:
    env = git_env()
    empty = tmp_path / "bin-without-git"
    empty.mkdir(exist_ok=True)
    env["PATH"] = str(empty)
    return env


@pytest.mark.parametrize("command", [["history", "."], ["staged", "."], ["install-hooks", "."]])
def test_git_missing_from_path_is_one_line_and_exit_3(tmp_path: Path, command: list[str]) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit_file("a.txt", "a\n")
    result = run_subprocess(command, cwd=repo.path, env=_without_git(tmp_path))  # asserts no traceback
    assert result.exit_code == 3, result.stderr
    assert result.stderr.splitlines() == [
        "binance-secrets: error: cannot run git (No such file or directory): git must be installed and on PATH"
    ]


def test_git_missing_from_path_fails_the_action_with_one_error_line(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit_file("a.txt", "a\n")
    env = {**_without_git(tmp_path), "BSEC_MODE": "history"}
    completed = subprocess.run(
        [sys.executable, "-m", "binance_secrets.action"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 3, completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stdout.splitlines() == [
        "::error title=binance-secrets::cannot run git (No such file or directory): git must be installed and on PATH"
    ]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_git_runs_only_through_the_git_layer() -> None:
    """Issue #15: one git layer for every git call. Outside `binance_secrets/git` no module starts a
    process, except the action, which runs the CLI itself (`python -m binance_secrets`); GitPython is
    imported in one place."""
    starts_processes = set()
    imports_gitpython = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        imports = _imports(path)
        if "subprocess" in imports and not relative.startswith("git/"):
            starts_processes.add(relative)
        if "git" in imports or any(name.startswith("git.") for name in imports):
            imports_gitpython.add(relative)
    assert starts_processes == {"action.py"}
    assert imports_gitpython == {"git/repository.py"}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_history_still_scans_what_follows_a_corrupt_blob_in_its_batch(tmp_path: Path, jobs: str) -> None:
    """A blob git dies on ends that `cat-file`; the blobs asked after it in the same batch are asked again
    of a new one, not dropped without a word."""
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("a.txt", random_hex(8000))
    repo.commit_file("b.py", f'BINANCE_API_KEY = "{api_key()}"\n')
    _cut_short(repo, repo.git("rev-parse", "HEAD:a.txt").strip())
    result = run_subprocess(["history", "-f", "json", "--jobs", jobs], cwd=repo.path, env=repo.env)
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert [finding["path"] for finding in report["findings"]] == ["b.py"]
    assert any(error["path"].startswith("a.txt") for error in report["errors"]), report["errors"]


def test_scanning_processes_report_a_corrupt_blob_by_path_and_scan_every_blob_after_it(tmp_path: Path) -> None:
    """Issue #16: batches go to the scanning processes as plain tuples; a blob git dies on in a worker's
    batch is still named by its path and id, and every other blob is scanned ("Partial scans are never
    reported clean"), the report the same as the single process's. Enough blobs that workers start."""
    repo = GitRepo.create(tmp_path / "repo")
    for index in range(700):  # over `INLINE_OBJECTS`: the audit forks its scanning processes
        repo.write(f"notes/n{index:03}.txt", f"note {index} {random_hex(16)}\n", stage=False)
    repo.write("notes/n350.txt", random_hex(8000), stage=False)
    repo.write("z/keys.py", f'BINANCE_API_KEY = "{api_key()}"\n', stage=False)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "many notes")
    corrupt = repo.git("rev-parse", "HEAD:notes/n350.txt").strip()
    _cut_short(repo, corrupt)
    reports = []
    for jobs in ("2", "1"):
        result = run_subprocess(["history", "-f", "json", "--jobs", jobs], cwd=repo.path, env=repo.env)
        assert result.exit_code == 1, result.stderr
        report = json.loads(result.stdout)
        report["stats"].pop("seconds")  # the one thing that may differ
        reports.append(report)
    assert [finding["path"] for finding in reports[0]["findings"]] == ["z/keys.py"]
    assert [error["path"] for error in reports[0]["errors"]] == [f"notes/n350.txt (blob {corrupt[:12]})"]
    assert reports[0] == reports[1]


def test_small_audit_reads_every_message_git_wrote_beyond_a_default_pipe_before_the_listing_ended(
    tmp_path: Path,
) -> None:
    """Issue #16: a small audit reads the messages' `git log` started before the listing, whose pipe is
    widened only then; messages past the first 64 KiB (git blocked on the pipe meanwhile) are all scanned,
    the secret in the oldest one found with either number of processes."""
    repo = GitRepo.create(tmp_path / "repo")
    repo.commit_file("a.txt", "one\n")
    repo.git("commit", "-q", "--no-gpg-sign", "--no-verify", "--allow-empty", "-m", f'BINANCE_API_KEY = "{api_key()}"')
    first = repo.git("rev-parse", "HEAD").strip()
    filler = "\n".join(random_hex(60) for _ in range(1500))  # about 90 KiB a message
    for index in range(3):
        repo.git("commit", "-q", "--no-gpg-sign", "--no-verify", "--allow-empty", "-m", f"filler {index}\n\n{filler}")
    for jobs in ("1", "2"):
        result = run_subprocess(["history", "-f", "json", "--jobs", jobs], cwd=repo.path, env=repo.env)
        assert result.exit_code == 1, result.stderr
        report = json.loads(result.stdout)
        assert [(finding["path"], finding["commit"]["sha"]) for finding in report["findings"]] == [
            ("<commit message>", first)
        ], report["findings"]
        assert report["stats"]["commits"] == 5
