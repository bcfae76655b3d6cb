#!/usr/bin/env python3
"""Kernel client for tests/test_preload_inherit.sh: N connections (C at a
time), each sends a random payload of up to MAXLEN bytes and checks what
comes back by sha256.  MODE "echo": "LEN\n"+data, answer "PID SHA\n"+data
(forking_srv.py); "cat": data, shutdown, the same bytes back (socat
EXEC:cat); "sum": data, shutdown, sha256sum's line back (socat SYSTEM).
Prints "errors=E pids=P bytes=B".
Usage: forking_cli.py MODE ADDR PORT N C MAXLEN"""
import hashlib
import os
import random
import socket
import sys
import threading

mode, addr, port, n, conc, maxlen = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5]), int(sys.argv[6])
lock = threading.Lock()
state = {"next": 0, "errors": 0, "bytes": 0, "pids": set()}


def recv_all(s):
    out = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(out)
        out.append(b)


def one(i):
    data = os.urandom(random.Random(i).randint(1, maxlen))
    want = hashlib.sha256(data).hexdigest().encode()
    s = socket.create_connection((addr, port), timeout=20)
    if mode == "echo":
        s.sendall(b"%d\n" % len(data) + data)
    else:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    if mode == "echo":
        head, _, body = got.partition(b"\n")
        pid, _, sha = head.partition(b" ")
        if sha != want or hashlib.sha256(body).hexdigest().encode() != want:
            raise ValueError("echo %d: %r, %d bytes back of %d" % (i, head, len(body), len(data)))
        with lock:
            state["pids"].add(int(pid))
    elif mode == "cat":
        if hashlib.sha256(got).hexdigest().encode() != want:
            raise ValueError("cat %d: %d bytes back of %d" % (i, len(got), len(data)))
    elif got.split()[:1] != [want]:
        raise ValueError("sum %d: %r" % (i, got[:80]))
    return len(data)


def worker():
    while True:
        with lock:
            i = state["next"]
            if i >= n:
                return
            state["next"] += 1
        try:
            b = one(i)
            with lock:
                state["bytes"] += b
        except Exception as e:
            with lock:
                state["errors"] += 1
            print("connection", i, repr(e), file=sys.stderr)


ts = [threading.Thread(target=worker) for _ in range(conc)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("errors=%d pids=%d bytes=%d" % (state["errors"], len(state["pids"]), state["bytes"]))
