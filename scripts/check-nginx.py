#!/usr/bin/env python3
"""The shipped nginx template at work, offline: nginx runs the rendered template in front of a
stand-in wxsession that records what reaches it.

  scripts/check-nginx.py DIR UPSTREAM_PORT EDGE_PORT

DIR holds the rendered template (wxsession.conf) with `server 127.0.0.1:UPSTREAM_PORT;` as its
replicas and `127.0.0.1:EDGE_PORT` as NGINX_LISTEN. Checked:
- forward auth (`auth_request` → /v1/auth) tells wxsession the original request's method
  (`X-Forwarded-Method`), URI (`X-Forwarded-Uri`) and `Origin`;
- a web-login callback (`/v1/web/{appid}/callback?code=…&state=…`) is logged without its query
  string (the code travels in it), however its path is spelled; other URLs keep theirs.
Exit status 1 and a message on the first failure.
"""
import http.server
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

directory, upstream_port, edge_port = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
seen = []


class Wxsession(http.server.BaseHTTPRequestHandler):
    """Answers every request 200, as a valid session would; /v1/auth with an identity."""

    def answer(self):
        seen.append((self.command, self.path, dict(self.headers)))
        self.send_response(200)
        if self.path == "/v1/auth":
            self.send_header("X-WX-OpenID", "o-checked")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_HEAD = answer

    def log_message(self, *args):
        pass


def wait_port(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def request(method, path, headers):
    req = urllib.request.Request(f"http://127.0.0.1:{edge_port}{path}", method=method, headers=headers)
    with urllib.request.urlopen(req, data=b"{}" if method == "POST" else None) as res:
        assert res.status == 200, f"{method} {path}: {res.status}"


def check(condition, message):
    if not condition:
        sys.exit(f"nginx template: {message}")


server = http.server.ThreadingHTTPServer(("127.0.0.1", upstream_port), Wxsession)
threading.Thread(target=server.serve_forever, daemon=True).start()
# As the nginx image runs it: the http block logs in the combined format (the request line, query
# string included) unless the template says otherwise.
(directory / "nginx.conf").write_text(
    f"""worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log /dev/stdout combined;
  client_body_temp_path {directory}/body;
  proxy_temp_path {directory}/proxy;
  fastcgi_temp_path {directory}/fastcgi;
  uwsgi_temp_path {directory}/uwsgi;
  scgi_temp_path {directory}/scgi;
  include {directory}/wxsession.conf;
}}
"""
)
log_path = directory / "access.log"
with open(log_path, "w") as log:
    nginx = subprocess.Popen(
        ["nginx", "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
try:
    wait_port(edge_port)
    # Forward auth of a cross-origin POST to a backend behind it.
    request("POST", "/api/orders?page=2", {"Authorization": "Bearer t", "Origin": "https://evil.example"})
    auth = [h for (m, p, h) in seen if p == "/v1/auth"]
    check(len(auth) == 1, f"one auth subrequest, saw {seen}")
    headers = {k.lower(): v for k, v in auth[0].items()}
    check(headers.get("x-forwarded-method") == "POST", f"X-Forwarded-Method: {headers}")
    check(headers.get("x-forwarded-uri") == "/api/orders?page=2", f"X-Forwarded-Uri: {headers}")
    check(headers.get("origin") == "https://evil.example", f"Origin: {headers}")
    # Web-login callbacks, however spelled, and a URL whose query string stays in the log.
    callbacks = [
        "/v1/web/wxcheck/callback?code=CODE-ONE-SECRET&state=STATE-ONE-SECRET",
        "/v1/web/wxcheck/%63allback?code=CODE-TWO-SECRET&state=STATE-TWO-SECRET",
        "//v1/web/wxcheck/callback/?code=CODE-THREE-SECRET",
    ]
    returns = ["/v1/component/authorized?s=e1.x&auth_code=CODE-FOUR-SECRET&expires_in=600"]
    for path in returns:
        request("GET", path, {})
    for path in callbacks:
        request("GET", path, {})
    request("GET", "/v1/sessions/current?probe=kept-in-the-log", {"Authorization": "Bearer t"})
finally:
    nginx.send_signal(signal.SIGQUIT)
    nginx.wait(timeout=10)
    server.shutdown()

lines = log_path.read_text().splitlines()
logged = "\n".join(lines)
check("probe=kept-in-the-log" in logged, f"other URLs keep their query string:\n{logged}")
check(sum("/v1/web/wxcheck/" in line for line in lines) == len(callbacks), f"callbacks logged:\n{logged}")
check(sum("/v1/component/authorized" in line for line in lines) == len(returns), f"returns logged:\n{logged}")
for secret in ("CODE-ONE", "CODE-TWO", "CODE-THREE", "CODE-FOUR", "STATE-ONE", "STATE-TWO"):
    check(secret not in logged, f"{secret} in the access log:\n{logged}")
check("SECRET" not in (directory / "error.log").read_text(), "a callback's query in the error log")
print(f"nginx template: forward-auth headers; {len(callbacks)} callbacks logged without their query")
