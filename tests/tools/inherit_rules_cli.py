#!/usr/bin/env python3
"""The kernel client of inherit_rules.py: five requests on one connection,
each answer checked (who answered, and the sha256 of what was sent), then
EOF.  Prints "ok" or the first difference.  Usage: ADDR PORT"""
import hashlib
import os
import socket
import sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
f = s.makefile("rb")
for i, who in enumerate([b"parent", b"parent", b"child", b"child"]):
    data = os.urandom(1000 + 20000 * i)
    s.sendall(b"%d\n" % len(data) + data)
    got = f.readline().split()
    if got != [who, hashlib.sha256(data).hexdigest().encode()]:
        print("request %d: %r, wanted %s" % (i, got, who.decode()))
        sys.exit(1)
if f.read(1) != b"":
    print("no EOF after the child's close")
    sys.exit(1)
print("ok")
