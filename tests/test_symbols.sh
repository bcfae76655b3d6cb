#!/bin/sh
# libskbos.so is loaded into other people's programs: it must export only
# skbos_* (STYLE.md rule 2), so that e.g. its ip_output never clashes with
# an application's symbol.
lib="${top_builddir:-.}/.libs/libskbos.so"
if [ ! -f "$lib" ]; then
	echo "no shared library at $lib (static-only build?)"
	exit 77
fi
syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
bad=$(printf '%s\n' "$syms" | grep -v '^skbos_' | grep -v '^$')
if [ -n "$bad" ]; then
	echo "exported symbols outside skbos_*:"
	printf '%s\n' "$bad"
	exit 1
fi
printf '%s\n' "$syms" | grep -qx skbos_version || { echo "skbos_version not exported"; exit 1; }
echo "exports: $(printf '%s ' $syms)"
