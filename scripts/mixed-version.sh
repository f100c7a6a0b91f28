#!/usr/bin/env bash
# A fleet in the middle of a rolling upgrade, as plain processes on loopback: one redis-server,
# the WeChat simulator, replicas of the newest release (CHANGELOG.md, built once by
# scripts/release-bin.sh) and of this code on that one Redis, nginx in front with the shipped
# template, and steady load through nginx the whole time.
#
#   scripts/mixed-version.sh [OLD_BIN]
#
# Both ways round (old → new, new → old): a login on one version; validation, forward auth,
# decrypt, phone, a second login, the admin listing and log-out-everywhere on the other; one
# login code and one phone code presented to both versions, in turn and at once (exchanged once,
# one answer on both). Then a rolling restart of the old replicas onto this code. Passes with zero failed requests, zero
# sessions alive after a log-out-everywhere and zero decrypts that used a stale session_key.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
old_bin=${1:-$(scripts/release-bin.sh)}
cargo build -q -p wxsession
new_bin=target/debug/wxsession
need_tools nginx:nginx-light redis-server:redis-server envsubst:gettext-base

scratch; dir=$scratch_dir

appid=wx1234567890abcdef
admin=mixed-version-admin-token
# Every port at once (none is bound before the replicas start): no two alike.
declare -A port admin_port pid
read -r redis_port mock_port nginx_port 'port[1]' 'admin_port[1]' 'port[2]' 'admin_port[2]' \
  'port[3]' 'admin_port[3]' < <(free_ports 9 | paste -sd' ')
start_redis "$redis_port" "$dir"
"$new_bin" mock-wechat --bind "127.0.0.1:$mock_port" --app "$appid=mixed-secret" >"$dir/mock.log" 2>&1 &
pids+=($!)
wait_port "$mock_port"
printf '%s\n' "$admin" >"$dir/admin"

# Replica i: a config both versions read (no key the old one does not know).
start_replica() { # $1 = index, $2 = binary
  local i=$1
  cat >"$dir/replica-$i.toml" <<TOML
[server]
bind = "127.0.0.1:${port[$i]}"
admin_bind = "127.0.0.1:${admin_port[$i]}"
shutdown_timeout_secs = 5
workers = 1
[store]
url = "redis://127.0.0.1:$redis_port/0"
[wechat]
api_base = "http://127.0.0.1:$mock_port"
allow_insecure_http = true
[limits]
login_per_ip_per_minute = 0
[admin]
token_file = "$dir/admin"
[[apps]]
appid = "$appid"
secret = "mixed-secret"
TOML
  "$2" serve --config "$dir/replica-$i.toml" >>"$dir/replica-$i.log" 2>&1 &
  pid[$i]=$!; pids+=($!)
  wait_port "${port[$i]}"
}
servers=""
for i in 1 2 3; do
  servers="$servers server 127.0.0.1:${port[$i]} max_fails=1 fail_timeout=2s;"
done
start_replica 1 "$old_bin"; start_replica 2 "$old_bin"; start_replica 3 "$new_bin"
start_nginx "$dir" "$nginx_port" "$servers"

# Replica 1 (old) and 3 (new) face each other; replica 2 (old) serves load until its restart.
OLD="http://127.0.0.1:${port[1]}" OLD_ADMIN="http://127.0.0.1:${admin_port[1]}" \
NEW="http://127.0.0.1:${port[3]}" NEW_ADMIN="http://127.0.0.1:${admin_port[3]}" \
BASE="http://127.0.0.1:$nginx_port" SIM="http://127.0.0.1:$mock_port" APPID="$appid" ADMIN="$admin" \
RESTART="$dir/restart" RESTARTED="$dir/restarted" \
  python3 scripts/mixed_version.py &
driver=$!
# The driver asks for the rolling restart through files: old replicas 1 and 2 onto this code.
while kill -0 "$driver" 2>/dev/null; do
  if [[ -e $dir/restart ]]; then
    for i in 1 2; do
      kill -TERM "${pid[$i]}"; wait "${pid[$i]}" 2>/dev/null || true
      start_replica "$i" "$new_bin"
      echo "replica $i restarted on this code" >&2
    done
    rm "$dir/restart"; touch "$dir/restarted"
  fi
  sleep 0.2
done
wait "$driver"
