#!/usr/bin/env bash
# The web logins in a real browser (clients/web-e2e): Debian's Chromium, installed with apt when
# missing (never a downloaded browser), driven headless by playwright-core from the lockfile,
# against `wxsession dev`. Screenshots of the logged-in demo page land in target/.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh
if [[ ! -x /usr/bin/chromium ]] && skip_if_named chromium "clients/web-e2e (web logins in a real browser)" \
  "no /usr/bin/chromium"; then
  exit 0
fi
if [[ ! -x /usr/bin/chromium ]] && ! need_packages chromium; then
  echo "chromium is missing and apt-get could not install it (root and the Debian mirror are needed); WXSESSION_TEST_SKIP=chromium skips this script (never in CI)" >&2
  exit 1
fi
cargo build -q -p wxsession
cd clients/web-e2e
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
WXSESSION_BIN="$PWD/../../target/debug/wxsession" CHROMIUM=/usr/bin/chromium node --test login.test.js
echo "screenshots: target/web-login.png, target/web-login-official-account.png"
