# The kernel-side HTTP client of tests/test_preload_prefork.sh, against an
# nginx whose every location answers "$pid $request_uri\n".  Every answer
# is checked byte for byte (status 200, the URI echoed) and counted by the
# worker pid that sent it.
#   close ADDR PORT N            N requests, a connection each
#   keepalive ADDR PORT N C      N requests over C keep-alive connections
#   kill ADDR PORT N KILLAT PIDFILE
#       N requests, a connection each; after KILLAT answers, SIGKILL the
#       worker that sent the last one (writing its pid to PIDFILE first is
#       the shell's job: this only prints it); a keep-alive connection to
#       another worker, opened before the kill, carries a request after
#       every new-connection one and must never fail.
# Prints "ok requests=R errors=E pids=P1:n1,P2:n2 ...".
import collections, http.client, os, signal, sys

mode, addr, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pids = collections.Counter()
errors = 0
log = []


def check(resp, uri):
    body = resp.read()
    pid, _, got = body.decode().rstrip("\n").partition(" ")
    if resp.status != 200 or got != uri or not pid.isdigit():
        raise ValueError("bad answer %r for %s" % (body, uri))
    return int(pid)


def one(conn, uri, close):
    conn.request("GET", uri, headers={"Connection": "close"} if close else {})
    return check(conn.getresponse(), uri)


def fresh(i):
    c = http.client.HTTPConnection(addr, port, timeout=10)
    try:
        return one(c, "/c%d" % i, True)
    finally:
        c.close()


if mode == "close":
    for i in range(n):
        try:
            pids[fresh(i)] += 1
        except Exception as e:
            errors += 1
            log.append("request %d: %r" % (i, e))
elif mode == "keepalive":
    conns = [http.client.HTTPConnection(addr, port, timeout=10) for _ in range(int(sys.argv[5]))]
    for i in range(n):
        try:
            pids[one(conns[i % len(conns)], "/k%d" % i, False)] += 1
        except Exception as e:
            errors += 1
            log.append("request %d: %r" % (i, e))
            conns[i % len(conns)] = http.client.HTTPConnection(addr, port, timeout=10)
elif mode == "kill":
    killat = int(sys.argv[5])
    victim = None
    # a keep-alive connection to some worker; the victim is another one
    ka = http.client.HTTPConnection(addr, port, timeout=10)
    ka_pid = one(ka, "/ka", False)
    ka_errors = ka_done = 0
    for i in range(n):
        try:
            p = fresh(i)
            pids[p] += 1
        except Exception as e:
            errors += 1
            log.append("request %d: %r" % (i, e))
            p = None
        if victim is None and i >= killat and p is not None and p != ka_pid:
            victim = p
            os.kill(victim, signal.SIGKILL)
            print("killed", victim, file=sys.stderr)
        try:
            if one(ka, "/ka%d" % i, False) != ka_pid:
                raise ValueError("the keep-alive connection changed worker")
            ka_done += 1
        except Exception as e:
            ka_errors += 1
            log.append("keep-alive %d: %r" % (i, e))
    print("keepalive pid=%d requests=%d errors=%d victim=%s" % (ka_pid, ka_done, ka_errors, victim))
for line in log[:20]:
    print(line, file=sys.stderr)
print("ok requests=%d errors=%d pids=%s" % (sum(pids.values()), errors,
      ",".join("%d:%d" % kv for kv in sorted(pids.items()))))
