/*
 * netns_ipv4.h - everything IPv4 keeps per stack (Linux's struct netns_ipv4).
 */
#ifndef SKBOS_NETNS_IPV4_H
#define SKBOS_NETNS_IPV4_H

#include "types.h"
#include "list.h"
#include "netfilter.h"
#include "netdevice.h"

struct rtable;
struct fib_pmtu;
struct neigh_table;
struct net_protocol;
struct ipfrag_state;
struct icmp_state;
struct net_device;
struct udp_table;
struct tcp_tables;
struct tcp_moved;
struct tcp_fastopen_cache;

#define IP_IDENTS_SZ 2048

struct netns_ipv4 {
	struct list_head fib;          /* struct fib_entry, longest prefix first */
	u32 fib_count;
	u32 rt_genid;
	struct fib_pmtu *pmtu;         /* FIB_PMTU_SLOTS learned path MTUs */
	struct rtable *rt_local_in;    /* input route: deliver locally */
	struct rtable *rt_bcast_in;    /* input route: broadcast, deliver locally */
	struct rtable *rt_forward_in;  /* input route: not for us (ip_forward) */
	struct rtable *rt_local_out;   /* output route to one of our addresses */
	u64 route_output_lookups;      /* ip_route_output_flow calls (dst cache tests) */
	const struct net_protocol *protos[256];
	struct list_head nf_hooks[NF_INET_NUMHOOKS];
	struct ipfrag_state *frags;
	struct neigh_table *arp_tbl;
	struct icmp_state *icmp;
	u32 ip_idents[IP_IDENTS_SZ];
	u32 ip_idents_secret;
	struct list_head ping_socks;
	struct udp_table *udp;          /* bound UDP sockets by port */
	struct tcp_tables *tcp;         /* TCP connections, listeners, bound ports */
	struct tcp_moved *tcp_moved;    /* flows handed to other processes (tcp_repair.c) */
	struct tcp_fastopen_cache *tfo_cache; /* Fast Open cookies by server (tcp_fastopen.c) */
	u32 tcp_tw_count;               /* sockets in TIME_WAIT (Linux's tcp_death_row.tw_refcount) */
	u64 isn_key[2];                 /* RFC 6528's secret */
	struct list_head raw_socks;     /* SOCK_RAW sockets */
	u16 port_rover;                 /* where the ephemeral port search starts */
	struct net_device *loopback_dev;
	struct packet_type ip_packet_type;
	struct notifier_block netdev_nb;
	struct list_head inetaddr_chain; /* address added/removed: devinet.c tells, route/ARP listen */
	struct notifier_block fib_inetaddr_nb;
};

#endif /* SKBOS_NETNS_IPV4_H */
