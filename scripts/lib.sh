# Shell helpers the scripts share; source it: `. "$(dirname "$0")/lib.sh"` (or ../lib.sh).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# $1 distinct free TCP ports on loopback, one per line: every socket stays bound until all are
# chosen, so no two are the same (consecutive `free_port` calls can be: 13 in 20,000 sets of 5
# here), e.g. `read -r a b c < <(free_ports 3 | paste -sd' ')`.
free_ports() {
  python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# Waits up to 10 s for something to listen on loopback port $1.
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $1 did not open" >&2
  return 1
}

# Waits for port $2 like wait_port, then checks that the process $1 (a pid) is still running: a
# port answered by another process (a collision) or a server that exits after binding is an
# error here, not a confusing answer later.
wait_started() {
  wait_port "$2" || return 1
  sleep 0.05
  kill -0 "$1" 2>/dev/null || { echo "the process $1 for port $2 exited" >&2; return 1; }
}

# Starts a script's redis-server on loopback port $1, its files and its log (redis.log) in $2,
# keeping nothing on disk unless the options after them say otherwise (`--appendonly yes`: a
# later option wins); appends its pid to `pids` and waits until it listens.
start_redis() {
  local port=$1 dir=$2
  shift 2
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
    --logfile "$dir/redis.log" "$@" &
  pids+=($!)
  wait_started "$!" "$port"
}

# Runs the command "$2"… every 50 ms until it succeeds, for up to $1 seconds; fails after that.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# The session token in a login answer on stdin.
extract_token() { sed -E 's/.*"session":"([^"]+)".*/\1/'; }

# The nginx template rendered the way the nginx image does it (envsubst of these variables only;
# nginx's own $variables stay): NGINX_LISTEN, DEMO_LISTEN, WXSESSION_SERVERS from the environment.
render_nginx() {
  envsubst '${NGINX_LISTEN} ${DEMO_LISTEN} ${WXSESSION_SERVERS}' <deploy/nginx/wxsession.conf.template
}

# Builds the release `wxsession` binary and the bench target $1 in one compile (one feature
# set) and prints the bench executable's path.
release_with_bench() {
  cargo build --release -p wxsession --bins --bench "$1" --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
name = sys.argv[1]
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == name and m.get("executable"):
        print(m["executable"])' "$1" | tail -n1
}

# The one place that installs system packages: Debian's, with apt (root), quietly.
need_packages() {
  echo "installing ${*}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Installs the packages of the commands that are missing: `need_tools command:package …`.
need_tools() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  ((${#missing[@]} == 0)) || need_packages "${missing[@]}"
}

# Starts nginx with the shipped template in front of `servers` (upstream lines), listening on
# loopback port $2, its files in $1; appends its pid to `pids` and waits for the port.
start_nginx() {
  local dir=$1 listen=$2 servers=$3
  NGINX_LISTEN="127.0.0.1:$listen" DEMO_LISTEN="127.0.0.1:$(free_port)" WXSESSION_SERVERS="$servers" \
    render_nginx >"$dir/wxsession.conf"
  mkdir -p "$dir/nginx"
  cat >"$dir/nginx.conf" <<NGINX
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  include $dir/wxsession.conf;
}
NGINX
  nginx -t -q -p "$dir" -c "$dir/nginx.conf"
  nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >>"$dir/nginx-access.log" 2>&1 &
  pids+=($!)
  wait_port "$listen"
}

# A pinned cargo tool in target/tools/bin, built once per version into a cache outside the
# clone (${WXSESSION_TOOLS_CACHE:-~/.cache/wxsession/tools}) so that a fresh clone links it
# instead of compiling it again: `pinned_tool cargo-deny 0.20.2` prints the binary's path.
pinned_tool() {
  local name=$1 version=$2
  local cache=${WXSESSION_TOOLS_CACHE:-$HOME/.cache/wxsession/tools}/$name-$version
  if [[ ! -x $cache/bin/$name ]]; then
    cargo install --quiet --locked --root "$cache" "$name" --version "$version" >&2
  fi
  mkdir -p target/tools/bin
  ln -sf "$cache/bin/$name" "target/tools/bin/$name"
  echo "target/tools/bin/$name"
}

# A scratch directory (its path printed) whose background processes, listed in the array
# `pids`, are killed and waited for, and which is removed, when the script exits; a script may
# define `on_exit` to run first (it gets the exit status). `dir=$(scratch)` does not work (the
# trap must be the script's own): call `scratch` and read $scratch_dir.
scratch() {
  scratch_dir=$(mktemp -d)
  pids=()
  trap '__rc=$?; declare -F on_exit >/dev/null && on_exit "$__rc"; for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; [[ -n ${KEEP_SCRATCH:-} ]] || rm -rf "$scratch_dir"' EXIT
}

# A prerequisite ($1, e.g. `chromium`) of the tests $2 is missing ($3): when WXSESSION_TEST_SKIP
# (comma-separated) names it, records the skip where scripts/test.sh prints it at its end
# ($WXSESSION_TEST_SKIP_LOG, else target/tmp/skipped-tests.txt) and succeeds; else fails, and
# the caller goes on to fail with its own message.
skip_if_named() {
  local list=",${WXSESSION_TEST_SKIP:-},"
  [[ ${list// /} == *",$1,"* ]] || return 1
  local line="SKIPPED $2: no $1 ($3); WXSESSION_TEST_SKIP=$1"
  local file=${WXSESSION_TEST_SKIP_LOG:-target/tmp/skipped-tests.txt}
  mkdir -p "$(dirname "$file")"
  echo "$line" | tee -a "$file" >&2
}
