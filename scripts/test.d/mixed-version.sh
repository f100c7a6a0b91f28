#!/usr/bin/env bash
# The previous release and this code in one fleet on one Redis behind nginx, under load, both
# ways round, then a rolling restart onto this code (scripts/mixed-version.sh). The previous
# release's binary is built once into a cache outside the clone (scripts/release-bin.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/mixed-version.sh
