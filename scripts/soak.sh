#!/usr/bin/env bash
# The soak: user cycles (simulator-encrypted data, login, 8 validations, decrypt, phone lookup,
# logout) at about half of the measured capacity on three replicas sharing one Redis, for
# MINUTES (default 10). Every 30 s: RSS and open fds of each replica, Redis' key count and
# memory. Afterwards it waits for the TTLs and checks that the key count is back to its
# baseline. Loopback only; starts and stops everything it uses. Not part of scripts/test.sh.
#
#   scripts/soak.sh [MINUTES]
#
# Passes when, after a one-minute warm-up, no replica's RSS grows more than 5 %, open fds do not
# trend up (the last three samples' median within 4 of the first three's: idle connections to
# Redis and WeChat come and go), no request fails, and the keys (all but the access_token, meant
# to outlive the soak) are back to the baseline after the TTLs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
minutes=${1:-10}
secs=$((minutes * 60))

need_tools redis-server:redis-server redis-cli:redis-tools
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "building release binaries…" >&2
gen=$(release_with_bench soakgen)
bin=target/release/wxsession
scratch; tmp=$scratch_dir

appid=wx1234567890abcdef
read -r redis_port mock_port < <(free_ports 2 | paste -sd' ')
start_redis "$redis_port" "$tmp" --maxmemory-policy noeviction
"$bin" mock-wechat --bind "127.0.0.1:$mock_port" --app "$appid=soak-secret" --log-format json \
  >/dev/null 2>&1 &
pids+=($!)
wait_port "$mock_port"
rcli() { redis-cli -p "$redis_port" "$@"; }
# Every key but the app's access_token, which is meant to outlive the soak (~2 h).
keys() { echo $(($(rcli dbsize) - $(rcli --scan --pattern '*:at:*' | wc -l))); }
mem() { rcli info memory | tr -d '\r' | awk -F: '/^used_memory:/ {print $2}'; }

# Short lifetimes, so that everything a cycle leaves behind expires within minutes: sessions
# are logged out, users' and persons' bucket hashes live max_lifetime (120 s) after their last
# write, code and phone answers 300 s.
apis=(); replica_pids=()
for i in 1 2 3; do
  port=$(free_port)
  cat >"$tmp/r$i.toml" <<TOML
[server]
bind = "127.0.0.1:$port"
shutdown_timeout_secs = 2
workers = 1
[store]
url = "redis://127.0.0.1:$redis_port/0"
[wechat]
api_base = "http://127.0.0.1:$mock_port"
allow_insecure_http = true
[session]
idle_ttl_secs = 60
max_lifetime_secs = 120
[limits]
login_per_ip_per_minute = 0
[[apps]]
appid = "$appid"
secret = "soak-secret"
TOML
  "$bin" serve --config "$tmp/r$i.toml" >"$tmp/r$i.log" 2>&1 &
  replica_pids+=($!); pids+=($!); apis+=("127.0.0.1:$port")
  wait_port "$port"
done
api_list=$(IFS=,; echo "${apis[*]}")
baseline=$(keys)

echo "capacity: 15 s at an unreachable rate" >&2
"$gen" mix "$api_list" "127.0.0.1:$mock_port" "$appid" 100000 15 48 probe >"$tmp/probe.json"
capacity=$(python3 -c "import json; print(json.load(open('$tmp/probe.json'))['cycles_per_sec'])")
rate=$(python3 -c "print(round($capacity / 2, 1))")
echo "capacity $capacity cycles/s (12 requests each); soaking at $rate cycles/s for $minutes min" >&2
sleep 2

"$gen" mix "$api_list" "127.0.0.1:$mock_port" "$appid" "$rate" "$secs" 24 soak >"$tmp/soak.json" &
gen_pid=$!; pids+=($gen_pid)
sample() { # elapsed seconds → one CSV row
  local row="$1"
  for pid in "${replica_pids[@]}"; do
    row="$row,$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status"),$(ls "/proc/$pid/fd" | wc -l)"
  done
  echo "$row,$(keys),$(mem)"
}
echo "t_s,rss1_kib,fds1,rss2_kib,fds2,rss3_kib,fds3,redis_keys,redis_bytes" >"$tmp/samples.csv"
start=$(date +%s)
while kill -0 "$gen_pid" 2>/dev/null; do
  sleep 30
  kill -0 "$gen_pid" 2>/dev/null || break
  sample $(($(date +%s) - start)) | tee -a "$tmp/samples.csv" >&2
done
wait "$gen_pid"

echo "waiting for the TTLs (up to 7 min) for the keys to return to $baseline" >&2
drained=""
for _ in $(seq 84); do
  if (($(keys) <= baseline)); then drained=$(($(date +%s) - start - secs)); break; fi
  sleep 5
done

python3 - "$tmp/samples.csv" "$tmp/soak.json" "$baseline" "$(keys)" "${drained:-never}" "$rate" "$capacity" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
soak = json.load(open(sys.argv[2]))
baseline, keys_after, drained, rate, capacity = sys.argv[3:8]
warm = [r for r in rows if int(r["t_s"]) >= 60] or rows
ok = True
print(f"\n| replica | RSS after warm-up | RSS at the end | growth | open fds (min–max) |")
print("| --- | --- | --- | --- | --- |")
for i in (1, 2, 3):
    first, last = int(warm[0][f"rss{i}_kib"]), int(warm[-1][f"rss{i}_kib"])
    growth = (last - first) / first * 100
    fds = [int(r[f"fds{i}"]) for r in warm]
    median = lambda xs: sorted(xs)[len(xs) // 2]
    trend = median(fds[-3:]) - median(fds[:3])
    print(f"| {i} | {first/1024:.1f} MiB | {last/1024:.1f} MiB | {growth:+.1f} % | {min(fds)}–{max(fds)} (trend {trend:+d}) |")
    ok &= growth <= 5 and trend <= 4
keys = [int(r["redis_keys"]) for r in rows]
mem = [int(r["redis_bytes"]) for r in rows]
print(f"\ncapacity {capacity} cycles/s (12 requests each), soaked at {rate} cycles/s: "
      f"{soak['cycles']:,} cycles, {soak['requests']:,} requests, {soak['failed']} failed {soak['failures']}")
print(f"Redis during the soak: keys {min(keys):,}–{max(keys):,}, memory {min(mem)/2**20:.1f}–{max(mem)/2**20:.1f} MiB; "
      f"after: {keys_after} keys (baseline {baseline}), back {drained} s after the load stopped")
ok &= soak["failed"] == 0 and drained != "never"
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
