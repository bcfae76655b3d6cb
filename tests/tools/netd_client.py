#!/usr/bin/env python3
"""netd_client.py SOCKET CMD [ARG] - an honest or hostile client of skbos-netd
for tests/test_netd.sh.  Prints one line saying what the helper answered;
exits 1 when the helper's answer breaks the protocol (netd/netd_proto.h).

  request IF     a valid request; on success checks the fd is an AF_PACKET
                 socket bound to IF that cannot be bound elsewhere
  bytes N        N bytes of garbage as the message (a huge length, a short one)
  magic|version  a request with a wrong magic / version
  nonul          an interface field without its NUL
  name STR       a request for the name STR (invalid names)
  fds IF         a valid request that also sends the helper three fds
  silent         connect, send nothing: the helper must hang up by itself
  many N IF      N silent connections held open while a valid request for IF
                 is made: it must still be served
"""
import array
import os
import socket
import struct
import sys
import time

MAGIC, VERSION = 0x4E42534B, 1
REQ = struct.Struct("=II16s")
REP = struct.Struct("=Ii120s")


def conn(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    return s


def reply(s):
    """(error, msg, fds) or None when the helper hung up without a reply."""
    msg, anc, flags, _ = s.recvmsg(REP.size + 64, socket.CMSG_SPACE(16 * 4))
    fds = []
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.extend(array.array("i", data[: len(data) - len(data) % 4]))
    if not msg:
        if fds:
            sys.exit("FAIL: fds without a reply")
        return None
    if len(msg) != REP.size:
        sys.exit(f"FAIL: a reply of {len(msg)} bytes")
    magic, err, txt = REP.unpack(msg)
    if magic != MAGIC:
        sys.exit("FAIL: a reply without the magic")
    if (err == 0) != (len(fds) == 1):
        sys.exit(f"FAIL: error {err} with {len(fds)} fds")
    return err, txt.split(b"\0")[0].decode(), fds


def show(r):
    if r is None:
        print("hung up")
        return
    err, txt, fds = r
    if err:
        print(f"refused {os.strerror(err)}: {txt}")
        return
    print("granted")


def check_socket(fd, ifname):
    s = socket.socket(fileno=fd)
    if s.family != socket.AF_PACKET:
        sys.exit("FAIL: not an AF_PACKET socket")
    name = s.getsockname()
    if name[0] != ifname:
        sys.exit(f"FAIL: bound to {name[0]}, not {ifname}")
    try:
        s.bind(("lo", 0))
        sys.exit("FAIL: the socket could be bound to lo")
    except OSError as e:
        if e.errno != 22:
            sys.exit(f"FAIL: rebinding said {e}")
    s.close()


def request(path, name, ancdata=()):
    s = conn(path)
    s.sendmsg([REQ.pack(MAGIC, VERSION, name)], list(ancdata))
    r = reply(s)
    s.close()
    return r


def main():
    path, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd in ("request", "fds"):
        anc = ()
        if cmd == "fds":
            fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(3)]
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
        r = request(path, args[0].encode(), anc)
        if r and not r[0]:
            check_socket(r[2][0], args[0])
        show(r)
    elif cmd == "bytes":
        s = conn(path)
        n = int(args[0])
        try:
            s.send(os.urandom(n))
        except OSError as e:  # EMSGSIZE: larger than the socket can carry
            print(f"cannot send {n} bytes: {e.strerror}")
            return
        show(reply(s))
    elif cmd == "magic":
        s = conn(path)
        s.send(REQ.pack(MAGIC ^ 1, VERSION, b"lo"))
        show(reply(s))
    elif cmd == "version":
        s = conn(path)
        s.send(REQ.pack(MAGIC, VERSION + 1, b"lo"))
        show(reply(s))
    elif cmd == "nonul":
        s = conn(path)
        s.send(struct.pack("=II", MAGIC, VERSION) + b"x" * 16)
        show(reply(s))
    elif cmd == "name":
        show(request(path, args[0].encode()))
    elif cmd == "silent":
        s = conn(path, timeout=30)
        t = time.monotonic()
        show(reply(s))
        print(f"after {time.monotonic() - t:.1f} s")
    elif cmd == "many":
        held = []
        for _ in range(int(args[0])):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.setblocking(False)
            try:
                s.connect(path)
            except BlockingIOError:
                pass  # in the backlog
            except OSError:
                s.close()
                continue
            held.append(s)
        s = conn(path, timeout=30)
        s.send(REQ.pack(MAGIC, VERSION, args[1].encode()))
        r = reply(s)
        if r and not r[0]:
            check_socket(r[2][0], args[1])
        show(r)
        for h in held:
            h.close()
    else:
        sys.exit(f"unknown command {cmd}")


main()
