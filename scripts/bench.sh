#!/usr/bin/env bash
# The benchmark suite: one command, loopback only, bounded in time, starts and stops everything
# it uses. Every row is measured in this run next to its baseline and reported as a ratio,
# because the machine is shared and noisy. Prints a markdown table and writes
# target/bench/results.json.
#
#   scripts/bench.sh           the full suite (about 3 minutes)
#   scripts/bench.sh --smoke   a few seconds per row, small counts: keeps the suite from rotting
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
smoke=false
[[ ${1:-} == --smoke ]] && smoke=true
if $smoke; then
  dur=1; sessions=2000; idle=500; mint_c=16
else
  dur=10; sessions=100000; idle=10000; mint_c=64
fi

need_tools wrk:wrk redis-benchmark:redis-tools redis-server:redis-server openssl:openssl
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "building release binaries…" >&2
loadgen=$(release_with_bench loadgen)
# The peer: actix-web + actix-session (Redis store), built outside the workspace.
cargo build -q --release --manifest-path benches/peers/actix-session/Cargo.toml --target-dir target/peers
peer_bin=target/peers/release/actix-session-peer
bin=target/release/wxsession
out=target/bench
mkdir -p "$out"
KEEP_SCRATCH=${KEEP_BENCH_TMP:-}
scratch; tmp=$scratch_dir
json_field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
# A run that stops early says why: the last lines of every server's log (the services' logs keep
# their last 100 lines; the request log stays on, as measured).
on_exit() {
  (($1 == 0)) && return
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  # A service's log is written by its `tail` when the service's output ends: give it 2 s.
  local f _
  for f in "$tmp"/wxsession*.log; do
    for _ in $(seq 20); do [[ -s $f ]] && break; sleep 0.1; done
  done
  for f in "$tmp"/*.log; do
    [[ -s $f ]] || continue
    echo "--- bench: the end of $(basename "$f")" >&2
    tail -n 40 "$f" >&2
  done
  return 0
}
# curl that prints the answer's body (and headers, with -D -) and fails on a non-2xx answer,
# saying what was asked and what came back. A refused connection or a 5xx is tried twice more,
# half a second apart, each one said on stderr: the suite's set-up requests must not fail a run
# on one hiccup of a shared machine, nor hide a pattern.
curl_ok() {
  local out code try
  for try in 1 2 3; do
    ((try == 1)) || sleep 0.5
    if ! out=$(curl -sS -w '\n%{http_code}' "$@" 2>&1); then
      echo "bench: try $try: curl ${*}: ${out}" >&2; continue
    fi
    code=${out##*$'\n'}; out=${out%$'\n'*}
    [[ $code == 5?? ]] && { echo "bench: try $try: HTTP $code from curl ${*}: ${out}" >&2; continue; }
    [[ $code == 2?? ]] || { echo "bench: HTTP $code from curl ${*}: ${out}" >&2; return 1; }
    printf '%s' "$out"
    return 0
  done
  return 1
}

appid=wx1234567890abcdef
mobile_appid=wxbenchmobile0001; web_appid=wxbenchwebsite001
read -r redis_port mock_port api_port peer_port apps_port < <(free_ports 5 | paste -sd' ')
# Redis as deploy/ ships it: hashes of up to 512 entries (the default) of up to 256 bytes (64 by
# default) stay listpacks, which keeps the users' bucket hashes compact (docs/src/redis-layout.md).
start_redis "$redis_port" "$tmp" --hash-max-listpack-entries 512 --hash-max-listpack-value 256

start_mock() { # $1 = latency ms
  "$bin" mock-wechat --bind "127.0.0.1:$mock_port" --app "$appid=bench-secret" \
    --app "$mobile_appid=bench-secret" --app "$web_appid=bench-secret" --latency-ms "$1" \
    --callback "http://127.0.0.1:$apps_port/v1/web/" --log-format json >>"$tmp/mock.log" 2>&1 &
  mock_pid=$!; pids+=($mock_pid); wait_started "$mock_pid" "$mock_port"
}
start_mock 0
cat >"$tmp/wxsession.toml" <<TOML
[server]
bind = "127.0.0.1:$api_port"
shutdown_timeout_secs = 1
[store]
url = "redis://127.0.0.1:$redis_port/0"
pool_size = 64
[wechat]
api_base = "http://127.0.0.1:$mock_port"
allow_insecure_http = true
# Row 4b keeps 256 logins in flight against a 100 ms WeChat: above the default bound of 64
# concurrent WeChat calls per app, which would answer the excess with 503 (by design).
max_concurrent_calls_per_app = 1024
[session]
# Row 6 gives each user 100 sessions: above the default bound of 32 per user, which would evict
# the older ones and make the memory per further session look smaller than it is.
max_sessions_per_user = 1000
[limits]
# The load generator is one address: the per-address login limit would measure itself; its
# phone lookups reuse a few sessions, far past the per-session limit.
login_per_ip_per_minute = 0
phone_lookups_per_session_per_minute = 0
[[apps]]
appid = "$appid"
secret = "bench-secret"
TOML
# The default configuration: the per-request log line on (level info), written to a pipe that
# a reader drains, as a container runtime would.
# Started, then ready: /readyz answers 200 once the store does.
api="http://127.0.0.1:$api_port"
serve() {
  "$bin" serve --config "$tmp/wxsession.toml" > >(tail -n 100 >"$tmp/wxsession.log") 2>&1 &
  serve_pid=$!; pids+=($serve_pid)
  wait_started "$serve_pid" "$api_port"
  wait_for 10 curl -sf -o /dev/null "$api/readyz"
}
serve
BIND="127.0.0.1:$peer_port" REDIS_URL="redis://127.0.0.1:$redis_port" "$peer_bin" >"$tmp/peer.log" 2>&1 & pids+=($!)
wait_started "$!" "$peer_port"
peer_cookie=$(curl_ok -D - -o /dev/null -X POST "http://127.0.0.1:$peer_port/login" |
  tr -d '\r' | awk -F': ' 'tolower($1) == "set-cookie" {split($2, c, ";"); print c[1]}')
[[ -n $peer_cookie ]] || { echo "bench: the peer's login set no cookie" >&2; exit 1; }

# Sessions to validate with.
for i in $(seq 64); do
  curl_ok -X POST "$api/v1/sessions" -H 'content-type: application/json' \
    -d "{\"code\":\"user:bench$i:tok\"}" | extract_token
  echo
done >"$tmp/tokens"

# Each wrk thread validates its own token with a request built once, as the peer's row sends
# one fixed cookie: a per-request Lua hook that formats a request costs wrk ~10 % of its
# throughput, which would be charged to wxsession's row alone.
cat >"$tmp/auth.lua" <<'LUA'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local req
function init(args)
  local tokens = {}
  for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
  req = wrk.format("GET", "/v1/auth", { ["Authorization"] = "Bearer " .. tokens[(tid % #tokens) + 1] })
end
request = function() return req end
LUA
# Every login a fresh code: RUN is unique per wrk run, tid per wrk thread.
cat >"$tmp/login.lua" <<'LUA'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local appid = os.getenv("APPID") or ""
local prefix = appid ~= "" and ('{"appid":"' .. appid .. '",') or "{"
request = function()
  n = n + 1
  return wrk.format("POST", "/v1/sessions", { ["Content-Type"] = "application/json" },
    prefix .. '"code":"user:w' .. os.getenv("RUN") .. '-' .. tid .. '-' .. n .. ':x"}')
end
LUA
# Every wrk run reports through scripts/wrk-report.lua's `done` hook: `wrk_run NAME ARGS…` runs
# `wrk ARGS…` with its report in $tmp/NAME.json; `wrk_field NAME FIELD` reads one field of it.
for script in "$tmp/auth.lua" "$tmp/login.lua"; do cat scripts/wrk-report.lua >>"$script"; done
wrk_run() { local name=$1; shift; WRK_REPORT="$tmp/$name.json" wrk "$@" >"$tmp/$name.txt"; }
wrk_field() { json_field "$2" <"$tmp/$1.json"; }

# Rows 1, 2, 2p and 2f in three alternating rounds (Redis, wxsession, the actix-session peer,
# the bare actix-web route), the median of each. Row 2c: the Redis commands of the wxsession
# rounds (`INFO commandstats`, every client: the change feed's heartbeats count) per validation.
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
redis_calls() { redis-cli -p "$redis_port" info commandstats | tr -d '\r' |
  awk -F'[=,]' '/^cmdstat_/ {s += $2} END {print s + 0}'; }
: >"$tmp/auth-commands"
for round in 1 2 3; do
  echo "1–2/7 round $round: redis-benchmark GET c=64; GET /v1/auth, wrk -t2 -c64; the actix-session peer; the bare route" >&2
  redis-benchmark -p "$redis_port" -t get -c 64 -n $((dur * 40000)) -q 2>/dev/null |
    tr '\r' '\n' | awk '/GET:/ {print $2}' | tail -n1 >>"$tmp/redis-rounds"
  before=$(redis_calls)
  TOKENS="$tmp/tokens" wrk_run "auth-$round" -t2 -c64 -d"${dur}s" -s "$tmp/auth.lua" "$api"
  # `INFO` itself is one call.
  echo "$(($(redis_calls) - before - 1)) $(wrk_field "auth-$round" requests)" >>"$tmp/auth-commands"
  wrk_field "auth-$round" ok_rps >>"$tmp/auth-rounds"
  wrk_run "peer-$round" -t2 -c64 -d"${dur}s" -H "Cookie: $peer_cookie" -s scripts/wrk-report.lua \
    "http://127.0.0.1:$peer_port/auth"
  wrk_field "peer-$round" ok_rps >>"$tmp/peer-rounds"
  wrk_run "bare-$round" -t2 -c64 -d"${dur}s" -s scripts/wrk-report.lua "http://127.0.0.1:$peer_port/bare"
  wrk_field "bare-$round" ok_rps >>"$tmp/bare-rounds"
done
bare_rps=$(median <"$tmp/bare-rounds"); bare_all=$(paste -sd/ "$tmp/bare-rounds")
auth_commands=$(awk '{c += $1; r += $2} END {printf "%.4f", (r ? c / r : 0)}' "$tmp/auth-commands")
redis_rps=$(median <"$tmp/redis-rounds"); auth_rps=$(median <"$tmp/auth-rounds"); peer_rps=$(median <"$tmp/peer-rounds")
redis_all=$(paste -sd/ "$tmp/redis-rounds"); auth_all=$(paste -sd/ "$tmp/auth-rounds"); peer_all=$(paste -sd/ "$tmp/peer-rounds")
auth_p50=$(wrk_field auth-2 p50_us); auth_p99=$(wrk_field auth-2 p99_us)
sum_field() { python3 -c "import json,sys; print(sum(json.load(open(f))['$1'] for f in sys.argv[1:]))" "${@:2}"; }
auth_non2xx=$(sum_field non2xx "$tmp"/auth-[123].json); peer_non2xx=$(sum_field non2xx "$tmp"/peer-[123].json)

echo "3/7 GET /v1/auth at half that rate" >&2
half=$(python3 -c "print(max(100, int($auth_rps / 2)))")
"$loadgen" rate "127.0.0.1:$api_port" /v1/auth "$tmp/tokens" "$half" "$dur" 128 >"$tmp/rate.json"
half_p99=$(json_field p99_us <"$tmp/rate.json"); half_p50=$(json_field p50_us <"$tmp/rate.json")
half_done=$(json_field rps <"$tmp/rate.json")

echo "4/7 logins: simulator without latency, then with 100 ms at 256 clients" >&2
RUN=a$RANDOM wrk_run login -t2 -c64 -d"${dur}s" -s "$tmp/login.lua" "$api"
login_rps=$(wrk_field login ok_rps)
kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true
start_mock 100
RUN=b$RANDOM wrk_run login-slow -t2 -c256 -d"${dur}s" --timeout 5s -s "$tmp/login.lua" "$api"
login_slow_rps=$(wrk_field login-slow ok_rps)
login_slow_p99=$(wrk_field login-slow p99_us)
kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true
start_mock 0

echo "5/7 decrypt of 1 KiB through the API; criterion; openssl speed" >&2
# A fresh login: the simulator was restarted and only knows keys it issued since.
token=$(curl_ok -X POST "$api/v1/sessions" -H 'content-type: application/json' \
  -d '{"code":"user:benchdec:1"}' | extract_token)
python3 -c "import json; print(json.dumps({'appid':'$appid','user':'benchdec','data':{'blob':'x'*940}}))" >"$tmp/enc-req.json"
curl_ok -X POST "http://127.0.0.1:$mock_port/__sim/encrypt" -H 'content-type: application/json' \
  -d @"$tmp/enc-req.json" >"$tmp/enc.json"
cat >"$tmp/decrypt.lua" <<LUA
wrk.method = "POST"
wrk.body = io.open("$tmp/enc.json"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
cat scripts/wrk-report.lua >>"$tmp/decrypt.lua"
wrk_run decrypt -t2 -c64 -d"${dur}s" -s "$tmp/decrypt.lua" "$api/v1/sessions/current/decrypt"
decrypt_rps=$(wrk_field decrypt ok_rps)
cargo bench -q -p wechat-crypto --bench decrypt -- --warm-up-time 1 --measurement-time "$((dur > 3 ? 3 : 1))" \
  aes_cbc_decrypt/1KiB 2>/dev/null >"$tmp/criterion.txt" || true
crit_gib=$(awk '/aes_cbc_decrypt\/1KiB/ {f=1} f && /thrpt:/ {print $(NF-3), $(NF-2); exit}' "$tmp/criterion.txt" |
  awk '{v=$1; if ($2=="MiB/s") v=v/1024; printf "%.2f\n", v}')
ossl_gib=$(openssl speed -decrypt -evp aes-128-cbc -seconds "$((dur > 3 ? 3 : 1))" -bytes 1024 2>/dev/null |
  awk '/^AES-128-CBC/ {v=$2; sub(/k$/,"",v); printf "%.2f\n", v*1000/1073741824}')

echo "5c/7 phone-number lookups through the API (one token fetch for the run)" >&2
cat >"$tmp/phone.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  local k = (n % #tokens) + 1
  return wrk.format("POST", "/v1/sessions/current/phone",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[k] },
    '{"code":"phone:bench' .. k .. ':' .. os.getenv("RUN") .. '-' .. tid .. '-' .. n .. '"}')
end
LUA
cat scripts/wrk-report.lua >>"$tmp/phone.lua"
RUN=p$RANDOM TOKENS="$tmp/tokens" wrk_run phone -t2 -c64 -d"${dur}s" -s "$tmp/phone.lua" "$api"
phone_rps=$(wrk_field phone ok_rps)
phone_non2xx=$(wrk_field phone non2xx)
token_fetches=$(curl_ok "http://127.0.0.1:$mock_port/__sim/stats" | json_field token_fetches)

echo "5d/7 mobile logins (POST /v1/sessions, sns/oauth2) and whole web logins (QR → callback)" >&2
# A second service with a mobile app and a website, on the same Redis and simulator.
openssl rand -base64 32 >"$tmp/state.key"
cat >"$tmp/apps.toml" <<TOML
[server]
bind = "127.0.0.1:$apps_port"
shutdown_timeout_secs = 1
public_url = "http://127.0.0.1:$apps_port"
[store]
url = "redis://127.0.0.1:$redis_port/0"
key_prefix = "apps"
[wechat]
api_base = "http://127.0.0.1:$mock_port"
open_base = "http://127.0.0.1:$mock_port"
allow_insecure_http = true
max_concurrent_calls_per_app = 1024
[limits]
login_per_ip_per_minute = 0
web_login_per_ip_per_minute = 0
[web]
state_key_files = ["$tmp/state.key"]
[[apps]]
appid = "$mobile_appid"
kind = "mobile"
secret = "bench-secret"
[[apps]]
appid = "$web_appid"
kind = "website"
secret = "bench-secret"
TOML
"$bin" serve --config "$tmp/apps.toml" > >(tail -n 100 >"$tmp/wxsession-apps.log") 2>&1 &
apps_pid=$!; pids+=($apps_pid)
wait_started "$apps_pid" "$apps_port"
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$apps_port/readyz"
RUN=m$RANDOM APPID=$mobile_appid wrk_run mobile -t2 -c64 -d"${dur}s" -s "$tmp/login.lua" \
  "http://127.0.0.1:$apps_port"
mobile_rps=$(wrk_field mobile ok_rps)
"$loadgen" web "127.0.0.1:$apps_port" "127.0.0.1:$mock_port" "$web_appid" "$((dur * 1500))" 32 >"$tmp/web.json"
web_rps=$(json_field per_sec <"$tmp/web.json"); web_failed=$(json_field failed <"$tmp/web.json")
# Numbers of a run that failed requests measure the failures: every run must answer what it asks.
for failed in "auth_non2xx=$auth_non2xx" "phone_non2xx=$phone_non2xx" "web_failed=$web_failed"; do
  [[ ${failed#*=} == 0 ]] || { echo "bench: $failed: requests failed, the numbers mean nothing" >&2; exit 1; }
done
kill "$apps_pid"; wait "$apps_pid" 2>/dev/null || true

echo "6/7 Redis memory per session ($sessions sessions of new users, then of existing users)" >&2
mem() { redis-cli -p "$redis_port" info memory | tr -d '\r' | awk -F: '/^used_memory:/ {print $2}'; }
unlink_all() { redis-cli -p "$redis_port" --scan --pattern "$1" | xargs -r -n 1000 redis-cli -p "$redis_port" unlink >/dev/null; }
# Logins in ten steps, the 5-minute code answers dropped after each: alive all at once, 100,000
# of them would double Redis' key tables, which do not shrink back at that fill — a cost no
# steady state pays. What the answers cost is measured on the last step and reported apart.
mint_steps() { # $1 = user-name prefix, $2 = users (logins spread over them)
  local step=$((sessions / 10)) first
  for first in $(seq 0 "$step" $((sessions - 1))); do
    "$loadgen" mint "127.0.0.1:$api_port" "$step" "$mint_c" "$1" "$2" "$first" >/dev/null
    local with_answers; with_answers=$(mem)
    unlink_all 'wxs:c:*'
    answer_bytes=$(( (with_answers - $(mem)) / step ))
  done
}
redis-cli -p "$redis_port" flushall >/dev/null
before=$(mem)
mint_steps mem "$sessions"
per_session_steady=$(( ($(mem) - before) / sessions ))
# What of it is the unionid index (one entry per person, kept for linking across apps).
union_keys=$(redis-cli -p "$redis_port" --scan --pattern 'wxs:ux:*' | wc -l)
unlink_all 'wxs:ux:*'
per_session_no_union=$(( ($(mem) - before) / sessions ))
# The floor: one `SET key value EX ttl` per session, key and value the size of a session's.
skey=$(redis-cli -p "$redis_port" --scan --pattern 'wxs:s:*' | awk 'NR == 1')
klen=${#skey}; vlen=$(redis-cli -p "$redis_port" strlen "$skey")
redis-cli -p "$redis_port" flushall >/dev/null
before=$(mem)
redis-cli -p "$redis_port" eval "for i = 1, tonumber(ARGV[1]) do
  redis.call('SET', string.format('%0' .. ARGV[2] .. 'd', i), string.rep('v', tonumber(ARGV[3])), 'EX', 7200) end" \
  0 "$sessions" "$klen" "$vlen" >/dev/null
floor=$(( ($(mem) - before) / sessions ))
# The marginal cost of one more session of a user who already has one: 100 sessions per user.
redis-cli -p "$redis_port" flushall >/dev/null
before=$(mem)
mint_steps rep "$((sessions / 100))"
per_session_existing=$(( ($(mem) - before) / sessions ))
# New users again with their buckets as real hash tables, as Redis' default value limit (64
# bytes) makes them once a user holds two sessions, and 512 entries beyond ~2 M users.
redis-cli -p "$redis_port" flushall >/dev/null
redis-cli -p "$redis_port" config set hash-max-listpack-value 64 >/dev/null
redis-cli -p "$redis_port" config set hash-max-listpack-entries 0 >/dev/null
before=$(mem)
mint_steps tbl "$sessions"
per_session_table=$(( ($(mem) - before) / sessions ))
redis-cli -p "$redis_port" flushall >/dev/null

echo "7/7 RSS with $idle idle keep-alive connections" >&2
rss() { awk '/^VmRSS/ {print $2}' "/proc/$serve_pid/status"; }
rss_warm=$(rss)
# A fresh replica, warmed up with a second of validations, then the idle connections.
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
serve
TOKENS="$tmp/tokens" wrk -t2 -c64 -d1s -s "$tmp/auth.lua" "$api" >/dev/null
rss_before=$(rss)
"$loadgen" conns "127.0.0.1:$api_port" "$idle" 3 >"$tmp/conns.json" &
conns_pid=$!
for _ in $(seq 100); do [[ -s $tmp/conns.json ]] && break; sleep 0.1; done
sleep 0.5
rss_idle=$(rss)
wait "$conns_pid" || true
open=$(json_field open <"$tmp/conns.json")

python3 - "$out/results.json" <<PY
import json, sys
r = dict(
  smoke=$($smoke && echo True || echo False), duration_s=$dur,
  redis_get_rps=float("$redis_rps"), redis_rounds="$redis_all",
  auth_rounds="$auth_all", peer_rounds="$peer_all", peer_auth_rps=float("$peer_rps"), peer_non2xx=int("$peer_non2xx"),
  bare_rounds="$bare_all", bare_rps=float("$bare_rps"), redis_commands_per_validation=float("$auth_commands"),
  mobile_login_rps=float("$mobile_rps"), web_login_rps=float("$web_rps"), web_login_failed=int("$web_failed"),
  auth_rps=float("$auth_rps"), auth_p50_us=int("$auth_p50"), auth_p99_us=int("$auth_p99"), auth_non2xx=int("$auth_non2xx"),
  half_rate_rps=int("$half"), half_rate_done_rps=float("$half_done"), half_rate_p50_us=int("$half_p50"), half_rate_p99_us=int("$half_p99"),
  login_rps=float("$login_rps"), login_100ms_c256_rps=float("$login_slow_rps"), login_100ms_p99_us=int("$login_slow_p99"),
  decrypt_1kib_rps=float("$decrypt_rps"),
  phone_rps=float("$phone_rps"), phone_non2xx=int("$phone_non2xx"), phone_token_fetches=int("$token_fetches"), criterion_aes_cbc_1kib_gib_s=float("${crit_gib:-0}"),
  openssl_aes_cbc_decrypt_1kib_gib_s=float("${ossl_gib:-0}"),
  sessions=$sessions, redis_bytes_code_answer=$answer_bytes, redis_bytes_per_session_steady=$per_session_steady,
  redis_bytes_per_session_hash_table=$per_session_table,
  redis_bytes_per_extra_session=$per_session_existing, rss_kib_warm_process=int("$rss_warm"),
  redis_bytes_floor=$floor, floor_key_len=$klen, floor_value_len=$vlen, union_keys=$union_keys,
  redis_bytes_per_session_no_union=$per_session_no_union,
  idle_connections=int("$open"), rss_kib_before=int("$rss_before"), rss_kib_idle_conns=int("$rss_idle"),
)
r["auth_ratio"] = r["auth_rps"] / r["redis_get_rps"]
r["peer_ratio"] = r["auth_rps"] / r["peer_auth_rps"] if r["peer_auth_rps"] else 0
r["bare_ratio"] = r["auth_rps"] / r["bare_rps"] if r["bare_rps"] else 0
r["crypto_ratio"] = r["criterion_aes_cbc_1kib_gib_s"] / r["openssl_aes_cbc_decrypt_1kib_gib_s"] if r["openssl_aes_cbc_decrypt_1kib_gib_s"] else 0
json.dump(r, open(sys.argv[1], "w"), indent=2)
print(f"""
| # | what | measured | baseline (same run) | ratio / target |
| --- | --- | --- | --- | --- |
| 1 | redis-benchmark GET, c=64 (median of 3 rounds: {r['redis_rounds']}) | {r['redis_get_rps']:,.0f} rps | — | baseline |
| 2 | GET /v1/auth, wrk -t2 -c64, default config (request log line on) (median of 3: {r['auth_rounds']}) | {r['auth_rps']:,.0f} rps, p50 {r['auth_p50_us']} µs, p99 {r['auth_p99_us']} µs, non-2xx {r['auth_non2xx']} | (1) | {r['auth_ratio']:.2f} × Redis (target ≥ 1.5) |
| 2p | the peer: actix-web + actix-session (Redis store) cookie check, wrk -t2 -c64 (median of 3: {r['peer_rounds']}) | {r['peer_auth_rps']:,.0f} rps, non-2xx {r['peer_non2xx']} | (2) | wxsession {r['peer_ratio']:.2f} × the peer (target ≥ 1.0) |
| 2f | the HTTP floor: a bare actix-web route answering 200 without Redis, wrk -t2 -c64 (median of 3: {r['bare_rounds']}) | {r['bare_rps']:,.0f} rps | (2) | wxsession {r['bare_ratio']:.2f} × the floor (target ≥ 0.8) |
| 2c | Redis commands per validation in the rounds of row 2 (INFO commandstats, all clients, the change feed's heartbeats included) | {r['redis_commands_per_validation']:.4f} | — | target ≤ 0.05 |
| 3 | GET /v1/auth at {r['half_rate_rps']:,} rps (half of 2; {r['half_rate_done_rps']:,.0f} done) | p50 {r['half_rate_p50_us']} µs, p99 {r['half_rate_p99_us']} µs | — | p99 target < 1000 µs |
| 4a | logins, simulator 0 ms, c=64 | {r['login_rps']:,.0f} logins/s | — | |
| 4b | logins, simulator 100 ms, c=256 | {r['login_100ms_c256_rps']:,.0f} logins/s, p99 {r['login_100ms_p99_us']/1000:.0f} ms | 256 / 0.1 s = 2,560 ideal | {r['login_100ms_c256_rps']/2560:.2f} of ideal (target ≥ 2000/s) |
| 5a | decrypt 1 KiB via API, c=64 | {r['decrypt_1kib_rps']:,.0f} rps | — | |
| 5b | AES-128-CBC decrypt 1 KiB (criterion) | {r['criterion_aes_cbc_1kib_gib_s']:.2f} GiB/s | openssl {r['openssl_aes_cbc_decrypt_1kib_gib_s']:.2f} GiB/s | {r['crypto_ratio']:.2f} × (informational: 1 KiB at this speed is ~{1024/(r['criterion_aes_cbc_1kib_gib_s']*1073741824)*1e6:.2f} µs of a {1e6/r['decrypt_1kib_rps']*2:.0f} µs decrypt request) |
| 5c | phone lookups via API, c=64 (simulator 0 ms) | {r['phone_rps']:,.0f} lookups/s, non-2xx {r['phone_non2xx']}, {r['phone_token_fetches']} access_token fetch(es) in the run | logins (4a) | {r['phone_rps']/r['login_rps']:.2f} × logins (target: 1 fetch) |
| 5d | mobile logins (sns/oauth2), c=64 / whole web logins (login → consent → callback), 32 browsers | {r['mobile_login_rps']:,.0f} logins/s / {r['web_login_rps']:,.0f} logins/s ({r['web_login_failed']} failed) | mini-program logins (4a) | {r['mobile_login_rps']/r['login_rps']:.2f} / {r['web_login_rps']/r['login_rps']:.2f} × |
| 6 | Redis memory per session ({r['sessions']:,}) | new users: {r['redis_bytes_per_session_steady']} B ({r['redis_bytes_per_session_no_union']} B without the unionid index; the login's code answer {r['redis_bytes_code_answer']} B more for its 5 minutes); another session of an existing user: {r['redis_bytes_per_extra_session']} B; new users once buckets are hash tables (as Redis' default 64-byte value limit makes them): {r['redis_bytes_per_session_hash_table']} B | floor: SET k v EX ttl with a {r['floor_key_len']}-byte key and {r['floor_value_len']}-byte value = {r['redis_bytes_floor']} B | new user {r['redis_bytes_per_session_steady']/r['redis_bytes_floor']:.2f} × ({r['redis_bytes_per_session_no_union']/r['redis_bytes_floor']:.2f} × without the index, {r['redis_bytes_per_session_hash_table']/r['redis_bytes_floor']:.2f} × as hash tables; target ≤ 1.6), further session {r['redis_bytes_per_extra_session']/r['redis_bytes_floor']:.2f} × (target ≤ 1.15) |
| 7 | RSS with {r['idle_connections']:,} idle keep-alive connections | {r['rss_kib_idle_conns']/1024:.1f} MiB (fresh replica {r['rss_kib_before']/1024:.1f} MiB; the replica that ran rows 2–6 held {r['rss_kib_warm_process']/1024:.1f} MiB) | — | informational: {(r['rss_kib_idle_conns']-r['rss_kib_before'])/max(r['idle_connections'],1):.1f} KiB per idle connection (actix-http's per-connection buffers); an ingress in front holds clients' keep-alives |
""")
PY
echo "results: $out/results.json" >&2
