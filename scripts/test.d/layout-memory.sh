#!/usr/bin/env bash
# The 10-million-user memory generator at a smoke size, so that it never rots: it must place
# entries where the store does and write well-formed ones (`--check`), and run end to end. No
# size is asserted: its numbers are measured and reported (docs/src/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 scripts/layout-memory.py --check
python3 scripts/layout-memory.py 20000 4096 200
