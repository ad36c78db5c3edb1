"""How a repository argument or repos-file line is read: URL or path, refused or not, and how it is shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from binance_secrets.sources.repositories import parse_source, strip_credentials

TOKEN = "t0ken-" + "x" * 4  # not key-shaped: only its absence from the shown form matters


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (f"https://auditor:{TOKEN}@github.com/org/repo.git", "https://github.com/org/repo.git"),
        (f"https://{TOKEN}@github.com/org/repo.git", "https://github.com/org/repo.git"),
        (f"https://x-access-token:{TOKEN}@h:8443/a/b", "https://h:8443/a/b"),
        ("ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"),
        (f"ssh://git:{TOKEN}@github.com/org/repo.git", "ssh://github.com/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        (f"git:{TOKEN}@github.com:org/repo.git", "github.com:org/repo.git"),
        (f"ext::https://a:{TOKEN}@h/x", "ext::https://h/x"),
        ("file:///srv/git/repo.git", "file:///srv/git/repo.git"),
        ("../repo", "../repo"),
    ],
)
def test_credentials_are_stripped_from_what_is_shown(given: str, shown: str) -> None:
    assert strip_credentials(given) == shown
    source = parse_source(given)
    assert source.display == shown
    assert TOKEN not in source.display and TOKEN not in source.clone_name and TOKEN not in repr(source)


@pytest.mark.parametrize(
    "given",
    [
        "https://github.com/org/repo.git",
        "ssh://git@github.com:2222/org/repo.git",
        "git+ssh://git@github.com/org/repo.git",
        "git://127.0.0.1/repo.git",
        "git@github.com:org/repo.git",
        "github.com:org/repo.git",
        "file:///srv/git/repo.git",
        "file://localhost/srv/git/repo.git",
    ],
)
def test_urls_of_allowed_protocols_are_accepted(given: str) -> None:
    source = parse_source(given)
    assert source.is_url and source.refused is None


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("--upload-pack=touch /tmp/x", "starts with '-'"),
        ("-c core.sshCommand=touch /tmp/x", "starts with '-'"),
        ("-", "starts with '-'"),
        ("ext::sh -c touch% /tmp/x", "transport helpers"),
        ("fd::3", "transport helpers"),
        ("http://example.invalid/repo.git", "protocol 'http'"),
        ("ftp://example.invalid/repo.git", "protocol 'ftp'"),
        ("ssh://-oProxyCommand=touch%20x/repo", "host name"),
        ("https://-x/repo", "host name"),
        ("ssh://-user@host/repo", "user name"),
        ("git@-oProxyCommand=x:repo", "not a URL"),
        ("https://host/repo --upload-pack=x", "whitespace"),
        ("https://host/repo\nhttps://other/x", "whitespace"),
        ("file://remote-host/srv/repo", "file:// URL names a local path"),
    ],
)
def test_what_git_could_misread_is_refused(given: str, why: str) -> None:
    source = parse_source(given)
    assert source.refused is not None and why in source.refused


def test_an_existing_folder_with_a_colon_is_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "team:repo").mkdir()
    source = parse_source("team:repo")
    assert not source.is_url and source.refused is None


def test_clone_names_are_stable_distinct_and_plain() -> None:
    first = parse_source("https://github.com/org/repo.git").clone_name
    assert first == parse_source(f"https://a:{TOKEN}@github.com/org/repo.git").clone_name
    assert first != parse_source("https://gitlab.com/org/repo.git").clone_name
    weird = parse_source("https://host/..%2F..%2Fetc/.git").clone_name
    assert "/" not in weird and not weird.startswith((".", "-"))
