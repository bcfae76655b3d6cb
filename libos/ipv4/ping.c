/*
 * ping.c - ICMP echo endpoints (ping.h).
 *
 *   ping_send -> ip_build_and_send           (echo request out)
 *   icmp_rcv -> ping_rcv -> ps->rxq          (echo reply in)
 *   icmp_unreach / icmp_local_error -> ping_err -> ps->err
 */
#include <arpa/inet.h>

#include "ping.h"
#include "checksum.h"
#include "dst.h"
#include "icmp.h"
#include "ip.h"
#include "stack.h"

static struct ping_sock *ping_lookup(struct stack *st, u16 ident)
{
	struct ping_sock *ps;

	list_for_each_entry(ps, &st->ipv4.ping_socks, node)
		if (ps->ident == ident)
			return ps;
	return NULL;
}

/** ping_open - claim echo identifier @ident on @st.  Return: 0 or -EADDRINUSE. */
int ping_open(struct stack *st, struct ping_sock *ps, u16 ident)
{
	if (ping_lookup(st, ident))
		return -EADDRINUSE;
	ps->st = st;
	ps->ident = ident;
	ps->err = 0;
	skb_queue_head_init(&ps->rxq);
	list_add_tail(&ps->node, &st->ipv4.ping_socks);
	return 0;
}

/** ping_close - release the identifier and drop unread replies. */
void ping_close(struct ping_sock *ps)
{
	list_del_init(&ps->node);
	skb_queue_purge(&ps->rxq);
}

/**
 * ping_send - send an echo request with @len bytes of @data to @daddr.
 * Return: 0, or -errno from routing (-ENETUNREACH) or memory.
 */
int ping_send(struct ping_sock *ps, __be32 daddr, u16 seq, const void *data, unsigned int len)
{
	struct stack *st = ps->st;
	struct flowi4 fl4 = { .daddr = daddr, .proto = IPPROTO_ICMP };
	struct sk_buff *skb;
	struct icmphdr *icmph;

	if (len > IP_MAX_MTU - sizeof(struct iphdr) - sizeof(*icmph))
		return -EMSGSIZE;
	skb = alloc_skb(st, MAX_HEADER + sizeof(*icmph) + len);
	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, MAX_HEADER);
	icmph = (struct icmphdr *)(void *)skb_put(skb, sizeof(*icmph));
	icmph->type = ICMP_ECHO;
	icmph->code = 0;
	icmph->checksum = 0;
	icmph->un.echo.id = htons(ps->ident);
	icmph->un.echo.sequence = htons(seq);
	if (len)
		skb_put_data(skb, data, len);
	icmph->checksum = ip_compute_csum(skb->data, skb->len);
	SNMP_INC_STATS(st, ICMP_MIB_OUTMSGS);
	SNMP_INC_STATS(st, ICMP_MIB_OUTECHOS);
	return ip_build_and_send(st, skb, &fl4, 0);
}

/** ping_recv - the oldest echo reply (the caller frees it), or NULL. */
struct sk_buff *ping_recv(struct ping_sock *ps)
{
	return skb_dequeue(&ps->rxq);
}

/** ping_sock_error - the pending error (positive errno), cleared by reading. */
int ping_sock_error(struct ping_sock *ps)
{
	int err = ps->err;

	ps->err = 0;
	return err;
}

/** ping_rcv - an echo reply (data at the ICMP header).  Consumes @skb. */
int ping_rcv(struct sk_buff *skb)
{
	const struct icmphdr *icmph = icmp_hdr(skb);
	struct ping_sock *ps = ping_lookup(skb->stack, ntohs(icmph->un.echo.id));

	if (!ps) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
		return 0;
	}
	/* It waits for the application: do not pin a device receive buffer. */
	if (skb_has_external_data(skb)) {
		struct sk_buff *c = skb_copy_compact(skb);

		consume_skb(skb);
		if (!c)
			return 0;
		skb = c;
	}
	skb_dst_drop(skb);
	skb_queue_tail(&ps->rxq, skb);
	return 0;
}

/**
 * ping_err - an ICMP error about an ICMP datagram we sent: @skb's data is at
 * the quoted IP header.  If it quotes one of our echo requests, its endpoint
 * gets the error.  Borrows @skb.
 */
int ping_err(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)(const void *)skb->data;
	const struct icmphdr *icmph;
	struct ping_sock *ps;
	bool fatal;

	if (skb->len < iph->ihl * 4u + sizeof(*icmph))
		return -EINVAL;
	icmph = (const struct icmphdr *)(const void *)(skb->data + iph->ihl * 4u);
	if (icmph->type != ICMP_ECHO)
		return 0;
	ps = ping_lookup(skb->stack, ntohs(icmph->un.echo.id));
	if (!ps)
		return 0;
	icmp_err_update_pmtu(skb, type, code, info);
	ps->err = icmp_err_convert(type, code, &fatal);
	ps->err_type = type;
	ps->err_code = code;
	ps->err_info = info;
	return 0;
}
