/*
 * netns_ipv6.h - everything IPv6 keeps per stack (Linux's struct netns_ipv6).
 */
#ifndef SKBOS_NETNS_IPV6_H
#define SKBOS_NETNS_IPV6_H

#include "types.h"
#include "list.h"
#include "netdevice.h"

struct rt6_info;
struct rt6_pmtu;
struct neigh_table;
struct inet6_protocol;
struct ip6frag_state;
struct icmpv6_state;

struct netns_ipv6 {
	struct list_head addr_list;    /* struct inet6_ifaddr: every device's addresses */
	struct list_head fib6;         /* struct fib6_entry, longest prefix first */
	u32 fib6_count;
	u32 rt6_genid;
	struct rt6_info *rt6_local_in;   /* input route: deliver locally */
	struct rt6_info *rt6_forward_in; /* input route: not for us (ip6_forward) */
	struct rt6_pmtu *pmtu;         /* RT6_PMTU_SLOTS learned path MTUs (route.c) */
	const struct inet6_protocol *protos[256];
	struct ip6frag_state *frags;
	struct neigh_table *nd_tbl;
	u32 ra_mtu;                    /* the link MTU a Router Advertisement gave, or 0 */
	int ra_mtu_ifindex;            /* ... for this device */
	struct icmpv6_state *icmp;
	u32 ident_secret;              /* ipv6_select_ident's key */
	u32 ident_next;
	struct packet_type ipv6_packet_type;
	struct notifier_block netdev_nb;
};

#endif /* SKBOS_NETNS_IPV6_H */
