"""The driver of scripts/mixed-version.sh: cross-version flows on an old and a new replica,
steady load through nginx, and a rolling restart asked of the shell through files."""

import os
import sys
import threading
import time
import uuid

from harness import call

env = os.environ
BASE, SIM, APPID, ADMIN = env["BASE"], env["SIM"], env["APPID"], env["ADMIN"]
SIDES = {
    "old": (env["OLD"], env["OLD_ADMIN"]),
    "new": (env["NEW"], env["NEW_ADMIN"]),
}
USERS_PER_DIRECTION = 12


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.failures = []
        self.survivors = 0
        self.stale = 0

    def expect(self, what, status, want, body=None):
        with self.lock:
            self.requests += 1
            if status != want:
                self.failures.append(f"{what}: {status} (want {want}) {str(body)[:160]}")
        return status == want


tally = Tally()


def login(base, user):
    code = f"user:{user}:{uuid.uuid4().hex}"
    status, body = call("POST", f"{base}/v1/sessions", {"code": code})
    return body if tally.expect(f"login of {user} at {base}", status, 201, body) else None


def encrypt(user, key="current"):
    body = {"appid": APPID, "user": user, "data": {"who": user}, "key": key}
    status, enc = call("POST", f"{SIM}/__sim/encrypt", body)
    tally.expect("simulator encrypt", status, 200, enc)
    return enc


def decrypt(base, token, enc, user, what):
    status, body = call("POST", f"{base}/v1/sessions/current/decrypt", enc, token)
    ok = status == 200 and body["data"]["who"] == user
    if not ok:
        with tally.lock:
            tally.stale += 1
    tally.expect(f"{what} for {user} at {base}", status if ok else -status, 200, body)


def flow(login_on, other):
    """A user logs in on one version; everything else happens on the other."""
    (a, _), (b, b_admin) = SIDES[login_on], SIDES[other]
    for i in range(USERS_PER_DIRECTION):
        user = f"{login_on}2{other}{i}"
        first = login(a, user)
        if not first:
            continue
        token, openid = first["session"], first["openid"]
        status, me = call("GET", f"{b}/v1/sessions/current", token=token)
        if tally.expect("validation on the other version", status, 200, me):
            tally.expect("same openid", me["openid"], openid)
        tally.expect("forward auth on the other version", call("GET", f"{b}/v1/auth", token=token)[0], 200)
        decrypt(b, token, encrypt(user), user, "decrypt on the other version")
        phone = f"phone:{user}:{uuid.uuid4().hex}"
        status, body = call("POST", f"{b}/v1/sessions/current/phone", {"code": phone}, token)
        tally.expect("phone on the other version", status, 200, body)
        # Data fetched just before a re-login is under the previous key; data after it under
        # the new one. A re-login on the other version, then both decrypts back on the first.
        before = encrypt(user)
        second = login(b, user)
        if not second:
            continue
        decrypt(a, token, encrypt(user), user, "decrypt with the key of a login on the other version")
        decrypt(a, token, before, user, "decrypt with the previous key")
        unionid = second.get("unionid")
        if unionid:
            status, person = call("GET", f"{b_admin}/v1/admin/unions/{unionid}", token=ADMIN)
            if tally.expect("admin listing on the other version", status, 200, person):
                tally.expect("listed sessions", person["sessions"] >= 2, True, person)
        url = f"{b_admin}/v1/admin/apps/{APPID}/users/{openid}/sessions"
        status, body = call("DELETE", url, token=ADMIN)
        if tally.expect("log-out-everywhere on the other version", status, 200, body):
            tally.expect("revoked both sessions", body["revoked"] >= 2, True, body)
        for t in (token, second["session"]):
            for side in ("old", "new"):
                status, _ = call("GET", f"{SIDES[side][0]}/v1/auth", token=t)
                if status != 401:
                    with tally.lock:
                        tally.survivors += 1
                tally.expect(f"session after log-out-everywhere at {side}", status, 401)


def same_code(first, second):
    """One code presented to both versions, one after the other and at once: WeChat sees it
    once (the simulator refuses a second exchange), and both versions give the one answer."""
    (a, _), (b, _) = SIDES[first], SIDES[second]
    for i in range(USERS_PER_DIRECTION // 2):
        user = f"same{first}{i}"
        code = f"user:{user}:{uuid.uuid4().hex}"
        answers = [call("POST", f"{base}/v1/sessions", {"code": code}) for base in (a, b)]
        if all(tally.expect(f"login of one code at {first} then {second}", s, 201, body) for s, body in answers):
            tally.expect("one code, one session", answers[0][1]["session"], answers[1][1]["session"])
        token = answers[0][1].get("session") if answers[0][0] == 201 else None
        if token:
            phone = f"phone:{user}:{uuid.uuid4().hex}"
            numbers = [call("POST", f"{base}/v1/sessions/current/phone", {"code": phone}, token) for base in (a, b)]
            if all(tally.expect(f"phone of one code at {first} then {second}", s, 200, body) for s, body in numbers):
                tally.expect("one phone code, one number", numbers[0][1], numbers[1][1])
        # At once: the simulator holds the exchange, so both versions claim while it is pending.
        code = f"slow:300:user:{user}x:{uuid.uuid4().hex}"
        answers = [None, None]

        def present(j, base):
            answers[j] = call("POST", f"{base}/v1/sessions", {"code": code})

        both = [threading.Thread(target=present, args=(j, base)) for j, base in enumerate((a, b))]
        for t in both:
            t.start()
        for t in both:
            t.join()
        if all(tally.expect(f"one code at {first} and {second} at once", s, 201, body) for s, body in answers):
            tally.expect("one code at once, one session", answers[0][1]["session"], answers[1][1]["session"])


def load(stop, worker):
    """Logins and validations through nginx until told to stop."""
    n = 0
    while not stop.is_set():
        body = login(BASE, f"load{worker}x{n % 5}")
        if body:
            status, _ = call("GET", f"{BASE}/v1/auth", token=body["session"])
            tally.expect("forward auth through nginx", status, 200)
        n += 1


def main():
    stop = threading.Event()
    loaders = [threading.Thread(target=load, args=(stop, w)) for w in range(3)]
    for t in loaders:
        t.start()
    flow("old", "new")
    flow("new", "old")
    same_code("old", "new")
    same_code("new", "old")
    # The rolling restart: the shell restarts the old replicas onto this code, one by one.
    open(env["RESTART"], "w").close()
    deadline = time.time() + 60
    while not os.path.exists(env["RESTARTED"]) and time.time() < deadline:
        time.sleep(0.1)
    restarted = os.path.exists(env["RESTARTED"])
    time.sleep(1)  # load on the upgraded fleet for a moment
    stop.set()
    for t in loaders:
        t.join()
    tally.expect("the rolling restart finished", restarted, True)
    print(
        f"mixed-version fleet: {tally.requests} checks, {len(tally.failures)} failed, "
        f"{tally.survivors} sessions alive after log-out-everywhere, {tally.stale} stale decrypts"
    )
    for f in tally.failures[:40]:
        print("  " + f)
    sys.exit(1 if tally.failures or tally.survivors or tally.stale else 0)


main()
