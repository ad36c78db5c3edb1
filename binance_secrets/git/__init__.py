"""The one way git is run: every git command of the package goes through this package.

- `environment.py`: the environment every git process gets (no prompt, no network unless a fetch asks
  for it, literal pathspecs, no lazy fetch, no replace objects).
- `process.py`: running git (captured, streamed, or in a session of its own for a fetch), the one-line
  message of a failure, and `ScanFailure` (exit 3) when git cannot run at all.
- `repository.py`: where git runs, a repository's git dir (`GitRepository`, the history audit) or a
  folder as a hook sees it (`GitFolder`), and finding the repository at a path.
- `cat_file.py`: the one `git cat-file --batch` reader, pipelined and bounded.

Attacker-controlled strings (paths, ref names, URLs) never become options: callers put them after
`--end-of-options` or `--`, on stdin, or in a `<rev>:<path>` name; outputs are read with `-z` where a
path can hold a newline. Nothing here imports GitPython at module level (see `repository.py`).
"""
