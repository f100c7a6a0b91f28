#!/usr/bin/env bash
# The local validation cache's contract (SPEC §18), printed: three replicas on one Redis, load
# on two while the third revokes; no `200` more than 10 ms after a revoke was answered — steady,
# with the change feeds killed mid-run, and across a Sentinel failover — and the propagation
# delay's distribution (tests/api/topology/staleness.rs). `scripts/test.sh`'s `cargo test`
# skips these three so that they run once, here, with their output shown. Needs the Redis that
# scripts/test.sh exports.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${WXSESSION_TEST_REDIS_URL:?run from scripts/test.sh (or export WXSESSION_TEST_REDIS_URL)}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
cargo test -q -p wxsession --test api topology::staleness -- --nocapture --test-threads=1 >"$log" 2>&1 || rc=$?
grep -oE 'staleness \[.*|test result.*' "$log" || true
if ((rc != 0)); then
  tail -n 80 "$log"
  exit "$rc"
fi
