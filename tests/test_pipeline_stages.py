"""The scan pipeline has one expansion step and one filter stage (issue #15 item 2).

Every driver (`scan`, the hook, `staged`, history, `merge-reports`) filters through
`FindingFilter.apply`; the history audit also asks `reportable` before attribution, and the two must
agree on which secrets may be reported.

A blob held in memory (a staged or historical blob) is expanded exactly as the same bytes read from an
open file: the shortcut `blob_chunks` takes for small plain blobs makes the chunk the stream makes.
Every key is generated at run time; every archive is built at run time.
"""

from __future__ import annotations

import ast
import inspect
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_secrets.baseline import Baseline
from binance_secrets.filters import FindingFilter
from binance_secrets.finding import Confidence, Finding
from binance_secrets.paths import PathFilter
from binance_secrets.pipeline import RunOptions
from binance_secrets.result import ScanError
from binance_secrets.scanning import ChunkScan
from binance_secrets.sources import Chunk
from binance_secrets.sources.content import BLOCK_BYTES, blob_chunks, stream_chunks
from testing.hostile_zips import deflated_member, raw_zip
from testing.keys import api_key, secret_key

PACKAGE = Path(__file__).resolve().parent.parent / "binance_secrets"


def _contents() -> list[tuple[str, bytes]]:
    text = f'API_KEY = "{api_key()}"\nAPI_SECRET = "{secret_key()}"\n'
    return [
        ("empty", b""),
        ("text", text.encode()),
        ("binary", b"\0\x01" + text.encode() + b"\xff\0"),
        ("utf16", text.encode("utf-16")),
        ("utf16-odd-length", text.encode("utf-16") + b"A"),
        ("bom-then-binary", b"\xff\xfe\0\xd8\0\xd8" + text.encode()),  # lone surrogates: not UTF-16
        ("zip", raw_zip([deflated_member("conf/settings.py", text.encode())])),
        ("damaged-zip", b"PK\x03\x04" + text.encode()),
        ("text-over-a-block", (text * (BLOCK_BYTES // len(text) + 2)).encode()),
    ]


@pytest.mark.parametrize(("name", "data"), _contents(), ids=[name for name, _ in _contents()])
def test_blob_in_memory_is_expanded_as_the_same_bytes_in_a_file(name: str, data: bytes) -> None:
    """README "What is detected": staged and historical blobs are read as `scan` reads a file."""
    blob_errors: list[ScanError] = []
    stream_errors: list[ScanError] = []
    from_blob = list(blob_chunks("f.bin", data, blob_errors))
    from_stream = list(stream_chunks("f.bin", io.BytesIO(data), stream_errors))
    assert from_blob == from_stream
    assert blob_errors == stream_errors


def test_only_the_expansion_module_opens_archives_or_decodes_utf16() -> None:
    """One expansion step: no other module of the package imports zipfile or names the UTF-16 codec."""
    offenders = []
    for module in sorted(PACKAGE.rglob("*.py")):
        if module.name == "content.py" and module.parent.name == "sources":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            imported = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if "zipfile" in imported:
                offenders.append(f"{module.relative_to(PACKAGE)}: imports zipfile")
            if _decodes_utf16(node):
                offenders.append(f"{module.relative_to(PACKAGE)}: decodes UTF-16")
    assert offenders == []


def _decodes_utf16(node: ast.AST) -> bool:
    """`x.decode("utf-16", ...)`, `codecs.getincrementaldecoder("utf-16")`, `codecs.utf_16_decode`."""
    if isinstance(node, ast.Attribute) and node.attr == "utf_16_decode":
        return True
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr not in {"decode", "getincrementaldecoder"}:
        return False
    return any(
        isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.lower().replace("_", "-") == "utf-16"
        for arg in node.args
    )


def _finding(path: str, confidence: Confidence) -> Finding:
    return Finding("binance-api-key", confidence, path, 1, 1, 65, secret=api_key())


def test_filter_stage_drops_findings_below_threshold_allowed_or_in_the_baseline_and_keeps_order() -> None:
    """README "Configuration": `min-confidence`, `allow` and `--baseline` decide what is reported."""
    low, allowed, baselined = _finding("a.py", "low"), _finding("b.py", "high"), _finding("c.py", "high")
    first, second = _finding("d.py", "medium"), _finding("e.py", "high")
    stage = FindingFilter(
        min_confidence="medium",
        allow=frozenset({allowed.secret_sha256}),
        baseline=Baseline(sha256=frozenset({baselined.secret_sha256})),
    )
    assert stage.apply([second, low, allowed, baselined, first]) == [second, first]


def test_filter_stage_excludes_reported_paths_only_when_asked() -> None:
    """README "Suppressing a finding" (excludes): every driver drops findings reported under an excluded
    path, members of an archive included; the archive is a folder above its members."""
    member, plain = _finding("vendor/lib.zip!conf/keys.py", "high"), _finding("app.py", "high")
    at_root = _finding("vendor/lib.zip!keys.py", "high")
    stage = FindingFilter(min_confidence="low")
    assert stage.apply([member, at_root, plain]) == [member, at_root, plain]
    assert stage.excluding(PathFilter.of(["keys.py"])).apply([member, at_root, plain]) == [plain]
    assert stage.excluding(PathFilter.of(["vendor"])).apply([member, at_root, plain]) == [plain]
    assert stage.excluding(PathFilter.of(["vendor/*.zip"])).apply([member, at_root, plain]) == [plain]
    assert stage.excluding(PathFilter.of(["conf/*"])).apply([member, at_root, plain]) == [member, at_root, plain]
    assert stage.excluding(PathFilter.of(["*!conf/*"])).apply([member, at_root, plain]) == [at_root, plain]


@pytest.mark.parametrize("threshold", ["low", "medium", "high"])
def test_reportable_before_attribution_agrees_with_the_filter_stage(threshold: str) -> None:
    """History attributes exactly the secrets the stage could report (no baseline, no excludes)."""
    allowed = _finding("x.py", "high")
    stage = FindingFilter(min_confidence=threshold, allow=frozenset({allowed.secret_sha256}))
    levels: tuple[Confidence, ...] = ("low", "medium", "high")
    for finding in [allowed, *(_finding("y.py", confidence) for confidence in levels)]:
        assert stage.reportable(finding.secret_sha256, finding.confidence) == stage.keep(finding)


def test_chunk_scan_keeps_what_a_source_gave_before_it_failed() -> None:
    """README "Partial scans are never reported clean": a file that fails half-way is an error, and the
    keys in the part that was read are still reported (`scan`, the hook and `staged` share this loop)."""
    key = api_key()
    first = Chunk("big.env", f'BINANCE_API_KEY = "{key}"\n'.encode())
    second = Chunk("big.env", f'BINANCE_API_SECRET = "{secret_key()}"\n'.encode(), first_line=2, first_column=5)

    def failing() -> Iterator[Chunk]:
        yield first
        yield second
        raise OSError("the disk went away")

    scan = ChunkScan(FindingFilter(min_confidence="low"))
    with pytest.raises(OSError, match="disk"):
        scan.chunks(failing())
    assert scan.bytes == len(first.data) + len(second.data)
    assert [(f.secret, f.line) for f in scan.findings][:1] == [(key, 1)]
    assert {f.line for f in scan.findings} == {1, 2}
    # The second chunk starts in the middle of line 2: its finding is placed on the line, not the chunk.
    assert [f.column for f in scan.findings if f.line == 2] == [5 + len('BINANCE_API_SECRET = "')]


def test_every_scanning_command_takes_one_typed_run_options_not_a_keyword_bag() -> None:
    """Issue #15 items 3 and 6: settings apart from output options, no `**kwargs: Any` option bags between
    commands. `scan`, `staged` and `history` (one repository or several) receive click's common options as
    one `RunOptions`; nothing passes click's keyword arguments on."""
    from binance_secrets.commands.history import history_command
    from binance_secrets.commands.history_many import history_many
    from binance_secrets.commands.scan import scan_command
    from binance_secrets.commands.staged import staged_command

    functions = [command.callback for command in (scan_command, staged_command, history_command)]
    for function in [*functions, history_many]:
        assert function is not None
        parameters = inspect.signature(function).parameters  # follows functools.wraps to the command itself
        assert parameters["options"].annotation in ("RunOptions", RunOptions), function
        assert not [p for p in parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD], function
        assert not [p for p in parameters.values() if "Any" in str(p.annotation)], function
