#!/usr/bin/env bash
# Prints the path of the `wxsession` binary of the newest release in CHANGELOG.md (the one a
# fleet may still run beside this code), building it from git history when the cache lacks it.
#
#   scripts/release-bin.sh            the newest release's binary
#   scripts/release-bin.sh COMMIT     that commit's binary
#
# The cache lives outside the clone, by commit: ${WXSESSION_RELEASE_CACHE:-~/.cache/wxsession/releases}/<commit>/wxsession.
# A build takes a few minutes once (a debug build, from `git archive` of the commit, in its own
# target directory under the cache); every later run finds it.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest released version's commit: the first `Commit:` line after a `## [x.y.z]` heading.
newest_release_commit() {
  awk '/^## \[[0-9]+\.[0-9]+\.[0-9]+\]/ { released = 1 } released && /^Commit: / { print $2; exit }' CHANGELOG.md
}

commit=${1:-$(newest_release_commit)}
[[ -n $commit ]] || { echo "CHANGELOG.md names no released commit" >&2; exit 1; }
cache=${WXSESSION_RELEASE_CACHE:-$HOME/.cache/wxsession/releases}/$commit
if [[ ! -x $cache/wxsession ]]; then
  full=$(git rev-parse --verify --quiet "$commit^{commit}") ||
    { echo "commit $commit is not in this clone's history (a shallow clone?) and not in the cache" >&2; exit 1; }
  cache=${WXSESSION_RELEASE_CACHE:-$HOME/.cache/wxsession/releases}/$full
  commit=$full
fi
if [[ ! -x $cache/wxsession ]]; then
  echo "building wxsession at ${commit:0:12} into $cache (once)" >&2
  mkdir -p "$cache/src"
  git archive "$commit" | tar -x -C "$cache/src"
  CARGO_TARGET_DIR="$cache/target" cargo build -q --locked -p wxsession \
    --manifest-path "$cache/src/Cargo.toml" >&2
  cp "$cache/target/debug/wxsession" "$cache/wxsession.tmp"
  mv "$cache/wxsession.tmp" "$cache/wxsession"
  rm -rf "$cache/src" "$cache/target"
fi
echo "$cache/wxsession"
