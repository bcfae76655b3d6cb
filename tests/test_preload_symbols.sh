#!/bin/sh
# libskbos-preload.so is loaded into every program skbos-run starts: it must
# export exactly the libc names it interposes (preload/libskbos-preload.map)
# and nothing of skbos itself (STYLE.md rule 2), so that e.g. its ip_output
# or skbos_socket never clashes with a program's own symbol.
top=${top_builddir:-.}
src=${srcdir:-$(dirname "$0")/..}
lib="$top/.libs/libskbos-preload.so"
map="$src/preload/libskbos-preload.map"
if [ ! -f "$lib" ]; then
	echo "no shared library at $lib (static-only build?)"
	exit 77
fi
got=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -v '^$' | sort -u)
want=$(sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);$/\1/p' "$map" | sort -u)
if [ "$got" != "$want" ]; then
	echo "exported symbols differ from $map:"
	printf '%s\n' "$got" >"${TMPDIR:-/tmp}/preload-got.$$"
	printf '%s\n' "$want" | diff -u - "${TMPDIR:-/tmp}/preload-got.$$"
	rm -f "${TMPDIR:-/tmp}/preload-got.$$"
	exit 1
fi
for s in socket close epoll_wait poll select fork __read_chk; do
	printf '%s\n' "$got" | grep -qx "$s" || { echo "$s is not interposed"; exit 1; }
done
echo "exports $(printf '%s\n' "$got" | wc -l) interposed names, nothing else"
