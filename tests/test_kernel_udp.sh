#!/bin/bash
# UDP between skbos's native API and the Linux kernel over a veth pair in
# namespaces this test makes (and always removes):
#  - skbos client (tests/tools/udpecho) -> socat echo server in the kernel:
#    10 000 datagrams of 1..8000 bytes, each echoed and checked byte for byte;
#  - kernel client -> skbos echo server: the same the other way;
#  - the skbos server's blocked receive drives the stack itself and the stack
#    thread stands aside (DESIGN.md "Who drives the stack"): the stack thread
#    wakes for at most half the datagrams; the blocked call once per datagram
#    for the frame, plus at most once for its own send's completion (a known
#    cost: io_uring posts TX completions to the same eventfd; measured 0.5 to
#    1.5 here depending on load)
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
top=${top_builddir:-.}
echo_tool=$top/tests/tools/udpecho
P=skv$$
tmp=$(mktemp -d)
pids=()

. "$(dirname "$0")/lib.sh"
cleanup() {
	kill_pids
	del_netns a b
	rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root"
command -v socat >/dev/null || skip "socat is not installed"
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
[ -x "$echo_tool" ] || fail "no $echo_tool (run make)"
veth_pair 10.84.0.1/24
skbos_env=(env SKBOS_IF="${P}s" SKBOS_ADDR=10.84.0.2/24)

# 1. skbos client -> kernel socat echo server
ip netns exec "${P}b" timeout 120 socat -T 20 UDP4-LISTEN:9000,reuseaddr PIPE >"$tmp/socat.log" 2>&1 &
pids+=($!)
wait_until 100 kernel_port "${P}b" u 9000 || fail "the kernel socat did not bind UDP 9000"
ip netns exec "${P}a" "${skbos_env[@]}" timeout 120 "$echo_tool" client 10.84.0.1 9000 10000 \
	>"$tmp/client.log" 2>&1 || fail "skbos client: $(tail -1 "$tmp/client.log")"
grep -q "10000 sent, 10000 echoed intact, 0 wrong, 0 lost" "$tmp/client.log" ||
	fail "skbos client: $(tail -1 "$tmp/client.log")"
echo "ok: $(tail -1 "$tmp/client.log") (skbos -> socat)"

# kernel_to_skbos NAME PORT COUNT [ENV...] - the kernel's udpecho client
# against an skbos udpecho server (with ENV); the server's log: $tmp/NAME.log
kernel_to_skbos() {
	local name=$1 port=$2 count=$3 srv
	shift 3
	ip netns exec "${P}a" "${skbos_env[@]}" "$@" timeout 120 "$echo_tool" server "$port" "$count" \
		>"$tmp/$name.log" 2>&1 &
	srv=$!
	pids+=($srv)
	wait_until 100 grep -q serving "$tmp/$name.log" || fail "skbos server ($name) did not start"
	ip netns exec "${P}b" timeout 120 "$echo_tool" --kernel client 10.84.0.2 "$port" "$count" \
		>"$tmp/k$name.log" 2>&1 || fail "kernel client ($name): $(tail -1 "$tmp/k$name.log")"
	grep -q "$count sent, $count echoed intact, 0 wrong, 0 lost" "$tmp/k$name.log" ||
		fail "kernel client ($name): $(tail -1 "$tmp/k$name.log")"
	wait "$srv" || fail "skbos server ($name) failed"
	echo "ok: $(tail -1 "$tmp/k$name.log") (kernel -> skbos $name)"
}

# 2. kernel client -> skbos echo server
kernel_to_skbos server 9100 10000

# 3. wake-ups per datagram on the skbos server
line=$(grep "wakeups per datagram" "$tmp/server.log")
stack=$(echo "$line" | sed 's/.*stack thread \([0-9.]*\),.*/\1/')
call=$(echo "$line" | sed 's/.*blocked call \([0-9.]*\) .*/\1/')
awk -v s="$stack" -v c="$call" 'BEGIN { exit !(c <= 2.0 && s <= 0.5) }' ||
	fail "wake-ups per datagram: $line"
echo "ok: $line"

# 4. SKBOS_SPIN_US: a blocking receive busy-polls the device instead of
# sleeping, so with a spin longer than any gap between datagrams the
# blocked call never sleeps (no wake-ups) and every echo is still intact.
kernel_to_skbos spin 9200 2000 SKBOS_SPIN_US=1000000
line=$(grep "wakeups per datagram" "$tmp/spin.log")
call=$(echo "$line" | sed 's/.*blocked call \([0-9.]*\) .*/\1/')
awk -v c="$call" 'BEGIN { exit !(c <= 0.1) }' || fail "SKBOS_SPIN_US=1000000: $line"
echo "ok: SKBOS_SPIN_US=1000000: $line"
exit 0
