#!/bin/sh
# The man pages (man/) render without a warning: groff -ww (every warning)
# and man --warnings, as man(1) would show them, and each has its NAME and
# a SEE ALSO.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/lib.sh"

command -v groff >/dev/null || skip "groff is not installed (scripts/deps.sh)"
n=0
for page in skbos-run.1 skbos-stat.1 skbos-node.1 skbos.3 skbos.7 skbos-netd.8; do
	f=$src/man/$page
	[ -f "$f" ] || fail "no $f"
	groff -man -ww -z "$f" >"$tmp/groff.log" 2>&1
	[ -s "$tmp/groff.log" ] && fail "groff warns about $page: $(cat "$tmp/groff.log")"
	if command -v man >/dev/null; then
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" >"$tmp/page.txt" 2>"$tmp/man.log"
		[ -s "$tmp/man.log" ] && fail "man warns about $page: $(cat "$tmp/man.log")"
	else
		groff -man -Tutf8 "$f" >"$tmp/page.txt" 2>/dev/null
	fi
	grep -q '^NAME' "$tmp/page.txt" && grep -q '^SEE ALSO' "$tmp/page.txt" ||
		fail "$page: no NAME or SEE ALSO section when rendered"
	echo "ok: $page renders clean ($(wc -l <"$tmp/page.txt") lines)"
	n=$((n + 1))
done
echo "ok: $n pages"
