#!/usr/bin/env python3
"""Redis memory per user at scale, without logging millions of users in.

    scripts/layout-memory.py USERS BUCKETS [BUCKETS ...] [--port PORT] [--bench-limits]

For each bucket count, starts a fresh redis-server (Redis' default settings; with
--bench-limits the bench's `hash-max-listpack-entries 512 hash-max-listpack-value 256`) and
writes what USERS logins of new users leave behind, the way a login writes it: per user a
session key (`SET wxs:s:<id> <record> EX`, the record `created_at|appid|openid|unionid`), the
user's entry in `wxs:ub:{<bucket>}` (last write, `session_key`, no previous key, one session)
and the person's in `wxs:ux:{<bucket>}` (last write, the account), every bucket with its TTL,
all in the binary form of `crates/wxsession/src/store/redis/layout/` and placed by the same
hash as `layout::user_location_in`. Then the floor: USERS `SET k v EX` with a session's key and
value sizes on a fresh server (the bench's row 6). Prints `used_memory` per user, against the
floor, and the buckets' encodings.

Bounded by USERS (10 M: ~4 GB of Redis and ~10 minutes per count); scripts/test.sh runs only
`--check` (placement and entry sizes against the store's known answers) and 20 000 users.
"""

import argparse
import base64
import hashlib
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

APPID = "wx1234567890abcdef"
PREFIX = "wxs"
LIFE = 2_592_000
HEX_APPID, B64URL_28, B64_KEY = 0x80, 0x81, 0x82


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def locate(kind, buckets, text):
    digest = hashlib.sha256(text.encode()).digest()
    head = struct.unpack(">I", digest[:4])[0]
    return f"{PREFIX}:{kind}:{{{(head * buckets) >> 32}}}", digest[2:12]


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def commands(users, buckets, seed=7):
    """What `users` logins of new users write, as RESP, in chunks."""
    rng = random.Random(seed)
    now = int(time.time())
    appid_blob = bytes([HEX_APPID]) + bytes.fromhex(APPID[2:])
    touched = set()
    chunk = []
    for _ in range(users):
        openid_raw, unionid_raw = rng.randbytes(21), rng.randbytes(21)
        openid, unionid = b64url(openid_raw), b64url(unionid_raw)
        session_id = rng.randbytes(16)
        record = f"{now}|{APPID}|{openid}|{unionid}"
        chunk.append(resp("SET", f"{PREFIX}:s:{b64url(session_id)}", record, "EX", "7200"))
        # The user's entry: last write, the session_key (16 bytes behind its tag), no previous
        # key, the session's id and creation time.
        key = bytes([B64_KEY]) + rng.randbytes(16)
        user = struct.pack(">I", now) + key + b"\x00" + session_id + struct.pack(">I", now)
        bucket, field = locate("ub", buckets, f"{APPID}:{openid}")
        chunk.append(resp("HSETNX", bucket, field, user))
        if bucket not in touched:
            touched.add(bucket)
            chunk.append(resp("EXPIRE", bucket, str(LIFE)))
        # The person's entry: last write, then the account (appid, openid) and its last login.
        account = appid_blob + bytes([B64URL_28]) + openid_raw
        person = struct.pack(">I", now) + account + struct.pack(">I", now)
        bucket, field = locate("ux", buckets, unionid)
        chunk.append(resp("HSETNX", bucket, field, person))
        if bucket not in touched:
            touched.add(bucket)
            chunk.append(resp("EXPIRE", bucket, str(LIFE)))
        if len(chunk) >= 30_000:
            yield b"".join(chunk)
            chunk = []
    yield b"".join(chunk)


def floor_commands(users, key_len, value_len):
    chunk = []
    for i in range(users):
        chunk.append(resp("SET", str(i).zfill(key_len), "v" * value_len, "EX", "7200"))
        if len(chunk) >= 30_000:
            yield b"".join(chunk)
            chunk = []
    yield b"".join(chunk)


class Redis:
    def __init__(self, port, bench_limits):
        self.port, self.dir = port, tempfile.mkdtemp()
        args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "no", "--daemonize", "yes"]
        if bench_limits:
            args += ["--hash-max-listpack-entries", "512", "--hash-max-listpack-value", "256"]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        for _ in range(100):
            if self.cli("ping") == "PONG":
                return
            time.sleep(0.05)
        raise SystemExit(f"redis-server on {port} did not start")

    def cli(self, *args):
        run = subprocess.run(["redis-cli", "-p", str(self.port), *args],
                             capture_output=True, text=True)
        return run.stdout.strip()

    def used(self):
        info = self.cli("info", "memory")
        return int(next(l.split(":")[1] for l in info.splitlines() if l.startswith("used_memory:")))

    def feed(self, chunks):
        pipe = subprocess.Popen(["redis-cli", "-p", str(self.port), "--pipe"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=False)
        for chunk in chunks:
            pipe.stdin.write(chunk)
        pipe.stdin.close()
        out = pipe.stdout.read().decode()
        if pipe.wait() != 0 or "errors: 0" not in out:
            raise SystemExit(f"redis-cli --pipe: {out}")

    def stop(self):
        self.cli("shutdown", "nosave")
        shutil.rmtree(self.dir, ignore_errors=True)


def encodings(redis, pattern, sample=200):
    keys = redis.cli("--scan", "--pattern", pattern).splitlines()
    random.Random(1).shuffle(keys)
    counts = {}
    for key in keys[:sample]:
        enc = redis.cli("object", "encoding", key)
        counts[enc] = counts.get(enc, 0) + 1
    return len(keys), counts


# Known answers, the same as `layout::tests::the_generator_places_entries_as_the_store_does`:
# the generator measures nothing if it writes elsewhere than a login would.
KNOWN = [
    (("ub", 100_000, "wx1234567890abcdef:oGZUI0egBJY1zhBYw2KhdUfwVJJE"), "wxs:ub:{56983}"),
    (("ub", 4096, "wx1234567890abcdef:oGZUI0egBJY1zhBYw2KhdUfwVJJE"), "wxs:ub:{2334}"),
    (("ux", 100_000, "oGZUI0egBJY1zhBYw2KhdUfwVJJE"), "wxs:ux:{51200}"),
]


def check():
    for args, bucket in KNOWN:
        got = locate(*args)[0]
        if got != bucket:
            raise SystemExit(f"locate{args} = {got}, the store says {bucket}")
    chunk = next(commands(1, 4096))
    sizes = sorted(len(a) for a in chunk.split(b"\r\n") if len(a) in (39, 42))
    if sizes != [39, 42]:
        raise SystemExit(f"entries of {sizes} bytes, not a new user's 42 and a person's 39")
    print("layout-memory: placement and entry sizes agree with the store")


def main():
    if sys.argv[1:] == ["--check"]:
        return check()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("users", type=int)
    parser.add_argument("buckets", type=int, nargs="+")
    parser.add_argument("--port", type=int, help="redis-server's port (a free one by default)")
    parser.add_argument("--bench-limits", action="store_true")
    args = parser.parse_args()
    if not 0 < args.users <= 20_000_000:
        raise SystemExit("USERS: between 1 and 20000000")
    if args.port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            args.port = s.getsockname()[1]
    limits = "bench limits 512/256" if args.bench_limits else "Redis defaults 128/64"
    redis = Redis(args.port, args.bench_limits)
    try:
        before = redis.used()
        key_len, value_len = len(f"{PREFIX}:s:") + 22, len(f"{int(time.time())}|{APPID}|") + 57
        redis.feed(floor_commands(args.users, key_len, value_len))
        floor = (redis.used() - before) / args.users
        print(f"floor: SET k v EX, {key_len}-byte key, {value_len}-byte value: {floor:.0f} B "
              f"per key ({args.users:,} keys, {limits})", flush=True)
    finally:
        redis.stop()
    for buckets in args.buckets:
        redis = Redis(args.port, args.bench_limits)
        try:
            before = redis.used()
            started = time.time()
            redis.feed(commands(args.users, buckets))
            per_user = (redis.used() - before) / args.users
            n, enc = encodings(redis, f"{PREFIX}:ub:*")
            print(f"{buckets} buckets: {per_user:.0f} B per new user = {per_user / floor:.2f} x "
                  f"the floor ({args.users / buckets:.0f} users a bucket; {n} user buckets, "
                  f"encodings of 200: {enc}; written in {time.time() - started:.0f} s)",
                  flush=True)
        finally:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
