# fork under skbos (tests/test_preload_fork.sh).  MODE ADDR PORT DIR:
#  bgsave: accept one connection on PORT and read it to EOF while forking
#	children that never touch a socket (each checks its fds and _exits),
#	and running system(), subprocess (vfork) and posix_spawn; answer the
#	sha256 of what came.  DIR/children: one line per child check.
#  serve2: the parent serves PORT, a forked child its own listener on
#	PORT+1; one request each ("N\n" -> "PORT:N\n").
#  daemon: a socket first (so skbos runs), then the double fork of daemons;
#	the grandchild serves PORT once the others are gone.
import hashlib, os, socket, subprocess, sys, time

mode, addr, port, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def packet_inodes():
    with open("/proc/net/packet") as f:
        return {l.split()[8] for l in list(f)[1:]}


def my_fds():
    socks, urings = set(), 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            t = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        if t.startswith("socket:["):
            socks.add(t[8:-1])
        elif t == "anon_inode:[io_uring]":
            urings += 1
    return socks, urings


def my_packet_sockets():
    socks, urings = my_fds()
    return socks & packet_inodes(), urings


def serve_one(l, p):
    c, _ = l.accept()
    line = c.makefile("rb").readline()
    c.sendall(b"%d:%s\n" % (p, line.strip()))
    c.close()


def listener(p):
    s = socket.socket()
    s.bind((addr, p))
    s.listen(8)
    return s


def ready(name):
    open(os.path.join(d, name), "w").write("ready\n")


if mode == "bgsave":
    l = listener(port)
    ready("ready")
    c, _ = l.accept()
    parent_pkt, parent_urings = my_packet_sockets()
    h = hashlib.sha256()
    n = forks = 0
    out = open(os.path.join(d, "children"), "w")
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
        if n > forks * 500000 and forks < 20:
            forks += 1
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                pkt, urings = my_packet_sockets()
                os.write(w, b"child inherited=%d own=%d urings=%d\n" % (
                    len(pkt & parent_pkt), len(pkt - parent_pkt), urings))
                time.sleep(0.05)
                os._exit(0)
            os.close(w)
            out.write(os.read(r, 200).decode())
            os.close(r)
            os.waitpid(pid, 0)
            if forks % 4 == 0:
                os.system("true")
                subprocess.run(["true"], check=True)
                os.waitpid(os.posix_spawn("/bin/true", ["true"], os.environ), 0)
    out.write("parent urings=%d packet=%d forks=%d\n" % (parent_urings, len(parent_pkt), forks))
    out.close()
    c.sendall(h.hexdigest().encode() + b"\n")
    c.close()
elif mode == "serve2":
    l = listener(port)
    pid = os.fork()
    if pid == 0:
        l.close()  # EBADF-free: the inherited listener is only closed
        l2 = listener(port + 1)
        ready("ready.child")
        serve_one(l2, port + 1)
        os._exit(0)
    ready("ready")
    serve_one(l, port)
    os.waitpid(pid, 0)
elif mode == "connected":
    # an inherited connected socket is the child's once the child uses it
    # (preload/inherit.c): the child answers, the parent's recv is EBADF
    l = listener(port)
    ready("ready.conn")
    c, _ = l.accept()
    pid = os.fork()
    if pid == 0:
        line = c.makefile("rb").readline()
        c.sendall(b"%d:%s\n" % (port, line.strip()))
        c.close()
        os._exit(0)
    os.waitpid(pid, 0)
    try:
        c.recv(10)
        r = "recv worked"
    except OSError as e:
        r = "errno=%d" % e.errno
    open(os.path.join(d, "connected"), "w").write(r + "\n")
    c.close()
elif mode == "daemon":
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, 0))  # skbos is running before the daemon forks
    if os.fork():
        os.wait()
        sys.exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
    time.sleep(0.5)  # the original process and the first child are gone
    l = listener(port)
    ready("ready.daemon")
    serve_one(l, port)
