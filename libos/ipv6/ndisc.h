/*
 * ndisc.h - Neighbour Discovery (RFC 4861) on the neighbour table
 * (net/ipv6/ndisc.c): the nd_tbl, its solicitations, and the NS/NA
 * messages themselves.
 *
 *   receive:  icmpv6_rcv -> ndisc_rcv -> ndisc_recv_ns (answer, learn,
 *             DAD) | ndisc_recv_na (neigh_update, DAD)
 *   transmit: neighbour timer/event -> ndisc_solicit -> ndisc_send_ns
 *             addrconf (DAD) -> ndisc_send_ns from ::
 */
#ifndef SKBOS_NDISC_H
#define SKBOS_NDISC_H

#include "ipv6.h"

#define NDISC_ROUTER_SOLICITATION 133
#define NDISC_ROUTER_ADVERTISEMENT 134
#define NDISC_NEIGHBOUR_SOLICITATION 135
#define NDISC_NEIGHBOUR_ADVERTISEMENT 136
#define NDISC_REDIRECT 137

/* §4.6 option types */
#define ND_OPT_SOURCE_LL_ADDR 1
#define ND_OPT_TARGET_LL_ADDR 2
#define ND_OPT_MTU 5

/* §4.4 NA flags (the first byte of the reserved word) */
#define NDISC_NA_ROUTER 0x80
#define NDISC_NA_SOLICITED 0x40
#define NDISC_NA_OVERRIDE 0x20

/** struct nd_msg - the NS and NA body after the ICMPv6 header (§4.3, §4.4). */
struct nd_msg {
	u8 type;
	u8 code;
	__sum16 cksum;
	u8 flags;
	u8 reserved[3];
	struct in6_addr target; /* at offset 8: naturally aligned, no packing needed */
	u8 opt[];
};

struct neighbour *ipv6_neigh_lookup_create(struct net_device *dev, const struct in6_addr *nexthop);
int ndisc_send_ns(struct net_device *dev, const struct in6_addr *target,
		  const struct in6_addr *daddr, const struct in6_addr *saddr);
int ndisc_send_na(struct net_device *dev, const struct in6_addr *daddr,
		  const struct in6_addr *target, bool solicited, bool override);
int ndisc_rcv(struct sk_buff *skb);
int ndisc_send_rs(struct net_device *dev, const struct in6_addr *saddr);
void ndisc_ifdown(struct net_device *dev);
int ndisc_init(struct stack *st);
void ndisc_exit(struct stack *st);

#endif /* SKBOS_NDISC_H */
