/*
 * syncookies.c - SYN cookies (net/ipv4/syncookies.c): when a listener's SYN
 * queue is full, the SYN-ACK's sequence number carries what the connection
 * needs (its MSS, coarsely) and a keyed hash of the 4-tuple and a minute
 * counter.  Nothing is kept; the client's ACK rebuilds the connection.  A
 * SYN flood then costs the listener nothing and real clients still connect.
 *
 * Read first: RFC 4987 §3.6 (and what cookies lose: window scaling, SACK
 * and timestamps, unless encoded); Linux's cookie_v4_init_sequence and
 * __cookie_v4_check for the layout:
 *
 *   ISN = H(4-tuple, 0) + client ISN + (count << 24)
 *         + ((H(4-tuple, count) + MSS index) mod 2^24)
 *
 * When the client sends timestamps, the other options ride in the low six
 * bits of our SYN-ACK's TSval, which the client echoes in every TSecr
 * (Linux's cookie_init_timestamp): its window scale (15: none) and
 * SACK-permitted.  Without timestamps a cookie connection has MSS only.
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
#define TS_OPT_WSCALE_MASK 0xf /* the client's shift, 0xf: it sent none */
#define TS_OPT_SACK (1u << 4)
#define TSBITS 6
#define TSMASK ((1u << TSBITS) - 1)

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

/*
 * Our SYN-ACK's TSval: the connection's clock (tcp_ts_off: the child will
 * have the same) with the options in its low TSBITS bits, moved back one
 * step if that put it in the future (TSvals must not run ahead).
 */
static u32 cookie_init_timestamp(const struct stack *st, const struct iphdr *iph,
				 const struct tcp_options_received *opt)
{
	u32 now = (u32)(stack_now(st) / NSEC_PER_MSEC) + tcp_ts_off(st, iph->daddr, iph->saddr);
	u32 options = opt->wscale_ok ? opt->snd_wscale : TS_OPT_WSCALE_MASK, ts;

	if (opt->sack_ok && st->sysctl.tcp_sack)
		options |= TS_OPT_SACK;
	ts = (now & ~TSMASK) | options;
	if ((s32)(ts - now) > 0)
		ts -= 1u << TSBITS;
	return ts;
}

/**
 * cookie_timestamp_decode - the options a cookie's ACK carries back in its
 * TSecr (@ack: the ACK's options, parsed) into @out: tstamp_ok, ts_recent,
 * sack_ok, wscale_ok and snd_wscale (our own shift is the caller's to
 * choose again: tcp_select_wscale gives what the SYN-ACK said).  Return:
 * false if they cannot be ours (a shift above 14, RFC 7323 §2.3).
 */
bool cookie_timestamp_decode(const struct stack *st, const struct tcp_options_received *ack,
			     struct tcp_options_received *out)
{
	u32 options = ack->rcv_tsecr & TSMASK;

	if (!ack->saw_tstamp || !ack->rcv_tsecr || !st->sysctl.tcp_timestamps)
		return true; /* no timestamps: MSS was all the cookie said */
	out->tstamp_ok = 1;
	out->ts_recent = ack->rcv_tsval;
	out->sack_ok = !!(options & TS_OPT_SACK);
	if ((options & TS_OPT_WSCALE_MASK) != TS_OPT_WSCALE_MASK) {
		if ((options & TS_OPT_WSCALE_MASK) > TCP_MAX_WSCALE)
			return false;
		out->wscale_ok = 1;
		out->snd_wscale = (u8)(options & TS_OPT_WSCALE_MASK);
	}
	return true;
}

/* The SYN-ACK's options: MSS, then as tcp_syn_options (Linux's order). */
static unsigned int cookie_synack_options(const struct sock *lsk, const struct iphdr *iph,
					  const struct tcp_options_received *opt, u16 mss, u8 *p)
{
	const struct stack *st = lsk->sk_stack;
	bool ts = opt->saw_tstamp && st->sysctl.tcp_timestamps;
	bool sack = ts && opt->sack_ok && st->sysctl.tcp_sack;
	unsigned int n = 0;
	u32 ts_val, ts_ecr;

	p[n++] = TCPOPT_MSS;
	p[n++] = 4;
	p[n++] = (u8)(mss >> 8);
	p[n++] = (u8)mss;
	if (!ts)
		return n;
	if (sack) {
		p[n++] = TCPOPT_SACK_PERM;
		p[n++] = 2;
	} else {
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_NOP;
	}
	p[n++] = TCPOPT_TIMESTAMP;
	p[n++] = 10;
	ts_val = htonl(cookie_init_timestamp(st, iph, opt));
	ts_ecr = htonl(opt->rcv_tsval);
	memcpy(p + n, &ts_val, 4);
	memcpy(p + n + 4, &ts_ecr, 4);
	n += 8;
	if (opt->wscale_ok) {
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_WINDOW;
		p[n++] = 3;
		p[n++] = tcp_select_wscale(lsk);
	}
	return n;
}

/**
 * tcp_v4_send_synack_cookie - answer the SYN @skb to listener @lsk with a
 * SYN-ACK whose ISN is @cookie: MSS, and with timestamps also SACK and
 * window scaling, encoded in the TSval; the window itself is never scaled
 * in a SYN-ACK (RFC 7323 §2.2).
 */
void tcp_v4_send_synack_cookie(struct sock *lsk, struct sk_buff *skb, u32 cookie, u16 mss)
{
	struct stack *st = lsk->sk_stack;
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct flowi4 fl4 = { .daddr = iph->saddr, .saddr = iph->daddr, .proto = IPPROTO_TCP };
	struct tcp_options_received opt = { .mss_clamp = TCP_MSS_DEFAULT };
	u8 opts[40]; /* the most a TCP header holds */
	unsigned int olen, len;
	struct sk_buff *n = alloc_skb(st, MAX_TCP_HEADER);
	struct tcphdr *rh;

	if (!n)
		return;
	tcp_parse_options(th, &opt, true);
	olen = cookie_synack_options(lsk, iph, &opt, mss, opts);
	len = sizeof(struct tcphdr) + olen;
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
	memcpy(rh + 1, opts, olen);
	rh->check = csum_tcpudp_magic(iph->daddr, iph->saddr, len, IPPROTO_TCP, csum_partial(rh, len, 0));
	SNMP_INC_STATS(st, TCP_MIB_OUTSEGS);
	SNMP_INC_STATS(st, LINUX_MIB_SYNCOOKIESSENT);
	ip_build_and_send(st, n, &fl4, 0);
}
