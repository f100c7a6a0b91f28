#!/usr/bin/env python3
"""The load of `local-cluster.sh --test`'s rolling restart, through nginx.

Each of THREADS clients loops: a login whose code the simulator holds 200-2500 ms (longer than
the 1 s after which an idle worker of a stopping replica ends), a phone lookup held 200-900 ms, a
decrypt, a validation; until the file RUN is removed. Then every session minted
must still validate, and the simulator must have exchanged exactly one code per login and
answered one phone code per lookup: a code WeChat spent for a login the client never got is a
lost login. Prints the counts; exit status 1 on any failure.

Environment: BASE (nginx), SIM (the simulator), APPID, RUN, THREADS (default 12).
"""
import os
import random
import re
import sys
import threading

from harness import call

base, sim, appid, run = os.environ["BASE"], os.environ["SIM"], os.environ["APPID"], os.environ["RUN"]
threads = int(os.environ.get("THREADS", "12"))


lock = threading.Lock()
counts = {"login": 0, "phone": 0, "decrypt": 0, "auth": 0}
failures, sessions = [], []


def ok(kind):
    with lock:
        counts[kind] += 1


def fail(text):
    with lock:
        failures.append(text)


def client(n):
    i = 0
    while os.path.exists(run):
        i += 1
        # A user per login: each user's sessions stay under session.max_sessions_per_user.
        user = nonce = f"r{os.getpid()}x{n}x{i}"
        code = f"slow:{random.randint(200, 2500)}:user:{user}:{nonce}"
        status, body = call("POST", f"{base}/v1/sessions", {"code": code})
        if status != 201:
            fail(f"login {nonce}: {status} {body}")
            continue
        ok("login")
        token = body["session"]
        with lock:
            sessions.append(token)
        code = f"slow:{random.randint(200, 900)}:phone:{user}:{nonce}"
        status, body = call("POST", f"{base}/v1/sessions/current/phone", {"code": code}, token)
        if status != 200 or not re.fullmatch(r"138[0-9]{8}", body["phoneNumber"]):
            fail(f"phone {nonce}: {status} {body}")
        else:
            ok("phone")
        _, enc = call("POST", f"{sim}/__sim/encrypt", {"appid": appid, "user": user, "data": {"n": nonce}})
        status, body = call("POST", f"{base}/v1/sessions/current/decrypt", enc, token)
        if status != 200 or body["data"]["n"] != nonce:
            fail(f"decrypt {nonce}: {status} {body}")
        else:
            ok("decrypt")
        status, body = call("GET", f"{base}/v1/auth", token=token)
        if status != 200:
            fail(f"auth {nonce}: {status} {body}")
        else:
            ok("auth")


_, before = call("GET", f"{sim}/__sim/stats")
workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
_, after = call("GET", f"{sim}/__sim/stats")

# Nothing lost: every session still validates, and WeChat spent exactly the codes answered.
lost = 0
for token in sessions:
    status, body = call("GET", f"{base}/v1/auth", token=token)
    if status != 200:
        lost += 1
        fail(f"session lost after the restarts: {status} {body}")
exchanged = after["exchanges"] - before["exchanges"]
looked_up = after["phone_requests"] - before["phone_requests"]
if exchanged != counts["login"]:
    fail(f"the simulator exchanged {exchanged} codes for {counts['login']} logins")
if looked_up != counts["phone"]:
    fail(f"the simulator answered {looked_up} phone codes for {counts['phone']} lookups")

requests = sum(counts.values()) + len(failures)
print(f"rolling restart: {requests} requests ({counts['login']} logins, {counts['phone']} phone "
      f"lookups, {counts['decrypt']} decrypts, {counts['auth']} validations), "
      f"{len(failures)} failed; {len(sessions) - lost} of {len(sessions)} sessions valid after", flush=True)
for f in failures[:20]:
    print("  " + f)
sys.exit(1 if failures or counts["login"] == 0 else 0)
