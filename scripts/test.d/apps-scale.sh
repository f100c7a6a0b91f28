#!/usr/bin/env bash
# Apps at runtime at a smaller scale than the documented run (1,000 apps, not 10,000), so that
# the measurement never rots: three replicas, start-up with the registry, memory per app, and
# every change reaching the two other replicas within 2 s (the one bound it checks).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p wxsession
python3 scripts/apps-scale.py target/debug/wxsession 1000
