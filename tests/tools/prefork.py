# A prefork server for tests/test_preload_prefork.sh: the parent listens on
# ADDR:PORT and forks WORKERS children that accept from the inherited
# listener (blocking accept, or select then accept with MODE=select); each
# answers "N\n" with "PID:N\n".  The parent never accepts (nginx's master).
import os, select, socket, sys, time
addr, port, workers, mode, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((addr, port))
l.listen(128)
kids = []
for _ in range(workers):
    pid = os.fork()
    if pid == 0:
        while True:
            if mode == "select":
                select.select([l], [], [])
            c, _ = l.accept()
            line = c.makefile("rb").readline()
            c.sendall(b"%d:%s\n" % (os.getpid(), line.strip()))
            c.close()
    kids.append(pid)
open(ready, "w").write(" ".join(map(str, kids)) + "\n")
while True:
    time.sleep(1)
