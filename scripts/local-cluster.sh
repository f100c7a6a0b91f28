#!/usr/bin/env bash
# The docker-compose topology as plain processes on loopback: one redis-server (AOF on), the
# WeChat simulator, three `wxsession serve` replicas and nginx with the compose nginx template.
#
#   scripts/local-cluster.sh          start everything, print the URLs, stop on Ctrl-C
#   scripts/local-cluster.sh --test   drive the seed flow through nginx, SIGKILL one replica
#                                     mid-run, require zero failed logins and every token still
#                                     valid; then restart the replicas one by one with SIGTERM
#                                     (twice round) while logins, phone lookups and decrypts wait
#                                     on a slow WeChat, require zero failed and zero lost; then
#                                     stop everything
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
bin=${WXSESSION_BIN:-target/debug/wxsession}
[[ -x $bin ]] || cargo build -q -p wxsession
. scripts/lib.sh
need_tools nginx:nginx-light redis-server:redis-server envsubst:gettext-base

scratch; dir=$scratch_dir
on_exit() {
  if (($1 != 0)) && [[ $mode == --test ]]; then
    echo "the replicas' warnings and errors:" >&2
    grep -hE '"level":"(WARN|ERROR)"' "$dir"/wxsession-*.log 2>/dev/null | tail -n 20 >&2 || true
  fi
}

appid=wx1234567890abcdef
secret=local-cluster-secret
admin=local-cluster-admin-token
# Every port at once (the replicas bind theirs in the background): no two alike.
mapfile -t chosen < <(free_ports 13)
redis_port=${chosen[0]}; mock_port=${chosen[1]}; nginx_port=${chosen[2]}; demo_port=${chosen[3]}

start_redis "$redis_port" "$dir" --appendonly yes
"$bin" mock-wechat --bind "127.0.0.1:$mock_port" --app "$appid=$secret" >"$dir/mock.log" 2>&1 &
pids+=($!)
wait_port "$mock_port"

printf '%s\n' "$admin" >"$dir/admin"; printf '%s\n' "$secret" >"$dir/secret"
servers=""
replica_pids=()
replica_ports=()
metrics_ports=()
admin_ports=()
# Starts (or starts again) replica $1 (0, 1 or 2) from its config.
start_replica() {
  "$bin" serve --config "$dir/wxsession-$(($1 + 1)).toml" >>"$dir/wxsession-$(($1 + 1)).log" 2>&1 &
  pids+=($!); replica_pids[$1]=$!
}
for i in 1 2 3; do
  port=${chosen[$((3 * i + 1))]}; metrics=${chosen[$((3 * i + 2))]}; admin_port=${chosen[$((3 * i + 3))]}
  cat >"$dir/wxsession-$i.toml" <<TOML
[server]
bind = "127.0.0.1:$port"
metrics_bind = "127.0.0.1:$metrics"
admin_bind = "127.0.0.1:$admin_port"
shutdown_timeout_secs = 5
# Two workers: one can stop while the other's WeChat calls are in flight (the rolling restart).
workers = 2
# Every client is nginx's address here; the rolling restart's load is ~10 logins a second.
[limits]
login_per_ip_per_minute = 6000
[store]
url = "redis://127.0.0.1:$redis_port/0"
[wechat]
api_base = "http://127.0.0.1:$mock_port"
allow_insecure_http = true
[admin]
token_file = "$dir/admin"
[[apps]]
appid = "$appid"
secret_file = "$dir/secret"
TOML
  start_replica $((i - 1))
  replica_ports+=("$port"); metrics_ports+=("$metrics"); admin_ports+=("$admin_port")
  servers="$servers server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"
done
for port in "${replica_ports[@]}"; do wait_port "$port"; done

# The same template docker-compose mounts into the nginx image, rendered the same way.
NGINX_LISTEN="127.0.0.1:$nginx_port" DEMO_LISTEN="127.0.0.1:$demo_port" WXSESSION_SERVERS="$servers" \
  render_nginx >"$dir/wxsession.conf"
cat >"$dir/nginx.conf" <<NGINX
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log $dir/nginx-access.log;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  include $dir/wxsession.conf;
}
NGINX
nginx -t -q -p "$dir" -c "$dir/nginx.conf"
# The template logs to stdout (as in the nginx image): into the same file.
nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >>"$dir/nginx-access.log" 2>&1 &
pids+=($!)
wait_port "$nginx_port"
base="http://127.0.0.1:$nginx_port"

if [[ $mode != --test ]]; then
  cat <<TXT
local cluster up:
  nginx      $base   (forward-auth demo backend at $base/api/)
  replicas   ${replica_ports[*]}
  simulator  http://127.0.0.1:$mock_port   appid $appid
  redis      redis://127.0.0.1:$redis_port/0
Ctrl-C stops everything.
TXT
  wait
  exit 0
fi

# The scenario: logins, validations, decrypts and forward-auth through nginx; replica 2 is killed
# with SIGKILL after a third of the logins.
BASE="$base" SIM="http://127.0.0.1:$mock_port" APPID="$appid" VICTIM="${replica_pids[1]}" \
  ADMIN="$admin" ADMIN_BASE="http://127.0.0.1:${admin_ports[0]}" \
  python3 - <<'PY'
import os, signal, sys
sys.path.insert(0, "scripts")
from harness import call

base, sim, appid, victim = os.environ["BASE"], os.environ["SIM"], os.environ["APPID"], int(os.environ["VICTIM"])

total, failures, tokens = 60, [], []
for i in range(total):
    if i == total // 3:
        os.kill(victim, signal.SIGKILL)
        print(f"killed replica pid {victim} after {i} logins", flush=True)
    user = f"u{i % 7}"
    status, body = call("POST", f"{base}/v1/sessions", {"code": f"user:{user}:{os.getpid()}-{i}"})
    if status != 201:
        failures.append(f"login {i}: {status} {body}")
        continue
    tokens.append((user, body["session"], body["openid"]))
    status, _ = call("GET", f"{base}/v1/auth", token=body["session"])
    if status != 200:
        failures.append(f"auth {i}: {status}")

# Every token minted is still valid, through nginx and the forward-auth demo backend.
for user, token, openid in tokens:
    status, body = call("GET", f"{base}/api/hello", token=token)
    if status != 200 or body.get("hello") != openid:
        failures.append(f"forward auth for {user}: {status} {body}")
status, _ = call("GET", f"{base}/api/hello")
if status != 401:
    failures.append(f"forward auth without a token: {status}")

# Decrypt through nginx with data from the simulator, for each user's newest session.
latest = {user: token for user, token, _ in tokens}
for user, token in latest.items():
    _, enc = call("POST", f"{sim}/__sim/encrypt", {"appid": appid, "user": user, "data": {"n": user}})
    status, body = call("POST", f"{base}/v1/sessions/current/decrypt", enc, token)
    if status != 200 or body["data"]["n"] != user:
        failures.append(f"decrypt for {user}: {status} {body}")

# The admin API is not served through nginx, only on a replica's admin listener.
admin, admin_base = os.environ["ADMIN"], os.environ["ADMIN_BASE"]
user, token, openid = tokens[0]
status, _ = call("DELETE", f"{base}/v1/admin/apps/{appid}/users/{openid}/sessions", token=admin)
if status != 404:
    failures.append(f"admin through nginx: {status}")
status, body = call("DELETE", f"{admin_base}/v1/admin/apps/{appid}/users/{openid}/sessions", token=admin)
if status != 200 or body["revoked"] < 1:
    failures.append(f"admin on its listener: {status} {body}")

print(f"{len(tokens)} passed, {len(failures)} failed")
for f in failures:
    print("  " + f)
sys.exit(1 if failures else 0)
PY

# The rolling restart: each replica in turn gets SIGTERM with no drain first (nginx learns of it
# from refused connections), must exit 0, and starts again; twice round. It is stopped while
# requests are in flight on it, and the next one only once nginx sends the restarted one
# traffic again. Meanwhile scripts/cluster-load.py keeps logins, phone lookups and decrypts
# waiting on a slow WeChat; it fails on any failed request or lost login.
ready() { curl -sf -o /dev/null "http://127.0.0.1:$1/readyz"; }
# Whether replica $1 has at least $2 API requests in flight.
in_flight() {
  local n
  n=$(curl -sf "http://127.0.0.1:${metrics_ports[$1]}/metrics" |
    awk '$1 == "wxsession_http_requests_in_flight" { print int($2) }')
  [[ -n $n ]] && ((n >= $2))
}
{ wait "${replica_pids[1]}" || true; } 2>/dev/null
start_replica 1
wait_for 10 ready "${replica_ports[1]}"
touch "$dir/load.run"
BASE="$base" SIM="http://127.0.0.1:$mock_port" APPID="$appid" RUN="$dir/load.run" \
  python3 scripts/cluster-load.py &
load=$!
pids+=("$load")
started=$SECONDS
for round in 1 2; do
  for i in 0 1 2; do
    wait_for 20 in_flight "$i" 3 || { echo "replica $((i + 1)) got no load" >&2; exit 1; }
    kill -TERM "${replica_pids[$i]}"
    rc=0
    wait "${replica_pids[$i]}" || rc=$?
    ((rc == 0)) || { echo "replica $((i + 1)) exited $rc on SIGTERM" >&2; exit 1; }
    start_replica "$i"
    wait_for 10 ready "${replica_ports[$i]}"
    wait_for 20 in_flight "$i" 1 || { echo "nginx sent replica $((i + 1)) nothing" >&2; exit 1; }
    echo "round $round: replica $((i + 1)) restarted ($((SECONDS - started)) s)"
  done
done
rm "$dir/load.run"
wait "$load"
