/*
 * config.c - SKBOS_* environment variables -> struct skbos_config.
 *
 * Never a silent fallback: a value that does not parse, or that contradicts
 * another (a gateway outside the address's network), is an error that names
 * the variable and says what was expected.
 */
#include <net/if.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skbos_config.h"
#include "alloc.h"
#include "eth.h"
#include "inetdevice.h"
#include "addrconf.h"
#include "ip.h"
#include "log.h"
#include "sysctl.h"

static int bad(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_interface(struct skbos_config *c, char *err, size_t errlen)
{
	const char *v = env("SKBOS_IF");

	if (!v)
		return 0;
	if (strlen(v) >= IFNAMSIZ)
		return bad(err, errlen, "SKBOS_IF=%s: interface names are at most %d characters", v,
			   IFNAMSIZ - 1);
	if (!if_nametoindex(v))
		return bad(err, errlen, "SKBOS_IF=%s: no such interface", v);
	strcpy(c->ifname, v);
	c->have_if = true;
	v = env("SKBOS_NETD_SOCKET");
	if (v && strlen(v) >= sizeof(c->netd_socket))
		return bad(err, errlen, "SKBOS_NETD_SOCKET=%s: the path is too long", v);
	if (v)
		strcpy(c->netd_socket, v);
	return 0;
}

static int parse_addresses(struct skbos_config *c, char *err, size_t errlen)
{
	const char *v = env("SKBOS_ADDR");

	if (v) {
		if (inet_pton4(v, &c->addr, &c->prefixlen) || !strchr(v, '/') ||
		    ipv4_is_multicast(c->addr) || ipv4_is_zeronet(c->addr) ||
		    ipv4_is_lbcast(c->addr) || c->prefixlen < 1)
			return bad(err, errlen, "SKBOS_ADDR=%s: expected a unicast A.B.C.D/N", v);
		c->have_addr = true;
	}
	if (c->have_if && !c->have_addr)
		return bad(err, errlen, "SKBOS_ADDR is not set: SKBOS_IF=%s needs an address (A.B.C.D/N)",
			   c->ifname);
	v = env("SKBOS_GW");
	if (v) {
		__be32 mask = inet_make_mask(c->prefixlen);

		if (inet_pton4(v, &c->gw, NULL) || ipv4_is_multicast(c->gw) || ipv4_is_zeronet(c->gw))
			return bad(err, errlen, "SKBOS_GW=%s: expected a unicast A.B.C.D", v);
		if (!c->have_addr || (c->gw & mask) != (c->addr & mask) || c->gw == c->addr)
			return bad(err, errlen, "SKBOS_GW=%s: not another host on SKBOS_ADDR's network", v);
	}
	return 0;
}

/*
 * SKBOS_ADDR6=ADDR/N and SKBOS_GW6=ADDR: skbos's IPv6 address on SKBOS_IF
 * (beside its IPv4 one) and the default router, link-local or on the
 * address's prefix (RFC 4861 §8: routers are known link-locally).
 */
static int parse_addresses6(struct skbos_config *c, char *err, size_t errlen)
{
	const char *v = env("SKBOS_ADDR6");

	if (v) {
		if (inet6_pton_prefix(v, &c->addr6, &c->prefixlen6) ||
		    ipv6_addr_is_multicast(&c->addr6) || ipv6_addr_loopback(&c->addr6) ||
		    ipv6_addr_v4mapped(&c->addr6))
			return bad(err, errlen, "SKBOS_ADDR6=%s: expected a unicast IPv6 ADDRESS/N", v);
		if (!c->have_if)
			return bad(err, errlen, "SKBOS_ADDR6=%s: needs SKBOS_IF (the interface it is on)", v);
		c->have_addr6 = true;
	}
	v = env("SKBOS_GW6");
	if (v) {
		if (inet_pton(AF_INET6, v, &c->gw6) != 1 || ipv6_addr_is_multicast(&c->gw6) ||
		    ipv6_addr_any(&c->gw6) || ipv6_addr_loopback(&c->gw6) || ipv6_addr_v4mapped(&c->gw6))
			return bad(err, errlen, "SKBOS_GW6=%s: expected a unicast IPv6 address", v);
		if (!c->have_addr6 || ipv6_addr_equal(&c->gw6, &c->addr6) ||
		    (!ipv6_addr_linklocal(&c->gw6) &&
		     !ipv6_prefix_equal(&c->gw6, &c->addr6, (unsigned int)c->prefixlen6)))
			return bad(err, errlen, "SKBOS_GW6=%s: not a link-local address nor another host "
				   "on SKBOS_ADDR6's network", v);
		c->have_gw6 = true;
	}
	return 0;
}

static int parse_link(struct skbos_config *c, char *err, size_t errlen)
{
	const char *v = env("SKBOS_MAC");

	if (v) {
		if (eth_parse_addr(v, c->mac) || !is_valid_ether_addr(c->mac))
			return bad(err, errlen, "SKBOS_MAC=%s: expected a unicast xx:xx:xx:xx:xx:xx", v);
		c->have_mac = true;
	}
	v = env("SKBOS_OFFLOAD");
	if (v && netdev_offload_off(v, &c->offloads_off))
		return bad(err, errlen, "SKBOS_OFFLOAD=%s: expected none, csum, tso or all", v);
	v = env("SKBOS_MTU");
	if (v && parse_uint(v, IPV4_MIN_MTU, 65535, &c->mtu))
		return bad(err, errlen, "SKBOS_MTU=%s: expected a number from %d to 65535", v,
			   IPV4_MIN_MTU);
	return 0;
}

static int parse_misc(struct skbos_config *c, char *err, size_t errlen)
{
	const char *v = env("SKBOS_LOG");

	if (v && (c->log_level = skb_log_parse_level(v)) < 0)
		return bad(err, errlen, "SKBOS_LOG=%s: expected error, warn, info or debug", v);
	v = env("SKBOS_LOOPBACK");
	if (v) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return bad(err, errlen, "SKBOS_LOOPBACK=%s: expected 0 or 1", v);
		c->loopback = v[0] == '1';
	}
	v = env("SKBOS_SPIN_US");
	if (v && parse_uint(v, 0, 1000000, &c->spin_us))
		return bad(err, errlen, "SKBOS_SPIN_US=%s: expected microseconds from 0 to 1000000", v);
	v = env("SKBOS_PCAP");
	if (v) {
		if (strlen(v) >= sizeof(c->pcap))
			return bad(err, errlen, "SKBOS_PCAP: path too long");
		strcpy(c->pcap, v);
	}
	v = env("SKBOS_FAILNTH");
	if (v && failslab_parse(v, &c->failnth, &c->failnth_persist))
		return bad(err, errlen,
			   "SKBOS_FAILNTH=%s: expected N or N+ (fail the N-th allocation, or it and all after), N >= 1",
			   v);
	return 0;
}

/**
 * skbos_config_from_env - read and check every SKBOS_* variable.
 * Return: 0, or -EINVAL with one line in @err naming the variable.
 */
int skbos_config_from_env(struct skbos_config *c, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->log_level = -1;
	err[0] = '\0';
	if ((rc = parse_misc(c, err, errlen)) || (rc = parse_interface(c, err, errlen)) ||
	    (rc = parse_addresses(c, err, errlen)) ||
	    (rc = parse_addresses6(c, err, errlen)) || (rc = parse_link(c, err, errlen)))
		return rc;
	return 0;
}

static bool read_sysctl(const char *path, long *a, long *b)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return false;
	n = b ? fscanf(f, "%ld %ld", a, b) : fscanf(f, "%ld", a);
	fclose(f);
	return n == (b ? 2 : 1);
}

/* net.ipv4.tcp_{r,w}mem: three increasing sizes, else keep the defaults. */
static void read_tcp_mem(const char *path, int v[3])
{
	FILE *f = fopen(path, "r");
	long a, b, c;

	if (!f)
		return;
	if (fscanf(f, "%ld %ld %ld", &a, &b, &c) == 3 && a > 0 && a <= b && b <= c && c <= INT_MAX) {
		v[0] = (int)a;
		v[1] = (int)b;
		v[2] = (int)c;
	}
	fclose(f);
}

/**
 * sysctl_from_host - take the host kernel's values for the tunables that
 * applications see (buffer sizes, TTL, ephemeral ports), so a program gets
 * the same answers from skbos as from the kernel it replaced.  Missing files
 * keep Linux's defaults.
 */
void sysctl_from_host(struct sysctl *s)
{
	long a, b;

	if (read_sysctl("/proc/sys/net/core/rmem_default", &a, NULL) && a > 0 && a <= INT_MAX)
		s->rmem_default = (int)a;
	if (read_sysctl("/proc/sys/net/core/wmem_default", &a, NULL) && a > 0 && a <= INT_MAX)
		s->wmem_default = (int)a;
	if (read_sysctl("/proc/sys/net/core/rmem_max", &a, NULL) && a > 0 && a <= INT_MAX)
		s->rmem_max = (int)a;
	if (read_sysctl("/proc/sys/net/core/wmem_max", &a, NULL) && a > 0 && a <= INT_MAX)
		s->wmem_max = (int)a;
	read_tcp_mem("/proc/sys/net/ipv4/tcp_rmem", s->tcp_rmem);
	read_tcp_mem("/proc/sys/net/ipv4/tcp_wmem", s->tcp_wmem);
	if (read_sysctl("/proc/sys/net/ipv4/tcp_moderate_rcvbuf", &a, NULL))
		s->tcp_moderate_rcvbuf = a != 0;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_sack", &a, NULL))
		s->tcp_sack = a != 0;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_timestamps", &a, NULL))
		s->tcp_timestamps = a != 0;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_dsack", &a, NULL))
		s->tcp_dsack = a != 0;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_max_reordering", &a, NULL) && a >= 3 && a <= 1000000)
		s->tcp_max_reordering = (u32)a;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_reordering", &a, NULL) && a >= 1 && a <= s->tcp_max_reordering)
		s->tcp_reordering = (u32)a;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_syncookies", &a, NULL) && a >= 0 && a <= 2)
		s->tcp_syncookies = (int)a;
	/* per network namespace on Linux: the one skbos stands in for */
	if (read_sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets", &a, NULL) && a >= 0 && a <= UINT_MAX)
		s->tcp_max_tw_buckets = (u32)a;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_fastopen", &a, NULL) && a >= 0 && a <= INT_MAX)
		s->tcp_fastopen = (int)a;
	/* 3 and above are AccECN's modes, which skbos does not speak: keep the default */
	if (read_sysctl("/proc/sys/net/ipv4/tcp_ecn", &a, NULL) && a >= 0 && a <= 2)
		s->tcp_ecn = (int)a;
	if (read_sysctl("/proc/sys/net/ipv4/tcp_notsent_lowat", &a, NULL) && a >= 0 && a <= UINT_MAX)
		s->tcp_notsent_lowat = (u32)a;
	if (read_sysctl("/proc/sys/net/ipv4/ip_default_ttl", &a, NULL) && a > 0 && a < 256)
		s->ip_default_ttl = (int)a;
	if (read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", &a, &b) && a > 0 && b <= 65535 && a <= b) {
		s->ip_local_port_min = (u16)a;
		s->ip_local_port_max = (u16)b;
	}
}
