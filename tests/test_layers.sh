#!/bin/bash
# The layering rule of DESIGN.md "Layout", by name (the build enforces it
# too: the core compiles with only libos/include, libos/core, libos/ipv4 and
# libos/ipv6 on its include path).
#  - a core file (libos/core, libos/ipv4, libos/ipv6) includes no runtime, device, shim,
#    helper or test header, and none of libev, liburing, pthread;
#  - the devices (netdev/) include no shim or test header;
#  - the shim (preload/) includes, of the stack's headers, only those the
#    socket layer exports to it (SHIM_MAY below; each one a debt named in
#    DESIGN.md until the one syscall layer replaces it).
# Run by `make check`; no root.  SKBOS_LAYERS_SRC=DIR checks another tree
# (the test of this test: a copy with a bad include must fail).
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0") # before the cd below
src=${SKBOS_LAYERS_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 99
bad=0
names() { for d in "$@"; do ls "$d"/*.h 2>/dev/null; done | xargs -rn1 basename | sort -u; }
# the includes of the files $3.. whose name is in the list $2: "X" against
# the project's headers, <X> against the system's (libev, liburing, pthread)
check() {
	local what=$1 list=$2; shift 2
	local f inc
	for f in $(ls "$@" 2>/dev/null); do
		while read -r inc; do
			if grep -qxF "$inc" <<<"$list"; then
				echo "layering: $f includes $inc ($what)"
				bad=1
			fi
		done < <(sed -nE -e 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' \
			-e 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<(ev\.h|liburing\.h|pthread\.h)>.*/<\1>/p' "$f" |
			sed 's@.*/@@; s@^\([^<].*\)@\1@')
	done
}
core_files="libos/core/*.[ch] libos/ipv4/*.[ch] libos/ipv6/*.[ch]"
upper=$(names libos/runtime netdev netdev/afpacket preload netd tests/harness tests/devices
	printf '%s\n' '<ev.h>' '<liburing.h>' '<pthread.h>')
check "a core file may not include the runtime, a device, the shim or the tests" "$upper" $core_files
check "a device may not include the shim or the tests" "$(names preload tests/harness tests/devices)" \
	netdev/*.[ch] netdev/afpacket/*.[ch]
# What the shim may include of the stack: the socket layer's header (net.h)
# and the runtime's; every other core header is private to the core.  Debts
# left: sock.h and list.h (epoll.c and poll.c hang their wait entries on a
# socket's wait queue), log.h (fork.c's warning goes through skb_log),
# tcp.h, tcp_repair.h, portshare.h (inherit.c moves a connection between
# two processes' stacks: TCP repair and the port table).
SHIM_MAY="net.h sock.h list.h log.h tcp.h tcp_repair.h portshare.h"
private=$(names libos/core libos/ipv4 libos/ipv6 | grep -vxF "$(tr ' ' '\n' <<<"$SHIM_MAY" | grep .)")
# every file of libskbos-preload.so (not the user commands skbos-*.c)
shim=$(ls preload/*.[ch] | grep -v '/skbos-')
check "the shim may include only the headers the socket layer exports" "$private" $shim
[ "$bad" = 0 ] || exit 1
echo "ok: core includes nothing above it; devices nothing of the shim; the shim only exported headers"
# The check itself: a copy of the tree with one forbidden include must fail.
if [ -z "${SKBOS_LAYERS_SRC:-}" ]; then
	tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/netdev" && cp -r libos preload netd tests "$tmp/" && cp -r netdev/. "$tmp/netdev/"
	echo '#include "loop.h"' >>"$tmp/libos/ipv4/udp.c"
	if SKBOS_LAYERS_SRC=$tmp bash "$self" >/dev/null; then
		echo "FAIL: a core file including loop.h passed the check"
		exit 1
	fi
	echo "ok: a core file including loop.h fails the check"
fi
