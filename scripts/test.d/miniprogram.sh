#!/usr/bin/env bash
# The mini-program SDK's tests (clients/miniprogram): dev dependencies from the lockfile
# (npm ci), the typed usage file compiled against the official miniprogram-api-typings
# (tsc --noEmit), then Node's test runner: unit tests with fakes of wx, uni and Taro, the example
# page under miniprogram-simulate, and integration tests through each adapter against a live
# `wxsession dev` (built by the cargo tests before this runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p wxsession
cd clients/miniprogram
npm ci --no-audit --no-fund --loglevel=error
echo "tsc --noEmit against miniprogram-api-typings"
npx --no-install tsc -p test/types
WXSESSION_BIN="$PWD/../../target/debug/wxsession" node --test test/*.test.js
