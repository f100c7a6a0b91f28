#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy, and the whole test suite against
# a real redis-server that this script starts on a free port (and stops on exit).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

. scripts/lib.sh
need_tools redis-server:redis-server redis-cli:redis-tools openssl:openssl node:nodejs npm:npm

# One redis-server for the suite, on a free port, in a temp dir. Tests that must stop Redis
# start their own.
workdir=$(mktemp -d)
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --dir "$workdir" --save "" --appendonly no \
  --daemonize yes --pidfile "$workdir/redis.pid" --logfile "$workdir/redis.log"
# A test whose prerequisite (root and `ip netns`, TLS in redis-server, redis-cli, chromium) is
# missing fails, unless WXSESSION_TEST_SKIP names it (e.g. `netns,chromium`); each skip is a line
# of this file, printed at the end whether the run passed or failed. This script never sets
# WXSESSION_TEST_SKIP, and CI (.ci/run) refuses it: nothing skips there.
export WXSESSION_TEST_SKIP_LOG="$workdir/skipped-tests.txt"
: >"$WXSESSION_TEST_SKIP_LOG"
cleanup() {
  # Wait for redis-server to exit before removing its directory: it writes there while it
  # shuts down (a CI run once failed on `rm: Directory not empty` after every test passed).
  local pid
  pid=$(cat "$workdir/redis.pid" 2>/dev/null || true)
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  if [[ -s $WXSESSION_TEST_SKIP_LOG ]]; then
    log "SKIPPED (WXSESSION_TEST_SKIP=${WXSESSION_TEST_SKIP:-}): $(wc -l <"$WXSESSION_TEST_SKIP_LOG") test(s)"
    cat "$WXSESSION_TEST_SKIP_LOG"
  else
    log "skipped tests: none"
  fi
  # Leftovers in a temp dir never turn a run's result around.
  rm -rf "$workdir" 2>/dev/null || { sleep 1; rm -rf "$workdir" || log "warning: could not remove $workdir"; }
}
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export WXSESSION_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
log "redis-server on port $port"

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy (and the production build: no simulator, no dev commands)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p wxsession --no-default-features --quiet -- -D warnings

log "layering rules and file sizes (scripts/check-layers.py)"
python3 scripts/check-layers.py

log "cargo deny check bans licenses sources"
deny=$(pinned_tool cargo-deny 0.20.2)
# Advisories need the RustSec database from GitHub, which this machine cannot reach.
"$deny" check bans licenses sources 2>&1 | tail -n 3

log "the book (docs/): mdbook build, then every internal link and anchor (scripts/check-book.py)"
mdbook=$(pinned_tool mdbook 0.5.4)
"$mdbook" build docs
python3 scripts/check-book.py

log "cargo test (the staleness tests run once, below, with their report: scripts/test.d/staleness.sh)"
cargo test --workspace --no-fail-fast -- --skip topology::staleness 2>&1

for extra in scripts/test.d/*.sh; do
  [[ -e $extra ]] || continue
  log "$extra"
  bash "$extra"
done
log "all tests passed"
