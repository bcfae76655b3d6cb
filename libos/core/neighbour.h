/*
 * neighbour.h - the neighbour table: next hop (IPv4 for ARP, IPv6 for
 * Neighbour Discovery: one table each, one code) -> link-layer address,
 * with Linux's NUD state machine, the queue of packets waiting for a
 * resolution, and the hardware-header cache (include/net/neighbour.h).
 *
 * The seeds' fast path: once a neighbour is resolved its whole Ethernet
 * header sits in hh_cache and neigh_hh_output() copies it in front of the
 * packet; neigh_connected_output() builds it from ha each time;
 * neigh_resolve_output() is the slow path that may queue and resolve.
 *
 * State machine (net/core/neighbour.c; RFC 4861 §7.3.2 names, used for ARP):
 *   NONE --send--> INCOMPLETE --reply--> REACHABLE --reachable_time--> STALE
 *   STALE --send--> DELAY --delay_probe_time, no confirmation--> PROBE
 *   PROBE/INCOMPLETE --max probes, no reply--> FAILED (queue errors out)
 *   DELAY/PROBE --confirmation--> REACHABLE
 */
#ifndef SKBOS_NEIGHBOUR_H
#define SKBOS_NEIGHBOUR_H

#include "types.h"
#include "skbuff.h"
#include "timer.h"
#include <netinet/in.h>

struct net_device;
struct stack;
struct neighbour;

#define NUD_NONE 0x00
#define NUD_INCOMPLETE 0x01
#define NUD_REACHABLE 0x02
#define NUD_STALE 0x04
#define NUD_DELAY 0x08
#define NUD_PROBE 0x10
#define NUD_FAILED 0x20
#define NUD_NOARP 0x40
#define NUD_PERMANENT 0x80

#define NUD_IN_TIMER (NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE)
#define NUD_VALID (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)
#define NUD_CONNECTED (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE)

/* neigh_update() flags */
#define NEIGH_UPDATE_F_OVERRIDE (1u << 0)
#define NEIGH_UPDATE_F_ADMIN (1u << 1)

/**
 * struct neigh_parms - timers and limits (net.ipv4.neigh.<dev>.*), Linux defaults.
 * @reachable_time: the randomised [base/2, 3*base/2) value in use
 */
struct neigh_parms {
	ktime_t base_reachable_time;
	ktime_t reachable_time;
	ktime_t retrans_time;
	ktime_t delay_probe_time;
	ktime_t locktime;
	u32 ucast_probes;
	u32 mcast_probes;
	u32 app_probes;
	u32 mcast_reprobes;
	u32 unres_qlen;
};

struct hh_cache {
	u16 hh_len;
	u8 hh_data[16];
};

struct neigh_ops {
	void (*solicit)(struct neighbour *n, struct sk_buff *skb);
	void (*error_report)(struct neighbour *n, struct sk_buff *skb);
};

/**
 * struct neighbour - one next hop.
 * @probes: probes sent in the current INCOMPLETE/PROBE episode (Linux counts
 *	INCOMPLETE from ucast_probes, so broadcast probes follow unicast ones)
 * @confirmed: last proof of reachability (a reply, or a transport's confirm)
 * @used: last time a packet went through it
 * @output: neigh_resolve_output until the entry is connected, then
 *	neigh_connected_output
 */
struct neighbour {
	struct neighbour *next;
	struct neigh_table *tbl;
	struct net_device *dev;
	struct neigh_parms *parms;
	/* the next hop's address, tbl->key_len bytes of it (4: ARP, 16: ND) */
	union {
		__be32 primary_key;
		struct in6_addr primary_key6;
	};
	u8 nud_state;
	bool dead;
	u8 ha[6];
	struct hh_cache hh;
	u32 probes;
	ktime_t confirmed;
	ktime_t updated;
	ktime_t used;
	int (*output)(struct neighbour *n, struct sk_buff *skb);
	const struct neigh_ops *ops;
	struct sk_buff_head arp_queue;
	struct timer_list timer;
};

#define NEIGH_HASH_SIZE 256

struct neigh_statistics {
	u64 allocs;
	u64 destroys;
	u64 lookups;
	u64 hits;
	u64 res_failed;
	u64 hh_hits;        /* packets whose header came from the hh cache */
	u64 unres_discards;
	u64 table_fulls;
	u64 forced_gc_runs;
};

/**
 * struct neigh_table - one table (arp_tbl) of a stack.
 * @gc_thresh3: hard cap on entries: beyond it stale entries are reclaimed,
 *	and if none can be, new ones are refused (an ARP flood stays bounded)
 */
struct neigh_table {
	struct stack *stack;
	struct neighbour *hash[NEIGH_HASH_SIZE];
	u32 entries;
	u32 gc_thresh3;
	ktime_t gc_stale_time;
	struct neigh_parms parms;
	struct neigh_statistics stats;
	u32 hash_rnd;
	u8 key_len; /* bytes of primary key: 4 (arp_tbl) or 16 (nd_tbl) */
	u16 protocol; /* ETH_P_IP or ETH_P_IPV6: the ethertype of the packets it carries */
	int (*constructor)(struct neighbour *n);
};

struct neighbour *neigh_lookup_key(struct neigh_table *tbl, const void *pkey,
				   const struct net_device *dev);
struct neighbour *neigh_create_key(struct neigh_table *tbl, const void *pkey, struct net_device *dev);

/* The IPv4 forms (ARP's callers pass the address by value). */
static inline struct neighbour *neigh_lookup(struct neigh_table *tbl, __be32 key,
					     const struct net_device *dev)
{
	return neigh_lookup_key(tbl, &key, dev);
}

static inline struct neighbour *neigh_create(struct neigh_table *tbl, __be32 key,
					     struct net_device *dev)
{
	return neigh_create_key(tbl, &key, dev);
}

int neigh_update(struct neighbour *n, const u8 *lladdr, u8 new_state, u32 flags);
void neigh_confirm(struct neighbour *n);
int neigh_event_send(struct neighbour *n, struct sk_buff *skb);
int neigh_resolve_output(struct neighbour *n, struct sk_buff *skb);
int neigh_connected_output(struct neighbour *n, struct sk_buff *skb);
int neigh_direct_output(struct neighbour *n, struct sk_buff *skb);
int neigh_hh_output(struct neighbour *n, struct sk_buff *skb);
void neigh_destroy(struct neighbour *n);
void neigh_ifdown(struct neigh_table *tbl, struct net_device *dev);
void neigh_table_init(struct stack *st, struct neigh_table *tbl, u8 key_len);
void neigh_table_clear(struct neigh_table *tbl);
void neigh_parms_init(struct neigh_parms *p, struct stack *st);
const char *neigh_state_name(u8 state);

/**
 * neigh_output - send @skb through neighbour @n: the seeds' dispatch.  A
 * connected neighbour with a cached header takes the hh fast path; anything
 * else goes through n->output.  Consumes @skb.
 */
static inline int neigh_output(struct neighbour *n, struct sk_buff *skb)
{
	if ((n->nud_state & NUD_CONNECTED) && n->hh.hh_len)
		return neigh_hh_output(n, skb);
	return n->output(n, skb);
}

#endif /* SKBOS_NEIGHBOUR_H */
