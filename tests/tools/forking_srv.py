#!/usr/bin/env python3
"""A socketserver.ForkingTCPServer (stock: the parent accepts, forks, closes
its copy; the child serves the connection and _exits).  A request is
"LEN\n" and LEN bytes; the answer is "PID SHA256\n" and the bytes back.
Usage: forking_srv.py ADDR PORT READYFILE"""
import hashlib
import os
import socketserver
import sys


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        n = int(self.rfile.readline())
        data = self.rfile.read(n)
        self.wfile.write(b"%d %s\n" % (os.getpid(), hashlib.sha256(data).hexdigest().encode()))
        self.wfile.write(data)


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True
    max_children = 64


srv = Server((sys.argv[1], int(sys.argv[2])), Echo)
with open(sys.argv[3], "w") as f:
    f.write("%d\n" % os.getpid())
srv.serve_forever()
