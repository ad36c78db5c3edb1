"""The environment of every git process.

Paths, ref names and commit messages in a repository are attacker-controlled: a path is always a file
name, never pathspec magic such as `:(exclude)*` (GIT_LITERAL_PATHSPECS, and the variables that cannot
be combined with it removed). Nothing prompts (GIT_TERMINAL_PROMPT=0). And no git process touches the
network unless it is a fetch that asks for it: git 2.44 and later refuse to fetch a partial clone's
missing objects (GIT_NO_LAZY_FETCH); older git would start `git fetch` on the first read of one, so no
transport at all is allowed (an empty GIT_ALLOW_PROTOCOL overrides every `protocol.*.allow` setting).
Reads of missing objects are avoided anyway (`GitRepository.partial`); this is the backstop.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

# What points git at a repository, an index or an object store. Where `--git-dir` names the repository
# (the history audit) they are dropped: a hook may run with them set for another repository or index.
# Where git runs in a folder as a hook does (`GitFolder`), they are the hook's and are kept.
REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_GRAFT_FILE")
# Settings that would change how git reads a pathspec; git refuses to combine them with the literal one.
_PATHSPEC_VARIABLES = ("GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS")


def safe_environment(*, keep_repository: bool = False, protocols: Sequence[str] = ()) -> dict[str, str]:
    """The caller's environment with the settings above; `protocols` are the transports a fetch may use
    (none by default)."""
    dropped = _PATHSPEC_VARIABLES if keep_repository else _PATHSPEC_VARIABLES + REPOSITORY_VARIABLES
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_LITERAL_PATHSPECS"] = "1"
    env["GIT_NO_LAZY_FETCH"] = "1"
    env["GIT_ALLOW_PROTOCOL"] = ":".join(protocols)
    # `refs/replace` can show other objects in place of committed ones; a push sends the committed ones.
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    return env


def network_environment(protocols: Sequence[str]) -> dict[str, str]:
    """The environment of a fetch: open to `protocols` only, and still never a prompt.

    No askpass program (an empty GIT_ASKPASS also stops git from trying core.askPass and SSH_ASKPASS), no
    terminal prompt, no interactive credential manager.
    """
    env = safe_environment(protocols=protocols)
    env["GIT_ASKPASS"] = ""
    env.pop("SSH_ASKPASS", None)
    env["SSH_ASKPASS_REQUIRE"] = "never"
    env["GCM_INTERACTIVE"] = "never"
    return env
