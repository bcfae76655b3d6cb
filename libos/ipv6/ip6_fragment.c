/*
 * ip6_fragment.c - IPv6 fragmentation at the source and reassembly
 * (net/ipv6/ip6_output.c's ip6_fragment, net/ipv6/reassembly.c).
 *
 *   ip6_finish_output -> ip6_fragment (packet over the route MTU)
 *   ip6_input_finish -> ipv6_frag_rcv -> queue | reassembled packet back to
 *	the header walk | atomic fragment: its header skipped
 *
 * Read first: RFC 8200 §4.5 (fragment header, the rules of reassembly and
 * its errors), RFC 5722 (overlapping fragments: drop the whole datagram),
 * RFC 6946 and RFC 8021 (atomic fragments: processed as whole packets, and
 * never generated), RFC 7112 (the first fragment holds the whole header
 * chain), RFC 7739 (unpredictable Identification).
 */
#include <arpa/inet.h>
#include <string.h>

#include "alloc.h"
#include "checksum.h"
#include "dst.h"
#include "list.h"
#include "icmpv6.h"
#include "ipv6.h"
#include "netdevice.h"
#include "stack.h"

#define ICMPV6_HDR_INCOMP 3 /* RFC 7112: first fragment has an incomplete header chain */
#define IP6FRAG_MAX_QUEUES 64

/* Per fragment, after IP6CB in skb->cb: where its data sits in the datagram. */
struct ip6frag_cb {
	struct inet6_skb_parm h6;
	u16 offset; /* of its data in the fragmentable part */
	u16 len;
	u16 data_off; /* where its data starts in the skb (past the fragment header) */
};
#define FRAG6_CB(skb) ((struct ip6frag_cb *)(void *)((skb)->cb))

/**
 * struct frag_queue - one datagram being reassembled.
 * @total: length of the fragmentable part, known once the last fragment came (0: not yet)
 * @meat: data bytes held
 * @first: the offset-0 fragment (its unfragmentable part heads the result)
 */
struct frag_queue {
	struct list_head list;
	struct in6_addr saddr, daddr;
	__be32 id;
	struct sk_buff_head frags; /* sorted by offset */
	struct sk_buff *first;
	unsigned int total, meat;
	long mem;
	struct timer_list timer;
	struct stack *st;
};

struct ip6frag_state {
	struct list_head queues;
	unsigned int nqueues;
	long mem;
};

/* ---- fragmentation at the source ------------------------------------------ */

/**
 * ip6_fragment - split @skb (an IPv6 header with no extension headers, then
 * its payload) into fragments of at most @mtu bytes for @output.  RFC 8200
 * §4.5: each fragment carries the unfragmentable part (here the IPv6
 * header), a fragment header, and a multiple of 8 bytes but the last.
 * Consumes @skb.  Return: 0, -ENOMEM, or @output's first error.
 */
int ip6_fragment(struct sk_buff *skb, unsigned int mtu, int (*output)(struct sk_buff *))
{
	struct stack *st = skb->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int hlen = sizeof(*ip6h), ptr = (unsigned int)skb_network_offset(skb) + hlen;
	unsigned int left = skb->len - ptr, offset = 0, chunk;
	__be32 id = ipv6_select_ident(st, &ip6h->daddr, &ip6h->saddr);
	int err = -ENOMEM;

	if (mtu < IPV6_MIN_MTU)
		mtu = IPV6_MIN_MTU;
	chunk = (mtu - hlen - (unsigned int)sizeof(struct frag_hdr)) & ~7u;
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		goto fail;
	while (left > 0) {
		unsigned int len = left > chunk ? chunk : left;
		struct sk_buff *f = alloc_skb(st, MAX_HEADER + hlen + sizeof(struct frag_hdr) + len);
		struct ipv6hdr *fh6;
		struct frag_hdr *fh;

		if (!f)
			goto fail;
		skb_reserve(f, MAX_HEADER);
		fh6 = (struct ipv6hdr *)(void *)skb_put_data(f, ip6h, hlen);
		skb_reset_network_header(f);
		fh = (struct frag_hdr *)(void *)skb_put_zero(f, sizeof(*fh));
		fh->nexthdr = ip6h->nexthdr;
		fh->identification = id;
		fh->frag_off = htons((u16)(offset | (left > len ? IP6_MF : 0)));
		skb_put_data(f, skb->data + ptr, len);
		fh6->nexthdr = NEXTHDR_FRAGMENT;
		fh6->payload_len = htons((u16)(sizeof(*fh) + len));
		f->transport_header = (u16)(f->network_header + hlen);
		f->dev = skb->dev;
		f->protocol = skb->protocol;
		f->mark = skb->mark;
		f->tstamp = skb->tstamp;
		skb_dst_copy(f, skb);
		left -= len;
		ptr += len;
		offset += len;
		SNMP_INC_STATS(st, IPSTATS6_MIB_FRAGCREATES);
		err = output(f);
		if (err)
			goto fail;
	}
	SNMP_INC_STATS(st, IPSTATS6_MIB_FRAGOKS);
	consume_skb(skb);
	return 0;
fail:
	SNMP_INC_STATS(st, IPSTATS6_MIB_FRAGFAILS);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
	return err;
}

/* ---- reassembly ------------------------------------------------------------ */

/* Free @fq; its fragments are dropped for @reason, or consumed (0: reassembled). */
static void fq_free(struct frag_queue *fq, int reason)
{
	struct ip6frag_state *fs = fq->st->ipv6.frags;
	struct sk_buff *skb;

	del_timer(&fq->timer);
	list_del_init(&fq->list);
	fs->nqueues--;
	fs->mem -= fq->mem;
	if (reason)
		skb_queue_purge_reason(&fq->frags, (enum skb_drop_reason)reason);
	while ((skb = skb_dequeue(&fq->frags)) != NULL)
		consume_skb(skb);
	kfree(fq->st->failslab, fq);
}

/* RFC 8200 §4.5: after 60 s, give up; if the first fragment came, say so. */
static void fq_expire(struct timer_list *t)
{
	struct frag_queue *fq = from_timer(fq, t, timer);
	struct stack *st = fq->st;

	SNMP_INC_STATS(st, IPSTATS6_MIB_REASMFAILS);
	SNMP_INC_STATS(st, IPSTATS6_MIB_REASMTIMEOUT);
	if (fq->first) {
		/* the error quotes the first fragment; it still has its route */
		icmpv6_send(fq->first, ICMPV6_TIME_EXCEED, ICMPV6_EXC_FRAGTIME, 0);
	}
	fq_free(fq, SKB_DROP_REASON_IP_FRAG_TIMEOUT);
}

static struct frag_queue *fq_find(struct stack *st, const struct ipv6hdr *ip6h, __be32 id)
{
	struct ip6frag_state *fs = st->ipv6.frags;
	struct frag_queue *fq;

	list_for_each_entry(fq, &fs->queues, list)
		if (fq->id == id && ipv6_addr_equal(&fq->saddr, &ip6h->saddr) &&
		    ipv6_addr_equal(&fq->daddr, &ip6h->daddr))
			return fq;
	if (fs->nqueues >= IP6FRAG_MAX_QUEUES)
		return NULL;
	fq = kzalloc(st->failslab, sizeof(*fq));
	if (!fq)
		return NULL;
	fq->saddr = ip6h->saddr;
	fq->daddr = ip6h->daddr;
	fq->id = id;
	fq->st = st;
	skb_queue_head_init(&fq->frags);
	timer_setup(st, &fq->timer, fq_expire);
	mod_timer(&fq->timer, stack_now(st) + st->sysctl.ip6frag_time);
	list_add(&fq->list, &fs->queues);
	fs->nqueues++;
	return fq;
}

/*
 * Put @skb in order.  RFC 5722 (with erratum 3089): an overlap kills the
 * datagram; an exact duplicate is only dropped.
 * Return: 0 (queued), 1 (duplicate, consumed), -1 (overlap: kill).
 */
static int fq_insert(struct frag_queue *fq, struct sk_buff *skb)
{
	unsigned int off = FRAG6_CB(skb)->offset, end = off + FRAG6_CB(skb)->len;
	struct sk_buff *pos;

	skb_queue_walk(&fq->frags, pos) {
		unsigned int poff = FRAG6_CB(pos)->offset, pend = poff + FRAG6_CB(pos)->len;

		if (poff == off && pend == end) {
			kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG_OVERLAP);
			return 1;
		}
		if (off < pend && poff < end)
			return -1;
		if (poff > off) {
			skb_queue_before(&fq->frags, pos, skb);
			return 0;
		}
	}
	skb_queue_tail(&fq->frags, skb);
	return 0;
}

/* The whole datagram: the first fragment's unfragmentable part, then the data. */
static struct sk_buff *fq_reasm(struct frag_queue *fq, unsigned int *off)
{
	struct sk_buff *first = fq->first, *skb, *f;
	unsigned int unfrag = FRAG6_CB(first)->data_off - (unsigned int)sizeof(struct frag_hdr);
	u16 nhoff = FRAG6_CB(first)->h6.nhoff, max = 0;
	const struct frag_hdr *fh;
	u8 *nh;

	skb = alloc_skb(fq->st, MAX_HEADER + unfrag + fq->total);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_HEADER);
	nh = skb_put_data(skb, skb_network_header(first), unfrag);
	skb_reset_network_header(skb);
	fh = (const struct frag_hdr *)(void *)(skb_network_header(first) + unfrag);
	nh[nhoff] = fh->nexthdr; /* the header that named the fragment header names what it carried */
	skb_queue_walk(&fq->frags, f) {
		skb_put_data(skb, skb_network_header(f) + FRAG6_CB(f)->data_off, FRAG6_CB(f)->len);
		if (f->len > max)
			max = (u16)f->len;
	}
	ipv6_hdr(skb)->payload_len = htons((u16)(unfrag - sizeof(struct ipv6hdr) + fq->total));
	skb->dev = first->dev;
	skb->protocol = first->protocol;
	skb->pkt_type = first->pkt_type;
	skb->tstamp = first->tstamp;
	skb_dst_copy(skb, first);
	*IP6CB(skb) = FRAG6_CB(first)->h6;
	IP6CB(skb)->flags |= IP6SKB_FRAGMENTED;
	IP6CB(skb)->frag_max_size = max;
	skb->transport_header = (u16)(skb->network_header + unfrag);
	*off = unfrag;
	return skb;
}

/*
 * Validate one fragment (RFC 8200 §4.5), recording where its data is.
 * Return: 0, or the Parameter Problem pointer + 1 to send (the packet is
 * dropped), or -1 to drop without a word.
 */
static int frag_check(struct sk_buff *skb, unsigned int off, u16 frag_off)
{
	unsigned int len = skb->len - off - (unsigned int)sizeof(struct frag_hdr);
	unsigned int offset = frag_off & IP6_OFFSET;

	/* "If the length of a fragment ... is not a multiple of 8 octets and
	 * the M flag of that fragment is 1, then that fragment must be
	 * discarded and an ICMP Parameter Problem, Code 0, ... pointing to the
	 * Payload Length field of the fragment packet." */
	if ((frag_off & IP6_MF) && (len & 7))
		return (int)offsetof(struct ipv6hdr, payload_len) + 1;
	/* "If the length and offset of a fragment are such that the Payload
	 * Length of the packet reassembled ... would exceed 65,535 octets ...
	 * pointing to the Fragment Offset field of the fragment packet." */
	if (offset + len > 0xffff - (off - sizeof(struct ipv6hdr)))
		return (int)(off + offsetof(struct frag_hdr, frag_off)) + 1;
	if (!len)
		return -1;
	FRAG6_CB(skb)->offset = (u16)offset;
	FRAG6_CB(skb)->len = (u16)len;
	FRAG6_CB(skb)->data_off = (u16)(off + sizeof(struct frag_hdr));
	return 0;
}

/* RFC 7112 §5: the first fragment must reach past the upper-layer header. */
static bool frag_first_complete(const struct sk_buff *skb, unsigned int off)
{
	const struct frag_hdr *fh = (const void *)(skb_network_header(skb) + off);
	unsigned int need = fh->nexthdr == NEXTHDR_TCP ? 20 : fh->nexthdr == NEXTHDR_UDP ? 8
			  : fh->nexthdr == NEXTHDR_ICMP ? 4 : 0;

	if (fh->nexthdr == NEXTHDR_HOP || fh->nexthdr == NEXTHDR_ROUTING ||
	    fh->nexthdr == NEXTHDR_DEST)
		need = 8; /* at least the next extension header's fixed part */
	return FRAG6_CB(skb)->len >= need;
}

/* Add @skb to its queue; on completion put the whole datagram in *@pskb. */
static int frag_queue_add(struct sk_buff **pskb, unsigned int *off, u16 frag_off, __be32 id)
{
	struct sk_buff *skb = *pskb, *whole;
	struct stack *st = skb->stack;
	struct ip6frag_state *fs = st->ipv6.frags;
	unsigned int end = FRAG6_CB(skb)->offset + FRAG6_CB(skb)->len;
	struct frag_queue *fq;
	int rc;

	if (fs->mem + (long)skb->truesize > st->sysctl.ip6frag_high_thresh ||
	    !(fq = fq_find(st, ipv6_hdr(skb), id))) {
		SNMP_INC_STATS(st, IPSTATS6_MIB_REASMFAILS);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG_MEM);
		return 1;
	}
	if (!(frag_off & IP6_MF)) {
		/* the last one fixes the length: nothing may end beyond it */
		struct sk_buff *last = skb_peek_tail(&fq->frags);

		if ((fq->total && fq->total != end) ||
		    (last && FRAG6_CB(last)->offset + FRAG6_CB(last)->len > end))
			goto kill;
		fq->total = end;
	} else if (fq->total && end > fq->total) {
		goto kill;
	}
	rc = fq_insert(fq, skb);
	if (rc > 0)
		return 1;
	if (rc < 0)
		goto kill;
	fq->meat += FRAG6_CB(skb)->len;
	fq->mem += skb->truesize;
	fs->mem += skb->truesize;
	if (!FRAG6_CB(skb)->offset)
		fq->first = skb;
	if (!fq->first || !fq->total || fq->meat != fq->total)
		return 1;
	whole = fq_reasm(fq, off);
	fq_free(fq, 0);
	if (!whole) {
		SNMP_INC_STATS(st, IPSTATS6_MIB_REASMFAILS);
		return 1;
	}
	SNMP_INC_STATS(st, IPSTATS6_MIB_REASMOKS);
	*pskb = whole;
	return 0;
kill:
	SNMP_INC_STATS(st, IPSTATS6_MIB_REASMFAILS);
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG_OVERLAP);
	fq_free(fq, SKB_DROP_REASON_IP_FRAG_OVERLAP);
	return 1;
}

/**
 * ipv6_frag_rcv - the fragment header at @*off from the network header of
 * *@pskb.  Return: 0 to go on walking headers (an atomic fragment, its
 * header skipped; or the reassembled datagram, now in *@pskb, *@off at the
 * header that followed the fragment header); 1 when the skb was consumed
 * (queued, or dropped).
 */
int ipv6_frag_rcv(struct sk_buff **pskb, unsigned int *off)
{
	struct sk_buff *skb = *pskb;
	struct stack *st = skb->stack;
	const struct frag_hdr *fh;
	u16 frag_off;
	__be32 id;
	int bad;

	if (!pskb_may_pull(skb, *off + sizeof(*fh))) {
		SNMP_INC_STATS(st, IPSTATS6_MIB_INHDRERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_IPV6_BAD_EXTHDR);
		return 1;
	}
	fh = (const struct frag_hdr *)(void *)(skb_network_header(skb) + *off);
	frag_off = ntohs(fh->frag_off);
	/* RFC 6946 §4: offset 0 and M clear is an atomic fragment: processed
	 * in isolation, never mixed with a reassembly queue. */
	if (!(frag_off & (IP6_OFFSET | IP6_MF))) {
		IP6CB(skb)->nhoff = (u16)*off;
		*off += sizeof(*fh);
		return 0;
	}
	SNMP_INC_STATS(st, IPSTATS6_MIB_REASMREQDS);
	bad = frag_check(skb, *off, frag_off);
	if (!bad && !(frag_off & IP6_OFFSET) && !frag_first_complete(skb, *off))
		bad = -2;
	if (bad) {
		SNMP_INC_STATS(st, IPSTATS6_MIB_INHDRERRORS);
		if (bad > 0)
			icmpv6_param_prob(skb, ICMPV6_HDR_FIELD, (unsigned int)bad - 1);
		else if (bad == -2)
			icmpv6_param_prob(skb, ICMPV6_HDR_INCOMP, 0);
		kfree_skb_reason(skb, SKB_DROP_REASON_IPV6_BAD_EXTHDR);
		return 1;
	}
	id = fh->identification; /* fh dies with a device buffer copied out below */
	/* it may wait long: never pin a device buffer (udp.c does the same) */
	if (skb_has_external_data(skb)) {
		struct sk_buff *c = skb_copy_compact(skb); /* cb and dst come along */

		consume_skb(skb);
		/* data is still at the network header: keep it aligned (ipv6_align) */
		if (c && ipv6_align(c)) {
			kfree_skb_reason(c, SKB_DROP_REASON_NOMEM);
			c = NULL;
		}
		if (!c) {
			SNMP_INC_STATS(st, IPSTATS6_MIB_REASMFAILS);
			return 1;
		}
		skb = c;
	}
	FRAG6_CB(skb)->h6.nhoff = IP6CB(skb)->nhoff;
	*pskb = skb;
	return frag_queue_add(pskb, off, frag_off, id);
}

unsigned int ip6frag_queue_count(const struct stack *st)
{
	return st->ipv6.frags ? st->ipv6.frags->nqueues : 0;
}

int ip6frag_init(struct stack *st)
{
	st->ipv6.frags = kzalloc(st->failslab, sizeof(*st->ipv6.frags));
	if (!st->ipv6.frags)
		return -ENOMEM;
	INIT_LIST_HEAD(&st->ipv6.frags->queues);
	return 0;
}

void ip6frag_exit(struct stack *st)
{
	struct frag_queue *fq, *tmp;

	if (!st->ipv6.frags)
		return;
	list_for_each_entry_safe(fq, tmp, &st->ipv6.frags->queues, list)
		fq_free(fq, SKB_DROP_REASON_QUEUE_PURGE);
	kfree(st->failslab, st->ipv6.frags);
	st->ipv6.frags = NULL;
}
