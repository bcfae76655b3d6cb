/*
 * sysctl.h - the stack's tunables, runtime values with Linux's defaults.
 *
 * Filled with the defaults of a stock Linux kernel by sysctl_init(); later
 * from the environment (config.c).  No compile-time knobs: a tunable is a
 * field here, named after its /proc/sys/net entry.
 */
#ifndef SKBOS_SYSCTL_H
#define SKBOS_SYSCTL_H

#include "types.h"

struct sysctl {
	u32 skb_cache_max;            /* cached sk_buff structs per stack */
	u32 hz;                       /* the host kernel's CONFIG_HZ: socket timeouts are
					 * whole ticks, as Linux keeps them in jiffies */

	int ip_default_ttl;           /* net.ipv4.ip_default_ttl */
	bool ip_forward;              /* net.ipv4.ip_forward (skbos: always 0) */
	long ipfrag_high_thresh;      /* net.ipv4.ipfrag_high_thresh, bytes */
	ktime_t ipfrag_time;          /* net.ipv4.ipfrag_time */
	u32 ipfrag_max_dist;          /* net.ipv4.ipfrag_max_dist */
	ktime_t ip_rt_mtu_expires;    /* net.ipv4.route.mtu_expires */
	u32 ip_rt_min_pmtu;           /* net.ipv4.route.min_pmtu */

	ktime_t tcp_invalid_ratelimit; /* net.ipv4.tcp_invalid_ratelimit */
	ktime_t icmp_ratelimit;       /* net.ipv4.icmp_ratelimit */
	u32 icmp_ratemask;            /* net.ipv4.icmp_ratemask */
	u32 icmp_msgs_per_sec;        /* net.ipv4.icmp_msgs_per_sec */
	u32 icmp_msgs_burst;          /* net.ipv4.icmp_msgs_burst */
	bool icmp_echo_ignore_broadcasts;
	u16 ip_local_port_min;         /* net.ipv4.ip_local_port_range */
	u16 ip_local_port_max;
	int rmem_default, wmem_default; /* net.core.{r,w}mem_default */
	int rmem_max, wmem_max;         /* net.core.{r,w}mem_max */
	int tcp_rmem[3], tcp_wmem[3];   /* net.ipv4.tcp_{r,w}mem: min, initial, autotuning max */
	bool tcp_moderate_rcvbuf;       /* net.ipv4.tcp_moderate_rcvbuf */
	bool tcp_sack;                  /* net.ipv4.tcp_sack */
	bool tcp_timestamps;            /* net.ipv4.tcp_timestamps */
	bool tcp_dsack;                 /* net.ipv4.tcp_dsack: we report duplicates */
	u32 tcp_reordering;             /* net.ipv4.tcp_reordering: the initial DupThresh */
	u32 tcp_max_reordering;         /* net.ipv4.tcp_max_reordering */
	int tcp_syncookies;             /* net.ipv4.tcp_syncookies: 1 when the SYN queue overflows */
	u32 tcp_max_tw_buckets;         /* net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets at most */
	int tcp_fastopen;               /* net.ipv4.tcp_fastopen: TFO_CLIENT_ENABLE | TFO_SERVER_ENABLE */
	int tcp_ecn;                    /* net.ipv4.tcp_ecn: 0 off, 1 request and accept, 2 accept */
	u32 tcp_notsent_lowat;          /* net.ipv4.tcp_notsent_lowat: unsent bytes that stop writes */

	/* IPv6 (net.ipv6.*) */
	int ip6_hop_limit;              /* net.ipv6.conf.default.hop_limit */
	ktime_t ip6frag_time;           /* net.ipv6.ip6frag_time */
	long ip6frag_high_thresh;       /* net.ipv6.ip6frag_high_thresh, bytes */
	ktime_t icmpv6_ratelimit;       /* net.ipv6.icmp.ratelimit */
	u32 dad_transmits;              /* net.ipv6.conf.default.dad_transmits */
	bool accept_ra;                 /* net.ipv6.conf.default.accept_ra (off with SKBOS_GW6) */
	ktime_t rtr_solicit_delay;      /* net.ipv6.conf.default.router_solicitation_delay */

	/* net.ipv4.neigh.default.* (ND uses the same: net.ipv6.neigh.default.*) */
	ktime_t neigh_base_reachable_time;
	ktime_t neigh_retrans_time;
	ktime_t neigh_delay_first_probe_time;
	ktime_t neigh_locktime;
	ktime_t neigh_gc_stale_time;
	u32 neigh_ucast_probes;
	u32 neigh_mcast_probes;
	u32 neigh_app_probes;
	u32 neigh_mcast_reprobes;
	u32 neigh_unres_qlen;
	u32 neigh_gc_thresh3;
};

void sysctl_init(struct sysctl *s);

#endif /* SKBOS_SYSCTL_H */
