/*
 * neighbour.c - the neighbour table and its state machine (net/core/neighbour.c).
 *
 * Read first: neighbour.h (the states), RFC 4861 §7.3 (the NUD model Linux
 * applies to ARP too), RFC 1122 §2.3.2.1 (ARP cache validation) and the seeds'
 * output paths (neigh_resolve_output / neigh_connected_output / hh cache).
 *
 *   ip_finish_output2 -> neigh_output -> hh fast path | n->output
 *   neigh_resolve_output -> neigh_event_send (queue + solicit) -> dev_queue_xmit
 *   arp_process -> neigh_update -> flush the queue
 *   neigh_timer_handler: REACHABLE -> DELAY/STALE, DELAY -> PROBE, probes -> FAILED
 *
 * Entries belong to their table and die only by garbage collection, a device
 * going down, or the table being cleared; the core is single-threaded, so a
 * pointer obtained in a call stays valid for that call.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "neighbour.h"
#include "netdevice.h"
#include "eth.h"
#include "stack.h"
#include "log.h"

static const char *const nud_names[] = { "INCOMPLETE", "REACHABLE", "STALE", "DELAY",
					 "PROBE", "FAILED", "NOARP", "PERMANENT" };

/** neigh_state_name - "REACHABLE" etc.; "NONE" for 0. */
const char *neigh_state_name(u8 state)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(nud_names); i++)
		if (state == (1u << i))
			return nud_names[i];
	return state ? "MIXED" : "NONE";
}

/* Linux: reachable_time is uniform in [base/2, 3*base/2) (RFC 4861 §6.3.2). */
static ktime_t neigh_rand_reach_time(struct stack *st, ktime_t base)
{
	return base ? (ktime_t)stack_rand(st) % base + (base >> 1) : 0;
}

/** neigh_parms_init - net.ipv4.neigh.default.* from the stack's sysctls. */
void neigh_parms_init(struct neigh_parms *p, struct stack *st)
{
	const struct sysctl *s = &st->sysctl;

	p->base_reachable_time = s->neigh_base_reachable_time;
	p->reachable_time = neigh_rand_reach_time(st, p->base_reachable_time);
	p->retrans_time = s->neigh_retrans_time;
	p->delay_probe_time = s->neigh_delay_first_probe_time;
	p->locktime = s->neigh_locktime;
	p->ucast_probes = s->neigh_ucast_probes;
	p->mcast_probes = s->neigh_mcast_probes;
	p->app_probes = s->neigh_app_probes;
	p->mcast_reprobes = s->neigh_mcast_reprobes;
	p->unres_qlen = s->neigh_unres_qlen;
}

void neigh_table_init(struct stack *st, struct neigh_table *tbl, u8 key_len)
{
	tbl->key_len = key_len;
	/* what the link header of a packet through it says it carries */
	tbl->protocol = key_len == 4 ? ETH_P_IP : ETH_P_IPV6;
	memset(tbl->hash, 0, sizeof(tbl->hash));
	tbl->stack = st;
	tbl->entries = 0;
	tbl->gc_thresh3 = st->sysctl.neigh_gc_thresh3;
	tbl->gc_stale_time = st->sysctl.neigh_gc_stale_time;
	tbl->hash_rnd = stack_rand(st) | 1;
	neigh_parms_init(&tbl->parms, st);
	memset(&tbl->stats, 0, sizeof(tbl->stats));
}

/* The key folded to 32 bits (an IPv6 key: its four words xored), then mixed. */
static u32 neigh_hash(const struct neigh_table *tbl, const void *pkey, const struct net_device *dev)
{
	u32 k = 0, w, h;

	for (unsigned int i = 0; i < tbl->key_len; i += 4) {
		memcpy(&w, (const u8 *)pkey + i, 4);
		k ^= w;
	}
	h = (k ^ ((u32)dev->ifindex << 16)) * tbl->hash_rnd;
	return (h >> 24) & (NEIGH_HASH_SIZE - 1);
}

/** neigh_lookup_key - the entry for the tbl->key_len bytes at @pkey on @dev, or NULL. */
struct neighbour *neigh_lookup_key(struct neigh_table *tbl, const void *pkey,
				   const struct net_device *dev)
{
	struct neighbour *n;

	tbl->stats.lookups++;
	for (n = tbl->hash[neigh_hash(tbl, pkey, dev)]; n; n = n->next) {
		if (n->dev == dev && !memcmp(&n->primary_key6, pkey, tbl->key_len)) {
			tbl->stats.hits++;
			return n;
		}
	}
	return NULL;
}

static void neigh_unlink(struct neighbour *n)
{
	struct neigh_table *tbl = n->tbl;
	struct neighbour **np = &tbl->hash[neigh_hash(tbl, &n->primary_key6, n->dev)];

	for (; *np; np = &(*np)->next) {
		if (*np == n) {
			*np = n->next;
			tbl->entries--;
			return;
		}
	}
}

/**
 * neigh_destroy - remove @n from its table and free it; packets still
 * waiting on it are dropped (NEIGH_DEAD).
 */
void neigh_destroy(struct neighbour *n)
{
	neigh_unlink(n);
	n->dead = true;
	del_timer(&n->timer);
	skb_queue_purge_reason(&n->arp_queue, SKB_DROP_REASON_NEIGH_DEAD);
	n->tbl->stats.destroys++;
	kfree(n->tbl->stack->failslab, n);
}

/*
 * Table full: reclaim entries nobody is waiting on (FAILED, NONE, STALE),
 * as Linux's neigh_forced_gc does.  Return: how many were freed.
 */
static int neigh_forced_gc(struct neigh_table *tbl)
{
	int freed = 0;

	tbl->stats.forced_gc_runs++;
	for (int i = 0; i < NEIGH_HASH_SIZE; i++) {
		struct neighbour *n = tbl->hash[i], *next;

		for (; n; n = next) {
			next = n->next;
			if (n->nud_state & (NUD_PERMANENT | NUD_IN_TIMER | NUD_NOARP))
				continue;
			neigh_destroy(n);
			freed++;
		}
	}
	return freed;
}

static void neigh_timer_handler(struct timer_list *t);

/**
 * neigh_create_key - the entry for @pkey on @dev, created in NUD_NONE if absent
 * (the table's constructor may make it NOARP at once).
 * Return: the entry, or ERR_PTR(-ENOBUFS) when the table is full of entries
 * in use or there is no memory for one (Linux's neigh_alloc failing).
 */
struct neighbour *neigh_create_key(struct neigh_table *tbl, const void *pkey, struct net_device *dev)
{
	struct neighbour *n = neigh_lookup_key(tbl, pkey, dev);
	u32 h;

	if (n)
		return n;
	if (tbl->entries >= tbl->gc_thresh3 && !neigh_forced_gc(tbl)) {
		tbl->stats.table_fulls++;
		return ERR_PTR(-ENOBUFS);
	}
	n = kzalloc(tbl->stack->failslab, sizeof(*n));
	if (!n)
		return ERR_PTR(-ENOBUFS);
	n->tbl = tbl;
	n->dev = dev;
	n->parms = &tbl->parms;
	memcpy(&n->primary_key6, pkey, tbl->key_len);
	n->nud_state = NUD_NONE;
	n->output = neigh_resolve_output;
	n->updated = n->used = stack_now(tbl->stack);
	skb_queue_head_init(&n->arp_queue);
	timer_setup(tbl->stack, &n->timer, neigh_timer_handler);
	if (tbl->constructor && tbl->constructor(n) < 0) {
		kfree(n->tbl->stack->failslab, n);
		return ERR_PTR(-EINVAL);
	}
	h = neigh_hash(tbl, pkey, dev);
	n->next = tbl->hash[h];
	tbl->hash[h] = n;
	tbl->entries++;
	tbl->stats.allocs++;
	return n;
}

static void neigh_set_state(struct neighbour *n, u8 state)
{
	if (unlikely(n->nud_state != state && LOG_DEBUG <= n->dev->stack->log_level)) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(n->tbl->key_len == 4 ? AF_INET : AF_INET6, &n->primary_key6, a, sizeof(a));
		skb_log(n->dev->stack, LOG_DEBUG, "neigh %s on %s: %s -> %s", a, n->dev->name,
			neigh_state_name(n->nud_state), neigh_state_name(state));
	}
	n->nud_state = state;
}

static u32 neigh_max_probes(const struct neighbour *n)
{
	const struct neigh_parms *p = n->parms;

	return p->ucast_probes + p->app_probes +
	       ((n->nud_state & NUD_PROBE) ? p->mcast_reprobes : p->mcast_probes);
}

/* Send one solicitation; the newest waiting packet tells ARP which source to use. */
static void neigh_probe(struct neighbour *n)
{
	struct sk_buff *skb = skb_peek_tail(&n->arp_queue);

	if (n->ops && n->ops->solicit)
		n->ops->solicit(n, skb);
	n->probes++;
}

/* Resolution failed: every waiting packet is reported (EHOSTUNREACH) and dropped. */
static void neigh_invalidate(struct neighbour *n)
{
	struct stack *st = n->tbl->stack;
	struct sk_buff *skb;

	n->tbl->stats.res_failed++;
	SNMP_INC_STATS(st, LINUX_MIB_NEIGHFAILED);
	while (n->nud_state == NUD_FAILED && (skb = skb_dequeue(&n->arp_queue)) != NULL) {
		if (n->ops && n->ops->error_report)
			n->ops->error_report(n, skb);
		kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
	}
}

static ktime_t neigh_retrans(const struct neighbour *n)
{
	return n->parms->retrans_time > 10 * NSEC_PER_MSEC ? n->parms->retrans_time
							    : 10 * NSEC_PER_MSEC;
}

static void neigh_timer_handler(struct timer_list *t)
{
	struct neighbour *n = from_timer(n, t, timer);
	ktime_t now = stack_now(n->tbl->stack), next = now + NSEC_PER_SEC;
	u8 state = n->nud_state;

	if (!(state & NUD_IN_TIMER))
		return;
	/*
	 * Strict comparisons: Linux's "<=" relies on jiffies moving on before
	 * the re-armed timer fires; on a clock that only moves when told, a
	 * timer re-armed for "now" would fire forever.
	 */
	if (state & NUD_REACHABLE) {
		if (now < n->confirmed + n->parms->reachable_time) {
			next = n->confirmed + n->parms->reachable_time;
		} else if (now < n->used + n->parms->delay_probe_time) {
			neigh_set_state(n, NUD_DELAY);
			n->updated = now;
			next = now + n->parms->delay_probe_time;
		} else {
			neigh_set_state(n, NUD_STALE);
			n->updated = now;
			n->output = neigh_resolve_output;
		}
	} else if (state & NUD_DELAY) {
		if (now < n->confirmed + n->parms->delay_probe_time) {
			neigh_set_state(n, NUD_REACHABLE);
			n->updated = now;
			n->output = neigh_connected_output;
			next = n->confirmed + n->parms->reachable_time;
		} else {
			neigh_set_state(n, NUD_PROBE);
			n->updated = now;
			n->probes = 0;
			next = now + neigh_retrans(n);
		}
	} else {
		next = now + neigh_retrans(n);
	}

	if ((n->nud_state & (NUD_INCOMPLETE | NUD_PROBE)) && n->probes >= neigh_max_probes(n)) {
		neigh_set_state(n, NUD_FAILED);
		n->output = neigh_resolve_output;
		neigh_invalidate(n);
		return;
	}
	if (n->nud_state & NUD_IN_TIMER)
		mod_timer(&n->timer, next);
	if (n->nud_state & (NUD_INCOMPLETE | NUD_PROBE))
		neigh_probe(n);
}

/*
 * A full unresolved queue drops its oldest packet: the newest data is the
 * most useful once the address is known (Linux does the same).
 */
static void neigh_queue(struct neighbour *n, struct sk_buff *skb)
{
	while (skb_queue_len(&n->arp_queue) >= n->parms->unres_qlen) {
		struct sk_buff *old = skb_dequeue(&n->arp_queue);

		if (!old)
			break;
		n->tbl->stats.unres_discards++;
		SNMP_INC_STATS(n->tbl->stack, LINUX_MIB_ARPUNRESQDROPS);
		kfree_skb_reason(old, SKB_DROP_REASON_NEIGH_QUEUEFULL);
	}
	if (n->parms->unres_qlen)
		skb_queue_tail(&n->arp_queue, skb);
	else
		kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_QUEUEFULL);
}

/**
 * neigh_event_send - a packet wants to use @n.
 * Return: 0 if it may be sent now with n->ha; 1 if @skb was queued for the
 * resolution (or dropped because resolution is impossible) and is consumed.
 */
int neigh_event_send(struct neighbour *n, struct sk_buff *skb)
{
	ktime_t now = stack_now(n->tbl->stack);
	bool immediate_probe = false;

	n->used = now;
	if (n->nud_state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE))
		return 0;
	if (!(n->nud_state & (NUD_STALE | NUD_INCOMPLETE))) {
		if (n->parms->mcast_probes + n->parms->app_probes) {
			n->probes = n->parms->ucast_probes;
			neigh_set_state(n, NUD_INCOMPLETE);
			n->updated = now;
			immediate_probe = true;
			mod_timer(&n->timer, now + neigh_retrans(n));
		} else {
			neigh_set_state(n, NUD_FAILED);
			n->updated = now;
			if (skb)
				kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
			return 1;
		}
	} else if (n->nud_state & NUD_STALE) {
		neigh_set_state(n, NUD_DELAY);
		n->updated = now;
		mod_timer(&n->timer, now + n->parms->delay_probe_time);
	}
	if (n->nud_state != NUD_INCOMPLETE)
		return 0;
	if (skb)
		neigh_queue(n, skb);
	if (immediate_probe)
		neigh_probe(n);
	return 1;
}

/* Build the cached Ethernet header from ha (the hh cache of the seeds). */
static void neigh_hh_init(struct neighbour *n)
{
	struct net_device *dev = n->dev;
	struct ethhdr *eth = (struct ethhdr *)(void *)n->hh.hh_data;

	if (dev->hard_header_len != ETH_HLEN)
		return;
	ether_addr_copy(eth->h_dest, n->ha);
	ether_addr_copy(eth->h_source, dev->dev_addr);
	eth->h_proto = htons(n->tbl->protocol);
	n->hh.hh_len = ETH_HLEN;
}

static int neigh_xmit_with_header(struct neighbour *n, struct sk_buff *skb)
{
	if (skb_headroom(skb) < ETH_HLEN && skb_cow_head(skb, ETH_HLEN)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return -ENOMEM;
	}
	skb->dev = n->dev;
	eth_header(skb, n->dev, n->tbl->protocol, n->ha, NULL);
	return dev_queue_xmit(skb);
}

/**
 * neigh_resolve_output - the slow path: resolve if needed (queueing @skb),
 * else build the header from ha and send.  Fills the hh cache on first use.
 * Consumes @skb.  Return: 0 (sent or queued) or -errno.
 */
int neigh_resolve_output(struct neighbour *n, struct sk_buff *skb)
{
	if (neigh_event_send(n, skb))
		return 0;
	if (!n->hh.hh_len)
		neigh_hh_init(n);
	return neigh_xmit_with_header(n, skb);
}

/**
 * neigh_connected_output - the address is known: build the header from ha
 * and send.  The first packet also fills the hh cache, so every later one
 * takes neigh_hh_output (what Linux gets from arp_hh_ops, whose connected
 * output is neigh_resolve_output).  Consumes @skb.
 */
int neigh_connected_output(struct neighbour *n, struct sk_buff *skb)
{
	if (!n->hh.hh_len)
		neigh_hh_init(n);
	return neigh_xmit_with_header(n, skb);
}

/** neigh_direct_output - a device without link headers. Consumes @skb. */
int neigh_direct_output(struct neighbour *n, struct sk_buff *skb)
{
	skb->dev = n->dev;
	return dev_queue_xmit(skb);
}

/**
 * neigh_hh_output - the fast path: copy the cached header in front of the
 * packet (one memcpy, no lookup) and send.  Consumes @skb.
 */
int neigh_hh_output(struct neighbour *n, struct sk_buff *skb)
{
	unsigned int hh_len = n->hh.hh_len;

	if (unlikely(skb_headroom(skb) < hh_len) && skb_cow_head(skb, hh_len)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return -ENOMEM;
	}
	memcpy(__skb_push(skb, hh_len), n->hh.hh_data, hh_len);
	skb_reset_mac_header(skb);
	skb->dev = n->dev;
	n->tbl->stats.hh_hits++;
	return dev_queue_xmit(skb);
}

/** neigh_confirm - a transport saw forward progress through @n (dst_confirm). */
void neigh_confirm(struct neighbour *n)
{
	n->confirmed = stack_now(n->tbl->stack);
}

/* A resolution completed: send what waited, in order. */
static void neigh_flush_queue(struct neighbour *n)
{
	struct sk_buff *skb;

	while ((n->nud_state & NUD_VALID) && (skb = skb_dequeue(&n->arp_queue)) != NULL)
		n->output(n, skb);
	skb_queue_purge_reason(&n->arp_queue, SKB_DROP_REASON_NEIGH_FAILED);
}

/**
 * neigh_update - new information about @n (an ARP packet, or an admin).
 * @lladdr: its link address, or NULL to keep the current one
 * @new_state: NUD_* it should enter
 * @flags: NEIGH_UPDATE_F_OVERRIDE lets a different address replace a valid
 *	one (callers pass it once locktime has passed since the last update);
 *	NEIGH_UPDATE_F_ADMIN may change NOARP/PERMANENT entries
 * Return: 0, -EPERM for a protected entry, -EINVAL without an address.
 */
int neigh_update(struct neighbour *n, const u8 *lladdr, u8 new_state, u32 flags)
{
	ktime_t now = stack_now(n->tbl->stack);
	u8 old = n->nud_state;
	bool changed_addr;

	if (!(flags & NEIGH_UPDATE_F_ADMIN) && (old & (NUD_NOARP | NUD_PERMANENT)))
		return -EPERM;
	if (!(new_state & NUD_VALID)) {
		del_timer(&n->timer);
		neigh_set_state(n, new_state);
		n->output = neigh_resolve_output;
		if ((old & (NUD_INCOMPLETE | NUD_PROBE)) && (new_state & NUD_FAILED))
			neigh_invalidate(n);
		return 0;
	}
	if (!lladdr) {
		if (!(old & NUD_VALID))
			return -EINVAL;
		lladdr = n->ha;
	}
	changed_addr = (old & NUD_VALID) && !ether_addr_equal(lladdr, n->ha);
	/* Within locktime the first answer wins: ignore a different one. */
	if (changed_addr && !(flags & NEIGH_UPDATE_F_OVERRIDE))
		return 0;
	if (new_state & NUD_CONNECTED)
		n->confirmed = now;
	/*
	 * A valid entry whose address is unchanged keeps its state when told
	 * STALE (an ARP request from it must not demote REACHABLE, nor count
	 * as a confirmation: that was decided just above).
	 */
	if ((old & NUD_VALID) && !changed_addr && new_state == NUD_STALE &&
	    !(flags & NEIGH_UPDATE_F_ADMIN))
		new_state = old;
	n->updated = now;
	if (new_state != old) {
		del_timer(&n->timer);
		if (new_state & NUD_REACHABLE)
			mod_timer(&n->timer, now + n->parms->reachable_time);
		neigh_set_state(n, new_state);
	}
	if (!(old & NUD_VALID) || changed_addr) {
		ether_addr_copy(n->ha, lladdr);
		if (n->hh.hh_len)
			neigh_hh_init(n);
		if (!(new_state & NUD_CONNECTED))
			n->confirmed = now - 2 * n->parms->base_reachable_time;
	}
	n->output = (new_state & NUD_CONNECTED) ? neigh_connected_output : neigh_resolve_output;
	if (!(old & NUD_VALID))
		neigh_flush_queue(n);
	return 0;
}

/** neigh_ifdown - @dev is going away: drop all its entries. */
void neigh_ifdown(struct neigh_table *tbl, struct net_device *dev)
{
	for (int i = 0; i < NEIGH_HASH_SIZE; i++) {
		struct neighbour *n = tbl->hash[i], *next;

		for (; n; n = next) {
			next = n->next;
			if (!dev || n->dev == dev)
				neigh_destroy(n);
		}
	}
}

/** neigh_table_clear - free every entry (stack teardown). */
void neigh_table_clear(struct neigh_table *tbl)
{
	neigh_ifdown(tbl, NULL);
}
