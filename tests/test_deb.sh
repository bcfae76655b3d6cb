#!/bin/bash
# The Debian packages (debian/), end to end; slow (a full package build), so
# not part of make check: .ci/run runs it after the suite.
#
#  1. dpkg-buildpackage -us -uc -b on a clean clone of the checkout's HEAD
#     builds skbos and libskbos-dev; lintian reports no error.
#  2. Installed with dpkg -i: man skbos-run shows the page; a program built
#     with pkg-config --cflags --libs skbos runs against the installed
#     library; /usr/bin/skbos-run serves curl over a veth pair between two
#     namespaces (10 MB from a kernel HTTP server, sha256-checked).
#  3. On exit, even on failure, the packages are removed (dpkg -r), the
#     namespaces and the clone too.
# Needs root, git, dpkg-buildpackage, lintian and namespaces: skipped (77)
# without them, except under CI=true.  Refuses to run when skbos packages
# are installed already (it would remove them).
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
P=skdeb$$
tmp=$(mktemp -d)
pids=()
installed=

. "$src/tests/lib.sh"

cleanup() {
	kill_pids
	kill_netns_pids a b
	del_netns a b
	[ -n "$installed" ] && dpkg -r libskbos-dev skbos >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
need_progs git dpkg-buildpackage lintian dpkg man curl python3 cc pkg-config
git -C "$src" rev-parse HEAD >/dev/null 2>&1 || skip "$src is not a git checkout"
for p in skbos libskbos-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" &&
		fail "$p is installed already: remove it first (this test removes what it installs)"
done

# ---- 1. build and lint ------------------------------------------------------------
git clone -q "$src" "$tmp/skbos" || fail "git clone"
echo "building the packages from $(git -C "$tmp/skbos" log -1 --format=%h) ..."
(cd "$tmp/skbos" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
	>"$tmp/build.log" 2>&1 || fail "dpkg-buildpackage: $(tail -20 "$tmp/build.log")"
deb=$tmp/skbos_*_*.deb
dev=$tmp/libskbos-dev_*_*.deb
ls $deb $dev >/dev/null || fail "no .debs in $tmp"
echo "ok: dpkg-buildpackage built $(cd "$tmp" && ls ./*.deb | xargs -n1 basename | tr '\n' ' ')"
lintian "$tmp"/skbos_*.changes >"$tmp/lintian.log" 2>&1
grep -q '^E:' "$tmp/lintian.log" && fail "lintian errors: $(grep '^E:' "$tmp/lintian.log")"
echo "ok: lintian: no errors ($(grep -c '^W:' "$tmp/lintian.log") warnings)"

# ---- 2. installed ------------------------------------------------------------------
installed=1
dpkg -i $deb $dev >"$tmp/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$tmp/dpkg.log")"
[ -x /usr/bin/skbos-run ] && [ -x /usr/sbin/skbos-netd ] || fail "skbos-run or skbos-netd not installed"
/usr/sbin/skbos-netd --version | grep -q '^skbos-netd (skbos)' || fail "/usr/sbin/skbos-netd --version"
[ -f /usr/share/doc/skbos/examples/netd.conf.example ] || fail "no netd.conf example in /usr/share/doc/skbos/examples"
page=$(MANWIDTH=80 man -P cat skbos-run 2>/dev/null)
printf '%s\n' "$page" | grep -Eq 'skbos-run +- +run +an +unmodified +program' || fail "man skbos-run does not show the page"
echo "ok: man skbos-run shows the page ($(printf '%s\n' "$page" | wc -l) lines)"
cat >"$tmp/v.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <skbos/skbos.h>
int main(void)
{
	puts(skbos_version());
	return skbos_init() || skbos_active(); /* nothing configured: nothing started */
}
C
# shellcheck disable=SC2046
cc -o "$tmp/v" "$tmp/v.c" $(pkg-config --cflags --libs skbos) || fail "cannot build against libskbos-dev"
ver=$(env -u SKBOS_IF -u SKBOS_LOOPBACK "$tmp/v") || fail "a program linked with the installed libskbos fails"
so=$(ldd "$tmp/v" | awk '/libskbos\.so\.0/ {print $3}')
dpkg -S "$(readlink -f "$so")" 2>/dev/null | grep -q '^skbos:' || fail "linked with '$so', not the package's libskbos.so.0"
echo "ok: built with pkg-config skbos, runs on the installed libskbos $ver"

ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
veth_pair 10.79.0.1/24
ip -n "${P}a" link set lo up && ip -n "${P}b" link set lo up
mkdir "$tmp/www"
head -c $((10 << 20)) /dev/urandom >"$tmp/www/blob"
(cd "$tmp/www" && exec ip netns exec "${P}b" timeout 120 python3 -m http.server --bind 10.79.0.1 8080) \
	>"$tmp/http.log" 2>&1 &
pids+=($!)
wait_until 100 ip netns exec "${P}b" curl -s -m 2 -o /dev/null http://10.79.0.1:8080/ || fail "the HTTP server did not start"
env -u SKBOS_PRELOAD_LIB ip netns exec "${P}a" timeout 120 /usr/bin/skbos-run --if "${P}s" --addr 10.79.0.2/24 -- \
	curl -sS -o "$tmp/got" http://10.79.0.1:8080/blob 2>"$tmp/curl.log" || fail "curl under /usr/bin/skbos-run"
[ "$(sha256sum <"$tmp/got")" = "$(sha256sum <"$tmp/www/blob")" ] || fail "10 MB: the bytes differ"
echo "ok: /usr/bin/skbos-run -- curl downloads 10 MB from a kernel server, sha256 $(sha256sum <"$tmp/got" | cut -c1-16)..."
