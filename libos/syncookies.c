/*
 * syncookies.c - SYN cookies (net/ipv4/syncookies.c): when a listener's SYN
 * queue is full, the SYN-ACK's sequence number carries what the connection
 * needs (its MSS, coarsely) and a keyed hash of the 4-tuple and a minute
 * counter.  Nothing is kept; the client's ACK rebuilds the connection.  A
 * SYN flood then costs the listener nothing and real clients still connect.
 *
 * Read first: RFC 4987 §3.6 (and what cookies lose: window scaling, SACK
 * and timestamps, unless encoded; skbos encodes none); Linux's
 * cookie_v4_init_sequence and __cookie_v4_check for the layout:
 *
 *   ISN = H(4-tuple, 0) + client ISN + (count << 24)
 *         + ((H(4-tuple, count) + MSS index) mod 2^24)
 */
#include <arpa/inet.h>
#include <string.h>

#include "tcp.h"
#include "checksum.h"
#include "route.h"
#include "stack.h"

#define COOKIEBITS 24
#define COOKIEMASK ((1u << COOKIEBITS) - 1)
#define MAX_SYNCOOKIE_AGE 2 /* minutes: a cookie older than this is refused */

/* The MSS values a cookie can say (Linux's msstab): the common ones. */
static const u16 msstab[] = { 536, 1300, 1440, 1460 };

/* H(4-tuple of the client's segment @iph/@th, count, c): keyed, unguessable. */
static u32 cookie_hash(const struct stack *st, const struct iphdr *iph, const struct tcphdr *th,
		       u32 count, u32 c)
{
	return (u32)siphash_2u64((u64)iph->saddr << 32 | iph->daddr,
				 (u64)th->source << 48 | (u64)th->dest << 32 | (u64)c << 31 | count,
				 st->ipv4.isn_key);
}

static u32 cookie_count(const struct stack *st)
{
	return (u32)(stack_now(st) / (60 * NSEC_PER_SEC));
}

/**
 * cookie_v4_init_sequence - the ISN for a SYN-ACK that keeps no state.
 * @skb: the client's SYN; *@mss gets the MSS the cookie promises (the
 *	largest table value not above the client's)
 */
u32 cookie_v4_init_sequence(struct stack *st, const struct sk_buff *skb, u16 *mss)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct tcp_options_received opt = { .mss_clamp = TCP_MSS_DEFAULT };
	u32 count = cookie_count(st), ind = 0;

	tcp_parse_options(th, &opt, true);
	while (ind + 1 < ARRAY_SIZE(msstab) && msstab[ind + 1] <= opt.mss_clamp)
		ind++;
	*mss = msstab[ind];
	return cookie_hash(st, iph, th, 0, 0) + ntohl(th->seq) + (count << COOKIEBITS) +
	       ((cookie_hash(st, iph, th, count, 1) + ind) & COOKIEMASK);
}

/**
 * cookie_v4_check - is @skb (an ACK to a listener) the answer to a cookie?
 * Return: the MSS the cookie carried, or -1.
 */
int cookie_v4_check(struct stack *st, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	u32 cookie = ntohl(th->ack_seq) - 1, seq = ntohl(th->seq) - 1, count = cookie_count(st);
	u32 diff, ind;

	cookie -= cookie_hash(st, iph, th, 0, 0) + seq;
	diff = (count - (cookie >> COOKIEBITS)) & ((u32)-1 >> COOKIEBITS);
	if (diff >= MAX_SYNCOOKIE_AGE)
		return -1;
	ind = (cookie - cookie_hash(st, iph, th, count - diff, 1)) & COOKIEMASK;
	return ind < ARRAY_SIZE(msstab) ? msstab[ind] : -1;
}

/**
 * tcp_v4_send_synack_cookie - answer the SYN @skb with a SYN-ACK whose ISN
 * is @cookie: MSS the only option, the window unscaled.
 */
void tcp_v4_send_synack_cookie(struct stack *st, struct sk_buff *skb, u32 cookie, u16 mss)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct flowi4 fl4 = { .daddr = iph->saddr, .saddr = iph->daddr, .proto = IPPROTO_TCP };
	unsigned int len = sizeof(struct tcphdr) + 4;
	struct sk_buff *n = alloc_skb(st, MAX_TCP_HEADER);
	struct tcphdr *rh;
	u8 *opt;

	if (!n)
		return;
	skb_reserve(n, MAX_TCP_HEADER);
	rh = (struct tcphdr *)(void *)skb_put_zero(n, len);
	rh->source = th->dest;
	rh->dest = th->source;
	rh->seq = htonl(cookie);
	rh->ack_seq = htonl(ntohl(th->seq) + 1);
	rh->doff = (u16)(len / 4);
	rh->syn = 1;
	rh->ack = 1;
	rh->window = htons(65535);
	opt = (u8 *)(rh + 1);
	opt[0] = TCPOPT_MSS;
	opt[1] = 4;
	opt[2] = (u8)(mss >> 8);
	opt[3] = (u8)mss;
	rh->check = csum_tcpudp_magic(iph->daddr, iph->saddr, len, IPPROTO_TCP, csum_partial(rh, len, 0));
	SNMP_INC_STATS(st, TCP_MIB_OUTSEGS);
	SNMP_INC_STATS(st, LINUX_MIB_SYNCOOKIESSENT);
	ip_build_and_send(st, n, &fl4, 0);
}
