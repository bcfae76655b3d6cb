# Shared by the shell tests (sourced, never run; POSIX sh, as some of them
# are sh): the skip rule, the failure report and the cleanup of what a test
# started. A test sets $tmp (its scratch directory, where programs write
# *.log) and $pids (an array of the PIDs it started) before it uses these.

# skip REASON - exit 77 (automake's skip), except under CI=true, where a test
# that cannot run is a failure.
skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL (CI=true, cannot skip): $*"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

# fail REASON - report, with the last ${FAIL_TAIL:-20} lines of each log.
fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.log; do
		[ -f "$f" ] && { echo "==== $f"; tail -"${FAIL_TAIL:-20}" "$f"; }
	done
	exit 1
}

# kill_pids - end what this test started, by PID: TERM, then KILL.
kill_pids() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.2
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
}

# del_netns SUFFIX... - remove this test's namespaces ${P}SUFFIX.
del_netns() {
	for s in "$@"; do
		ip netns del "$P$s" 2>/dev/null
	done
}

# wait_listen LOG - until a tool (tcpbulk) says "listening" in LOG (10 s).
wait_listen() {
	for _ in $(seq 200); do grep -q "listening" "$1" 2>/dev/null && return 0; sleep 0.05; done
	fail "no listener ($1)"
}

# kernel_port_ready NS PORT - until the kernel in NS listens on TCP PORT (10 s).
kernel_port_ready() {
	for _ in $(seq 200); do
		ip netns exec "$1" ss -Htln "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	fail "kernel listener on $2 did not start"
}

# veth_pair KADDR/N - namespace ${P}b (the kernel's side: interface ${P}k
# with KADDR/N) joined by a veth pair to ${P}a (skbos's side: ${P}s, up, no
# address), which the test has made already (its "can we?" check).
veth_pair() {
	ip netns add "${P}b" &&
		ip link add "${P}s" netns "${P}a" type veth peer name "${P}k" netns "${P}b" &&
		ip -n "${P}a" link set "${P}s" up &&
		ip -n "${P}b" link set "${P}k" up &&
		ip -n "${P}b" addr add "$1" dev "${P}k" || fail "cannot make the veth pair"
}

# kill_netns_pids SUFFIX... - end every process left in this test's
# namespaces ${P}SUFFIX (the children of `ip netns exec` and of skbos-run).
kill_netns_pids() {
	for s in "$@"; do
		for pid in $(ip netns pids "$P$s" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
}

# veth_netns KADDR/N - namespaces ${P}a and ${P}b joined by a veth pair
# (veth_pair), loopback up in both.  Skips if namespaces cannot be made.
veth_netns() {
	ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
	veth_pair "$1"
	ip -n "${P}a" link set lo up
	ip -n "${P}b" link set lo up
}

# preload_test - the start of a test of programs under skbos-run over
# veth_netns: sets $B (the build tree) and $run (the tree's skbos-run, with
# SKBOS_PRELOAD_LIB exported: it runs programs on the tree's shim); skips without root, and exits 77 (even under CI) for an ASan-built
# shim, which hangs uninstrumented programs before main (the shim itself runs
# under ASan in tests/test_preload).  On exit everything the test started
# ends ($pids, whatever is left in its namespaces) and $tmp is removed.
preload_test() {
	B=$(cd "${top_builddir:-.}" && pwd)
	run=$B/preload/skbos-run
	export SKBOS_PRELOAD_LIB="$B/.libs/libskbos-preload.so"
	trap preload_test_cleanup EXIT
	[ "$(id -u)" = 0 ] || skip "needs root"
	if ldd "$B/.libs/libskbos-preload.so" 2>/dev/null | grep -q libasan; then
		echo "SKIP: an ASan shim cannot be preloaded into uninstrumented programs (test_preload_net.sh)"
		exit 77
	fi
}

preload_test_cleanup() {
	exec 2>/dev/null # the servers' "Killed" notices
	netns_test_cleanup
}

# netns_test_cleanup - the EXIT trap of a test over veth_netns: end what it
# started ($pids, whatever is left in its namespaces), remove the namespaces
# and $tmp.
netns_test_cleanup() {
	kill_pids
	kill_netns_pids a b
	del_netns a b
	rm -rf "$tmp"
}

# nginx_temp_paths DIR - nginx.conf's http-level temp paths, all under DIR.
nginx_temp_paths() {
	for t in client_body proxy fastcgi uwsgi scgi; do
		echo "	${t}_temp_path $1/$t;"
	done
}

# need_progs PROG... - skip unless every PROG is installed.
need_progs() {
	for p in "$@"; do
		command -v "$p" >/dev/null || skip "$p is not installed (scripts/deps.sh)"
	done
}

# wait_until TRIES CMD... - run CMD every 0.1 s until it succeeds, at most
# TRIES times.  Return: CMD's last status.
wait_until() {
	local n=$1
	shift
	for _ in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# tcpbulk_stat LOG NAME - a counter tests/tools/tcpbulk --stats printed at
# exit into LOG (0 if it did not).
tcpbulk_stat() {
	sed -n '/^tcpbulk: stats$/,$p' "$1" | awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }'
}

# kernel_port NS t|u PORT - whether a kernel socket in namespace NS listens
# on TCP PORT (t) or is bound to UDP PORT (u): wait_until's condition for
# "the kernel's server is up", instead of a sleep.
kernel_port() {
	ip netns exec "$1" ss -Hln"$2" "sport = :$3" | grep -q .
}

# skbos_port STAT NS COMM PORT - whether a process named COMM in namespace NS
# has an skbos socket on local PORT, as skbos-stat (the binary STAT) shows
# it: "the skbos server is up".
skbos_port() {
	local pid
	for pid in $(ip netns pids "$2" 2>/dev/null); do
		[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$3" ] || continue
		timeout 5 "$1" -s "$pid" 2>/dev/null | awk -v p=":$4" '$5 ~ p "$" { f = 1 } END { exit !f }' &&
			return 0
	done
	return 1
}

# probe_vs_kernel PROBE TABLE [SKIP_RE] - run the libc-only PROBE (a program
# of the build tree's tests/tools) under the shim with SKBOS_LOOPBACK=1
# (every AF_INET socket is skbos's, which the probe's first line, "stack:
# skbos", confirms) and compare its output line for line with TABLE, what
# the kernel answered to the same probe; lines matching the extended regex
# SKIP_RE are left out on both sides (known differences).  Exits: 0 and a
# PASS line when they match, 1 with the difference otherwise.
probe_vs_kernel() {
	_B=$(cd "${top_builddir:-.}" && pwd)
	_probe=$_B/tests/tools/$1
	_lib=$_B/.libs/libskbos-preload.so
	_skip=${3:-^$}
	[ -x "$_probe" ] || { echo "FAIL: $_probe not built"; exit 1; }
	# the probe is built like the shim: under ASan its runtime goes first
	_rt=$(ldd "$_lib" 2>/dev/null | awk '/libasan/ { print $3 }')
	_out=$(mktemp)
	_want=$(mktemp)
	_got=$(mktemp)
	trap 'rm -f "$_out" "$_want" "$_got"' EXIT
	timeout 120 env SKBOS_LOOPBACK=1 LD_PRELOAD="${_rt:+$_rt }$_lib" ASAN_OPTIONS=detect_leaks=0 \
		"$_probe" >"$_out" 2>&1
	_rc=$?
	[ $_rc = 0 ] || { echo "FAIL: the probe under skbos exited $_rc"; cat "$_out"; exit 1; }
	[ "$(head -1 "$_out")" = "stack: skbos" ] || { echo "FAIL: not served by skbos: $(head -1 "$_out")"; exit 1; }
	tail -n +2 "$2" | grep -Ev "$_skip" >"$_want"
	tail -n +2 "$_out" | grep -Ev "$_skip" >"$_got"
	if ! diff "$_want" "$_got"; then
		echo "FAIL: skbos differs from the kernel's table (< kernel, > skbos)"
		exit 1
	fi
	echo "PASS: $(wc -l <"$_want") cases, skbos answered as the kernel did"
	exit 0
}
