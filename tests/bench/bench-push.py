#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench-push.py — batched push throughput of firstline-server over loopback.
#
#   tests/bench/bench-push.py build/src/server/firstline-server [BATCHES] [OPS_PER_BATCH]
#
# Starts the server on 127.0.0.1 port 0 in a temporary data directory, logs in one
# client and pushes BATCHES requests of OPS_PER_BATCH creates each (default 30 × 100),
# one after the other, then prints the creates per second (wall clock) and the server's
# CPU time per create (from /proc, less disturbed by a busy machine). Stops the server.

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

server = sys.argv[1]
batches = int(sys.argv[2]) if len(sys.argv) > 2 else 30
per_batch = int(sys.argv[3]) if len(sys.argv) > 3 else 100

data = tempfile.mkdtemp(prefix="fl-bench-push-")
proc = None
try:
    subprocess.run([server, "--data-dir", data, "user", "add", "alex", "--role", "agent"],
                   input=b"bench-password\n", check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([server, "--data-dir", data, "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    url = line.split()[-1]

    def post(path, body, token=None):
        req = urllib.request.Request(url + "/api/v1" + path, data=json.dumps(body).encode(),
                                     method="POST")
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read())

    token = post("/session", {"username": "alex", "password": "bench-password"})["token"]
    client = str(uuid.uuid4())
    cursor = post("/sync", {"client_id": client}, token)["cursor"]

    def cpu_seconds():
        with open("/proc/%d/stat" % proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    total = 0.0
    cpu_before = cpu_seconds()
    for b in range(batches):
        ops = [{"op_id": str(uuid.uuid4()), "ticket_id": str(uuid.uuid4()), "type": "create",
                "base_version": 0,
                "data": {"title": "Printer %d/%d does not print" % (b, i),
                         "description": "Paper jam on tray 2, " * 10, "channel": "phone",
                         "category": "hardware",
                         "requester": {"name": "Jana Krüger", "email": "jana@example.org"}}}
               for i in range(per_batch)]
        start = time.monotonic()
        answer = post("/sync", {"client_id": client, "cursor": cursor, "ops": ops}, token)
        total += time.monotonic() - start
        assert all(r["status"] == "applied" for r in answer["results"])
        cursor = answer["cursor"]

    cpu = cpu_seconds() - cpu_before
    n = batches * per_batch
    print("%d creates in %d requests: %.3f s, %.0f creates/s, %.1f ms per request, "
          "server CPU %.3f s (%.0f µs per create)"
          % (n, batches, total, n / total, total * 1000 / batches, cpu, cpu * 1e6 / n))
finally:
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=15)
    shutil.rmtree(data, ignore_errors=True)
