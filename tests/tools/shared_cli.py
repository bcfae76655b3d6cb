# The kernel-side client of tests/test_preload_shared.sh: N connections to
# each PORT, interleaved, one request each ("i"), each answer checked
# byte for byte.  Prints "ok PORT=count ... errors=E resets=R".
import socket, sys
addr, n, ports = sys.argv[1], int(sys.argv[2]), [int(p) for p in sys.argv[3:]]
ok = {p: 0 for p in ports}
errors = resets = 0
for i in range(n):
    for p in ports:
        try:
            s = socket.create_connection((addr, p), timeout=10)
            s.sendall(b"%d\n" % i)
            want = b"%d:%d\n" % (p, i)
            got = b""
            while len(got) < len(want):
                d = s.recv(100)
                if not d:
                    break
                got += d
            s.close()
            if got == want:
                ok[p] += 1
            else:
                errors += 1
                print("bad answer", p, i, got, file=sys.stderr)
        except ConnectionResetError:
            resets += 1
        except OSError as e:
            errors += 1
            print("error", p, i, e, file=sys.stderr)
print("ok", " ".join("%d=%d" % (p, ok[p]) for p in ports), "errors=%d resets=%d" % (errors, resets))
