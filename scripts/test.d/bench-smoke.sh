#!/usr/bin/env bash
# The benchmark suite in smoke mode (seconds, small counts), so that it never rots. No timing
# is asserted: it must run end to end and produce its table.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bench.sh --smoke
test -s target/bench/results.json
