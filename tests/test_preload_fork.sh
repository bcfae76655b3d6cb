#!/bin/bash
# fork under skbos-run (DESIGN.md "fork/exec and many processes"), against
# the kernel over a veth pair this test makes (tests/tools/forkcheck.py):
#  1. children that never touch a socket (redis BGSAVE's shape: 20 forks,
#     system(), subprocess's vfork, posix_spawn) during a 20 MB upload to
#     the parent: the upload arrives intact (sha256), no RST on the wire;
#     each child holds no packet socket of the parent's (they are one shared
#     receive queue) and no io_uring ring (the parent's is closed, its own
#     stack starts at its first socket), and exactly one packet socket of
#     its own (opened at fork, while a prefork worker is still privileged);
#  2. a forked child serves its own listener while the parent serves its
#     own, on the same address: both answer;
#  2b. an inherited connected socket is the child's once the child uses
#     it: the child answers, the parent then gets EBADF (test_preload_inherit);
#  3. a daemon (a socket first, then the double fork, setsid, the original
#     process gone): the grandchild serves, and answers ARP once the
#     responder (the original process) is gone.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
P=skf$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
preload_test
need_progs python3 tcpdump socat sha256sum
tools=$(cd "$(dirname "$0")/tools" && pwd)
veth_netns 10.97.0.1/24
skbos=("$run" --if "${P}s" --addr 10.97.0.2/24 --)
A=10.97.0.2

start() { # MODE PORT READY
	ip netns exec "${P}a" timeout 120 "${skbos[@]}" python3 "$tools/forkcheck.py" \
		"$1" "$A" "$2" "$tmp" >"$tmp/$1.log" 2>&1 &
	pids+=($!)
	wait_until 100 test -s "$tmp/$3" || fail "$1: never got ready"
}

# ask PORT N: one request to PORT; the answer must be PORT:N.
ask() {
	local got
	got=$(printf '%s\n' "$2" | ip netns exec "${P}b" timeout 20 socat -t 5 - "TCP:$A:$1" 2>&1)
	[ "$got" = "$1:$2" ] || fail "port $1 answered '$got', not '$1:$2'"
}

# ---- 1. children that never touch a socket ------------------------------------
head -c 20000000 /dev/urandom >"$tmp/upload"
want=$(sha256sum <"$tmp/upload" | cut -d' ' -f1)
ip netns exec "${P}b" tcpdump --immediate-mode -U -n -i "${P}k" -w "$tmp/cap.pcap" \
	"src host $A and tcp[tcpflags] & tcp-rst != 0" >"$tmp/tcpdump.log" 2>&1 &
cap=$!
pids+=("$cap")
wait_until 50 grep -q "listening on" "$tmp/tcpdump.log" || fail "tcpdump did not start"
start bgsave 8101 ready
got=$(ip netns exec "${P}b" timeout 60 socat -t 30 - "TCP:$A:8101" <"$tmp/upload" 2>"$tmp/up.log")
sleep 0.3
kill -INT "$cap"
wait "$cap" 2>/dev/null
[ "$got" = "$want" ] || fail "upload during forks: sha256 '$got', sent $want"
nrst=$(tcpdump -n -r "$tmp/cap.pcap" 2>/dev/null | wc -l)
[ "$nrst" = 0 ] || fail "$nrst RSTs from skbos during the upload with forks"
grep -q "forks=20" "$tmp/children" || fail "not 20 forks: $(cat "$tmp/children")"
bad=$(grep '^child' "$tmp/children" | grep -cv '^child inherited=0 own=1 urings=0$')
[ "$bad" = 0 ] || fail "children holding the parent's kernel objects: $(cat "$tmp/children")"
echo "ok: 20 MB upload with 20 forks, system(), vfork, posix_spawn: sha256 ok, 0 RSTs;" \
	"every child: 0 of the parent's packet sockets, 1 of its own, 0 rings"

# ---- 2. parent and child each serve ---------------------------------------------
start serve2 8111 ready.child
wait_until 100 test -s "$tmp/ready" || fail "serve2: the parent never got ready"
ask 8112 7
ask 8111 8
echo "ok: a forked child serves its own listener beside the parent's"

# ---- 2b. an inherited connected socket: the child's once it uses it --------------------
start connected 8131 ready.conn
ask 8131 5
wait_until 50 test -s "$tmp/connected"
[ "$(cat "$tmp/connected")" = "errno=9" ] || fail "inherited connected socket, the parent after the child took it: $(cat "$tmp/connected")"
echo "ok: an inherited connected socket is the child's once it uses it (it answers; the parent then gets EBADF)"

# ---- 3. a daemon ---------------------------------------------------------------
ip -n "${P}b" neigh flush all
start daemon 8121 ready.daemon
# the original process (the responder) is gone; the daemon takes over at its next tick
wait_until 100 ip netns exec "${P}b" ping -n -c 1 -W 1 "$A" || fail "the daemon never answered ping"
ask 8121 9
echo "ok: a double-forked daemon serves (and answers ARP) after its parents are gone"
