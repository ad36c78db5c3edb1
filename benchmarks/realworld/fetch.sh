#!/usr/bin/env bash
# Bare mirrors of every repository of repos.jsonl, each checked for its pinned commit:
#   benchmarks/realworld/fetch.sh DIR
# DIR/<owner>__<name>.git is what `realworld.py --repos DIR` reads. Existing mirrors are updated, not
# re-cloned. Prints the repositories whose pinned commit is missing (removed or rewritten upstream).
set -euo pipefail
dest=${1:?usage: fetch.sh DIR}
base=${REALWORLD_GIT_BASE:-https://github.com}  # another host or a local folder of owner/name mirrors
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dest"
missing=0
pins() {
  python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        item = json.loads(line)
        print(item["repo"], item["commit"])' "$here/repos.jsonl"
}
while read -r repo commit; do
  case "$repo" in
    [A-Za-z0-9]*/[A-Za-z0-9]*) ;;
    *) echo "bad repository name: $repo" >&2; exit 2 ;;
  esac
  target="$dest/${repo%%/*}__${repo#*/}.git"
  if [ -d "$target" ]; then
    git --git-dir="$target" fetch --quiet --prune origin '+refs/*:refs/*' || true
  else
    git clone --quiet --mirror -- "$base/$repo" "$target" || true
  fi
  if ! git --git-dir="$target" cat-file -e "$commit^{commit}" 2>/dev/null; then
    # A commit no branch reaches any more (force-pushed away) can still be fetched by id from GitHub.
    git --git-dir="$target" fetch --quiet origin "$commit" 2>/dev/null || true
  fi
  if git --git-dir="$target" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "ok       $repo $commit"
  else
    echo "MISSING  $repo $commit" >&2
    missing=$((missing + 1))
  fi
done < <(pins)
echo "$missing missing" >&2
