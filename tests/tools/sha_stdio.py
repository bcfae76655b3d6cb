#!/usr/bin/env python3
"""Reads fd 0 to EOF and writes its sha256 (hex, a newline) to fd 1, with
read(2) and write(2): inetd_srv.py's program in test_preload_inherit.sh."""
import hashlib
import os

h = hashlib.sha256()
while True:
    b = os.read(0, 65536)
    if not b:
        break
    h.update(b)
os.write(1, h.hexdigest().encode() + b"  -\n")
