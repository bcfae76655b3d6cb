# A TCP server for the shared-address tests (tests/test_preload_shared.sh):
# listens on ADDR:PORT, answers each line "N" with PORT:N\n on the same
# connection until the client closes.  With FORK set, it forks once first
# and both processes serve (the child on PORT+1), to exercise fork.
import os, socket, sys
addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((addr, port))
l.listen(128)
open(ready, "w").write("ready\n")
while True:
    c, _ = l.accept()
    f = c.makefile("rb")
    for line in f:
        if line.strip() == b"quit":
            sys.exit(0)
        c.sendall(b"%d:%s\n" % (port, line.strip()))
    f.close()
    c.close()
