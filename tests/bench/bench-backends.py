#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-backends.py SERVER [BATCHES] — pushed ops per second on both backends, side by side.
#
# Run under tests/with-postgresql.sh (meson test --benchmark backends). For SQLite (one
# instance) and PostgreSQL (one and two instances on one database), with 1 and 8 clients,
# each client pushes BATCHES requests of 100 creates, one after the other; with two
# instances the clients alternate between them. Prints one line per case with ops/s (wall
# clock) and the servers' peak memory (VmHWM). Loopback only; every server is stopped.

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

server = sys.argv[1]
batches = int(sys.argv[2]) if len(sys.argv) > 2 else 10
base = os.environ.get("FIRSTLINE_TEST_DATABASE")
psql = os.path.join(os.environ.get("FIRSTLINE_TEST_PG_BINDIR", "/usr/bin"), "psql")
os.environ["PGOPTIONS"] = "-c client_min_messages=warning"


def post(url, path, body, token=None):
    req = urllib.request.Request(url + "/api/v1" + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_case(backend, instances, clients):
    data = tempfile.mkdtemp(prefix="fl-bench-")
    db = []
    procs = []
    try:
        if backend == "postgresql":
            schema = "b" + hashlib.sha256(data.encode()).hexdigest()[:20]
            subprocess.run([psql, "-q", "-d", base, "-c", "CREATE SCHEMA %s" % schema], check=True)
            db = ["--database", base + "?options=-csearch_path%3D" + schema]
        subprocess.run([server, "--data-dir", data] + db + ["user", "add", "alex", "--role", "agent"],
                       input=b"bench-password\n", check=True, stdout=subprocess.DEVNULL)
        urls = []
        for _ in range(instances):
            p = subprocess.Popen([server, "--data-dir", data, "--listen", "127.0.0.1:0"] + db,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            procs.append(p)
            urls.append(p.stdout.readline().decode().split()[-1])
        token = post(urls[0], "/session", {"username": "alex", "password": "bench-password"})["token"]
        errors = []

        def client(i):
            try:
                url = urls[i % len(urls)]
                cid = str(uuid.uuid4())
                for b in range(batches):
                    ops = [{"op_id": str(uuid.uuid4()), "ticket_id": str(uuid.uuid4()),
                            "type": "create", "base_version": 0,
                            "data": {"title": "Printer %d/%d/%d" % (i, b, k),
                                     "requester": {"name": "Jana"}, "category": "printer",
                                     "channel": "phone"}} for k in range(100)]
                    res = post(url, "/sync", {"client_id": cid, "cursor": 0, "limit": 1, "ops": ops},
                               token)
                    assert all(r["status"] == "applied" for r in res["results"])
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        if errors:
            raise errors[0]
        mem = max(hwm_kib(p.pid) for p in procs)
        return clients * batches * 100 / elapsed, mem
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        if backend == "postgresql":
            subprocess.run([psql, "-q", "-d", base, "-c", "DROP SCHEMA IF EXISTS %s CASCADE" % schema],
                           stdout=subprocess.DEVNULL)
        shutil.rmtree(data, ignore_errors=True)


cases = [("sqlite", 1)]
if base:
    cases += [("postgresql", 1), ("postgresql", 2)]
else:
    print("# FIRSTLINE_TEST_DATABASE not set: SQLite only (run under tests/with-postgresql.sh)")
print("%-11s %9s %7s %10s %12s" % ("backend", "instances", "clients", "ops/s", "peak RSS MiB"))
for backend, instances in cases:
    for clients in (1, 8):
        rate, mem = run_case(backend, instances, clients)
        print("%-11s %9d %7d %10.0f %12.1f" % (backend, instances, clients, rate, mem / 1024))
        sys.stdout.flush()
