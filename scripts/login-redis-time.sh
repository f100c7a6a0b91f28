#!/usr/bin/env bash
# Redis time per login, the way docs/src/benchmarks.md reports it: Redis' own time per command
# (`INFO commandstats`, usec per call × calls) over COUNT logins of new users, then over COUNT
# second logins of the same users. Not part of scripts/test.sh.
#
#   scripts/login-redis-time.sh [COUNT] [BUCKETS] [bench|default]
#
# COUNT logins (20000), `store.buckets` = BUCKETS (4096), Redis with the bench's hash limits
# (`bench`: listpacks up to 512 entries of 256 bytes) or Redis' defaults (`default`: 128 / 64).
# WXSESSION_BIN and LOADGEN_BIN use given binaries (else release ones are built); REDIS_PORT
# picks Redis' port. With 4096 buckets the config leaves `store.buckets` out, so that a release
# before the setting can be measured too.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
count=${1:-20000}; buckets=${2:-4096}; limits=${3:-bench}
if [[ -n ${LOADGEN_BIN:-} ]]; then loadgen=$LOADGEN_BIN; else loadgen=$(release_with_bench loadgen); fi
bin=${WXSESSION_BIN:-target/release/wxsession}
scratch; tmp=$scratch_dir
appid=wx1234567890abcdef
read -r free_redis mock_port api_port < <(free_ports 3 | paste -sd' ')
redis_port=${REDIS_PORT:-$free_redis}
hash_limits=()
[[ $limits == bench ]] && hash_limits=(--hash-max-listpack-entries 512 --hash-max-listpack-value 256)
start_redis "$redis_port" "$tmp" "${hash_limits[@]}"
"$bin" mock-wechat --bind "127.0.0.1:$mock_port" --app "$appid=bench-secret" >/dev/null 2>&1 & pids+=($!)
wait_port "$mock_port"
cat >"$tmp/wxsession.toml" <<TOML
[server]
bind = "127.0.0.1:$api_port"
shutdown_timeout_secs = 1
[store]
url = "redis://127.0.0.1:$redis_port/0"
$([[ $buckets == 4096 ]] || echo "buckets = $buckets")
[wechat]
api_base = "http://127.0.0.1:$mock_port"
allow_insecure_http = true
[limits]
login_per_ip_per_minute = 0
[[apps]]
appid = "$appid"
secret = "bench-secret"
TOML
"$bin" serve --config "$tmp/wxsession.toml" >/dev/null 2>&1 & pids+=($!)
wait_port "$api_port"
r() { redis-cli -p "$redis_port" "$@"; }
# Warm-up (the scripts loaded, the access paths taken), then counted runs.
"$loadgen" mint "127.0.0.1:$api_port" 200 8 warm >/dev/null
report() { # $1 = what
  r info commandstats | tr -d '\r' | python3 -c '
import re, sys
what, n = sys.argv[1], int(sys.argv[2])
rows = {}
for line in sys.stdin:
    m = re.match(r"cmdstat_(\w+):calls=(\d+),usec=(\d+),", line)
    if m:
        rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
# Commands a script runs count in commandstats too, and in the script`s own time: a login calls
# HGET, HSET and HDEL only from scripts, EXPIRE and HRANDFIELD directly once per HSETNX.
direct = rows.get("hsetnx", (0, 0))[0]
def inner(name):
    calls, usec = rows.get(name, (0, 0))
    if name in ("hget", "hset", "hdel"):
        return usec
    if name in ("expire", "hrandfield") and calls:
        return max(calls - direct, 0) * usec / calls
    return 0
total = sum(u for _, u in rows.values()) - sum(inner(c) for c in rows)
print(f"{what}: {total / n:.1f} us of Redis time per login over {n} logins (commands inside scripts in their script`s time)")
for name, (calls, usec) in sorted(rows.items(), key=lambda r: -r[1][1]):
    note = "  (inside scripts)" if inner(name) == usec and usec else ""
    print(f"  {name:12} {calls / n:5.2f} calls/login  {usec / calls:6.2f} us/call  {usec / n:6.2f} us/login{note}")
' "$1" "$count"
}
r config resetstat >/dev/null
"$loadgen" mint "127.0.0.1:$api_port" "$count" 8 new "$count" >/dev/null
report "new users ($buckets buckets, $limits hash limits)"
r config resetstat >/dev/null
"$loadgen" mint "127.0.0.1:$api_port" "$count" 8 new "$count" "$count" >/dev/null
report "second logins of the same users"
echo "buckets: $(r --scan --pattern 'wxs:ub:*' | wc -l) user buckets; encodings of 20: $(
  r --scan --pattern 'wxs:ub:*' | head -20 | xargs -n1 redis-cli -p "$redis_port" object encoding | sort | uniq -c | tr '\n' ' ')"
