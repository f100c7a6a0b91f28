"""Apps at runtime at scale: N runtime apps on one Redis, then three replicas.

Measures and prints (JSON on the last line): the time to add N apps through the admin API; a
replica's start-up with N apps (process start to /readyz 200, and the registry read itself);
memory per app on a replica (RSS against a replica with none) and in Redis (used_memory
delta / N); the time a change made on one replica takes to serve logins on the two others.

    scripts/apps-scale.py BIN [N]        (N default 10000; the test suite runs 1000)

Starts its own redis-server, simulator and replicas on free ports, and stops them."""

import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import call  # noqa: E402

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
ADMIN = "scale-admin-token-0123456789abcdef"
CONFIG_APP = ("wx1234567890abcdef", "dev-secret")
# Apps the simulator knows: the propagation rounds add and remove them.
PROBES = [(f"wx00000000000e{i:04x}", f"{i:02x}" * 16) for i in range(20)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, timeout=20):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        status, _ = call("GET", f"{url}/readyz", timeout=1)
        if status == 200:
            return time.monotonic() - started
        time.sleep(0.01)
    raise SystemExit(f"{url} never became ready")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def redis_info(port, key):
    out = subprocess.run(["redis-cli", "-p", str(port), "info", "memory"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith(key + ":"):
            return int(line.split(":")[1])
    return 0


def main():
    tmp = tempfile.mkdtemp(prefix="wxs-scale-")
    procs = []
    try:
        rport = free_port()
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--dir", tmp,
             "--save", "", "--appendonly", "yes", "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL))
        sport = free_port()
        sim_args = [BIN, "mock-wechat", "--bind", f"127.0.0.1:{sport}",
                    "--app", f"{CONFIG_APP[0]}={CONFIG_APP[1]}"]
        for appid, secret in PROBES:
            sim_args += ["--app", f"{appid}={secret}"]
        procs.append(subprocess.Popen(sim_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        kek = os.path.join(tmp, "kek")
        with open(kek, "w") as f:
            f.write(os.urandom(32).hex())

        def config(name, prefix):
            port = free_port()
            path = os.path.join(tmp, f"{name}.toml")
            with open(path, "w") as f:
                f.write(f"""
[server]
bind = "127.0.0.1:{port}"
workers = 1
[store]
url = "redis://127.0.0.1:{rport}/0"
key_prefix = "{prefix}"
key_encryption_key_files = ["{kek}"]
[wechat]
api_base = "http://127.0.0.1:{sport}"
allow_insecure_http = true
[admin]
token = "{ADMIN}"
[limits]
login_per_ip_per_minute = 0
[[apps]]
appid = "{CONFIG_APP[0]}"
secret = "{CONFIG_APP[1]}"
""")
            return path, f"http://127.0.0.1:{port}"

        def serve(name, prefix="scale"):
            path, url = config(name, prefix)
            log = open(os.path.join(tmp, f"{name}.log"), "w")
            started = time.monotonic()
            proc = subprocess.Popen([BIN, "serve", "--config", path, "--log-format", "json"],
                                    stdout=log, stderr=subprocess.STDOUT)
            procs.append(proc)
            ready = wait_ready(url)
            loaded = None
            with open(os.path.join(tmp, f"{name}.log")) as f:
                for line in f:
                    if "apps read from the store" in line:
                        loaded = json.loads(line).get("fields", json.loads(line)).get("elapsed_ms")
            return proc, url, ready, loaded, started

        used_before = redis_info(rport, "used_memory")
        first, a, _, _, _ = serve("a")

        def add(i):
            appid = f"wx{0x00aa0000 + i:016x}"
            status, body = call("PUT", f"{a}/v1/admin/apps/{appid}",
                                {"kind": "miniprogram", "secret": f"{i:032x}"}, ADMIN)
            if status != 201:
                raise SystemExit(f"PUT {appid}: {status} {body}")

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(add, range(N)))
        added_s = time.monotonic() - started
        used_after = redis_info(rport, "used_memory")

        replicas = []
        for name in ["b", "c"]:
            proc, url, ready, loaded, _ = serve(name)
            replicas.append((proc, url, ready, loaded))
        empty, _, empty_ready, _, _ = serve("empty", prefix=f"empty{uuid.uuid4().hex[:6]}")
        time.sleep(0.5)
        rss_apps = statistics.median(rss_kib(p.pid) for p, *_ in replicas)
        rss_none = rss_kib(empty.pid)

        # A change on replica a, seen by logins on b and c.
        delays = []
        for appid, secret in PROBES:
            t0 = time.monotonic()
            status, body = call("PUT", f"{a}/v1/admin/apps/{appid}", {"kind": "miniprogram", "secret": secret}, ADMIN)
            assert status == 201, (status, body)
            t_answered = time.monotonic()
            for _, url, _, _ in replicas:
                while True:
                    code = f"user:probe:{uuid.uuid4().hex}"
                    s, _ = call("POST", f"{url}/v1/sessions", {"appid": appid, "code": code})
                    if s == 201:
                        break
                    if time.monotonic() - t_answered > 5:
                        raise SystemExit(f"{appid} not served by {url} after 5 s: {s} {_}")
                    time.sleep(0.005)
            delays.append(time.monotonic() - t_answered)
            del t0
        result = {
            "apps": N,
            "add_seconds": round(added_s, 2),
            "adds_per_second": round(N / added_s),
            "startup_ready_seconds": [round(r[2], 3) for r in replicas],
            "startup_ready_seconds_without_apps": round(empty_ready, 3),
            "registry_read_ms": [r[3] for r in replicas],
            "replica_rss_kib_with_apps": rss_apps,
            "replica_rss_kib_without": rss_none,
            "replica_bytes_per_app": round((rss_apps - rss_none) * 1024 / N),
            "redis_bytes_per_app": round((used_after - used_before) / N),
            "change_to_two_replicas_ms": {
                "p50": round(statistics.median(delays) * 1000),
                "max": round(max(delays) * 1000),
            },
        }
        print(json.dumps(result))
        if max(delays) > 2.0:
            raise SystemExit("a change took longer than 2 s to reach every replica")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["rm", "-rf", tmp])


main()
