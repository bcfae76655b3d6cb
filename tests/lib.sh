# Shared by the shell tests (sourced, never run): the skip rule, the failure
# report and the cleanup of what a test started. A test sets $tmp (its
# scratch directory, where programs write *.log) and $pids (an array of the
# PIDs it started) before it uses these.

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
