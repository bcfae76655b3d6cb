/*
 * icmp.c - ICMP for IPv4 (net/ipv4/icmp.c).
 *
 * Read first: RFC 792; RFC 1122 §3.2.2 (when a host must not send an error,
 * what it does with one it receives); RFC 1812 §4.3.2.8 (rate limiting);
 * RFC 1191 (fragmentation needed -> path MTU).
 *
 *   ip_local_deliver_finish -> icmp_rcv -> icmp_echo (reply)
 *                                       -> ping_rcv (echo replies)
 *                                       -> icmp_unreach -> net_protocol->err_handler
 *   ip_local_deliver_finish / udp / ip_expire -> icmp_send (errors out)
 *   neighbour failure / DF -> icmp_local_error -> err_handler (no packet sent)
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "icmp.h"
#include "checksum.h"
#include "dst.h"
#include "inetdevice.h"
#include "raw.h"
#include "ip.h"
#include "ping.h"
#include "route.h"
#include "stack.h"
#include "portshare.h"

/* RFC 1812 §4.3.2.3: quote as much as fits in a 576-byte datagram. */
#define ICMP_ERR_MAX_QUOTE (576 - sizeof(struct iphdr) - sizeof(struct icmphdr))
#define IPTOS_PREC_INTERNETCONTROL 0xc0
#define ICMP_PEERS 256
#define XRLIM_BURST_FACTOR 6

struct icmp_peer {
	__be32 daddr;
	ktime_t rate_last;
	ktime_t rate_tokens;
};

struct icmp_state {
	struct icmp_peer peers[ICMP_PEERS];
	ktime_t global_stamp;
	u32 global_credit;
};

static bool icmp_is_error(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/* icmp_global_allow: msgs_per_sec tokens, at most msgs_burst saved up. */
static bool icmp_global_allow(struct stack *st, ktime_t now)
{
	struct icmp_state *is = st->ipv4.icmp;
	u64 incr = (now - is->global_stamp) * st->sysctl.icmp_msgs_per_sec / NSEC_PER_SEC;

	if (incr) {
		is->global_credit = (u32)min_t(u64, is->global_credit + incr, st->sysctl.icmp_msgs_burst);
		is->global_stamp = now;
	}
	if (!is->global_credit)
		return false;
	is->global_credit--;
	return true;
}

/*
 * inet_peer_xrlim_allow: per destination, one message per icmp_ratelimit
 * with a burst of XRLIM_BURST_FACTOR; a new destination starts with a full
 * burst.  The table is a small direct-mapped cache: a collision forgets the
 * older destination, which only ever makes the limit more permissive.
 */
static bool icmp_peer_allow(struct stack *st, __be32 daddr, ktime_t now)
{
	struct icmp_peer *p = &st->ipv4.icmp->peers[((u32)daddr * 0x9e3779b1u) >> 24];
	ktime_t timeout = st->sysctl.icmp_ratelimit, token;

	if (p->daddr != daddr) {
		p->daddr = daddr;
		p->rate_tokens = XRLIM_BURST_FACTOR * timeout;
		p->rate_last = now;
	}
	token = p->rate_tokens + (now - p->rate_last);
	if (token > XRLIM_BURST_FACTOR * timeout)
		token = XRLIM_BURST_FACTOR * timeout;
	p->rate_last = now;
	if (token < timeout) {
		p->rate_tokens = token;
		return false;
	}
	p->rate_tokens = token - timeout;
	return true;
}

/* icmpv4_xrlim_allow: which messages are limited is icmp_ratemask's choice. */
static bool icmp_xrlim_allow(struct stack *st, u8 type, u8 code, __be32 daddr)
{
	ktime_t now = stack_now(st);

	if (type >= 32 || !(st->sysctl.icmp_ratemask & (1u << type)))
		return true;
	/* Never limit "fragmentation needed": path MTU discovery depends on it. */
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		return true;
	if (!st->sysctl.icmp_ratelimit)
		return true;
	/* Linux: "No rate limit on loopback" (to an address of our own) */
	if (inet_addr_type(st, daddr) == RTN_LOCAL)
		return true;
	if (!icmp_global_allow(st, now) || !icmp_peer_allow(st, daddr, now)) {
		SNMP_INC_STATS(st, ICMP_MIB_OUTRATELIMITED);
		return false;
	}
	return true;
}

static void icmp_count_out(struct stack *st, u8 type)
{
	SNMP_INC_STATS(st, ICMP_MIB_OUTMSGS);
	switch (type) {
	case ICMP_DEST_UNREACH:
		SNMP_INC_STATS(st, ICMP_MIB_OUTDESTUNREACHS);
		break;
	case ICMP_TIME_EXCEEDED:
		SNMP_INC_STATS(st, ICMP_MIB_OUTTIMEEXCDS);
		break;
	case ICMP_ECHO:
		SNMP_INC_STATS(st, ICMP_MIB_OUTECHOS);
		break;
	case ICMP_ECHOREPLY:
		SNMP_INC_STATS(st, ICMP_MIB_OUTECHOREPS);
		break;
	}
}

/*
 * RFC 1122 §3.2.2: an ICMP error must not be sent about an ICMP error, a
 * datagram to a broadcast or multicast address (IP or link layer), a
 * fragment other than the first, or a datagram whose source is not one
 * host.  @quote points at the offending IP header; @avail bytes are there.
 */
static bool icmp_error_allowed(const struct sk_buff *skb_in, const struct iphdr *iph,
			       unsigned int avail)
{
	const struct rtable *rt = skb_rtable(skb_in);

	if (iph->frag_off & htons(IP_OFFSET))
		return false;
	if (skb_in->pkt_type == PACKET_BROADCAST || skb_in->pkt_type == PACKET_MULTICAST)
		return false;
	if (rt && (rt->rt_type == RTN_BROADCAST || rt->rt_type == RTN_MULTICAST))
		return false;
	if (ipv4_is_zeronet(iph->saddr) || ipv4_is_lbcast(iph->saddr) ||
	    ipv4_is_multicast(iph->saddr) || ipv4_is_badclass(iph->saddr))
		return false;
	if (iph->protocol == IPPROTO_ICMP) {
		unsigned int hl = iph->ihl * 4u;
		const u8 *inner = (const u8 *)iph + hl;

		if (avail < hl + 1 || icmp_is_error(inner[0]) || inner[0] >= NR_ICMP_TYPES)
			return false;
	}
	return true;
}

/**
 * icmp_send - send an ICMP error about @skb_in (whose network header is the
 * offending datagram) back to its source.  Borrows @skb_in.
 * @info: network order: the next-hop MTU (in the low 16 bits) for
 *	"fragmentation needed", the pointer for parameter problems, else 0
 */
void icmp_send(struct sk_buff *skb_in, u8 type, u8 code, __be32 info)
{
	struct stack *st = skb_in->stack;
	const struct iphdr *iph = ip_hdr(skb_in);
	unsigned int avail = (unsigned int)(skb_tail_pointer(skb_in) - skb_network_header(skb_in));
	unsigned int quote = min_t(unsigned int, avail, ntohs(iph->tot_len));
	struct flowi4 fl4 = { 0 };
	struct icmphdr *icmph;
	struct sk_buff *skb;

	if (avail < sizeof(struct iphdr) || !icmp_error_allowed(skb_in, iph, avail))
		return;
	if (!icmp_xrlim_allow(st, type, code, iph->saddr))
		return;
	if (quote > ICMP_ERR_MAX_QUOTE)
		quote = ICMP_ERR_MAX_QUOTE;
	skb = alloc_skb(st, MAX_HEADER + sizeof(*icmph) + quote);
	if (!skb) {
		SNMP_INC_STATS(st, ICMP_MIB_OUTERRORS);
		return;
	}
	skb_reserve(skb, MAX_HEADER);
	icmph = (struct icmphdr *)(void *)skb_put(skb, sizeof(*icmph));
	icmph->type = type;
	icmph->code = code;
	icmph->checksum = 0;
	icmph->un.gateway = info;
	skb_put_data(skb, iph, quote);
	icmph->checksum = ip_compute_csum(skb->data, skb->len);

	fl4.daddr = iph->saddr;
	/* Answer from the address the datagram was sent to, if it is ours. */
	fl4.saddr = inet_addr_type(st, iph->daddr) == RTN_LOCAL ? iph->daddr : 0;
	fl4.proto = IPPROTO_ICMP;
	fl4.tos = (iph->tos & 0x1e) | IPTOS_PREC_INTERNETCONTROL;
	icmp_count_out(st, type);
	ip_build_and_send(st, skb, &fl4, 0);
}

static const struct {
	int errno_val;
	bool fatal;
} icmp_unreach_errors[NR_ICMP_UNREACH + 1] = {
	{ ENETUNREACH, false },  /* NET_UNREACH */
	{ EHOSTUNREACH, false }, /* HOST_UNREACH */
	{ ENOPROTOOPT, true },   /* PROT_UNREACH */
	{ ECONNREFUSED, true },  /* PORT_UNREACH */
	{ EMSGSIZE, false },     /* FRAG_NEEDED */
	{ EOPNOTSUPP, false },   /* SR_FAILED */
	{ ENETUNREACH, true },   /* NET_UNKNOWN */
	{ EHOSTDOWN, true },     /* HOST_UNKNOWN */
	{ ENONET, true },        /* HOST_ISOLATED */
	{ ENETUNREACH, true },   /* NET_ANO */
	{ EHOSTUNREACH, true },  /* HOST_ANO */
	{ ENETUNREACH, false },  /* NET_UNR_TOS */
	{ EHOSTUNREACH, false }, /* HOST_UNR_TOS */
	{ EHOSTUNREACH, true },  /* PKT_FILTERED */
	{ EHOSTUNREACH, true },  /* PREC_VIOLATION */
	{ EHOSTUNREACH, true },  /* PREC_CUTOFF */
};

/**
 * icmp_err_convert - the errno a socket reports for an ICMP error, and
 * whether it is fatal to a connection (Linux's icmp_err_convert table;
 * RFC 1122 §4.2.3.9: only some unreachables abort TCP).
 */
int icmp_err_convert(u8 type, u8 code, bool *fatal)
{
	*fatal = false;
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH)
			return EHOSTUNREACH;
		*fatal = icmp_unreach_errors[code].fatal;
		return icmp_unreach_errors[code].errno_val;
	case ICMP_TIME_EXCEEDED:
		return EHOSTUNREACH;
	case ICMP_PARAMETERPROB:
		*fatal = true;
		return EPROTO;
	default:
		return 0;
	}
}

/* Hand an error about one of our datagrams (data at its IP header) to its transport. */
static void icmp_deliver_error(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	const struct iphdr *inner = (const struct iphdr *)(const void *)skb->data;
	const struct net_protocol *prot = skb->stack->ipv4.protos[inner->protocol];

	/* icmp_socket_deliver: raw sockets of the protocol first */
	if (!(IPCB(skb)->flags & IPSKB_LOCAL_ERROR))
		raw_icmp_error(skb, type, code, info);
	if (prot && prot->err_handler)
		prot->err_handler(skb, type, code, info);
}

/**
 * icmp_local_error - this stack could not send @skb (its network header is
 * set): report it to the sending transport as the matching ICMP error would
 * be (Linux sends itself an ICMP through loopback; skbos calls the error
 * handler directly).  Borrows @skb.
 */
void icmp_local_error(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	unsigned char *data = skb->data;
	unsigned int len = skb->len;

	if (!skb_network_header_was_set(skb))
		return;
	skb->len = (unsigned int)(skb_tail_pointer(skb) - skb_network_header(skb));
	skb->data = skb_network_header(skb);
	if (skb->len >= sizeof(struct iphdr) + 8) {
		IPCB(skb)->flags |= IPSKB_LOCAL_ERROR;
		icmp_deliver_error(skb, type, code, info);
	}
	skb->data = data;
	skb->len = len;
}

/**
 * icmp_err_update_pmtu - an err_handler matched a "fragmentation needed"
 * (@info: the next-hop MTU) to one of its sockets, and TCP to data in
 * flight: only now is the path MTU to the quoted destination lowered.  As
 * Linux, where each err_handler calls ipv4_sk_update_pmtu and icmp_unreach
 * does not, a forged error about no one's traffic (or quoting a sequence
 * number never sent, RFC 5927 §4.1) changes nothing.  @skb's data is at the
 * quoted IP header.  Borrows @skb.
 */
void icmp_err_update_pmtu(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)(const void *)skb->data;

	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED && info >= IPV4_MIN_MTU &&
	    !(IPCB(skb)->flags & IPSKB_LOCAL_ERROR))
		ipv4_update_pmtu(skb->stack, iph->daddr, info);
}

/*
 * An error about a datagram we sent: validate the quoted header (RFC 792: it
 * carries the IP header and at least 64 bits of data), learn the path MTU,
 * and tell the transport.
 */
static void icmp_unreach(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct icmphdr *icmph = icmp_hdr(skb);
	const struct iphdr *inner;
	u32 info = 0;

	if (icmph->type == ICMP_DEST_UNREACH)
		SNMP_INC_STATS(st, ICMP_MIB_INDESTUNREACHS);
	else if (icmph->type == ICMP_TIME_EXCEEDED)
		SNMP_INC_STATS(st, ICMP_MIB_INTIMEEXCDS);
	if (!pskb_may_pull(skb, sizeof(*icmph) + sizeof(struct iphdr)))
		goto invalid;
	inner = (const struct iphdr *)(const void *)(skb->data + sizeof(*icmph));
	if (inner->ihl < 5 || inner->version != 4 ||
	    !pskb_may_pull(skb, sizeof(*icmph) + inner->ihl * 4u + 8))
		goto invalid;
	/* Only believe errors about datagrams that we could have sent. */
	if (inet_addr_type(st, inner->saddr) != RTN_LOCAL)
		goto invalid;
	/* the transport that owns the quoted datagram learns the path MTU
	 * (icmp_err_update_pmtu), not this function: see there */
	if (icmph->type == ICMP_DEST_UNREACH && icmph->code == ICMP_FRAG_NEEDED)
		info = ntohs(icmph->un.frag.mtu);
	__skb_pull(skb, sizeof(*icmph));
	icmp_deliver_error(skb, icmph->type, icmph->code, info);
	consume_skb(skb);
	return;
invalid:
	SNMP_INC_STATS(st, ICMP_MIB_INERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_ICMP_INVALID);
}

/* RFC 792 / RFC 1122 §3.2.2.6: echo the data back, same id and sequence. */
static void icmp_echo(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct iphdr *iph = ip_hdr(skb);
	struct flowi4 fl4 = { 0 };
	struct icmphdr *icmph;
	struct sk_buff *reply = alloc_skb(st, MAX_HEADER + skb->len);

	if (!reply) {
		SNMP_INC_STATS(st, ICMP_MIB_OUTERRORS);
		return;
	}
	skb_reserve(reply, MAX_HEADER);
	skb_put_data(reply, skb->data, skb->len);
	icmph = (struct icmphdr *)(void *)reply->data;
	icmph->type = ICMP_ECHOREPLY;
	icmph->checksum = 0;
	icmph->checksum = ip_compute_csum(reply->data, reply->len);
	fl4.daddr = iph->saddr;
	fl4.saddr = skb_rtable(skb)->rt_type == RTN_LOCAL ? iph->daddr : 0;
	fl4.proto = IPPROTO_ICMP;
	fl4.tos = iph->tos;
	icmp_count_out(st, ICMP_ECHOREPLY);
	ip_build_and_send(st, reply, &fl4, 0);
}

/**
 * icmp_rcv - the IPPROTO_ICMP handler; @skb's data is at the ICMP header.
 * Consumes @skb.
 */
int icmp_rcv(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct rtable *rt = skb_rtable(skb);
	const struct icmphdr *icmph;

	SNMP_INC_STATS(st, ICMP_MIB_INMSGS);
	if (!pskb_may_pull(skb, sizeof(*icmph))) {
		SNMP_INC_STATS(st, ICMP_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
		return 0;
	}
	if (skb->ip_summed != CHECKSUM_UNNECESSARY && ip_compute_csum(skb->data, skb->len)) {
		SNMP_INC_STATS(st, ICMP_MIB_INCSUMERRORS);
		SNMP_INC_STATS(st, ICMP_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_ICMP_CSUM);
		return 0;
	}
	icmph = icmp_hdr(skb);
	/* RFC 1122 §3.2.2.6: an echo to a broadcast address may be ignored (Linux does). */
	if (rt && (rt->rt_type == RTN_BROADCAST || rt->rt_type == RTN_MULTICAST) &&
	    (icmph->type != ICMP_ECHO || st->sysctl.icmp_echo_ignore_broadcasts)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_ICMP_INVALID);
		return 0;
	}
	switch (icmph->type) {
	case ICMP_ECHO:
		SNMP_INC_STATS(st, ICMP_MIB_INECHOS);
		/* One reply per request when processes share the address. */
		if (stack_is_responder(st))
			icmp_echo(skb);
		consume_skb(skb);
		return 0;
	case ICMP_ECHOREPLY:
		SNMP_INC_STATS(st, ICMP_MIB_INECHOREPS);
		return ping_rcv(skb);
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
	case ICMP_SOURCE_QUENCH:
		icmp_unreach(skb);
		return 0;
	default:
		/* Redirects, timestamps and the rest: a host may ignore them. */
		consume_skb(skb);
		return 0;
	}
}

/* Errors about ICMP we sent (our echo requests) go to the ping sockets. */
static const struct net_protocol icmp_protocol = {
	.handler = icmp_rcv,
	.err_handler = ping_err,
};

/** icmp_init - the ICMP state and protocol handler of @st. Return: 0 or -errno. */
int icmp_init(struct stack *st)
{
	st->ipv4.icmp = kzalloc(st->failslab, sizeof(struct icmp_state));
	if (!st->ipv4.icmp)
		return -ENOMEM;
	st->ipv4.icmp->global_credit = st->sysctl.icmp_msgs_burst;
	st->ipv4.icmp->global_stamp = stack_now(st);
	return inet_add_protocol(st, &icmp_protocol, IPPROTO_ICMP);
}

void icmp_exit(struct stack *st)
{
	inet_del_protocol(st, &icmp_protocol, IPPROTO_ICMP);
	kfree(st->failslab, st->ipv4.icmp);
	st->ipv4.icmp = NULL;
}
