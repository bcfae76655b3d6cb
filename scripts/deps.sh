#!/usr/bin/env bash
# Install the Debian 12 packages skbos needs to build and test (as root).
# The one list of packages; check.sh, demo.sh and .ci/run all come here.
# --bench adds what bench/run.sh (make bench) drives, which make check
# does not need.
set -euo pipefail

pkgs=(
	build-essential autoconf automake libtool pkg-config  # the autotools build
	liburing-dev      # io_uring: the AF_PACKET device's I/O
	libev-dev         # the stack thread's event loop and timers
	libcriterion-dev  # the unit and integration test framework
	libpcap-dev       # SKBOS_PCAP: writing frames as pcap files tcpdump/tshark read
	iproute2          # namespaces and veth pairs for network tests
	binutils          # nm, for the exported-symbols test
	iputils-ping      # the kernel's ping, the peer of the first-contact test
	tshark            # checks that skbos's pcap files parse clean
	ethtool           # turns veth offloads off where a test needs whole frames or
	                  # checks skbos's own (test_afpacket, test_kernel_gso)
	socat             # the kernel-side peer of the UDP and TCP tests
	curl python3      # unmodified programs run under skbos-run (tests, demo)
	nginx wrk         # test_preload_apps, _prefork: nginx under skbos and against it, wrk's load
	redis-server redis-tools  # test_preload_apps: redis-server, redis-cli, redis-benchmark
	iperf3            # test_preload_apps: TCP and UDP throughput, both ends
	groff man-db      # test_man: the man pages render without warnings
	debhelper dpkg-dev fakeroot lintian git  # test_deb: dpkg-buildpackage, lintian on the .debs
	libcap2-bin       # test_netd: setcap, skbos-netd run with file capabilities
	memcached         # test_preload_privdrop: memcached -u memcache drops root under skbos
	postgresql        # test_preload_privdrop: postgres as user postgres, its listener on skbos
	apache2 gunicorn  # test_preload_servers: apache prefork and event, gunicorn's workers
	nodejs            # test_preload_inherit: node's cluster module (SCM_RIGHTS of connections)
	dnsmasq-base dnsutils  # test_preload_dnsmasq: dnsmasq under skbos, dig against it
	                  # (dnsmasq-base: the program without the system service)
	tcpdump           # test_pcap reads the capture back the way a user would;
	                  # test_preload_shared/_fork count skbos's RSTs on the wire
	procps            # pgrep -P: the process under timeout/skbos-run (test_preload_*)
	valgrind          # check.sh --valgrind (make check-valgrind); its memcheck.h
	                  # lets the skb pools mark parked buffers (poison.h)
)
bench_pkgs=(                 # (iperf3, wrk, nginx, redis: installed for the tests)
	sockperf          # TCP and UDP ping-pong latency percentiles
	gnuplot-nox       # the results chart
	util-linux        # taskset: each side pinned to its CPU
	libmemcached-tools  # memcaslap: the load on memcached -t 4 (bench mcd)
)
[ "${1:-}" = "--bench" ] && pkgs+=("${bench_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "skbos: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
		exit 1
	fi
	echo "skbos: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
