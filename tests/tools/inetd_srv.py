#!/usr/bin/env python3
"""An inetd-style server: accept, fork, the child puts the connection on its
stdin and stdout and execs PROG (the parent closes its copy).
Usage: inetd_srv.py ADDR PORT READYFILE PROG [ARG...]"""
import os
import signal
import socket
import sys

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the kernel
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(64)
with open(sys.argv[3], "w") as f:
    f.write("%d\n" % os.getpid())
while True:
    c, _ = ls.accept()
    if os.fork() == 0:
        os.dup2(c.fileno(), 0)
        os.dup2(c.fileno(), 1)
        c.close()
        ls.close()
        os.execvp(sys.argv[4], sys.argv[4:])
    c.close()
