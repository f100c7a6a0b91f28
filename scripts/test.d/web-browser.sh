#!/usr/bin/env bash
# The web logins in a real browser (clients/web-e2e): Debian's Chromium, installed with apt when
# missing (never a downloaded browser), driven headless by playwright-core from the lockfile,
# against `wxsession dev`. Screenshots of the logged-in demo page land in target/.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
[[ -x /usr/bin/chromium ]] || need_packages chromium
cargo build -q -p wxsession
cd clients/web-e2e
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
WXSESSION_BIN="$PWD/../../target/debug/wxsession" CHROMIUM=/usr/bin/chromium node --test login.test.js
echo "screenshots: target/web-login.png, target/web-login-official-account.png"
