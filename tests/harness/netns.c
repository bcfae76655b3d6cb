/*
 * netns.c - namespaces and veth pairs for kernel-facing tests (netns.h).
 * Everything goes through `ip`, the way an administrator would do it, and
 * every name made here starts with "skt" and the pid.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "netns.h"

static struct netns_pair *netns_live; /* for the atexit cleanup */
static int netns_home = -1;           /* the namespace the test started in */

/** netns_ci - true under CI=true, where a test must run, never skip. */
bool netns_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

static void netns_unavailable(const char *why)
{
	if (netns_ci())
		cr_fatal("CI=true but %s", why);
	cr_skip_test("%s", why);
}

/** netns_require_root - skip the test (fail under CI) without root. */
void netns_require_root(void)
{
	if (geteuid() != 0)
		netns_unavailable("needs root (network namespaces, AF_PACKET)");
}

static int sh(const char *cmd)
{
	return system(cmd);
}

/** netns_sh - run a shell command inside @ns (NULL: here).  Return: exit status. */
int netns_sh(const char *ns, const char *fmt, ...)
{
	char cmd[1024], full[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (ns)
		snprintf(full, sizeof(full), "ip netns exec %s sh -c '%s'", ns, cmd);
	else
		snprintf(full, sizeof(full), "%s", cmd);
	return sh(full);
}

static void netns_atexit(void)
{
	if (netns_live)
		netns_pair_destroy(netns_live);
}

/**
 * netns_pair_create - two fresh namespaces joined by a veth pair, both ends
 * up, created straight inside their namespaces.  Skips the test (fails under
 * CI) when namespaces are unavailable.
 */
void netns_pair_create(struct netns_pair *np)
{
	static bool registered;
	int pid = (int)getpid();

	netns_require_root();
	memset(np, 0, sizeof(*np));
	snprintf(np->ns_a, sizeof(np->ns_a), "skt%da", pid);
	snprintf(np->ns_b, sizeof(np->ns_b), "skt%db", pid);
	snprintf(np->if_a, sizeof(np->if_a), "skt%dx", pid);
	snprintf(np->if_b, sizeof(np->if_b), "skt%dy", pid);
	if (!registered) {
		atexit(netns_atexit);
		registered = true;
	}
	/* A namespace of this name is a leftover of a crashed test that had our
	 * pid: ours to remove.  So is every skt<pid>a/b whose pid is gone: a
	 * test killed outright (Criterion's timeout sends SIGKILL, so atexit
	 * never runs) leaves its pair behind, and only this suite makes them. */
	netns_sh(NULL, "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", np->ns_a, np->ns_b);
	netns_sh(NULL, "for ns in $(ip netns list | awk '{ print $1 }' | grep -E '^skt[0-9]+[ab]$'); do "
		       "p=${ns#skt}; p=${p%%?}; kill -0 $p 2>/dev/null || ip netns del $ns 2>/dev/null; done; true");
	if (netns_sh(NULL, "ip netns add %s 2>/dev/null", np->ns_a))
		netns_unavailable("cannot create a network namespace");
	np->created = true;
	netns_live = np;
	/* No IPv6: its router and neighbour chatter would mix with test frames. */
	if (netns_sh(NULL, "ip netns add %s", np->ns_b) ||
	    netns_sh(np->ns_a, "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6") ||
	    netns_sh(np->ns_b, "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6") ||
	    netns_sh(NULL, "ip link add %s netns %s type veth peer name %s netns %s",
		     np->if_a, np->ns_a, np->if_b, np->ns_b) ||
	    netns_sh(np->ns_a, "ip link set %s up && ip link set lo up", np->if_a) ||
	    netns_sh(np->ns_b, "ip link set %s up && ip link set lo up", np->if_b))
		cr_fatal("could not build the veth pair %s/%s", np->if_a, np->if_b);
}

/** netns_pair_destroy - delete both namespaces (and so the veth). Idempotent. */
void netns_pair_destroy(struct netns_pair *np)
{
	if (!np->created)
		return;
	netns_return();
	netns_sh(NULL, "ip netns del %s 2>/dev/null", np->ns_a);
	netns_sh(NULL, "ip netns del %s 2>/dev/null", np->ns_b);
	np->created = false;
	if (netns_live == np)
		netns_live = NULL;
}

/** netns_enter - move this thread into @ns until netns_return().  Return: 0 or -errno. */
int netns_enter(const char *ns)
{
	char path[128];
	int fd, err = 0;

	if (netns_home < 0)
		netns_home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (setns(fd, CLONE_NEWNET))
		err = -1;
	close(fd);
	return err;
}

/** netns_return - back to the namespace the test started in. */
void netns_return(void)
{
	if (netns_home >= 0)
		setns(netns_home, CLONE_NEWNET);
}

/** netns_ifindex - ifindex of @ifname inside @ns, or -1. */
int netns_ifindex(const char *ns, const char *ifname)
{
	int idx;

	if (netns_enter(ns))
		return -1;
	idx = (int)if_nametoindex(ifname);
	netns_return();
	return idx ? idx : -1;
}

/** netns_ifmac - the hardware address of @ifname inside @ns.  Return: 0 or -1. */
int netns_ifmac(const char *ns, const char *ifname, uint8_t *mac)
{
	struct ifreq ifr;
	int fd, err = -1;

	if (netns_enter(ns))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd >= 0 && !ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		err = 0;
	}
	if (fd >= 0)
		close(fd);
	netns_return();
	return err;
}

/**
 * netns_packet_socket - a kernel AF_PACKET SOCK_RAW socket in @ns bound to
 * @ifname for ethertype @proto (host order), with a 200 ms receive timeout
 * so that no test read blocks for long.  Return: the fd or -1.
 */
int netns_packet_socket(const char *ns, const char *ifname, uint16_t proto)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200 * 1000 };
	struct sockaddr_ll sll = { 0 };
	int fd;

	if (netns_enter(ns))
		return -1;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))) {
		close(fd);
		fd = -1;
	}
	netns_return();
	return fd;
}

/** netns_socket - socket(@domain, @type, @proto) made inside @ns, or -1. */
int netns_socket(const char *ns, int domain, int type, int proto)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200 * 1000 };
	int fd;

	if (netns_enter(ns))
		return -1;
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	netns_return();
	return fd;
}
