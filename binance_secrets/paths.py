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
        """True when a glob matches the path, its file name, or any folder above it.

        `tests/*`, `*.lock`, `node_modules` and `docs/**/*.md` all mean what a user expects. A member of a
        zip archive is named `ARCHIVE!MEMBER` (`dist/app.zip!conf/keys.py`), and `!` is read as one more
        folder separator: the archive is a folder above its members (`*.zip`, `dist`, `dist/app.zip`
        exclude them all), a glob without `/` matches a member's file name (`keys.py`, `*.py`) as it
        matches a file's at any depth, and a glob with `/` stays anchored at the scanned root, so `conf/*`
        does not reach into an archive (`*!conf/*` or `dist/app.zip!conf/*` does).
        """
        if not self.globs:
            return False
        cuts = [index for index, char in enumerate(path) if char in "/!"]
        prefixes = [path[:cut] for cut in cuts] + [path]
        name = path[cuts[-1] + 1 :] if cuts else path
        for glob in self.globs:
            if fnmatch.fnmatchcase(name, glob):
                return True
            if any(fnmatch.fnmatchcase(prefix, glob) for prefix in prefixes):
                return True
        return False
