#!/usr/bin/env bash
# The whole skbos test suite from a fresh Debian 12 machine (as root):
# installs the packages, builds in build/ (or build-san/ with --sanitizers:
# ASan+UBSan) and runs `make check`; with --valgrind, builds in build/ and
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
if ! make -j"$jobs" check; then
	for log in tests/*.log; do
		grep -q -E '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null && { echo "==== $log"; cat "$log"; }
	done
	exit 1
fi
