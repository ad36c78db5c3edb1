"""One reporter per format; each turns a `ScanResult` into text and never sees anything else."""

from __future__ import annotations

FORMATS = ("text", "json", "sarif", "github")
