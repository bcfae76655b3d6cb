#!/bin/bash
# skbos-netd (netd/skbos-netd.c) against honest and hostile clients.
#
# In a namespace of its own with two veth ends, ${P}s (allowed to the test
# user) and ${P}x (allowed to no one), the helper runs as root and:
#  1. rejects a bad command line and policy file with one line;
#  2. hands the allowed user a socket bound to ${P}s that cannot be bound
#     elsewhere; refuses another user (user not allowed), ${P}x and lo
#     (interface not allowed), and never has a packet socket on them;
#  3. survives and answers hostile clients: garbage, short and huge
#     messages, wrong magic and version, names without a NUL or invalid,
#     fds sent to it, silent clients (dropped after its timeout), and 100
#     connections at once (a valid request is still served);
#  4. run by the unprivileged test user with file capabilities
#     (cap_net_raw,cap_net_admin), serves the same.
# Needs root and namespaces: skipped (77) without them, except under CI=true.
set -u
top=${top_builddir:-.}
B=$(cd "$top" && pwd)
netd=$B/skbos-netd
cli="python3 $(cd "$(dirname "$0")" && pwd)/tools/netd_client.py"
P=skn$$
U=skbn$$
tmp=$(mktemp -d)
pids=()

. "$(dirname "$0")/lib.sh"

cleanup() {
	exec 2>/dev/null # the helpers' "Killed" notices
	kill_pids
	kill_netns_pids a
	del_netns a
	userdel "$U" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$netd" ] || fail "no $netd (run make)"
[ "$(id -u)" = 0 ] || skip "needs root"
need_progs python3 useradd runuser
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
ip -n "${P}a" link add "${P}s" type veth peer name "${P}t" &&
	ip -n "${P}a" link add "${P}x" type veth peer name "${P}y" &&
	ip -n "${P}a" link set "${P}s" up && ip -n "${P}a" link set "${P}x" up ||
	fail "cannot make the veth pairs"
useradd -M -s /usr/sbin/nologin "$U" || fail "cannot create the user $U"
chmod 755 "$tmp"
sock=$tmp/netd.sock
in_ns() { ip netns exec "${P}a" "$@"; }
as_user() { in_ns runuser -u "$1" -- timeout 40 $cli "$sock" "${@:2}"; }

# ---- 1. the command line and the policy file ---------------------------------
expect_reject() {
	local msg
	msg=$(timeout 10 "$netd" --socket "$tmp/never.sock" "$@" 2>&1) && fail "skbos-netd $* was accepted"
	[ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] || fail "skbos-netd $*: more than one line: $msg"
	echo "ok: skbos-netd $* -> $msg"
}
expect_reject --allow "${P}s"
expect_reject --allow "${P}s=no-such-user-$$"
expect_reject --allow "${P}s=@no-such-group-$$"
expect_reject --allow "bad/name=*"
expect_reject --config "$tmp/missing.conf"
printf '# a comment\n%s %s @nogroup\n\n%s\n' "${P}s" "$U" "${P}x" >"$tmp/bad.conf"
expect_reject --config "$tmp/bad.conf"
printf '# interface  who\n%s %s   # the test user\n' "${P}s" "$U" >"$tmp/netd.conf"
"$netd" --config "$tmp/netd.conf" --check | grep -q "^${P}s: 1 " || fail "--check does not show the policy"

ip netns exec "${P}a" "$netd" --config "$tmp/netd.conf" --socket "$sock" >"$tmp/netd.log" 2>&1 &
pids+=($!)
wait_until 50 test -S "$sock" || fail "the helper did not start"
netd_pid=${pids[0]}
alive() { kill -0 "${pids[0]}" 2>/dev/null || fail "the helper died after $1"; }

# ---- 2. the policy ---------------------------------------------------------------
expect() { # WANT CMD... - the client's one line starts with WANT
	local got
	got=$("$@" 2>&1) || fail "$*: $got"
	case $got in "$want"*) ;; *) fail "${*:2}: '$got', expected '$want'" ;; esac
	echo "ok: ${*:4} -> $got"
}
# the packet sockets on interface index $1 in the namespace (/proc/net/packet)
packet_socks() { in_ns awk -v i="$1" 'NR > 1 && $6 == i' /proc/net/packet | wc -l; }
xidx=$(in_ns cat "/sys/class/net/${P}x/ifindex")
want=granted expect as_user "$U" request "${P}s"
want="refused Operation not permitted: user" expect as_user nobody request "${P}s"
want="refused Permission denied: interface ${P}x is not allowed" expect as_user "$U" request "${P}x"
want="refused Permission denied: interface lo is not allowed" expect as_user "$U" request lo
want="refused Permission denied: interface ${P}x is not allowed" expect as_user root request "${P}x"
[ "$(packet_socks "$xidx")" = 0 ] || fail "a packet socket exists on ${P}x"
grep -q "uid $(id -u nobody): ${P}s refused: user not allowed" "$tmp/netd.log" ||
	fail "the refusal of nobody is not in the helper's log"
alive "the policy checks"

# ---- 3. hostile clients ------------------------------------------------------------
# An empty message reads as end of file: the helper hangs up.
want="hung up" expect as_user "$U" bytes 0
want="refused Invalid argument: malformed request (10 bytes" expect as_user "$U" bytes 10
# Larger than a unix socket carries: the client's send fails, the helper hangs up.
want="cannot send 300000 bytes" expect as_user "$U" bytes 300000
want="refused Invalid argument: malformed request (25 bytes" expect as_user "$U" bytes 65000
want="refused Protocol error: not a skbos-netd request" expect as_user "$U" magic
want="refused Protocol error: not a skbos-netd request" expect as_user "$U" version
want="refused Invalid argument: invalid interface name" expect as_user "$U" nonul
for bad in "" . .. "../${P}s" "a b" "x:0" "$(printf 'a\tb')"; do
	want="refused Invalid argument: invalid interface name" expect as_user "$U" name "$bad"
done
want=granted expect as_user "$U" fds "${P}s"
alive "the hostile messages"
# A silent client is dropped by the helper (after NETD_CLIENT_TIMEOUT_MS).
out=$(as_user "$U" silent) || fail "silent client: $out"
case $out in "hung up"*) echo "ok: a silent client -> $out" | tr '\n' ' '; echo ;; *) fail "silent: $out" ;; esac
# 100 silent connections at once (64 at a time in the helper, the rest in
# its backlog) do not stop a valid request.
want=granted expect as_user "$U" many 100 "${P}s"
alive "100 clients"
[ "$(packet_socks "$xidx")" = 0 ] || fail "a packet socket exists on ${P}x"
# Its listening socket and nothing else: every client's socket closed.
n=$(ls -l "/proc/$netd_pid/fd" | grep -c 'socket:')
[ "$n" = 1 ] || fail "the helper holds $n sockets after its clients left"
echo "ok: the helper holds $n socket (its own) after 125 clients"
kill -TERM "${pids[0]}"
wait "${pids[0]}"
[ ! -e "$sock" ] || fail "the helper left $sock behind"
echo "ok: SIGTERM ends the helper, its socket removed"

# ---- 4. not root: file capabilities ------------------------------------------------
# A copy with cap_net_raw,cap_net_admin run by the test user, who cannot
# open an AF_PACKET socket itself, serves it.
command -v setcap >/dev/null || skip "setcap is not installed (libcap2-bin, scripts/deps.sh)"
mkdir "$tmp/cap" && cp "$netd" "$tmp/cap/skbos-netd" && chown -R "$U" "$tmp/cap" &&
	setcap cap_net_raw,cap_net_admin+ep "$tmp/cap/skbos-netd" || fail "cannot setcap a copy of skbos-netd"
if findmnt -no OPTIONS --target "$tmp" | grep -qw nosuid; then
	echo "SKIP (part 4): $tmp is mounted nosuid, which ignores file capabilities"
	exit 0
fi
in_ns runuser -u "$U" -- python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)' 2>/dev/null &&
	fail "$U can open AF_PACKET sockets itself: the part proves nothing"
sock=$tmp/cap/netd.sock
ip netns exec "${P}a" runuser -u "$U" -- "$tmp/cap/skbos-netd" --allow "${P}s=$U" --socket "$sock" \
	>"$tmp/netd_cap.log" 2>&1 &
pids=($!)
wait_until 50 test -S "$sock" || fail "the helper with file capabilities did not start"
want=granted expect as_user "$U" request "${P}s"
want="refused Operation not permitted: user" expect as_user nobody request "${P}s"
echo "ok: skbos-netd run by $U with cap_net_raw,cap_net_admin file capabilities hands sockets over"
