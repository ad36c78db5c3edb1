"""Path exclusion by glob, as configured with `--exclude` or `exclude = [...]` in the config."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PathFilter:
    globs: tuple[str, ...] = ()

    @classmethod
    def of(cls, globs: Sequence[str]) -> PathFilter:
        return cls(tuple(glob.rstrip("/") for glob in globs if glob.strip()))

    def is_excluded(self, path: str) -> bool:
        """True when the glob matches the path, its file name, or any folder above it.

        `tests/*`, `*.lock`, `node_modules` and `docs/**/*.md` all mean what a user expects.
        """
        if not self.globs:
            return False
        parts = path.split("/")
        prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
        for glob in self.globs:
            if fnmatch.fnmatchcase(parts[-1], glob):
                return True
            if any(fnmatch.fnmatchcase(prefix, glob) for prefix in prefixes):
                return True
        return False
