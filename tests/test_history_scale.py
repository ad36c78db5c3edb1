"""History attribution at scale: many findings in one blob, and findings on very long lines.

README, "Auditing git history": each secret is reported with the commit that first brought it in,
`occurrences` and `in_head`, once per path (a rename is a new path, first committed by the rename).
These must hold for a blob of
thousands of keys (attribution is linear in them: see benchmarks/history_findings.py for the
timing) and for a key past the 8 MiB mark of a single line (history reads each blob whole: no
chunk boundary may shift a column). Real git repositories, generated keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from binance_secrets.cli import main
from binance_secrets.detectors import detect
from testing.gitrepo import commit_file, git, init_repo
from testing.keys import api_key, random_token

pytestmark = pytest.mark.slow

MIB = 1024 * 1024


def history(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["history", *args, "-f", "json", "--no-progress", "--show-secrets"])
    return code, json.loads(capsys.readouterr().out)


def _detected_alone(key: str) -> bool:
    line = f'BINANCE_API_KEY_0 = "{key}"\n'.encode()
    return [finding.secret for finding in detect(line, "keys.py")] == [key]


def test_every_one_of_thousands_of_keys_in_one_blob_keeps_its_own_line_and_first_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    # Now and then a random key looks like a placeholder (`…test…` at low entropy, a periodic run) and
    # is rightly silent; this test is about attribution, so its 3000 keys are ones detection keeps.
    keys = [key for key in (random_token() for _ in range(3100)) if _detected_alone(key)][:3000]
    body = "".join(f'BINANCE_API_KEY_{index} = "{key}"\n' for index, key in enumerate(keys))
    added = commit_file(repo, "keys.py", "# keys\n" + body, "add keys")
    commit_file(repo, "keys.py", "# keys, edited\n" + body, "edit header")
    git(repo, "mv", "keys.py", "moved.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "rename")
    renamed = git(repo, "rev-parse", "HEAD").strip()
    code, report = history(capsys, str(repo), "--jobs", "2")
    assert code == 1
    findings = report["findings"]
    assert len(findings) == 2 * len(keys)
    by_place = {(finding["secret"], finding["path"]): finding for finding in findings}
    for index, key in enumerate(keys):
        column = 21 + len(str(index))
        old, new = by_place[(key, "keys.py")], by_place[(key, "moved.py")]
        # Each path's line and column come from its own first version (the header edit kept the lines).
        assert (old["line"], old["column"], old["commit"]["sha"]) == (index + 2, column, added)
        assert (old["occurrences"], old["in_head"]) == (2, False)
        assert (new["line"], new["column"], new["commit"]["sha"]) == (index + 2, column, renamed)
        assert (new["occurrences"], new["in_head"]) == (1, True)


def test_keys_past_the_8_mib_mark_of_one_line_have_their_exact_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "repo")
    first, last = api_key(), api_key()
    head = f'const config = {{BINANCE_API_KEY: "{first}", '
    padding = "word, " * ((9 * MIB) // 6)
    tail = f'BINANCE_API_KEY_2: "{last}"}};'
    commit_file(repo, "bundle.min.js", head + padding + tail + "\n", "minified bundle")
    code, report = history(capsys, str(repo))
    assert code == 1
    columns = {finding["secret"]: (finding["line"], finding["column"]) for finding in report["findings"]}
    line = head + padding + tail
    assert len(line) > 8 * MIB
    assert columns[first] == (1, line.index(first) + 1)
    assert columns[last] == (1, line.index(last) + 1)
