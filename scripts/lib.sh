# Shell helpers the scripts share; source it: `. "$(dirname "$0")/lib.sh"` (or ../lib.sh).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to 10 s for something to listen on loopback port $1.
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $1 did not open" >&2
  return 1
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
