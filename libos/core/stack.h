/*
 * stack.h - struct stack: one instance of the network stack.
 *
 * Everything the core knows lives here or hangs off here: devices, protocol
 * handlers, tables, timers, counters, clock, allocator pools.  There are no
 * globals in the core, so several stacks can live in one process (tests join
 * two with tests/devices/wire.c) and each is deterministic given its inputs:
 * frames (netif_receive_skb), socket calls, and time (stack_run_timers).
 */
#ifndef SKBOS_STACK_H
#define SKBOS_STACK_H

#include "types.h"
#include "list.h"
#include "snmp.h"
#include "timer.h"
#include "sysctl.h"
#include "netns_ipv4.h"
#include "netns_ipv6.h"
#include "net_family.h"
#include "clock.h"

struct sk_buff;
struct stack_wait_ops;
struct port_share;
struct failslab;

/* skb data size classes (skb.c); buffers above the largest are malloc'd. */
#define SKB_POOL_CLASSES 5

struct skb_pool {
	void *free;        /* singly linked free buffers */
	u32 size;          /* whole buffer: data + skb_shared_info */
	u32 nfree;
	u32 max_free;      /* cap on cached buffers, so idle memory is bounded */
};

/**
 * struct stack_params - what a new stack is made of.
 * @families: the protocol families it carries, NULL-terminated, brought up
 *	in order (static tables: they must outlive the stack); inet_families
 * @failslab: fault injection for its allocations (alloc.h), or NULL; may be
 *	shared with other stacks, and must outlive the stack
 * @log_level: what it logs (log.h); 0 is LOG_ERROR
 */
struct stack_params {
	const struct net_proto_family *const *families;
	struct failslab *failslab;
	int log_level;
};

/**
 * struct stack - a network stack instance.
 * @clock_manual: time moves only when told (tests); else CLOCK_MONOTONIC
 * @clock_now: the manual clock's value
 * @skb_free: cached sk_buff structures
 * @skb_in_use/@data_in_use: live objects, so a test can assert no leak
 * @families/@failslab/@log_level: from its struct stack_params
 */
struct stack {
	struct sysctl sysctl;
	const struct net_proto_family *const *families;
	struct failslab *failslab;
	int log_level;

	bool clock_manual;
	ktime_t clock_now;
	struct timer_base timers;

	struct list_head dev_list;
	int ifindex_next;
	struct list_head ptype_all;  /* ETH_P_ALL taps */
	struct list_head ptype_base; /* handlers by ethertype */
	struct list_head netdev_chain; /* notifier_blocks for device events */

	struct sk_buff *skb_free;
	u32 skb_nfree;
	struct skb_pool pools[SKB_POOL_CLASSES];
	long skb_in_use;
	long data_in_use;

	struct netns_ipv4 ipv4;
	struct netns_ipv6 ipv6;
	const struct stack_wait_ops *wait_ops; /* blocking calls (sock.h); NULL: never block */
	void *wait_priv;
	u64 rand_state; /* stack_rand(): seeded per stack, settable by tests */
	const struct port_share *share; /* other processes on our address (portshare.h), or NULL */

	u64 mib[__SNMP_MIB_MAX];
	u64 drops[SKB_DROP_REASON_MAX];
};

struct stack *stack_new(const struct stack_params *p);
long stack_free(struct stack *st);
const struct net_proto_family *stack_family(const struct stack *st, int family);

int stack_run_timers(struct stack *st, ktime_t now);
ktime_t stack_next_timer(const struct stack *st);
int stack_poll(struct stack *st, int budget);
void stack_xmit_flush(struct stack *st);
bool stack_rx_pending(const struct stack *st);
u32 stack_rand(struct stack *st);

/* skb.c: the allocator pools of a stack. */
void skb_pools_init(struct stack *st);
void skb_pools_destroy(struct stack *st);

#endif /* SKBOS_STACK_H */
