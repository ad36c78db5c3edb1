"""Detection is a pipeline of named steps, one module each, with `detect()` a short driver (issue #15).

docs/architecture.md "Detection": data goes one way, no step imports `detectors/__init__.py`, and the
steps after the passes every chunk needs are loaded only when a chunk leaves something to analyse
(README "Performance": most files, and most pre-commit runs, never load them).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from binance_secrets.detectors import detect
from testing.keys import api_key, secret_key

DETECTORS = Path(__file__).resolve().parents[1] / "binance_secrets" / "detectors"
# The steps `detect()` imports only when the passes leave something to analyse, and what only they use
# (`names` also when a run has a listenKey-like word before it, `doc_shapes`).
ANALYSIS_MODULES = (
    "candidate", "candidates", "classify", "file_facts", "value_context", "positions", "pairing", "findings",
    "roles", "names", "binance_words", "testnet_hex", "exchanges", "environment", "split_literals",
)  # fmt: skip


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, by its absolute name."""
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module)
            # `from binance_secrets.detectors import candidates` imports a step, not the driver's code;
            # `from binance_secrets.detectors import MESSAGE_PATHS` reads the driver's module.
            if node.module == "binance_secrets.detectors":
                steps = [alias.name for alias in node.names if (DETECTORS / f"{alias.name}.py").is_file()]
                if len(steps) == len(node.names):
                    imported.discard(node.module)
                imported.update(f"{node.module}.{step}" for step in steps)
    return imported


def test_no_detection_step_imports_the_driver() -> None:
    calling_back = {
        path.name: sorted(
            name
            for name in _imported_modules(path)
            if name in ("binance_secrets.detectors", "binance_secrets.detectors.__init__")
        )
        for path in DETECTORS.glob("*.py")
        if path.name != "__init__.py"
    }
    assert {name: found for name, found in calling_back.items() if found} == {}


def test_the_driver_names_every_step_it_calls() -> None:
    """`detect()` imports the steps themselves (no `findings()` of another module that runs them all)."""
    driver = _imported_modules(DETECTORS / "__init__.py")
    steps = {"encoded", "matches", "candidates", "file_facts", "positions", "pairing", "findings"}
    assert {f"binance_secrets.detectors.{step}" for step in steps} <= driver


def test_a_chunk_with_nothing_to_analyse_loads_no_analysis_step(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from binance_secrets.detectors import detect\n"
        "found = detect(b'import os\\nprint(os.getcwd())\\nAPI_KEY = os.environ[\"API_KEY\"]\\n', 'app.py')\n"
        f"loaded = [m for m in {ANALYSIS_MODULES!r} if 'binance_secrets.detectors.' + m in sys.modules]\n"
        "print('LOADED', loaded, found)\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "LOADED [] []" in completed.stdout, completed.stdout + completed.stderr


def test_a_pair_goes_through_every_step() -> None:
    """The same chunk, from the passes to the pair: both found, paired, on their lines and columns."""
    key, secret = api_key(), secret_key()
    data = f'# binance\nclient = Client(\n    "{key}",\n    "{secret}",\n)\n'.encode()
    findings = detect(data, "bot.py")
    assert [(f.rule_id, f.line, f.column, f.confidence) for f in findings] == [
        ("binance-api-key", 3, 6, "high"),
        ("binance-secret-key", 4, 6, "high"),
    ]
    assert findings[0].pair_sha256 == findings[1].secret_sha256
    assert findings[1].pair_sha256 == findings[0].secret_sha256
