/*
 * ip_fragment.c - IPv4 fragmentation and reassembly (net/ipv4/ip_output.c's
 * ip_do_fragment slow path, net/ipv4/ip_fragment.c, inet_fragment.c).
 *
 * Read first: RFC 791 §3.2 (fragmentation and reassembly), RFC 815 (the
 * hole bookkeeping, here a list sorted by offset), RFC 5722 and its errata
 * 3089 (overlaps discard the whole datagram, exact duplicates are dropped
 * alone: Linux applies the same rule to IPv4), RFC 1122 §3.3.2 (reassembly
 * timeout; ICMP time exceeded only if fragment zero arrived).
 *
 *   ip_finish_output -> ip_fragment -> output (ip_finish_output2) per fragment
 *   ip_local_deliver -> ip_defrag -> (queue | complete datagram back)
 *
 * Memory: fragments waiting for their siblings count against
 * ipfrag_high_thresh (4 MiB); beyond it new fragments are dropped, so a
 * fragment flood cannot take more.  Each queue lives ipfrag_time (30 s), but
 * a queue that got nothing while ipfrag_max_dist (64) other fragments came
 * from the same source is stale (a fragment was lost; on a fast path the IP
 * ID will soon wrap onto it) and starts afresh: Linux's ip_frag_too_far.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "ip.h"
#include "checksum.h"
#include "dst.h"
#include "icmp.h"
#include "stack.h"
#include "portshare.h"

#define IPQ_HASH_SIZE 256
#define IPOPT_COPY 0x80
#define IPOPT_END 0
#define IPOPT_NOOP 1

/* Per fragment, after the IPCB: its byte range in the datagram's payload. */
struct ipfrag_skb_cb {
	struct inet_skb_parm h;
	u32 offset;
	u32 end;
};
#define FRAG_CB(skb) ((struct ipfrag_skb_cb *)(void *)((skb)->cb))

#define IPQ_FIRST_IN (1u << 0)
#define IPQ_LAST_IN (1u << 1)

/**
 * struct ipq - one datagram being reassembled.
 * @len: total payload length once the last fragment came, else the highest end seen
 * @meat: payload bytes held
 * @frags: fragments sorted by offset, non-overlapping
 */
struct ipq {
	struct list_head hash_node;
	struct ipfrag_state *state;
	__be32 saddr;
	__be32 daddr;
	__be16 id;
	u8 protocol;
	u8 flags;
	u32 len;
	u32 meat;
	u16 max_size;
	long mem;
	u32 rid;  /* the source's fragment count at this queue's last fragment */
	struct sk_buff_head frags;
	struct timer_list timer;
};

#define IPFRAG_PEERS 256

struct ipfrag_state {
	struct stack *st;
	struct list_head hash[IPQ_HASH_SIZE];
	unsigned int nqueues;
	long mem;
	struct {
		__be32 saddr;
		u32 rid;
	} peers[IPFRAG_PEERS]; /* fragments seen per source (inet_peer's rid) */
};

/* ---- fragmentation ------------------------------------------------------- */

/**
 * ip_options_fragment - RFC 791 §3.1: options without the "copied" flag
 * appear only in the first fragment; in the others they become NOPs.
 * @opt: the options of a fragment's header (after the fixed 20 bytes),
 *	rewritten in place
 * @optlen: their length; an option running past it ends the walk, as does
 *	a length below 2 (the header is the peer's or the application's)
 */
void ip_options_fragment(u8 *opt, unsigned int optlen)
{
	unsigned int i = 0;

	while (i < optlen) {
		unsigned int len;

		if (opt[i] == IPOPT_END)
			return;
		if (opt[i] == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (i + 1 >= optlen)
			return;
		len = opt[i + 1];
		if (len < 2 || i + len > optlen)
			return;
		if (!(opt[i] & IPOPT_COPY))
			memset(opt + i, IPOPT_NOOP, len);
		i += len;
	}
}

static struct sk_buff *ip_frag_alloc(struct sk_buff *skb, unsigned int hlen, unsigned int len)
{
	struct sk_buff *f = alloc_skb(skb->stack, MAX_HEADER + hlen + len);

	if (!f)
		return NULL;
	skb_reserve(f, MAX_HEADER);
	skb_put(f, hlen + len);
	skb_reset_network_header(f);
	f->transport_header = (u16)(f->network_header + hlen);
	f->dev = skb->dev;
	f->protocol = skb->protocol;
	f->mark = skb->mark;
	f->tstamp = skb->tstamp;
	skb_dst_copy(f, skb);
	return f;
}

/**
 * ip_fragment - split @skb into fragments of at most @mtu bytes and hand each
 * to @output.  A datagram with DF set is not split: the sender learns the MTU
 * (a local "fragmentation needed", RFC 1191) and it is dropped.  Consumes
 * @skb.  Return: 0, -EMSGSIZE (DF), -ENOMEM, or @output's first error.
 */
int ip_fragment(struct sk_buff *skb, unsigned int mtu, int (*output)(struct sk_buff *))
{
	struct stack *st = skb->stack;
	struct iphdr *iph = ip_hdr(skb);
	unsigned int hlen = ip_hdrlen(skb), left, ptr, offset;
	bool more = iph->frag_off & htons(IP_MF);
	int err = 0;

	if (unlikely((iph->frag_off & htons(IP_DF)) || mtu < hlen + 8)) {
		SNMP_INC_STATS(st, IPSTATS_MIB_FRAGFAILS);
		icmp_local_error(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG_DF);
		return -EMSGSIZE;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		goto fail;
	ptr = (unsigned int)skb_network_offset(skb) + hlen;
	left = skb->len - ptr;
	offset = (ntohs(iph->frag_off) & IP_OFFSET) << 3;
	mtu -= hlen;
	while (left > 0) {
		unsigned int len = left > mtu ? mtu & ~7u : left;
		struct sk_buff *f = ip_frag_alloc(skb, hlen, len);
		struct iphdr *fh;

		if (!f) {
			err = -ENOMEM;
			goto fail;
		}
		memcpy(skb_network_header(f), iph, hlen);
		memcpy(skb_network_header(f) + hlen, skb->data + ptr, len);
		fh = ip_hdr(f);
		if (offset && hlen > sizeof(struct iphdr))
			ip_options_fragment((u8 *)(fh + 1), hlen - (unsigned int)sizeof(struct iphdr));
		fh->frag_off = htons((u16)(offset >> 3) | ((left > len || more) ? IP_MF : 0));
		fh->tot_len = htons((u16)(hlen + len));
		ip_send_check(fh);
		left -= len;
		ptr += len;
		offset += len;
		SNMP_INC_STATS(st, IPSTATS_MIB_FRAGCREATES);
		err = output(f);
		if (err)
			goto fail;
	}
	SNMP_INC_STATS(st, IPSTATS_MIB_FRAGOKS);
	consume_skb(skb);
	return 0;
fail:
	SNMP_INC_STATS(st, IPSTATS_MIB_FRAGFAILS);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
	return err ? err : -ENOMEM;
}

/* ---- reassembly ----------------------------------------------------------- */

static u32 ipq_hash(__be16 id, __be32 saddr, __be32 daddr, u8 prot)
{
	u32 h = ((u32)id << 16 | prot) ^ saddr ^ (daddr * 0x9e3779b1u);

	h ^= h >> 16;
	return (h * 0x85ebca6bu) >> 24;
}

/*
 * Remove a queue.  Its fragments were delivered (@done: freed as consumed)
 * or are being given up on (dropped for @reason).
 */
static void ipq_destroy(struct ipq *q, bool done, enum skb_drop_reason reason)
{
	struct ipfrag_state *fs = q->state;
	struct sk_buff *f;

	del_timer(&q->timer);
	list_del_init(&q->hash_node);
	fs->nqueues--;
	fs->mem -= q->mem;
	while ((f = skb_dequeue(&q->frags)) != NULL) {
		if (done)
			consume_skb(f);
		else
			kfree_skb_reason(f, reason);
	}
	kfree(fs->st->failslab, q);
}

static void ipq_kill(struct ipq *q, enum skb_drop_reason reason)
{
	ipq_destroy(q, false, reason);
}

/* Count a fragment from @saddr; the table is a cache keyed by source. */
static u32 ipfrag_peer_rid(struct ipfrag_state *fs, __be32 saddr)
{
	u32 slot = ((u32)saddr * 0x9e3779b1u) >> 24;

	if (fs->peers[slot].saddr != saddr) {
		fs->peers[slot].saddr = saddr;
		fs->peers[slot].rid = 0;
	}
	return ++fs->peers[slot].rid;
}

/*
 * ip_frag_too_far: more than ipfrag_max_dist fragments from this source
 * since this queue's last one: what it holds is stale; start it afresh.
 */
static bool ipq_too_far(struct ipq *q, u32 rid)
{
	struct ipfrag_state *fs = q->state;
	struct stack *st = fs->st;
	bool stale = !skb_queue_empty(&q->frags) && rid - q->rid > st->sysctl.ipfrag_max_dist;

	q->rid = rid;
	if (!stale)
		return false;
	SNMP_INC_STATS(st, IPSTATS_MIB_REASMFAILS);
	skb_queue_purge_reason(&q->frags, SKB_DROP_REASON_IP_FRAG_TOO_FAR);
	fs->mem -= q->mem;
	q->mem = 0;
	q->flags = 0;
	q->len = 0;
	q->meat = 0;
	q->max_size = 0;
	mod_timer(&q->timer, stack_now(st) + st->sysctl.ipfrag_time);
	return true;
}

/*
 * RFC 1122 §3.3.2: on timeout the partial datagram is discarded, and if
 * fragment zero was received an ICMP time exceeded (code 1) goes back.
 */
static void ip_expire(struct timer_list *t)
{
	struct ipq *q = from_timer(q, t, timer);
	struct stack *st = q->state->st;
	struct sk_buff *first = skb_peek(&q->frags);

	SNMP_INC_STATS(st, IPSTATS_MIB_REASMFAILS);
	SNMP_INC_STATS(st, IPSTATS_MIB_REASMTIMEOUT);
	if ((q->flags & IPQ_FIRST_IN) && first && FRAG_CB(first)->offset == 0 &&
	    stack_is_responder(st))
		icmp_send(first, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
	ipq_kill(q, SKB_DROP_REASON_IP_FRAG_TIMEOUT);
}

static struct ipq *ipq_find(struct ipfrag_state *fs, const struct iphdr *iph)
{
	struct list_head *bucket = &fs->hash[ipq_hash(iph->id, iph->saddr, iph->daddr, iph->protocol)];
	struct ipq *q;

	list_for_each_entry(q, bucket, hash_node)
		if (q->id == iph->id && q->saddr == iph->saddr && q->daddr == iph->daddr &&
		    q->protocol == iph->protocol)
			return q;
	q = kzalloc(fs->st->failslab, sizeof(*q));
	if (!q)
		return NULL;
	q->state = fs;
	q->saddr = iph->saddr;
	q->daddr = iph->daddr;
	q->id = iph->id;
	q->protocol = iph->protocol;
	skb_queue_head_init(&q->frags);
	timer_setup(fs->st, &q->timer, ip_expire);
	mod_timer(&q->timer, stack_now(fs->st) + fs->st->sysctl.ipfrag_time);
	list_add(&q->hash_node, bucket);
	fs->nqueues++;
	return q;
}

enum { IPFRAG_OK, IPFRAG_DUP, IPFRAG_OVERLAP };

/* Insert in offset order; exact duplicates and overlaps are refused. */
static int ipq_insert(struct ipq *q, struct sk_buff *skb, u32 offset, u32 end)
{
	struct sk_buff *pos;

	skb_queue_reverse_walk(&q->frags, pos) {
		u32 po = FRAG_CB(pos)->offset, pe = FRAG_CB(pos)->end;

		if (po == offset && pe == end)
			return IPFRAG_DUP;
		if (pe <= offset) {
			struct sk_buff *next = skb_peek_next(pos, &q->frags);

			if (next && FRAG_CB(next)->offset < end)
				return IPFRAG_OVERLAP;
			skb_queue_after(&q->frags, pos, skb);
			return IPFRAG_OK;
		}
		if (po < end)
			return IPFRAG_OVERLAP; /* the ranges intersect */
	}
	pos = skb_peek(&q->frags);
	if (pos && FRAG_CB(pos)->offset < end)
		return IPFRAG_OVERLAP;
	skb_queue_head(&q->frags, skb);
	return IPFRAG_OK;
}

/* All fragments are in: one linear datagram with the first fragment's header. */
static struct sk_buff *ipq_reasm(struct ipq *q, struct sk_buff *last)
{
	struct sk_buff *first = skb_peek(&q->frags), *head, *f;
	const struct iphdr *fiph = ip_hdr(first);
	unsigned int hlen = fiph->ihl * 4u;
	struct iphdr *iph;

	head = alloc_skb(q->state->st, MAX_HEADER + hlen + q->len);
	if (!head)
		return NULL;
	skb_reserve(head, MAX_HEADER);
	skb_put(head, hlen + q->len);
	skb_reset_network_header(head);
	memcpy(head->data, fiph, hlen);
	skb_queue_walk(&q->frags, f)
		memcpy(head->data + hlen + FRAG_CB(f)->offset, f->data, FRAG_CB(f)->end - FRAG_CB(f)->offset);
	__skb_pull(head, hlen);
	skb_reset_transport_header(head);
	__skb_push(head, hlen);
	iph = ip_hdr(head);
	iph->frag_off = 0;
	iph->tot_len = htons((u16)(hlen + q->len));
	ip_send_check(iph);
	head->dev = last->dev;
	head->protocol = last->protocol;
	head->pkt_type = last->pkt_type;
	head->tstamp = last->tstamp;
	skb_dst_copy(head, last);
	IPCB(head)->iif = IPCB(last)->iif;
	IPCB(head)->flags = IPSKB_FRAG_COMPLETE;
	IPCB(head)->frag_max_size = q->max_size;
	return head;
}

/* Fold one fragment's facts into its queue (the last-fragment rules of Linux). */
static int ipq_account(struct ipq *q, struct sk_buff *skb, u32 offset, u32 *pend)
{
	bool more = ip_hdr(skb)->frag_off & htons(IP_MF);
	u32 end = *pend;

	if (!more) {
		if (end < q->len || ((q->flags & IPQ_LAST_IN) && end != q->len))
			return -EINVAL;
		q->flags |= IPQ_LAST_IN;
		q->len = end;
	} else {
		if (end & 7) {
			end &= ~7u;
			skb->ip_summed = CHECKSUM_NONE;
		}
		if (end > q->len) {
			if (q->flags & IPQ_LAST_IN)
				return -EINVAL; /* data beyond the end: corrupt */
			q->len = end;
		}
	}
	if (end == offset)
		return -EINVAL;
	*pend = end;
	return 0;
}

/**
 * ip_defrag - queue a fragment; if it completes its datagram, replace *@pskb
 * with the whole datagram (data at the IP header) and return 0.  Otherwise
 * the fragment is kept or dropped (consumed) and the return is nonzero.
 */
int ip_defrag(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb, *whole;
	struct stack *st = skb->stack;
	struct ipfrag_state *fs = st->ipv4.frags;
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int ihl = ip_hdrlen(skb);
	u32 offset = (ntohs(iph->frag_off) & IP_OFFSET) << 3;
	u32 end = offset + skb->len - ihl;
	enum skb_drop_reason reason = SKB_DROP_REASON_IP_FRAG_TOO_BIG;
	struct ipq *q;
	int ret;

	SNMP_INC_STATS(st, IPSTATS_MIB_REASMREQDS);
	/* Ping of death: a datagram may not exceed 65535 bytes (RFC 791 §3.1). */
	if (end + ihl > IP_MAX_MTU)
		goto fail;
	reason = SKB_DROP_REASON_IP_FRAG_MEM;
	if (fs->mem + (long)skb->truesize > st->sysctl.ipfrag_high_thresh)
		goto fail;
	q = ipq_find(fs, iph);
	if (!q)
		goto fail;
	if (st->sysctl.ipfrag_max_dist)
		ipq_too_far(q, ipfrag_peer_rid(fs, iph->saddr));
	reason = SKB_DROP_REASON_IP_INHDR;
	if (ipq_account(q, skb, offset, &end))
		goto discard_q;
	/* Kept up to 30 s: never hold a device's receive buffer that long. */
	if (skb_has_external_data(skb)) {
		struct sk_buff *c = skb_copy_compact(skb);

		reason = SKB_DROP_REASON_NOMEM;
		if (!c)
			goto discard_q;
		consume_skb(skb);
		skb = c;
	}
	/* The fragment's payload: from the end of its header, trimmed to 8s. */
	skb_pull(skb, (unsigned int)skb_network_offset(skb) + ihl);
	skb_trim(skb, end - offset);
	FRAG_CB(skb)->offset = offset;
	FRAG_CB(skb)->end = end;
	ret = ipq_insert(q, skb, offset, end);
	if (ret == IPFRAG_DUP) {
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG_OVERLAP);
		return -EINVAL;
	}
	if (ret == IPFRAG_OVERLAP) {
		SNMP_INC_STATS(st, IPSTATS_MIB_REASMOVERLAPS);
		reason = SKB_DROP_REASON_IP_FRAG_OVERLAP;
		goto discard_q;
	}
	q->meat += end - offset;
	q->mem += skb->truesize;
	fs->mem += skb->truesize;
	if (skb->len + ihl > q->max_size)
		q->max_size = (u16)(skb->len + ihl);
	if (offset == 0)
		q->flags |= IPQ_FIRST_IN;
	if (!(q->flags & IPQ_FIRST_IN) || !(q->flags & IPQ_LAST_IN) || q->meat != q->len)
		return -EINPROGRESS;

	whole = ipq_reasm(q, skb);
	if (!whole) {
		SNMP_INC_STATS(st, IPSTATS_MIB_REASMFAILS);
		ipq_kill(q, SKB_DROP_REASON_NOMEM);
		return -ENOMEM;
	}
	ipq_destroy(q, true, SKB_DROP_REASON_NOT_SPECIFIED);
	SNMP_INC_STATS(st, IPSTATS_MIB_REASMOKS);
	*pskb = whole;
	return 0;

discard_q:
	ipq_kill(q, SKB_DROP_REASON_IP_FRAG_OVERLAP);
fail:
	SNMP_INC_STATS(st, IPSTATS_MIB_REASMFAILS);
	kfree_skb_reason(skb, reason);
	return -EINVAL;
}

/** ipfrag_init - the reassembly state of @st.  Return: 0 or -ENOMEM. */
int ipfrag_init(struct stack *st)
{
	struct ipfrag_state *fs = kzalloc(st->failslab, sizeof(*fs));

	if (!fs)
		return -ENOMEM;
	fs->st = st;
	for (int i = 0; i < IPQ_HASH_SIZE; i++)
		INIT_LIST_HEAD(&fs->hash[i]);
	st->ipv4.frags = fs;
	return 0;
}

/** ipfrag_exit - drop every partial datagram and the state. */
void ipfrag_exit(struct stack *st)
{
	struct ipfrag_state *fs = st->ipv4.frags;

	if (!fs)
		return;
	for (int i = 0; i < IPQ_HASH_SIZE; i++) {
		struct ipq *q, *tmp;

		list_for_each_entry_safe(q, tmp, &fs->hash[i], hash_node)
			ipq_kill(q, SKB_DROP_REASON_QUEUE_PURGE);
	}
	kfree(st->failslab, fs);
	st->ipv4.frags = NULL;
}

unsigned int ipfrag_queue_count(const struct stack *st)
{
	return st->ipv4.frags ? st->ipv4.frags->nqueues : 0;
}

long ipfrag_mem(const struct stack *st)
{
	return st->ipv4.frags ? st->ipv4.frags->mem : 0;
}
