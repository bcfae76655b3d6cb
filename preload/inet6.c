/*
 * inet6.c - the address and option rules of an IPv6 facade (inet6.h).
 *
 * An unmodified dual-stack server opens an AF_INET6 socket and binds ::;
 * Linux then carries its IPv4 traffic with IPv4-mapped addresses
 * ::ffff:a.b.c.d (ipv6(7); RFC 4291 §2.5.5.2; RFC 4038 §4.2).  The shim
 * serves such a socket as an skbos IPv4 socket (sockcalls.c, iocalls.c) and translates
 * addresses at its edge with these functions:
 *
 *   bind/connect/sendto (sockaddr_in6 in)  -> inet6_to_inet
 *   accept/getsockname/getpeername/recvfrom/recvmsg (out) -> inet6_from_inet
 *   setsockopt/getsockopt(IPPROTO_IPV6)    -> inet6_opt_check/inet6_opt_get
 *
 * The option rules are those of net/ipv6/ipv6_sockglue.c (do_ipv6_setsockopt,
 * do_ipv6_getsockopt) for the options that mean something, or nothing,
 * harmlessly, to a socket carrying IPv4.
 */
#include <errno.h>
#include <string.h>

#include "inet6.h"

#ifndef IPV6_RECVORIGDSTADDR
#define IPV6_RECVORIGDSTADDR 74
#endif
#ifndef IPV6_RECVFRAGSIZE
#define IPV6_RECVFRAGSIZE 77
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif
#ifndef IPV6_AUTOFLOWLABEL
#define IPV6_AUTOFLOWLABEL 70
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

/**
 * inet6_to_inet - what @s6 names, as IPv4.
 * @s6: an AF_INET6 address of at least SIN6_LEN_RFC2133 bytes (the caller checks)
 * @sin: filled with AF_INET, the port and the IPv4 address for INET6_ANY and
 *	INET6_MAPPED; zeroed for INET6_OTHER
 * Return: the kind of address.
 */
enum inet6_kind inet6_to_inet(const struct sockaddr_in6 *s6, struct sockaddr_in *sin)
{
	const struct in6_addr *a = &s6->sin6_addr;

	memset(sin, 0, sizeof(*sin));
	if (!IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_V4MAPPED(a))
		return INET6_OTHER;
	sin->sin_family = AF_INET;
	sin->sin_port = s6->sin6_port;
	/* RFC 4291 §2.5.5.2: the IPv4 address is the low-order 32 bits */
	memcpy(&sin->sin_addr, &a->s6_addr[12], sizeof(sin->sin_addr));
	return IN6_IS_ADDR_V4MAPPED(a) ? INET6_MAPPED : INET6_ANY;
}

/**
 * inet6_from_inet - an IPv4 address as the program of a facade sees it.
 * @sin: the IPv4 address and port skbos has
 * @out: where the sockaddr_in6 goes (may be NULL when @outlen is 0)
 * @outlen: its size: the copy is truncated to it, as Linux's move_addr_to_user
 * Return: sizeof(struct sockaddr_in6), the length the caller reports back.
 *
 * INADDR_ANY is ::, as Linux answers for a socket bound to :: or not bound
 * (inet6_getname: sk_v6_rcv_saddr); any other address is ::ffff:a.b.c.d.
 */
socklen_t inet6_from_inet(const struct sockaddr_in *sin, void *out, socklen_t outlen)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = sin->sin_port };

	if (sin->sin_addr.s_addr) {
		s6.sin6_addr.s6_addr[10] = 0xff;
		s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &sin->sin_addr, sizeof(sin->sin_addr));
	}
	if (outlen > sizeof(s6))
		outlen = sizeof(s6);
	if (outlen)
		memcpy(out, &s6, outlen);
	return sizeof(s6);
}

/* ---- IPPROTO_IPV6 options ----------------------------------------------------- */

enum opt_kind {
	OPT_BOOL,  /* any int, read as val != 0 */
	OPT_RANGE, /* min..max */
};

/* how Linux reads an option (do_ipv6_setsockopt's case for it) */
#define OPT_UNSET_M1 1u   /* -1 means "the default" (hop limits, traffic class) */
#define OPT_SET_DGRAM 2u  /* set on SOCK_STREAM: ENOPROTOOPT ("break" with retv unset) */
#define OPT_ANY_LEN 4u    /* no optlen check: a short value reads as 0 */
#define OPT_NO_ECN 8u     /* SOCK_STREAM keeps its own ECN bits (RFC 3168 §6.1.1) */

struct opt_rule {
	int name;
	enum opt_kind kind;
	int min, max;
	int dflt; /* getsockopt before any setsockopt */
	unsigned int flags;
};

static const struct opt_rule opt_rules[] = {
	/* IPV6_V6ONLY: the bound check is the caller's; the default is bindv6only */
	{ IPV6_V6ONLY, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_UNICAST_HOPS, OPT_RANGE, -1, 255, 64, OPT_UNSET_M1 },
	{ IPV6_MULTICAST_HOPS, OPT_RANGE, -1, 255, 1, OPT_UNSET_M1 | OPT_SET_DGRAM },
	{ IPV6_MULTICAST_LOOP, OPT_RANGE, 0, 1, 1, 0 },
	{ IPV6_TCLASS, OPT_RANGE, -1, 255, 0, OPT_UNSET_M1 | OPT_NO_ECN },
	{ IPV6_MTU_DISCOVER, OPT_RANGE, IPV6_PMTUDISC_DONT, 5 /* IPV6_PMTUDISC_OMIT */,
	  IPV6_PMTUDISC_WANT, 0 },
	{ IPV6_MINHOPCOUNT, OPT_RANGE, 0, 255, 0, 0 },
	{ IPV6_RECVPKTINFO, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVHOPLIMIT, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVTCLASS, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVRTHDR, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVHOPOPTS, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVDSTOPTS, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVPATHMTU, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVORIGDSTADDR, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_RECVFRAGSIZE, OPT_BOOL, 0, 0, 0, OPT_ANY_LEN },
	{ IPV6_RECVERR, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_DONTFRAG, OPT_BOOL, 0, 0, 0, OPT_ANY_LEN },
	/* sysctl net.ipv6.auto_flowlabels = 1 (opt-out): on */
	{ IPV6_AUTOFLOWLABEL, OPT_BOOL, 0, 0, 1, OPT_ANY_LEN },
	{ IPV6_FREEBIND, OPT_BOOL, 0, 0, 0, 0 },
	{ IPV6_MULTICAST_ALL, OPT_BOOL, 0, 0, 1, 0 },
};

static const struct opt_rule *opt_rule(int name)
{
	for (size_t i = 0; i < sizeof(opt_rules) / sizeof(opt_rules[0]); i++)
		if (opt_rules[i].name == name)
			return &opt_rules[i];
	return NULL;
}

/**
 * inet6_opt_check - would Linux take setsockopt(IPPROTO_IPV6, @name, @val, @len)
 * on an AF_INET6 socket of @type?
 * Return: 0, -EINVAL (short or out of range, as do_ipv6_setsockopt), -EFAULT
 * (no value), or -ENOPROTOOPT (not an option a facade keeps).
 */
int inet6_opt_check(int type, int name, const void *val, socklen_t len)
{
	const struct opt_rule *r = opt_rule(name);
	int v = 0;

	if (!r || ((r->flags & OPT_SET_DGRAM) && type == SOCK_STREAM))
		return -ENOPROTOOPT;
	if (len < sizeof(int) && !(r->flags & OPT_ANY_LEN))
		return -EINVAL;
	if (len >= sizeof(int) && !val)
		return -EFAULT;
	if (len >= sizeof(int))
		memcpy(&v, val, sizeof(v));
	if (r->kind == OPT_BOOL)
		return 0;
	return v < r->min || v > r->max ? -EINVAL : 0;
}

/**
 * inet6_opt_get - getsockopt(IPPROTO_IPV6, @name) of a facade.
 * @stored: the value last set (inet6_opt_check passed), or NULL if never set
 * @val: the answer
 * Return: 0 or -ENOPROTOOPT.
 */
int inet6_opt_get(int type, int name, const int *stored, int *val)
{
	const struct opt_rule *r = opt_rule(name);

	if (!r)
		return -ENOPROTOOPT;
	if (!stored || ((r->flags & OPT_UNSET_M1) && *stored == -1))
		*val = r->dflt;
	else
		*val = r->kind == OPT_BOOL ? *stored != 0 : *stored;
	/* skbos's TCP sets no ECN codepoint: those bits read 0 */
	if ((r->flags & OPT_NO_ECN) && type == SOCK_STREAM)
		*val &= ~3;
	return 0;
}

/*
 * A facade's sockaddr_in6 as IPv4 in @sin, with the checks inet6_bind and
 * tcp_v6_connect make first.  Return: its enum inet6_kind, or -errno.
 */
int facade_addr(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin)
{
	struct sockaddr_in6 s6 = { 0 };

	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (addr->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	memcpy(&s6, addr, len < sizeof(s6) ? len : sizeof(s6));
	return inet6_to_inet(&s6, sin);
}
