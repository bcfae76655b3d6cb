/*
 * icmp.c - ICMPv6 (net/ipv6/icmp.c): echo, errors in and out, and the
 * dispatch of Neighbour Discovery.
 *
 * Read first: RFC 4443 §2.4 (when an error must not be sent, what to do
 * with one received), §2.3 (checksum over the pseudo-header of RFC 8200
 * §8.1), §4 (echo).
 *
 *   ip6_input_finish -> icmpv6_rcv -> echo request: icmpv6_echo_reply
 *                                  -> types 133..137: ndisc_rcv
 *                                  -> errors: icmpv6_notify -> err_handler
 *   ip6 input / reassembly / transports -> icmpv6_send (rate limited)
 */
#include <arpa/inet.h>
#include <string.h>

#include "alloc.h"
#include "addrconf.h"
#include "checksum.h"
#include "icmpv6.h"
#include "ip6_route.h"
#include "ndisc.h"
#include "netdevice.h"
#include "stack.h"

/* RFC 4443 §2.4(c): as much of the invoking packet as fits in the minimum MTU. */
#define ICMPV6_ERR_MAX_QUOTE (IPV6_MIN_MTU - sizeof(struct ipv6hdr) - sizeof(struct icmp6hdr))
#define ICMPV6_PEERS 256
#define XRLIM_BURST_FACTOR 6

struct icmpv6_peer {
	struct in6_addr daddr;
	ktime_t rate_last;
	ktime_t rate_tokens;
};

struct icmpv6_state {
	struct icmpv6_peer peers[ICMPV6_PEERS];
};

/**
 * csum_ipv6_magic - fold @sum (over the transport header and data) with the
 * IPv6 pseudo-header of RFC 8200 §8.1: addresses, upper-layer length, next
 * header.  Return: the checksum to store (0 when verifying a valid packet).
 */
__sum16 csum_ipv6_magic(const struct in6_addr *saddr, const struct in6_addr *daddr, u32 len,
			u8 proto, __wsum sum)
{
	__be32 tail[2] = { htonl(len), htonl(proto) };

	sum = csum_partial(saddr, sizeof(*saddr), sum);
	sum = csum_partial(daddr, sizeof(*daddr), sum);
	sum = csum_partial(tail, sizeof(tail), sum);
	return csum_fold(sum);
}

/*
 * RFC 4443 §2.4(f) asks every node to limit the rate of its errors; as
 * Linux, one per net.ipv6.icmp.ratelimit per destination with a burst of
 * XRLIM_BURST_FACTOR (inet_peer_xrlim_allow), a direct-mapped peer cache
 * whose collisions only forget (make it more permissive).  Informational
 * messages and Packet Too Big are never limited (PMTU discovery needs it).
 */
static bool icmpv6_xrlim_allow(struct stack *st, u8 type, const struct in6_addr *daddr)
{
	ktime_t now = stack_now(st), timeout = st->sysctl.icmpv6_ratelimit, token;
	u32 w[4], h;
	struct icmpv6_peer *p;

	if (type >= 128 || type == ICMPV6_PKT_TOOBIG || !timeout)
		return true;
	memcpy(w, daddr, sizeof(w));
	h = (w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9e3779b1u;
	p = &st->ipv6.icmp->peers[h >> 24];
	if (!ipv6_addr_equal(&p->daddr, daddr)) {
		p->daddr = *daddr;
		p->rate_tokens = XRLIM_BURST_FACTOR * timeout;
		p->rate_last = now;
	}
	token = p->rate_tokens + (now - p->rate_last);
	if (token > XRLIM_BURST_FACTOR * timeout)
		token = XRLIM_BURST_FACTOR * timeout;
	p->rate_last = now;
	if (token < timeout) {
		p->rate_tokens = token;
		SNMP_INC_STATS(st, ICMP6_MIB_OUTRATELIMITHOST);
		return false;
	}
	p->rate_tokens = token - timeout;
	return true;
}

static void icmpv6_count_out(struct stack *st, u8 type)
{
	static const enum snmp_mib out[] = {
		[ICMPV6_DEST_UNREACH] = ICMP6_MIB_OUTDESTUNREACHS,
		[ICMPV6_PKT_TOOBIG] = ICMP6_MIB_OUTPKTTOOBIGS,
		[ICMPV6_TIME_EXCEED] = ICMP6_MIB_OUTTIMEEXCDS,
		[ICMPV6_PARAMPROB] = ICMP6_MIB_OUTPARMPROBLEMS,
	};

	SNMP_INC_STATS(st, ICMP6_MIB_OUTMSGS);
	if (type < ARRAY_SIZE(out) && out[type])
		SNMP_INC_STATS(st, out[type]);
	else if (type == ICMPV6_ECHO_REPLY)
		SNMP_INC_STATS(st, ICMP6_MIB_OUTECHOREPLIES);
	else if (type == NDISC_NEIGHBOUR_SOLICITATION)
		SNMP_INC_STATS(st, ICMP6_MIB_OUTNEIGHBORSOLICITS);
	else if (type == NDISC_NEIGHBOUR_ADVERTISEMENT)
		SNMP_INC_STATS(st, ICMP6_MIB_OUTNEIGHBORADVERTISEMENTS);
}

/**
 * icmpv6_push_and_send - checksum the ICMPv6 message in @skb (data at its
 * ICMPv6 header) for @saddr -> @daddr, route it out of @dev (NULL: by the
 * FIB) and send it.  @saddr NULL: chosen by the route; unspecified: kept
 * so (DAD's solicitations, RFC 4862 §5.4.2).  Consumes @skb.
 * Return: 0 or -errno.
 */
int icmpv6_push_and_send(struct net_device *dev, struct sk_buff *skb,
			 const struct in6_addr *saddr, const struct in6_addr *daddr, u8 hop_limit)
{
	struct stack *st = skb->stack;
	struct flowi6 fl6 = { .daddr = *daddr, .proto = NEXTHDR_ICMP,
			      .oif = dev ? dev->ifindex : 0 };
	struct icmp6hdr *h = (struct icmp6hdr *)(void *)skb->data;
	bool unspec = saddr && ipv6_addr_any(saddr);
	struct rt6_info *rt;

	if (saddr && !unspec)
		fl6.saddr = *saddr;
	rt = ip6_route_output(st, &fl6);
	if (IS_ERR(rt)) {
		SNMP_INC_STATS(st, IPSTATS6_MIB_OUTNOROUTES);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	if (unspec) {
		memset(&fl6.saddr, 0, sizeof(fl6.saddr));
	} else if (ipv6_addr_any(&fl6.saddr)) {
		/* no usable address yet (all tentative): only DAD may speak */
		dst_release(&rt->dst);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
		return -EADDRNOTAVAIL;
	}
	h->icmp6_cksum = 0;
	h->icmp6_cksum = csum_ipv6_magic(&fl6.saddr, daddr, skb->len, NEXTHDR_ICMP,
					 csum_partial(skb->data, skb->len, 0));
	icmpv6_count_out(st, h->icmp6_type);
	skb_dst_set(skb, &rt->dst);
	return ip6_xmit(st, skb, &fl6.saddr, daddr, NEXTHDR_ICMP, hop_limit, 0);
}

/* Is the packet at @off (a header of type @nexthdr) an ICMPv6 error message? */
static bool icmpv6_quotes_error(const struct sk_buff *skb, const struct ipv6hdr *ip6h)
{
	const u8 *p = (const u8 *)(ip6h + 1), *end = skb_tail_pointer(skb);
	u8 nexthdr = ip6h->nexthdr;

	/* skip extension headers, as ipv6_skip_exthdr */
	while (nexthdr == NEXTHDR_HOP || nexthdr == NEXTHDR_ROUTING || nexthdr == NEXTHDR_DEST ||
	       nexthdr == NEXTHDR_FRAGMENT) {
		if (end - p < 8)
			return true; /* cannot tell: say yes, and send nothing */
		if (nexthdr == NEXTHDR_FRAGMENT) {
			const struct frag_hdr *fh = (const void *)p;

			if (fh->frag_off & htons(IP6_OFFSET))
				return false; /* not the first fragment: no header to see */
			nexthdr = fh->nexthdr;
			p += 8;
		} else {
			nexthdr = p[0];
			p += (p[1] + 1u) * 8;
		}
	}
	if (nexthdr != NEXTHDR_ICMP)
		return false;
	/* §2.4(e.1): errors and redirects are never answered with an error */
	return end - p < 1 || p[0] < 128 || p[0] == NDISC_REDIRECT;
}

/*
 * RFC 4443 §2.4(e): no error about an error (e.1), about a packet to a
 * multicast address or one sent as link-layer multicast/broadcast (e.3,
 * e.4; except Packet Too Big and an unknown option whose type asks for a
 * report), or about a packet whose source is not one node (e.5).
 */
static bool icmpv6_error_allowed(const struct sk_buff *skb_in, const struct ipv6hdr *ip6h,
				 u8 type, u8 code)
{
	bool exempt = type == ICMPV6_PKT_TOOBIG ||
		      (type == ICMPV6_PARAMPROB && code == ICMPV6_UNK_OPTION);

	if (!exempt && (ipv6_addr_is_multicast(&ip6h->daddr) ||
			skb_in->pkt_type == PACKET_MULTICAST || skb_in->pkt_type == PACKET_BROADCAST))
		return false;
	if (ipv6_addr_any(&ip6h->saddr) || ipv6_addr_is_multicast(&ip6h->saddr))
		return false;
	return !icmpv6_quotes_error(skb_in, ip6h);
}

/**
 * icmpv6_send - send an ICMPv6 error about @skb_in (its network header is
 * the offending packet) to its source.  Borrows @skb_in.
 * @info: host order: the MTU for Packet Too Big, the pointer for
 *	Parameter Problem, else 0
 */
void icmpv6_send(struct sk_buff *skb_in, u8 type, u8 code, u32 info)
{
	struct stack *st = skb_in->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb_in);
	unsigned int avail = (unsigned int)(skb_tail_pointer(skb_in) - skb_network_header(skb_in));
	const struct in6_addr *saddr = NULL;
	struct icmp6hdr *h;
	struct sk_buff *skb;

	if (avail < sizeof(*ip6h) || !icmpv6_error_allowed(skb_in, ip6h, type, code))
		return;
	if (!icmpv6_xrlim_allow(st, type, &ip6h->saddr))
		return;
	/* Answer from the address it was sent to, when that is ours. */
	if (!ipv6_addr_is_multicast(&ip6h->daddr) && ipv6_chk_addr(st, &ip6h->daddr, NULL))
		saddr = &ip6h->daddr;
	if (avail > ICMPV6_ERR_MAX_QUOTE)
		avail = ICMPV6_ERR_MAX_QUOTE;
	skb = alloc_skb(st, MAX_HEADER + sizeof(*h) + avail);
	if (!skb) {
		SNMP_INC_STATS(st, ICMP6_MIB_OUTERRORS);
		return;
	}
	skb_reserve(skb, MAX_HEADER);
	h = (struct icmp6hdr *)(void *)skb_put_zero(skb, sizeof(*h));
	h->icmp6_type = type;
	h->icmp6_code = code;
	h->icmp6_pointer = htonl(info);
	skb_put_data(skb, skb_network_header(skb_in), avail);
	icmpv6_push_and_send(ipv6_addr_linklocal(&ip6h->saddr) ? skb_in->dev : NULL, skb, saddr,
			     &ip6h->saddr, 0);
}

/** icmpv6_param_prob - Parameter Problem @code pointing @pos bytes into the packet. */
void icmpv6_param_prob(struct sk_buff *skb, u8 code, unsigned int pos)
{
	icmpv6_send(skb, ICMPV6_PARAMPROB, code, pos);
}

/* RFC 4443 §4.2: the reply carries the request's identifier, sequence and data. */
static void icmpv6_echo_reply(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct in6_addr *saddr = NULL;
	struct icmp6hdr *h;
	struct sk_buff *r;

	/* A multicast request is answered from a unicast address (§4.2). */
	if (!ipv6_addr_is_multicast(&ip6h->daddr))
		saddr = &ip6h->daddr;
	r = alloc_skb(st, MAX_HEADER + skb->len);
	if (!r) {
		SNMP_INC_STATS(st, ICMP6_MIB_OUTERRORS);
		return;
	}
	skb_reserve(r, MAX_HEADER);
	h = (struct icmp6hdr *)(void *)skb_put_data(r, skb->data, skb->len);
	h->icmp6_type = ICMPV6_ECHO_REPLY;
	icmpv6_push_and_send(ipv6_addr_linklocal(&ip6h->saddr) ? skb->dev : NULL, r, saddr,
			     &ip6h->saddr, 0);
}

/**
 * icmpv6_err_convert - the errno an ICMPv6 error means to a socket, and
 * whether it is a hard one (Linux's icmpv6_err_convert, RFC 4443 §3):
 * no route and time exceeded are soft (the path may come back), an
 * administrative block, an unreachable port and a parameter problem hard.
 * Return: a positive errno, or 0 for a type that is no error (Packet Too
 * Big: the path MTU).
 */
int icmpv6_err_convert(u8 type, u8 code, bool *fatal)
{
	*fatal = false;
	switch (type) {
	case ICMPV6_DEST_UNREACH:
		if (code == ICMPV6_ADM_PROHIBITED) {
			*fatal = true;
			return EACCES;
		}
		if (code == ICMPV6_PORT_UNREACH) {
			*fatal = true;
			return ECONNREFUSED;
		}
		return EHOSTUNREACH;
	case ICMPV6_TIME_EXCEED:
		return EHOSTUNREACH;
	case ICMPV6_PARAMPROB:
		*fatal = true;
		return EPROTO;
	default:
		return 0;
	}
}

/*
 * An error about a packet we sent (§2.4(b)): find the quoted packet's
 * upper-layer protocol past its extension headers and tell it.
 * skb->data is at the ICMPv6 header.
 */
static void icmpv6_notify(struct sk_buff *skb, u8 type, u8 code, __be32 info)
{
	struct stack *st = skb->stack;
	const struct ipv6hdr *inner;
	const struct inet6_protocol *prot;
	const u8 *p, *end = skb_tail_pointer(skb);
	u8 nexthdr;

	if (skb->len < sizeof(struct icmp6hdr) + sizeof(*inner))
		return;
	inner = (const struct ipv6hdr *)(void *)(skb->data + sizeof(struct icmp6hdr));
	if (type == ICMPV6_PKT_TOOBIG)
		rt6_update_pmtu(st, &inner->daddr, ntohl(info));
	p = (const u8 *)(inner + 1);
	nexthdr = inner->nexthdr;
	while (nexthdr == NEXTHDR_HOP || nexthdr == NEXTHDR_ROUTING || nexthdr == NEXTHDR_DEST ||
	       nexthdr == NEXTHDR_FRAGMENT) {
		if (end - p < 8)
			return;
		if (nexthdr == NEXTHDR_FRAGMENT) {
			nexthdr = p[0];
			p += 8;
		} else {
			nexthdr = p[0];
			p += (p[1] + 1u) * 8;
		}
	}
	prot = st->ipv6.protos[nexthdr];
	if (prot && prot->err_handler && p <= end) {
		int offset = (int)(p - skb->data);

		prot->err_handler(skb, type, code, offset, info);
	}
}

static bool icmpv6_csum_ok(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	/* A kernel peer on veth may hand over its own partial checksum (udp.c). */
	if (skb->ip_summed == CHECKSUM_UNNECESSARY || skb->ip_summed == CHECKSUM_PARTIAL)
		return true;
	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, skb->len, NEXTHDR_ICMP,
				csum_partial(skb->data, skb->len, 0));
}

/**
 * icmpv6_rcv - the NEXTHDR_ICMP handler.  skb->data is at the ICMPv6
 * header.  Consumes @skb.
 */
int icmpv6_rcv(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct icmp6hdr *h;

	SNMP_INC_STATS(st, ICMP6_MIB_INMSGS);
	if (skb->len < sizeof(*h)) {
		SNMP_INC_STATS(st, ICMP6_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_ICMP_INVALID);
		return 0;
	}
	if (!icmpv6_csum_ok(skb)) {
		SNMP_INC_STATS(st, ICMP6_MIB_INCSUMERRORS);
		SNMP_INC_STATS(st, ICMP6_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_ICMP_CSUM);
		return 0;
	}
	h = (const struct icmp6hdr *)(void *)skb->data;
	switch (h->icmp6_type) {
	case ICMPV6_ECHO_REQUEST:
		SNMP_INC_STATS(st, ICMP6_MIB_INECHOS);
		icmpv6_echo_reply(skb);
		break;
	case ICMPV6_ECHO_REPLY:
		/* no ping6 sockets yet: counted, then dropped */
		SNMP_INC_STATS(st, ICMP6_MIB_INECHOREPLIES);
		break;
	case NDISC_ROUTER_SOLICITATION:
	case NDISC_ROUTER_ADVERTISEMENT:
	case NDISC_NEIGHBOUR_SOLICITATION:
	case NDISC_NEIGHBOUR_ADVERTISEMENT:
	case NDISC_REDIRECT:
		return ndisc_rcv(skb);
	case ICMPV6_PKT_TOOBIG:
		SNMP_INC_STATS(st, ICMP6_MIB_INPKTTOOBIGS);
		/* fall through */
	case ICMPV6_DEST_UNREACH:
	case ICMPV6_TIME_EXCEED:
	case ICMPV6_PARAMPROB:
		icmpv6_notify(skb, h->icmp6_type, h->icmp6_code, h->icmp6_mtu);
		break;
	default:
		/* §2.4(a)/(b): an unknown informational message is discarded;
		 * an unknown error goes to the upper layer */
		if (h->icmp6_type < 128)
			icmpv6_notify(skb, h->icmp6_type, h->icmp6_code, h->icmp6_mtu);
		break;
	}
	consume_skb(skb);
	return 0;
}

static const struct inet6_protocol icmpv6_protocol = {
	.handler = icmpv6_rcv,
};

int icmpv6_init(struct stack *st)
{
	st->ipv6.icmp = kzalloc(st->failslab, sizeof(*st->ipv6.icmp));
	if (!st->ipv6.icmp)
		return -ENOMEM;
	return inet6_add_protocol(st, &icmpv6_protocol, NEXTHDR_ICMP);
}

void icmpv6_exit(struct stack *st)
{
	inet6_del_protocol(st, &icmpv6_protocol, NEXTHDR_ICMP);
	kfree(st->failslab, st->ipv6.icmp);
	st->ipv6.icmp = NULL;
}
