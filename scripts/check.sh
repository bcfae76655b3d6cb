#!/usr/bin/env bash
# The whole skbos test suite from a fresh Debian 12 machine (as root):
# installs the packages, builds in build/ (or build-san/ with --sanitizers:
# ASan+UBSan) and runs `make check`; with --tsan, builds in build-tsan/ with
# ThreadSanitizer and runs the threads tests; with --valgrind, builds in build/ and
# runs every Criterion program under valgrind instead (make check-valgrind:
# memory errors and definite leaks fail).  Exit status is the suite's.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
opts=()
target=check
case "${1:-}" in
--sanitizers)
	dir=build-san
	opts+=(--enable-sanitizers)
	;;
--valgrind)
	target=check-valgrind
	;;
--tsan)
	# ThreadSanitizer over the tests that run many threads on one stack
	# (tests/test_threads.sh's stress program, test_preload): a data race
	# fails them (halt_on_error).  TSan and ASan exclude each other, hence a
	# build of its own.  Not test_signals: TSan holds an asynchronous signal
	# back until the intercepted call returns, on the kernel's sockets too,
	# so "the handler runs at once" cannot be observed under it.
	dir=build-tsan
	opts+=(--enable-tsan)
	# die_after_fork=0: test_preload forks a child per test after the stack
	# thread started, as prefork servers do; TSan refuses that by default.
	export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 exitcode=66 second_deadlock_stack=1 die_after_fork=0}"
	tsan_tests="tests/test_threads.sh tests/test_preload"
	;;
esac
[ "${CI:-}" = "true" ] && opts+=(--enable-werror)

bash scripts/deps.sh
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null
fi
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
	../configure "${opts[@]}" >/dev/null
fi
jobs=$(nproc)
make -j"$jobs" >/dev/null
if [ "$target" = check-valgrind ]; then
	exec make check-valgrind
fi
if ! make -j"$jobs" check ${tsan_tests:+TESTS="$tsan_tests"}; then
	for log in tests/*.log; do
		# a .trs file says ":test-result: FAIL" (automake's parallel harness)
		grep -q -E '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null && { echo "==== $log"; cat "$log"; }
	done
	exit 1
fi
