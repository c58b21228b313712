#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-multi-instance.py SERVER — two firstline-server instances on one PostgreSQL
# database (FIRSTLINE_TEST_DATABASE, from with-postgresql.sh), driven over loopback HTTP:
#
#   /multi/no-skipped-change  16 writers (8 per instance) and a sequence lock held open
#                             meanwhile; a reader syncing with limit 7 from both instances
#                             ends with every event exactly once, in version order per ticket
#   /multi/exactly-once       the same ops pushed to A and B at once are applied once
#   /multi/numbers            ticket numbers unique and increasing in commit order
#   /multi/wake               a push on A answers a long poll waiting on B in under 1 s
#   /multi/lockout            failed logins at A and B count together
#   /multi/migrate            migrate takes a database of every earlier schema to the
#                             current one, keeping its data
#   /multi/reconnect          after the database dropped every connection, both instances
#                             answer again, and a push on A still wakes a long poll on B
#   /multi/restore            after a restore (pg_dump, pg_restore) of an older backup a
#                             client's newer cursor is answered with "reset"
#   /multi/presence           a client viewing a ticket on A is shown to a client of B, and
#                             wakes its long poll
#
# TAP output. Every server it starts is stopped by its process id.

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

server = sys.argv[1]
base = os.environ.get("FIRSTLINE_TEST_DATABASE")
psql = os.path.join(os.environ.get("FIRSTLINE_TEST_PG_BINDIR", "/usr/bin"), "psql")
if not base:
    print("1..1\nnot ok 1 FIRSTLINE_TEST_DATABASE is not set (run under with-postgresql.sh)")
    sys.exit(1)

tmp = tempfile.mkdtemp(prefix="fl-multi-")
schema = "m" + hashlib.sha256(tmp.encode()).hexdigest()[:20]
subprocess.run([psql, "-q", "-v", "ON_ERROR_STOP=1", "-d", base, "-c",
                "CREATE SCHEMA %s" % schema], check=True)
uri = base + "?options=-csearch_path%3D" + schema
procs = []


def sql(query):
    out = subprocess.run([psql, "-qAt", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def start():
    log = open(os.path.join(tmp, "server-%d.log" % len(procs)), "w")
    p = subprocess.Popen([server, "--database", uri, "--data-dir", tmp, "--listen", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=log)
    procs.append(p)
    line = p.stdout.readline().decode()
    assert line.startswith("listening on http://127.0.0.1:"), line
    return line.split()[-1]


def post(url, path, body, token=None, timeout=60):
    req = urllib.request.Request(url + "/api/v1" + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def create_op(title):
    return {"op_id": str(uuid.uuid4()), "ticket_id": str(uuid.uuid4()), "type": "create",
            "base_version": 0,
            "data": {"title": title, "requester": {"name": "Jana"}, "category": "printer",
                     "channel": "phone"}}


def note_op(ticket_id, version, text):
    return {"op_id": str(uuid.uuid4()), "ticket_id": ticket_id, "type": "note",
            "base_version": version, "data": {"body": text, "internal": False}}


results = []


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Exception as e:  # noqa: BLE001 - reported as a failed test
        results.append((False, name, repr(e)))


try:
    subprocess.run([server, "--database", uri, "migrate"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([server, "--database", uri, "user", "add", "alex", "--role", "agent"],
                   input=b"multi-password\n", check=True, stdout=subprocess.DEVNULL)
    for name, role in (("lee", "lead"), ("kim", "agent")):
        subprocess.run([server, "--database", uri, "user", "add", name, "--role", role],
                       input=b"other-password\n", check=True, stdout=subprocess.DEVNULL)
    A = start()
    B = start()
    token = post(A, "/session", {"username": "alex", "password": "multi-password"})["token"]

    def no_skipped_change():
        done = threading.Event()
        errors = []

        def writer(i):
            try:
                url = A if i % 2 == 0 else B
                client = str(uuid.uuid4())
                for r in range(6):
                    c = create_op("writer %d round %d" % (i, r))
                    ops = [c] + [note_op(c["ticket_id"], v, "note %d" % v) for v in range(1, 4)]
                    res = post(url, "/sync", {"client_id": client, "cursor": 0, "ops": ops,
                                              "limit": 1}, token)
                    assert [x["status"] for x in res["results"]] == ["applied"] * 4, res["results"]
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        def slow_writer():
            # A transaction holding the sequence open while the writers push: they wait
            # for it, none commits around it.
            subprocess.run([psql, "-q", "-d", uri, "-c",
                            "BEGIN; SELECT value FROM meta WHERE key = 'seq' FOR UPDATE;"
                            " SELECT pg_sleep (1.5); COMMIT;"], check=True,
                           stdout=subprocess.DEVNULL)

        seen = []
        cursor = 0
        client = str(uuid.uuid4())

        def read_once(url):
            nonlocal cursor
            res = post(url, "/sync", {"client_id": client, "cursor": cursor, "limit": 7}, token)
            assert not res.get("reset"), res
            for ev in res["changes"]["events"]:
                assert ev["seq"] > cursor, (ev["seq"], cursor)
                seen.append(ev)
            assert res["cursor"] >= cursor
            cursor = res["cursor"]
            return res["more"]

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
        threads.append(threading.Thread(target=slow_writer))
        for t in threads:
            t.start()
        n = 0
        while any(t.is_alive() for t in threads):
            read_once(A if n % 2 == 0 else B)
            n += 1
        for t in threads:
            t.join()
        assert not errors, errors
        while read_once(A if n % 2 == 0 else B):
            n += 1
        read_once(B)

        stored = sql("SELECT id, ticket_id, version, seq FROM events ORDER BY seq")
        ids = [e["id"] for e in seen]
        assert len(ids) == len(set(ids)), "an event came twice"
        assert sorted(ids) == sorted(r[0] for r in stored), \
            "reader has %d events, the database %d" % (len(ids), len(stored))
        version = {r[0]: int(r[2]) for r in stored}
        last = {}
        for e in seen:
            v = version[e["id"]]
            assert last.get(e["ticket_id"], 0) == v - 1, "ticket %s out of order" % e["ticket_id"]
            last[e["ticket_id"]] = v
        assert len(stored) >= 16 * 6 * 4

    def exactly_once():
        ops = [create_op("twice %d" % i) for i in range(50)]
        out = {}

        def push(name, url):
            out[name] = post(url, "/sync", {"client_id": str(uuid.uuid4()), "cursor": 0,
                                            "ops": ops, "limit": 1}, token)["results"]

        ta = threading.Thread(target=push, args=("a", A))
        tb = threading.Thread(target=push, args=("b", B))
        ta.start()
        tb.start()
        ta.join()
        tb.join()
        for i in range(50):
            statuses = sorted([out["a"][i]["status"], out["b"][i]["status"]])
            assert statuses == ["applied", "duplicate"], statuses
        ids = ",".join("'%s'" % o["op_id"] for o in ops)
        assert sql("SELECT COUNT(*) FROM events WHERE id IN (%s)" % ids) == [["50"]]

    def numbers():
        rows = sql("SELECT t.number FROM events e JOIN tickets t ON t.id = e.ticket_id "
                   "WHERE e.type = 'create' ORDER BY e.seq")
        nums = [int(r[0]) for r in rows]
        assert nums == list(range(1, len(nums) + 1)), nums[:20]

    def wake():
        client = str(uuid.uuid4())
        cursor = post(B, "/sync", {"client_id": client, "cursor": 0, "limit": 1}, token)["cursor"]
        cursor = post(B, "/sync", {"client_id": client, "cursor": cursor, "limit": 5000}, token)
        cursor = cursor["cursor"] if not cursor["more"] else None
        while cursor is None:
            cursor = int(sql("SELECT value FROM meta WHERE key = 'seq'")[0][0])
        got = {}

        def wait():
            t0 = time.monotonic()
            got["res"] = post(B, "/sync", {"client_id": client, "cursor": cursor, "wait": 10}, token)
            got["t"] = time.monotonic()
            got["t0"] = t0

        t = threading.Thread(target=wait)
        t.start()
        time.sleep(0.5)
        pushed = time.monotonic()
        post(A, "/sync", {"client_id": str(uuid.uuid4()), "cursor": 0, "limit": 1,
                          "ops": [create_op("wake up")]}, token)
        t.join()
        delay = got["t"] - pushed
        print("# push on A reached the long poll on B after %.0f ms" % (delay * 1000))
        assert len(got["res"]["changes"]["events"]) == 1, got["res"]
        assert delay < 1.0, delay

    def status_of_login(url, password):
        try:
            post(url, "/session", {"username": "kim", "password": password})
            return 200
        except urllib.error.HTTPError as e:
            return e.code

    def lockout():
        # 5 wrong passwords at each instance: each alone allows 10.
        for i in range(10):
            assert status_of_login(A if i % 2 == 0 else B, "wrong") == 401
        assert status_of_login(A, "other-password") == 429
        assert status_of_login(B, "other-password") == 429

    def presence():
        ticket = create_op("looked at")
        post(A, "/sync", {"client_id": str(uuid.uuid4()), "cursor": 0, "limit": 1,
                          "ops": [ticket]}, token)
        lead = str(uuid.uuid4())
        lead_token = post(B, "/session", {"username": "lee", "password": "other-password"})["token"]
        res = post(B, "/sync", {"client_id": lead, "cursor": 0, "limit": 1}, lead_token)
        cursor = res["cursor"]
        while res["more"]:
            res = post(B, "/sync", {"client_id": lead, "cursor": cursor, "limit": 5000},
                       lead_token)
            cursor = res["cursor"]
        got = {}

        def wait():
            got["res"] = post(B, "/sync", {"client_id": lead, "cursor": cursor, "wait": 10},
                              lead_token)
            got["t"] = time.monotonic()

        t = threading.Thread(target=wait)
        t.start()
        time.sleep(0.5)
        viewed = time.monotonic()
        post(A, "/sync", {"client_id": str(uuid.uuid4()), "cursor": cursor, "limit": 1,
                          "viewing": ticket["ticket_id"]}, token)
        t.join()
        delay = got["t"] - viewed
        print("# presence on A reached the long poll on B after %.0f ms" % (delay * 1000))
        assert delay < 1.0, delay
        seen = [(p["username"], p["ticket_id"]) for p in got["res"]["presence"]]
        assert ("alex", ticket["ticket_id"]) in seen, got["res"]["presence"]

    def migrate():
        for v in range(0, 2):
            sch = "%s_v%d" % (schema, v)
            sql("CREATE SCHEMA %s" % sch)
            u = base + "?options=-csearch_path%3D" + sch
            env = dict(os.environ, FIRSTLINE_MIGRATE_TARGET=str(v))
            if v > 0:
                out = subprocess.run([server, "--database", u, "migrate"], env=env, check=True,
                                     capture_output=True, text=True).stdout
                assert "version %d" % v in out, out
                cols = ("id, number, version, seq, status, category, assignee, level, queue,"
                        " created_at, resolved_at, due_at, resolution_code, resolved_by, handoffs,"
                        " json, search_text, search_notes")
                sql("INSERT INTO %s.users SELECT * FROM users WHERE username = 'alex';"
                    "INSERT INTO %s.tickets (%s) SELECT %s FROM tickets"
                    " WHERE json LIKE '%%writer 3 round 2%%';"
                    "UPDATE %s.meta SET value = 5000 WHERE key = 'seq'" % (sch, sch, cols, cols, sch))
            out = subprocess.run([server, "--database", u, "migrate"], check=True,
                                 capture_output=True, text=True).stdout
            assert "version 2" in out, out
            log = open(os.path.join(tmp, "migrate-%d.log" % v), "w")
            p = subprocess.Popen([server, "--database", u, "--data-dir", tmp, "--listen",
                                  "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=log)
            procs.append(p)
            url = p.stdout.readline().decode().split()[-1]
            try:
                if v > 0:
                    t = post(url, "/session", {"username": "alex", "password": "multi-password"})
                    req = urllib.request.Request(url + "/api/v1/tickets?q=writer%203%20round%202")
                    req.add_header("Authorization", "Bearer " + t["token"])
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        found = json.loads(resp.read())
                    assert found["total"] == 1, found
            finally:
                p.terminate()
                p.wait(10)

    def restore():
        bindir = os.path.dirname(psql)
        dump = os.path.join(tmp, "backup.dump")
        subprocess.run([os.path.join(bindir, "pg_dump"), "-Fc", "-n", schema, "-f", dump, base],
                       check=True)
        client = str(uuid.uuid4())
        post(A, "/sync", {"client_id": client, "cursor": 0, "limit": 1,
                          "ops": [create_op("after the backup")]}, token)
        cursor = int(sql("SELECT value FROM meta WHERE key = 'seq'")[0][0])
        for p in procs:
            p.terminate()
            p.wait(10)
        sql("DROP SCHEMA %s CASCADE" % schema)
        subprocess.run([os.path.join(bindir, "pg_restore"), "-d", base, dump], check=True)
        url = start()
        res = post(url, "/sync", {"client_id": client, "cursor": cursor, "limit": 10}, token)
        assert res.get("reset") is True and res["cursor"] == 0, res
        res = post(url, "/sync", {"client_id": client, "cursor": 0, "limit": 5000}, token)
        titles = [t["title"] for t in res["changes"]["tickets"]]
        assert "after the backup" not in titles

    def reconnect():
        sql("SELECT pg_terminate_backend (pid) FROM pg_stat_activity "
            "WHERE datname = current_database () AND pid <> pg_backend_pid ()")
        for url in (A, B):
            res = post(url, "/sync", {"client_id": str(uuid.uuid4()), "cursor": 0, "limit": 1,
                                      "ops": [create_op("after a reconnect")]}, token)
            assert res["results"][0]["status"] == "applied", res
        time.sleep(1.5)         # the backstop opens the listening connections again
        wake()

    check("/multi/no-skipped-change", no_skipped_change)
    check("/multi/exactly-once", exactly_once)
    check("/multi/numbers", numbers)
    check("/multi/wake", wake)
    check("/multi/lockout", lockout)
    check("/multi/migrate", migrate)
    check("/multi/presence", presence)
    check("/multi/reconnect", reconnect)
    check("/multi/restore", restore)
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    # Under ASan the servers report errors and leaks in their logs when they stop.
    for name in sorted(os.listdir(tmp)):
        if name.endswith(".log"):
            with open(os.path.join(tmp, name), errors="replace") as f:
                text = f.read()
            if "Sanitizer" in text or "runtime error:" in text:
                results.append((False, "/multi/sanitizer " + name, text[-2000:].replace("\n", "\n# ")))
    for sch in (schema, schema + "_v0", schema + "_v1"):
        subprocess.run([psql, "-q", "-d", base, "-c", "DROP SCHEMA IF EXISTS %s CASCADE" % sch],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", tmp])

print("1..%d" % len(results))
for i, (ok, name, msg) in enumerate(results, 1):
    if msg:
        print("# " + msg)
    print("%s %d %s" % ("ok" if ok else "not ok", i, name))
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
