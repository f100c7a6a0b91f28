#!/usr/bin/env bash
# The mini-program client's tests (Node's built-in runner): unit tests with a fake `wx`, and an
# integration test against `wxsession dev` (built by the cargo tests before this runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p wxsession
WXSESSION_BIN="$PWD/target/debug/wxsession" node --test clients/miniprogram/test/*.test.js
