#!/usr/bin/env bash
# Instructions per `GET /v1/auth` (callgrind): the release binary under valgrind with one
# worker and the default configuration (request log on), one session, 1000 requests of
# warm-up, then 5000 counted (`callgrind_control -z`, `-i on`). Every thread counts, the change
# feed's too. Prints the total divided by 5000, and how the lookups were answered.
#
#   scripts/callgrind-auth.sh                     the default configuration (local cache on)
#   scripts/callgrind-auth.sh 'local_cache = false'   extra `[session]` lines
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_tools valgrind:valgrind redis-server:redis-server
session_lines=${1:-}
bin=${WXSESSION_BIN:-target/release/wxsession}
[[ -x $bin ]] || cargo build -q --release -p wxsession
scratch; tmp=$scratch_dir
read -r redis_port mock_port api_port < <(free_ports 3 | paste -sd' ')
start_redis "$redis_port" "$tmp"
"$bin" mock-wechat --bind "127.0.0.1:$mock_port" --app "wx1234567890abcdef=cg-secret" >/dev/null 2>&1 & pids+=($!)
wait_port "$mock_port"
cat >"$tmp/wxsession.toml" <<TOML
[server]
bind = "127.0.0.1:$api_port"
workers = 1
shutdown_timeout_secs = 1
[store]
url = "redis://127.0.0.1:$redis_port/0"
[wechat]
api_base = "http://127.0.0.1:$mock_port"
allow_insecure_http = true
[session]
$session_lines
[[apps]]
appid = "wx1234567890abcdef"
secret = "cg-secret"
TOML
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/cg.out" \
  "$bin" serve --config "$tmp/wxsession.toml" >"$tmp/serve.log" 2>&1 & pids+=($!)
vg=$!
wait_for 60 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$api_port) 2>/dev/null"
token=$(curl -sf -X POST "http://127.0.0.1:$api_port/v1/sessions" -H 'content-type: application/json' \
  -d '{"code":"user:cg:x"}' | extract_token)
requests() { # $1 = how many, on one keep-alive connection; fails on anything but 200
  python3 - "$api_port" "$token" "$1" <<'PY'
import http.client, sys
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    c.request("GET", "/v1/auth", headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
}
requests 1000
callgrind_control -z "$vg" >/dev/null
callgrind_control -i on "$vg" >/dev/null
requests 5000
callgrind_control -i off "$vg" >/dev/null
callgrind_control -d "$vg" >/dev/null
sleep 1
total=$(cat "$tmp"/cg.out* | awk '/^summary:/ {s += $2} /^totals:/ {t += $2} END {print (s ? s : t)}')
curl -sf "http://127.0.0.1:$api_port/metrics" | grep -E '^wxsession_session_cache_(lookups_total|feed_up)' >&2 || true
echo "instructions per GET /v1/auth: $((total / 5000))"
