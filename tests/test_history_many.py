"""`history REPO_OR_URL... / --repos-file`: organisation-wide audits over real git transports (issue #13).

Repositories are real git repositories served as file:// URLs, over git's smart HTTP behind TLS with
Basic authentication (`testing.git_servers.GitHttpsServer`), and over git's ssh transport with an ssh
stand-in that runs the remote command locally. Nothing touches the internet.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from testing.git_servers import GitHttpsServer, HangingServer, fake_ssh
from testing.gitrepo import commit_file, git, git_env, init_repo
from testing.keys import api_key, random_token
from testing.sarif_validation import validate_sarif
from tests.conftest import CliRun, run_subprocess

pytestmark = pytest.mark.slow


def repo_with_key(path: Path, key: str, name: str = "config.py") -> Path:
    init_repo(path)
    commit_file(path, "README.md", "hello\n", "start")
    commit_file(path, name, f'BINANCE_API_KEY = "{key}"\n', "add config")
    return path


def bare_copy(source: Path, target: Path) -> Path:
    git(source.parent, "clone", "-q", "--mirror", str(source), str(target))
    return target


def run(args: list[str], cwd: Path, **extra: str) -> CliRun:
    env = git_env()
    env.update(extra)
    return run_subprocess(args, cwd, env)


def report(result: CliRun) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def everything_written(*runs: CliRun, files: list[Path] = ()) -> str:  # type: ignore[assignment]
    text = "".join(result.stdout + result.stderr for result in runs)
    for path in files:
        for item in [path] if path.is_file() else sorted(path.rglob("*")):
            text += str(item) + "\n"
            if item.is_file() and not item.is_symlink():
                text += item.read_bytes().decode("latin-1")
    return text


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_several_file_urls_and_a_local_path_are_one_audit_with_a_repository_per_finding(
    tmp_path: Path, jobs: str
) -> None:
    keys = [api_key() for _ in range(3)]
    repos = [repo_with_key(tmp_path / f"repo{index}", key) for index, key in enumerate(keys)]
    clean = init_repo(tmp_path / "clean")
    commit_file(clean, "app.py", "print('hello')\n")
    urls = [repos[0].as_uri(), repos[1].as_uri(), clean.as_uri()]
    result = run(["history", *urls, str(repos[2]), "--jobs", jobs, "-f", "json", "--no-progress"], tmp_path)
    assert result.exit_code == 1, result.stderr
    document = report(result)
    by_repository = {f["repository"]: f for f in document["findings"]}
    assert set(by_repository) == {urls[0], urls[1], str(repos[2])}
    assert by_repository[urls[0]]["path"] == "config.py"
    assert by_repository[urls[0]]["commit"]["summary"] == "add config"
    assert by_repository[urls[0]]["in_head"] is True  # the mirror's HEAD is the remote's default branch
    assert document["errors"] == []
    assert document["stats"]["commits"] == 2 + 2 + 2 + 1


def test_a_single_local_repository_keeps_repository_null(tmp_path: Path) -> None:
    """README "JSON report and exit codes": `repository` is the repository as given in multi-repository
    audits, else null."""
    repo = repo_with_key(tmp_path / "repo", api_key())
    result = run(["history", str(repo), "-f", "json", "--no-progress"], tmp_path)
    assert result.exit_code == 1
    assert [f["repository"] for f in report(result)["findings"]] == [None]


def test_an_unreachable_url_is_an_error_entry_and_the_others_go_on(tmp_path: Path) -> None:
    repo = repo_with_key(tmp_path / "repo", api_key())
    missing = (tmp_path / "nowhere.git").as_uri()
    with HangingServer(hang=False) as closing:
        refused = f"https://127.0.0.1:{closing.port}/org/repo.git"  # closes every connection at once
        result = run(["history", repo.as_uri(), missing, refused, "-f", "json", "--no-progress"], tmp_path)
    assert result.exit_code == 1  # findings: exit 1, whatever could not be read
    document = report(result)
    assert [f["repository"] for f in document["findings"]] == [repo.as_uri()]
    errors = {error["repository"]: error for error in document["errors"]}
    assert set(errors) == {missing, refused}
    assert "cannot fetch" in errors[refused]["message"]
    assert "notice" not in errors[missing]  # not scanned: the audit is incomplete
    assert f"warning: {refused}: cannot fetch" in result.stderr


def test_nothing_found_with_an_unreachable_url_is_exit_3_never_clean(tmp_path: Path) -> None:
    """README "Partial scans are never reported clean": a repository that could not be fetched may hold a key."""
    clean = init_repo(tmp_path / "clean")
    commit_file(clean, "app.py", "print('hello')\n")
    result = run(["history", clean.as_uri(), (tmp_path / "gone.git").as_uri(), "--no-progress"], tmp_path)
    assert result.exit_code == 3
    assert "Scan incomplete" in result.stdout


def test_every_repository_unreachable_is_exit_3(tmp_path: Path) -> None:
    result = run(
        ["history", (tmp_path / "a.git").as_uri(), (tmp_path / "b.git").as_uri(), "-f", "json", "--no-progress"],
        tmp_path,
    )
    assert result.exit_code == 3
    assert len(report(result)["errors"]) == 2


def test_credentials_in_an_https_url_authenticate_and_are_never_echoed(tmp_path: Path) -> None:
    """The token is used to fetch and appears nowhere: stdout, stderr, JSON, SARIF, text, the kept clones
    (file names and contents) and the remediation files."""
    served = tmp_path / "served"
    served.mkdir()
    key = api_key()
    bare_copy(repo_with_key(tmp_path / "source", key), served / "org-repo.git")
    token = random_token(40)
    (tmp_path / "certs").mkdir()
    with GitHttpsServer(served, tmp_path / "certs", f"auditor:{token}") as server:
        url = server.url("org-repo.git", f"auditor:{token}")
        shown = server.url("org-repo.git")
        wrong = server.url("other-repo.git", "auditor:not-the-token-" + token[:6])
        env = {"GIT_SSL_CAINFO": str(server.cert_path)}
        clones = tmp_path / "clones"
        remediation = tmp_path / "plan"
        runs = [
            run(
                ["history", url, wrong, "-f", fmt, "--no-progress", "--keep-clones", str(clones),
                 "--remediation", str(remediation)],
                tmp_path, **env,
            )
            for fmt in ("json", "sarif", "text", "github")
        ]
        assert server.authenticated > 0 and server.rejected > 0
    assert [r.exit_code for r in runs] == [1, 1, 1, 1], runs[0].stderr
    document = report(runs[0])
    assert [f["repository"] for f in document["findings"]] == [shown]
    [error] = document["errors"]
    assert error["repository"] == server.url("other-repo.git")
    assert "Authentication failed" in error["message"] or "401" in error["message"]
    validate_sarif(json.loads(runs[1].stdout))
    assert json.loads(runs[1].stdout)["runs"][0]["results"][0]["properties"]["repository"] == shown
    assert shown in runs[2].stdout and shown in runs[3].stdout
    written = everything_written(*runs, files=[clones, remediation])
    assert token not in written
    assert token[:6] not in written.replace(key, "")  # not even the wrong token's piece of it
    assert key in (remediation / "replacements.txt").read_text()  # the plan itself was written


def test_scp_like_and_ssh_urls_go_through_git_ssh_transport(tmp_path: Path) -> None:
    keys = [api_key(), api_key()]
    first = bare_copy(repo_with_key(tmp_path / "one", keys[0]), tmp_path / "one.git")
    second = bare_copy(repo_with_key(tmp_path / "two", keys[1]), tmp_path / "two.git")
    ssh = fake_ssh(tmp_path)
    scp_like = f"git@localhost:{first}"
    ssh_url = f"ssh://git@localhost{second}"
    result = run(
        ["history", scp_like, ssh_url, "-f", "json", "--no-progress"], tmp_path,
        GIT_SSH_COMMAND=str(ssh), GIT_SSH_VARIANT="simple",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert {f["repository"] for f in report(result)["findings"]} == {scp_like, ssh_url}


HOSTILE_LINES = [
    "--upload-pack=touch {marker}",
    "-c core.sshCommand=touch {marker}",
    "ext::sh -c touch% {marker}",
    "ext::sh -c 'touch {marker}'",
    "fd::0",
    "ssh://-oProxyCommand=touch%20{marker}/x",
    "git@-oProxyCommand=touch:x",
    "{good} --upload-pack=touch {marker}",
    "http://127.0.0.1:1/x.git",
    "ext::https://auditor:{token}@127.0.0.1/x.git",
    "http://auditor:{token}@127.0.0.1:1/x.git",
]


def test_hostile_repos_file_lines_never_run_anything(tmp_path: Path) -> None:
    key = api_key()
    good = repo_with_key(tmp_path / "good", key).as_uri()
    marker = tmp_path / "pwned"
    token = random_token(32)
    lines = [line.format(marker=marker, good=good, token=token) for line in HOSTILE_LINES]
    repos_file = tmp_path / "repos.txt"
    repos_file.write_text("# the organisation's repositories\n\n" + "\n".join([*lines, good]) + "\n")
    ssh = fake_ssh(tmp_path)  # were an ssh URL ever run, it would run its command here
    result = run(
        ["history", "--repos-file", str(repos_file), "-f", "json", "--no-progress"], tmp_path,
        GIT_SSH_COMMAND=str(ssh), GIT_SSH_VARIANT="simple",
    )  # fmt: skip
    assert not marker.exists()
    assert result.exit_code == 1, result.stderr
    document = report(result)
    assert [f["repository"] for f in document["findings"]] == [good]
    refused = {error["repository"]: error["message"] for error in document["errors"]}
    assert set(refused) == {line.replace(f"auditor:{token}@", "") for line in lines}
    assert token not in result.stdout + result.stderr
    assert all(message.startswith("refused") or "cannot fetch" in message for message in refused.values())


def test_an_option_given_as_a_repository_after_double_dash_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    result = run(["history", "-f", "json", "--no-progress", "--", f"--upload-pack=touch {marker}", "."], tmp_path)
    assert not marker.exists()
    assert result.exit_code == 3  # `.` is no repository, the other was refused: nothing scanned
    assert any(e["message"].startswith("refused") for e in report(result)["errors"])


def test_repos_file_comments_blank_lines_and_duplicates(tmp_path: Path) -> None:
    repo = repo_with_key(tmp_path / "repo", api_key())
    repos_file = tmp_path / "repos.txt"
    repos_file.write_text(f"# comment\n\n   {repo.as_uri()}   \n{repo.as_uri()}\n  # indented comment\n")
    result = run(["history", "--repos-file", str(repos_file), "-f", "json", "--no-progress"], tmp_path)
    assert result.exit_code == 1
    assert [f["repository"] for f in report(result)["findings"]] == [repo.as_uri()]


def test_usage_errors_of_a_multi_repository_audit(tmp_path: Path) -> None:
    repo = repo_with_key(tmp_path / "repo", api_key())
    assert run(["history", "--repos-file", str(tmp_path / "none.txt")], tmp_path).exit_code == 2
    (tmp_path / "empty.txt").write_text("# nothing\n")
    assert run(["history", "--repos-file", str(tmp_path / "empty.txt")], tmp_path).exit_code == 2
    ranged = run(["history", str(repo), repo.as_uri(), "--range", "HEAD~1..HEAD"], tmp_path)
    assert ranged.exit_code == 2 and "--range" in ranged.stderr
    (tmp_path / "file").write_text("x")
    assert run(["history", repo.as_uri(), "--keep-clones", str(tmp_path / "file")], tmp_path).exit_code == 2
    os.symlink(tmp_path / "elsewhere", tmp_path / "link")
    (tmp_path / "elsewhere").mkdir()
    assert run(["history", repo.as_uri(), "--keep-clones", str(tmp_path / "link")], tmp_path).exit_code == 2
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_keep_clones_rerun_fetches_into_the_same_mirror(tmp_path: Path) -> None:
    first_key, second_key = api_key(), api_key()
    source = repo_with_key(tmp_path / "source", first_key)
    clones = tmp_path / "clones"
    args = ["history", source.as_uri(), "--keep-clones", str(clones), "-f", "json", "--no-progress"]
    first = run(args, tmp_path)
    assert first.exit_code == 1
    assert stat.S_IMODE(clones.stat().st_mode) == 0o700
    [mirror] = clones.iterdir()
    assert git(mirror, "rev-parse", "--is-bare-repository").strip() == "true"
    sentinel = mirror / "objects" / "info" / "left-by-the-test"
    sentinel.write_text("a re-clone would remove this\n")
    identity = mirror.stat().st_ino
    commit_file(source, "later.py", f'BINANCE_API_SECRET = "{second_key}"\n', "later")
    git(source, "branch", "-q", "feature")
    second = run(args, tmp_path)
    assert second.exit_code == 1
    assert [p.name for p in clones.iterdir()] == [mirror.name]
    assert sentinel.exists() and mirror.stat().st_ino == identity  # fetched, not cloned again
    assert len(report(second)["findings"]) == 2
    assert "refs/heads/feature" in git(mirror, "for-each-ref", "--format=%(refname)")
    # What the mirror holds of the URL: the marker, no remote, no FETCH_HEAD, no reflog.
    assert git(mirror, "remote").strip() == ""
    assert not (mirror / "FETCH_HEAD").exists()
    assert not (mirror / "logs").exists() or not any((mirror / "logs").rglob("*"))


def test_keep_clones_never_touches_a_folder_it_did_not_make(tmp_path: Path) -> None:
    source = repo_with_key(tmp_path / "source", api_key())
    clones = tmp_path / "clones"
    first = run(["history", source.as_uri(), "--keep-clones", str(clones), "-f", "json", "--no-progress"], tmp_path)
    [mirror] = clones.iterdir()
    (mirror / "binance-secrets-mirror").unlink()
    second = run(["history", source.as_uri(), "--keep-clones", str(clones), "-f", "json", "--no-progress"], tmp_path)
    assert first.exit_code == 1 and second.exit_code == 3
    assert "not a mirror made by binance-secrets" in report(second)["errors"][0]["message"]


def test_temporary_clones_are_removed_after_the_audit(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    source = repo_with_key(tmp_path / "source", api_key())
    result = run(["history", source.as_uri(), "--no-progress"], tmp_path, TMPDIR=str(temporary))
    assert result.exit_code == 1
    assert list(temporary.iterdir()) == []


def _wait_for(condition: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _processes_under(folder: Path) -> list[str]:
    """Command lines of running processes that mention `folder` (git fetching into it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if str(folder) in command:
            found.append(command)
    return found


@pytest.mark.parametrize(("signum", "jobs"), [(signal.SIGTERM, "1"), (signal.SIGINT, "1"), (signal.SIGTERM, "2")])
def test_a_signal_during_fetches_removes_the_temporary_clone_folder(tmp_path: Path, signum: int, jobs: str) -> None:
    """Ctrl-C (SIGINT to the whole process group) and SIGTERM: git ends and the private folder goes."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    token = random_token(32)
    env = git_env()
    env["TMPDIR"] = str(temporary)
    with HangingServer() as server:
        urls = [f"https://auditor:{token}@127.0.0.1:{server.port}/org/repo{index}.git" for index in range(2)]
        process = subprocess.Popen(
            [sys.executable, "-m", "binance_secrets", "history", *urls, "--jobs", jobs, "--no-progress"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for(lambda: server.accepted.is_set())
            [folder] = list(temporary.iterdir())
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
            names = [str(path) for path in folder.rglob("*")]
            assert names and not any(token in name for name in names)
            assert _processes_under(folder)  # git is fetching into it
            if signum == signal.SIGINT:
                os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C on a terminal does
            else:
                process.send_signal(signum)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 128 + signum, stderr
    assert list(temporary.iterdir()) == []
    assert _processes_under(temporary) == []
    assert b"Traceback" not in stderr
    assert token.encode() not in stdout + stderr


def test_progress_line_counts_repositories_and_hides_urls(tmp_path: Path) -> None:
    """README "Organisation-wide audits": one progress line for the whole audit, on a terminal only,
    with counts and no repository name (a URL could hold credentials)."""
    import pty
    import threading

    token = random_token(32)
    repo = repo_with_key(tmp_path / "repo", api_key())
    other = repo_with_key(tmp_path / "other", api_key())
    closing = HangingServer(hang=False).__enter__()
    bad = f"https://auditor:{token}@127.0.0.1:{closing.port}/x.git"
    primary, secondary = pty.openpty()
    terminal: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                return
            if not chunk:
                return
            terminal.append(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    process = subprocess.Popen(
        [sys.executable, "-m", "binance_secrets", "history", repo.as_uri(), other.as_uri(), bad, "-f", "json"],
        cwd=tmp_path, env=git_env(), stdout=subprocess.PIPE, stderr=secondary,
    )  # fmt: skip
    os.close(secondary)
    try:
        stdout, _ = process.communicate(timeout=120)
    finally:
        closing.__exit__(None, None, None)
    reader.join(10)
    os.close(primary)
    shown = b"".join(terminal)
    assert process.returncode == 1
    assert b"3/3 repositories" in shown
    assert b"objects" in shown and b"MB/s" in shown
    assert token.encode() not in shown + stdout


def test_multi_repository_audit_filters_as_history_does(tmp_path: Path) -> None:
    """#13.4: baselines, allow lists, --min-confidence and redaction as in a single-repository audit."""
    known, allowed, weak, fresh = api_key(), api_key(), api_key(), api_key()
    first = repo_with_key(tmp_path / "first", known)
    second = init_repo(tmp_path / "second")
    commit_file(second, "bot.py", f'BINANCE_API_KEY = "{allowed}"\nBINANCE_API_SECRET = "{fresh}"\n', "bot")
    commit_file(second, "notes.txt", f"{weak}\n", "notes")
    baseline = tmp_path / "baseline.json"
    assert run(["history", str(first), "-f", "json", "-o", str(baseline), "--no-progress"], tmp_path).exit_code == 1
    from binance_secrets.finding import sha256_hex

    commit_file(second, ".binance-secrets.toml", f'allow = ["{sha256_hex(allowed)}"]\n', "allow")
    args = ["history", first.as_uri(), str(second), "-f", "json", "--no-progress", "--baseline", str(baseline)]
    result = run(args, tmp_path)
    assert result.exit_code == 1
    secrets = {f["secret_sha256"] for f in report(result)["findings"]}
    assert secrets == {sha256_hex(fresh)}  # baseline and allow list applied; the bare low one below threshold
    low = report(run([*args, "--min-confidence", "low"], tmp_path))
    assert sha256_hex(weak) in {f["secret_sha256"] for f in low["findings"]}
    assert fresh not in result.stdout and weak not in json.dumps(low)
    shown = report(run([*args, "--show-secrets"], tmp_path))
    assert [f["secret"] for f in shown["findings"]] == [fresh]
