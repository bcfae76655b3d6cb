#!/usr/bin/env python3
"""The ownership rules of an inherited connection (DESIGN.md "fork/exec and
many processes"), run under skbos-run against a kernel client
(inherit_rules_cli.py) on one accepted connection.  Each step is a line of
the client's "LEN\\n" + bytes, answered "WHO SHA256\\n":
 1. the parent forks a child that never touches the socket and exits
    (redis BGSAVE, system()): the parent serves on, undisturbed;
 2. the parent forks a child that serves the connection (its first recv
    takes it); the parent's own calls on its fd then fail with EBADF and
    its close sends nothing: the child goes on serving;
 3. the child closes the connection (FIN) after its last answer.
Prints "ok" or what went wrong, to stdout.  Usage: ADDR PORT READYFILE"""
import errno
import hashlib
import os
import socket
import sys


def serve_one(s, who):
    f = s.makefile("rb")
    n = int(f.readline())
    data = f.read(n)
    s.sendall(b"%s %s\n" % (who, hashlib.sha256(data).hexdigest().encode()))


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(8)
with open(sys.argv[3], "w") as f:
    f.write("%d\n" % os.getpid())
c, _ = ls.accept()
serve_one(c, b"parent")
pid = os.fork()
if pid == 0:
    os._exit(0)  # 1: a child that never touches it
os.waitpid(pid, 0)
serve_one(c, b"parent")  # still the parent's
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    serve_one(c, b"child")  # 2: the child takes it
    os.write(w, b"x")
    serve_one(c, b"child")
    c.close()  # 3: the last reference: FIN
    os._exit(0)
os.close(w)
os.read(r, 1)  # the child has it
try:
    c.recv(1, socket.MSG_DONTWAIT)
    res = "the parent's recv after the move succeeded"
except OSError as e:
    res = "ok" if e.errno == errno.EBADF else "the parent's recv after the move: %r" % e
c.close()  # sends nothing: the child still serves
_, st = os.waitpid(pid, 0)
if st:
    res = "the child failed: status %d" % st
print(res, flush=True)
