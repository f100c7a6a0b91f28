#!/usr/bin/env bash
# Bounded fuzzing, separate from scripts/test.sh because it takes minutes:
#   - cargo-fuzz (libFuzzer) on wechat-crypto's decrypt and msg_crypt (platform pushes) and on
#     wxsession's request-body parsing,
#     each for SECONDS (default 60); prints executions and crashes (must be zero);
#   - schemathesis (PyPI) against /openapi.json of a live `wxsession dev`, zero failures allowed.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the stable toolchain.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
venv=target/tools/venv
if [[ ! -x $venv/bin/schemathesis ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
fi
export RUSTC_BOOTSTRAP=1
status=0
summary=()
for spec in crates/wechat-crypto:decrypt crates/wechat-crypto:msg_crypt crates/wxsession:request_bodies; do
  dir=${spec%%:*}; target=${spec##*:}
  log=$(mktemp)
  if (cd "$dir" && cargo fuzz run "$target" -- -max_total_time="$secs" -print_final_stats=1) >"$log" 2>&1; then
    crashes=0
  else
    crashes=1; status=1; grep -E "panicked|SUMMARY|artifact" "$log" | head -5 || true
  fi
  execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -n1)
  summary+=("$target: ${execs:-?} executions in ${secs}s, $crashes crashes")
  rm -f "$log"
done

bin=target/debug/wxsession
cargo build -q -p wxsession
. scripts/lib.sh
port() { free_port; }
api=$(port); sim=$(port)
"$bin" dev --bind "127.0.0.1:$api" --mock-bind "127.0.0.1:$sim" >/dev/null 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null || true' EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$api/healthz" >/dev/null && break; sleep 0.05; done
token=$(curl -sf -X POST "http://127.0.0.1:$api/v1/sessions" -H 'content-type: application/json' \
  -d '{"appid":"wx1234567890abcdef","code":"user:schemathesis:1"}' | extract_token)
if "$venv/bin/schemathesis" --config-file deploy/schemathesis/schemathesis.toml run \
    "http://127.0.0.1:$api/openapi.json" --checks all --max-examples 100 \
    -H "Authorization: Bearer $token" >target/schemathesis.log 2>&1; then
  summary+=("schemathesis: $(grep -Eo '[0-9]+ generated, [0-9]+ passed' target/schemathesis.log | tail -n1), 0 failures")
else
  status=1
  summary+=("schemathesis: FAILED, see target/schemathesis.log")
fi
printf '%s\n' "${summary[@]}"
exit $status
